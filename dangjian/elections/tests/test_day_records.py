"""The records of an organisation's election day and what they write beside themselves: the approval to hold a
党员代表大会 is the day's (a record deleted by mistake leaves it, a 另行选举 or the record entered again carries
it); a second record of the day is refused with a link to the one already there; the result's approval keeps the
post of a member re-elected to it; approvals are recorded once given (not dated after today)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.elections.models import Candidate, Election, Exclusion, TermAdjustment
from dangjian.elections.services import (
    RepeatRefused,
    approve_result,
    delete_election,
    record_congress_approval,
    record_election,
    record_term_adjustment,
)
from dangjian.elections.tests.conftest import cands
from dangjian.orgs.models import Post
from dangjian.orgs.services import create_post

D = dt.date(2026, 9, 1)
APPROVAL = ("甲委〔2026〕5号", dt.date(2026, 8, 1))


def congress(org, members, votes=(9, 6, 5, 5), *, actor=None, seats=3, present=10, **kw):
    """A 党员代表大会 of 甲一支部 on D; 10 expected, so 5 votes are not enough: (9, 6, 5, 5) elects two of three."""
    return record_election(
        actor=actor,
        org=org,
        held_on=D,
        form="congress",
        present=present,
        seats=seats,
        ballots_issued=present,
        ballots_returned=present,
        candidates=cands(members, votes),
        **kw,
    )


def approval(e: Election) -> tuple[str, dt.date | None]:
    e.refresh_from_db()
    return e.form_approval_ref, e.form_approved_on


# --- the approval to hold a 党员代表大会 belongs to the day, not to one record ----------------------------------


def test_deleting_a_congress_record_leaves_the_approval_of_the_day(tree, a1_voters, users):
    first = congress(  # 9 expected: 4 votes are not enough
        tree.a1,
        a1_voters[:4],
        (9, 6, 4, 4),
        present=9,
        actor=users["branch_a1"],
        exclusions=[{"member": a1_voters[9], "reason": "abroad", "approval": "甲委机关党委批复"}],
    )
    record_congress_approval(
        actor=users["dangwei_a"], election=first, approval_ref=APPROVAL[0], approved_on=APPROVAL[1]
    )
    # the 另行选举 of the seat left that day: the same 党员代表大会, the same approval
    again = congress(tree.a1, a1_voters[4:6], (8, 1), actor=users["branch_a1"], seats=1)
    assert approval(again) == APPROVAL
    own = set(Candidate.objects.filter(election=again).values_list("pk", flat=True))

    delete_election(actor=users["branch_a1"], election=first)  # the first record was a mistake
    assert not Election.objects.filter(pk=first.pk).exists()
    assert not Candidate.objects.filter(election_id=first.pk).exists() and not Exclusion.objects.exists()
    # only its own records went: the other record of the day keeps its candidates and the day's approval
    assert approval(again) == APPROVAL
    assert set(Candidate.objects.filter(election=again).values_list("pk", flat=True)) == own

    delete_election(actor=users["branch_a1"], election=again)
    assert not Election.objects.exists()
    # entered again by the branch (which cannot record the approval itself), the day's congress keeps it
    entered = congress(tree.a1, a1_voters[:4], actor=users["branch_a1"])
    assert approval(entered) == APPROVAL
    event = AuditEvent.objects.get(
        object_type="elections.election", object_id=str(entered.pk), action="create"
    )
    assert event.after["form_approval_ref"] == APPROVAL[0] and "沿用" in event.note
    # another day's congress has no approval of its own
    other = record_election(
        actor=users["branch_a1"],
        org=tree.a1,
        held_on=D - dt.timedelta(days=1),
        form="congress",
        present=10,
        seats=3,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(a1_voters[:4], (9, 8, 7, 2)),
    )
    assert approval(other) == ("", None)


def test_a_record_without_the_approval_takes_it_from_the_one_deleted(tree, a1_voters, users):
    """Records made before the approval was shared: the day's other record has none until the one carrying it
    is deleted."""
    first = congress(tree.a1, a1_voters[:4])
    again = congress(tree.a1, a1_voters[4:6], (8, 1), seats=1)
    record_congress_approval(
        actor=users["dangwei_a"], election=first, approval_ref=APPROVAL[0], approved_on=APPROVAL[1]
    )
    assert approval(again) == APPROVAL  # recorded on one record of the day, it is the day's
    Election.objects.filter(pk=again.pk).update(form_approval_ref="", form_approved_on=None)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    delete_election(actor=users["branch_a1"], election=first)
    assert approval(again) == APPROVAL
    carried = AuditEvent.objects.get(object_type="elections.election", object_id=str(again.pk), pk__gt=last)
    assert carried.action == "update" and carried.after["form_approval_ref"] == APPROVAL[0]


def test_an_assembly_deleted_leaves_the_days_records_as_they_are(tree, a1_voters):
    e = record_election(
        actor=None,
        org=tree.a1,
        held_on=D,
        form="assembly",
        present=10,
        seats=3,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(a1_voters[:4], (9, 8, 7, 2)),
    )
    delete_election(actor=None, election=e)
    assert approval(congress(tree.a1, a1_voters[:4])) == ("", None)


def test_the_page_says_the_approval_stays_when_the_record_is_deleted(client, tree, a1_voters, users):
    e = congress(tree.a1, a1_voters[:4])
    client.force_login(users["branch_a1"])
    assert (
        'data-testid="congress-kept"'
        not in client.get(reverse("elections:detail", args=[e.pk])).content.decode()
    )
    record_congress_approval(
        actor=users["dangwei_a"], election=e, approval_ref=APPROVAL[0], approved_on=APPROVAL[1]
    )
    html = client.get(reverse("elections:detail", args=[e.pk])).content.decode()
    assert 'data-testid="congress-kept"' in html and "不随本记录删除" in html


# --- a second record of the day: refused, with a link to the record there -----------------------------------


def test_the_refusal_of_a_second_record_names_the_record_there(tree, a1_voters):
    first = congress(tree.a1, a1_voters[:4])  # 党员00 and 党员01 elected, one seat left
    with pytest.raises(RepeatRefused) as refused:  # more seats than the day left
        congress(tree.a1, a1_voters[4:7], (8, 7, 1), seats=2)
    assert refused.value.election == first and refused.value.field == "seats"
    again = congress(tree.a1, a1_voters[4:6], (8, 1), seats=1)
    with pytest.raises(RepeatRefused) as refused:  # the day's seats are filled
        congress(tree.a1, a1_voters[6:8], (8, 1), seats=1)
    assert refused.value.election == first and refused.value.field == "held_on"
    Election.objects.filter(pk=first.pk).update(seats=4)  # (a seat of the day left open again)
    with pytest.raises(RepeatRefused) as refused:  # the 另行选举 entered twice: that record
        congress(tree.a1, a1_voters[4:6], (8, 1), seats=1)
    assert refused.value.election == again
    with pytest.raises(RepeatRefused) as refused:  # 党员04 was elected by the second record
        congress(tree.a1, [a1_voters[4], a1_voters[8]], (8, 1), seats=1)
    assert refused.value.election == again and refused.value.field == "candidates"
    assert isinstance(refused.value, ServiceError)


def test_the_form_links_the_election_already_recorded(client, tree, a1_voters, users):
    from dangjian.elections.tests.test_views import post_data

    client.force_login(users["dangwei_a"])
    url = reverse("elections:create")
    assert client.post(url, post_data(tree.a1, a1_voters, 10, (9, 8, 7, 2))).status_code == 302
    first = Election.objects.get()
    assert (
        'data-testid="repeat-of"' not in client.get(url, {"org": tree.a1.pk, "held_on": D}).content.decode()
    )
    response = client.post(url, post_data(tree.a1, a1_voters, 10, (9, 8, 7, 2)))
    html = response.content.decode()
    assert response.status_code == 400 and "不能重复登记" in html
    link = reverse("elections:detail", args=[first.pk])
    assert f'<a class="alert-link" href="{link}">查看已登记的选举记录（2026-09-01，党员大会）</a>' in html
    assert response.context["repeat_of"] == first and Election.objects.count() == 1
    assert client.get(link).status_code == 200  # it opens


# --- the result's approval keeps a re-elected member's post -------------------------------------------------


def post(member, org, title, started_on, ended_on=None):
    return create_post(
        actor=None,
        data={"member": member, "org": org, "title": title, "started_on": started_on, "ended_on": ended_on},
    )


def test_a_secretary_re_elected_keeps_the_post_from_the_last_term(tree, a1_voters, users):
    secretary = post(a1_voters[0], tree.a1, "shuji", dt.date(2023, 9, 10))
    e = record_election(
        actor=None,
        org=tree.a1,
        held_on=D,
        form="assembly",
        present=10,
        seats=3,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(a1_voters[:4], (9, 8, 7, 2), {0: "shuji"}),
    )
    events = AuditEvent.objects.filter(object_type="orgs.post").count()
    approve_result(actor=users["dangwei_a"], election=e, approved_on=D, approving_body="甲委机关党委")
    assert list(Post.objects.filter(member=a1_voters[0], org=tree.a1)) == [secretary]
    secretary.refresh_from_db()
    assert (secretary.started_on, secretary.ended_on) == (dt.date(2023, 9, 10), None)
    # the two other elected take their posts; the secretary's is not written at all
    assert AuditEvent.objects.filter(object_type="orgs.post").count() == events + 2
    assert not AuditEvent.objects.filter(
        object_type="orgs.post", object_id=str(secretary.pk), action="update"
    )


def test_approving_a_re_election_keeps_the_posts_of_those_re_elected(tree, a1_voters, users):
    v = a1_voters
    approved = dt.date(2026, 9, 20)
    secretary = post(v[0], tree.a1, "shuji", dt.date(2023, 9, 10))  # re-elected 书记
    deputy = post(v[1], tree.a1, "fushuji", D)  # recorded after the election, before its approval
    organiser = post(v[2], tree.a1, "zuzhi", approved)  # recorded from the approval's date
    member = post(v[3], tree.a1, "weiyuan", dt.date(2023, 9, 10), dt.date(2026, 12, 31))  # a 离任 recorded
    leaving = post(v[5], tree.a1, "zuzhi", dt.date(2023, 9, 10))  # not elected again
    changed = post(v[6], tree.a1, "weiyuan", dt.date(2023, 9, 10))  # elected to another post
    e = record_election(
        actor=None,
        org=tree.a1,
        held_on=D,
        form="assembly",
        present=10,
        seats=5,
        ballots_issued=10,
        ballots_returned=10,
        candidates=[
            {"member": m, "votes": 9, "title": t}
            for m, t in (
                (v[0], "shuji"),
                (v[1], "fushuji"),
                (v[2], "zuzhi"),
                (v[3], "weiyuan"),
                (v[6], "xuanchuan"),
            )
        ]
        + [{"member": v[7], "votes": 1, "title": "weiyuan"}],
    )
    approve_result(actor=users["dangwei_a"], election=e, approved_on=approved, approving_body="甲委机关党委")
    kept = {
        p.pk: (p.started_on, p.ended_on)
        for p in Post.objects.filter(pk__in=[secretary.pk, deputy.pk, organiser.pk])
    }
    assert kept == {
        secretary.pk: (dt.date(2023, 9, 10), None),
        deputy.pk: (D, None),
        organiser.pk: (approved, None),
    }
    member.refresh_from_db()
    # re-elected, and the 离任 recorded after the approval's day stays: the approval does not undo it
    assert (member.started_on, member.ended_on) == (dt.date(2023, 9, 10), dt.date(2026, 12, 31))
    # one post each for the re-elected: none ended and started again, none twice
    for m, title in ((v[0], "shuji"), (v[1], "fushuji"), (v[2], "zuzhi"), (v[3], "weiyuan")):
        assert Post.objects.filter(member=m, org=tree.a1, title=title).count() == 1
    leaving.refresh_from_db()
    changed.refresh_from_db()
    assert leaving.ended_on == approved and changed.ended_on == approved
    assert Post.objects.get(member=v[6], title="xuanchuan").started_on == approved
    assert (v[3].pk, "weiyuan") not in {
        (p.member_id, p.title) for p in Post.objects.current(dt.date(2027, 1, 1)).filter(org=tree.a1)
    }
    current = {(p.member_id, p.title) for p in Post.objects.current(approved).filter(org=tree.a1)}
    assert current == {
        (v[0].pk, "shuji"),
        (v[1].pk, "fushuji"),
        (v[2].pk, "zuzhi"),
        (v[3].pk, "weiyuan"),
        (v[6].pk, "xuanchuan"),
    }


def test_a_post_recorded_ahead_of_the_approval_is_not_recorded_twice(tree, a1_voters, users):
    today = dt.date.today()
    e = record_election(
        actor=None,
        org=tree.a1,
        held_on=D,
        form="assembly",
        present=10,
        seats=3,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(a1_voters[:4], (9, 8, 7, 2)),
    )
    ahead = post(a1_voters[1], tree.a1, "weiyuan", today)
    approve_result(actor=users["dangwei_a"], election=e, approved_on=D, approving_body="甲委机关党委")
    assert list(Post.objects.filter(member=a1_voters[1], org=tree.a1)) == [ahead]
    assert Post.objects.filter(org=tree.a1, started_on=D).count() == 2


# --- approvals are recorded once given ----------------------------------------------------------------------


def test_a_postponement_approved_after_today_is_refused(tree, a1_voters, users, client):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        record_term_adjustment(
            actor=users["dangwei_a"],
            org=tree.a1,
            kind="postpone",
            approved_on=tomorrow,
            approving_body="甲委机关党委",
            new_due_on=dt.date(2027, 3, 1),
            reason="机构改革",
        )
    assert refused.value.field == "approved_on"
    assert refused.value.message == "批准日期不能晚于今天：请在上级党组织批准后登记。"
    assert not TermAdjustment.objects.exists() and AuditEvent.objects.count() == events
    # the page offers no later day and shows the refusal next to the date
    client.force_login(users["dangwei_a"])
    url = reverse("elections:adjust", args=[tree.a1.pk])
    html = client.get(url).content.decode()
    assert f'max="{dt.date.today():%Y-%m-%d}"' in html
    response = client.post(
        url,
        {
            "kind": "postpone",
            "new_due_on": "2027-03-01",
            "approved_on": tomorrow.isoformat(),
            "approving_body": "甲委机关党委",
            "reason": "机构改革",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["approved_on"] == [
        "批准日期不能晚于今天：请在上级党组织批准后登记。"
    ]
    assert not TermAdjustment.objects.exists()
    today = record_term_adjustment(
        actor=users["dangwei_a"],
        org=tree.a1,
        kind="postpone",
        approved_on=dt.date.today(),
        approving_body="甲委机关党委",
        new_due_on=dt.date(2027, 3, 1),
        reason="机构改革",
    )
    assert today.approved_on == dt.date.today()


def test_an_earlier_election_cannot_be_approved_after_a_later_one(tree, a1_voters, users):
    def assembly(day):
        return record_election(
            actor=None,
            org=tree.a1,
            held_on=day,
            form="assembly",
            present=10,
            seats=3,
            ballots_issued=10,
            ballots_returned=10,
            candidates=cands(a1_voters[:4], (9, 8, 7, 2)),
        )

    earlier, later = assembly(dt.date(2026, 6, 1)), assembly(D)
    approve_result(actor=users["dangwei_a"], election=later, approved_on=D, approving_body="甲委机关党委")
    tree.a1.refresh_from_db()
    posts = sorted(Post.objects.filter(org=tree.a1).values_list("pk", "started_on", "ended_on"))
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        approve_result(
            actor=users["dangwei_a"],
            election=earlier,
            approved_on=dt.date(2026, 6, 5),
            approving_body="甲委机关党委",
        )
    assert "2026-09-01的选举结果已经批准" in refused.value.message
    earlier.refresh_from_db()
    before_term = tree.a1.term_started_on
    tree.a1.refresh_from_db()
    assert earlier.approved_on is None and tree.a1.term_started_on == before_term == D
    assert sorted(Post.objects.filter(org=tree.a1).values_list("pk", "started_on", "ended_on")) == posts
    assert AuditEvent.objects.count() == events


def test_a_term_adjustment_approved_before_the_term_began_is_refused(tree, users):
    from dangjian.orgs.models import Org

    Org.objects.filter(pk=tree.a1.pk).update(term_started_on=dt.date(2026, 1, 10))
    tree.a1.refresh_from_db()
    with pytest.raises(ServiceError) as refused:
        record_term_adjustment(
            actor=users["dangwei_a"],
            org=tree.a1,
            kind="postpone",
            approved_on=dt.date(2020, 1, 5),
            approving_body="甲委机关党委",
            new_due_on=dt.date(2029, 3, 1),
            reason="机构改革",
        )
    assert refused.value.field == "approved_on" and "早于本届开始日期 2026-01-10" in refused.value.message
    assert not TermAdjustment.objects.exists()
