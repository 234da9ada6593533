"""Services: writes with their audit events, refusals that change nothing, categories around a post's dates."""

import datetime as dt

import pytest

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.orgs.services import create_post
from dangjian.talks import services
from dangjian.talks.models import Pair, Talk, YouthActivity, YouthGroup
from dangjian.talks.selectors import talk_counts, talk_rows

D = dt.date


def counts():
    return (
        Talk.objects.count(),
        Talk.participants.through.objects.count(),
        Pair.objects.count(),
        YouthGroup.objects.count(),
        YouthActivity.objects.count(),
        AuditEvent.objects.count(),
    )


def test_record_talk_stores_who_and_when_and_audits(a1, users):
    talk = services.record_talk(
        actor=users["branch_a1"], org=a1.org, date=D(2026, 3, 5), participants=[a1.shuji, a1.m2], form="phone"
    )
    assert set(talk.participants.all()) == {a1.shuji, a1.m2}  # a member of the 党小组 counts
    event = AuditEvent.objects.get(object_type="talks.talk", object_id=str(talk.pk))
    assert event.action == "create"
    assert event.after["participants"] == "书记甲、党员戊"
    assert event.after["form"] == "电话"
    assert not any(f.name in {"content", "summary", "note"} for f in Talk._meta.get_fields())
    [row] = talk_rows(Talk.objects.filter(pk=talk.pk))
    assert row.categories == ["committee_member"]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"participants": "one"}, "participants"),
        ({"date": D(2999, 1, 1)}, "date"),
        ({"participants": "other_branch"}, "participants"),
        ({"form": "letter"}, "form"),
        ({"org": "a1g1"}, "org"),
    ],
)
def test_refused_talks_change_nothing(a1, users, tree, make_member, kwargs, field):
    other = make_member(tree.a2, name="甲二党员")
    participants = {
        "one": [a1.m1],
        "other_branch": [a1.m1, other],
    }.get(kwargs.pop("participants", None), [a1.m1, a1.shuji])
    org = tree.a1g1 if kwargs.pop("org", None) else a1.org
    before = counts()
    with pytest.raises(ServiceError) as exc:
        services.record_talk(
            actor=users["branch_a1"], org=org, participants=participants, **{"date": D(2026, 3, 5), **kwargs}
        )
    assert exc.value.field == field
    assert counts() == before


def test_out_of_scope_talk_is_refused_and_changes_nothing(a1, users):
    before = counts()
    with pytest.raises(OutOfScope):
        services.record_talk(
            actor=users["branch_a2"], org=a1.org, date=D(2026, 3, 5), participants=[a1.m1, a1.m2]
        )
    assert counts() == before


def test_a_member_who_joined_after_the_date_is_refused(a1, users, make_member, tree):
    late = make_member(
        tree.a1, name="新党员", joined_on=D(2026, 5, 1), category="probationary", confirmed_on=None
    )
    with pytest.raises(ServiceError, match="新党员"):
        services.record_talk(actor=None, org=a1.org, date=D(2026, 4, 30), participants=[late, a1.m1])
    services.record_talk(actor=None, org=a1.org, date=D(2026, 5, 1), participants=[late, a1.m1])


def test_category_follows_the_post_held_on_the_talk_date(a1):
    create_post(
        actor=None,
        data={
            "member": a1.m1,
            "org": a1.org,
            "title": "jijian",
            "started_on": D(2025, 3, 1),
            "ended_on": D(2025, 6, 1),
        },
    )
    for day in (D(2025, 2, 28), D(2025, 3, 1), D(2025, 5, 31), D(2025, 6, 1)):
        services.record_talk(actor=None, org=a1.org, date=day, participants=[a1.m1, a1.m2])
    rows = {r.talk.date: r.categories for r in talk_rows(Talk.objects.all())}
    assert rows == {
        D(2025, 2, 28): ["member_member"],
        D(2025, 3, 1): ["committee_member"],
        D(2025, 5, 31): ["committee_member"],
        D(2025, 6, 1): ["member_member"],
    }
    assert talk_counts([a1.org.pk], D(2025, 1, 1), D(2025, 12, 31))[a1.org.pk] == {
        "talks": 4,
        "committee_committee": 0,
        "committee_member": 2,
        "member_member": 2,
    }


def test_delete_talk_audits_and_refuses_out_of_scope(a1, users):
    talk = services.record_talk(actor=None, org=a1.org, date=D(2026, 3, 5), participants=[a1.m1, a1.m2])
    before = counts()
    with pytest.raises(OutOfScope):
        services.delete_talk(actor=users["branch_a2"], talk=talk)
    assert counts() == before
    services.delete_talk(actor=users["branch_a1"], talk=talk)
    assert not Talk.objects.exists()
    assert AuditEvent.objects.filter(object_type="talks.talk", action="delete").count() == 1


def test_pairs(a1, users, tree, make_member):
    pair = services.create_pair(
        actor=users["branch_a1"],
        org=a1.org,
        mentor=a1.shuji,
        mentee=a1.m2,
        started_on=D(2026, 1, 10),
        goal="熟悉支部工作",
    )
    assert AuditEvent.objects.filter(object_type="talks.pair", action="create").count() == 1
    other = make_member(tree.a2, name="甲二党员")
    before = counts()
    refusals = [
        ({"mentor": a1.m1, "mentee": a1.m1}, "mentee"),
        ({"mentee": other}, "mentee"),
        ({"goal": "  "}, "goal"),
        ({"ended_on": D(2026, 1, 9)}, "ended_on"),
    ]
    for overrides, field in refusals:
        data = {
            "org": a1.org,
            "mentor": a1.m1,
            "mentee": a1.m2,
            "started_on": D(2026, 1, 10),
            "goal": "传帮带",
            **overrides,
        }
        with pytest.raises(ServiceError) as exc:
            services.create_pair(actor=users["branch_a1"], **data)
        assert exc.value.field == field
    with pytest.raises(OutOfScope):
        services.create_pair(
            actor=users["branch_a2"],
            org=a1.org,
            mentor=a1.m1,
            mentee=a1.m2,
            started_on=D(2026, 1, 1),
            goal="x",
        )
    with pytest.raises(ServiceError):
        services.end_pair(actor=users["branch_a1"], pair=pair, ended_on=D(2026, 1, 9))
    with pytest.raises(OutOfScope):
        services.end_pair(actor=users["branch_a2"], pair=pair, ended_on=D(2026, 6, 30))
    assert counts() == before
    services.end_pair(actor=users["branch_a1"], pair=pair, ended_on=D(2026, 6, 30))
    pair.refresh_from_db()
    assert pair.ended_on == D(2026, 6, 30)


def test_youth_groups_and_activities(a1, users, tree, make_member):
    group = services.create_youth_group(
        actor=users["dangwei_a"],
        org=tree.a,
        name="甲委青年理论学习小组",
        leader=a1.m1,
        members=[a1.m2],
        founded_on=D(2026, 2, 1),
    )
    assert set(group.members.all()) == {a1.m1, a1.m2}  # the leader is a member
    outsider = make_member(tree.b1, name="乙一党员")
    before = counts()
    with pytest.raises(ServiceError) as exc:
        services.create_youth_group(
            actor=users["dangwei_a"],
            org=tree.a,
            name="另一组",
            leader=a1.m1,
            members=[outsider],
            founded_on=D(2026, 2, 1),
        )
    assert exc.value.field == "members"
    with pytest.raises(ServiceError):  # same name in the same organisation
        services.create_youth_group(
            actor=users["dangwei_a"],
            org=tree.a,
            name="甲委青年理论学习小组",
            leader=a1.m1,
            members=[],
            founded_on=D(2026, 2, 1),
        )
    with pytest.raises(OutOfScope):
        services.create_youth_group(
            actor=users["branch_a1"],
            org=tree.a,
            name="越权",
            leader=a1.m1,
            members=[],
            founded_on=D(2026, 2, 1),
        )
    with pytest.raises(ServiceError) as exc:  # attendance only from the group's members
        services.record_youth_activity(
            actor=users["dangwei_a"], group=group, date=D(2026, 3, 1), topic="学习", participants=[a1.shuji]
        )
    assert exc.value.field == "participants"
    with pytest.raises(ServiceError) as exc:
        services.record_youth_activity(
            actor=users["dangwei_a"], group=group, date=D(2026, 1, 31), topic="学习", participants=[a1.m1]
        )
    assert exc.value.field == "date"
    with pytest.raises(OutOfScope):
        services.record_youth_activity(
            actor=users["branch_a2"], group=group, date=D(2026, 3, 1), topic="学习", participants=[a1.m1]
        )
    assert counts() == before
    activity = services.record_youth_activity(
        actor=users["dangwei_a"],
        group=group,
        date=D(2026, 3, 1),
        topic="学习二十大精神",
        participants=[a1.m1],
    )
    assert list(activity.participants.all()) == [a1.m1]
    group = services.update_youth_group_members(
        actor=users["dangwei_a"], group=group, leader=a1.m2, members=[a1.shuji]
    )
    assert set(group.members.all()) == {a1.m2, a1.shuji}
    assert list(activity.participants.all()) == [a1.m1]  # past attendance kept
    assert AuditEvent.objects.filter(object_type__startswith="talks.youth").count() == 3


def test_the_same_two_members_are_paired_once_for_any_day(a1, users):
    kw = {"actor": users["branch_a1"], "org": a1.org, "goal": "传帮带"}
    first = services.create_pair(
        **kw, mentor=a1.shuji, mentee=a1.m2, started_on=D(2026, 1, 10), ended_on=D(2026, 6, 30)
    )
    before = counts()
    for mentor, mentee, start, end in (
        (a1.shuji, a1.m2, D(2026, 1, 10), D(2026, 6, 30)),  # the same again
        (a1.m2, a1.shuji, D(2026, 3, 1), None),  # either way round, open
        (a1.shuji, a1.m2, D(2025, 12, 1), D(2026, 1, 10)),  # ending on its first day
        (a1.shuji, a1.m2, D(2026, 6, 30), None),  # starting on its last day
    ):
        with pytest.raises(ServiceError) as exc:
            services.create_pair(**kw, mentor=mentor, mentee=mentee, started_on=start, ended_on=end)
        assert exc.value.field == "mentee"
        assert exc.value.message.startswith(
            "书记甲与党员戊已结对（2026-01-10至2026-06-30），与本次登记的期间重叠"
        )
    assert counts() == before
    # before or after it, or with someone else, a pair is recorded
    later = services.create_pair(**kw, mentor=a1.shuji, mentee=a1.m2, started_on=D(2026, 7, 1))
    services.create_pair(**kw, mentor=a1.shuji, mentee=a1.m1, started_on=D(2026, 3, 1))
    with pytest.raises(ServiceError, match=r"（2026-07-01起，尚未结束）"):
        services.create_pair(**kw, mentor=a1.m2, mentee=a1.shuji, started_on=D(2026, 11, 1))
    assert Pair.objects.filter(mentor=a1.shuji, mentee=a1.m2).count() == 2 and later.pk != first.pk
