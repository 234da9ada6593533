"""The edit form of a past record lists the roster of the record's date, and says before saving how saving would
change the attendance it recorded: entries made in the registry since, dated on or before the meeting, name who
would join or leave its 应到, so that correcting a typo does not silently rewrite who attended."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.meetings.models import MeetingKind
from dangjian.meetings.services import create_meeting
from dangjian.members.services import update_member
from dangjian.movements.services import change_status, transfer_in

D = dt.date(2026, 11, 10)


def _received(org, name, on):
    data = {
        "name": name,
        "id_number": unique_id_number(),
        "category": "formal",
        "joined_on": dt.date(2012, 7, 1),
        "confirmed_on": dt.date(2013, 7, 1),
        "org": org,
        "work_status": "active",
    }
    return transfer_in(
        actor=None, data=data, letter_no="沪组转字009", origin="某区委组织部", transferred_on=on
    )


def _edit_page(client, meeting):
    response = client.get(reverse("meetings:edit", args=[meeting.pk]))
    assert response.status_code == 200
    return response


def _edit_data(meeting, page) -> dict:
    """The edit form as it opens, submitted unchanged but for its topic."""
    roster = page.context["roster"]
    data = {
        "org": str(meeting.org_id),
        "date": meeting.date.isoformat(),
        "types": [k.type for k in meeting.kinds.all()],
        "topic": meeting.topic + "（更正）",
        "absentees": [str(r.member_id) for r in roster.rows if r.absent],
    }
    for r in roster.rows:
        if r.absent:
            data[f"reason_kind_{r.member_id}"] = r.reason_kind
            data[f"reason_{r.member_id}"] = r.reason
    return data


def test_an_unchanged_registry_opens_the_record_without_a_notice(client, users, tree, make_member):
    make_member(tree.a1, name="甲")
    meeting = create_meeting(
        actor=None, data={"org": tree.a1, "date": D, "topic": "十一月大会"}, types=["assembly"]
    )
    client.force_login(users["branch_a1"])
    page = _edit_page(client, meeting)
    assert page.context["roster"].recount is None
    assert 'data-testid="recount"' not in page.content.decode()


def test_the_edit_form_says_who_saving_would_add_and_remove(client, users, tree, make_member):
    make_member(tree.a1, name="留任")
    leaves = make_member(tree.a1, name="调离")
    dies = make_member(tree.a1g1, name="病故")
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "十一月大会"},
        types=["assembly"],
        absentees={leaves.pk: "公差：赴京"},
    )
    recorded = MeetingKind.objects.get(meeting=meeting)
    assert (recorded.expected, recorded.present) == (4, 3)  # 李党员 (users), 留任, 调离, 病故

    # since: a 预备党员 admitted at the meeting itself is entered; a member received after the meeting (not on
    # its roster); a member who joined after it (not on it either); 调离's move to 甲二 effective before the
    # meeting; 病故's death dated before it
    make_member(tree.a1, name="新预备", category="probationary", joined_on=D, confirmed_on=None)
    _received(tree.a1, "后转入", D + dt.timedelta(days=10))
    make_member(
        tree.a1, name="后入党", category="probationary", joined_on=D + dt.timedelta(days=5), confirmed_on=None
    )
    update_member(actor=None, member=leaves, data={"org": tree.a2}, effective_on=dt.date(2026, 11, 1))
    change_status(
        actor=None,
        member=dies,
        status="deceased",
        effective_on=dt.date(2026, 11, 3),
        decided_on=dt.date(2026, 11, 3),
        decision_body="",
    )

    client.force_login(users["dangwei_a"])
    page = _edit_page(client, meeting)
    roster = page.context["roster"]
    # the roster of the record's date: not who came or joined after it
    assert {r.name for r in roster.rows} == {"李党员", "留任", "新预备"}
    notice = roster.recount
    assert notice is not None
    assert [(c.expected, c.present, c.expected_formal) for c in notice.counts] == [((4, 3), (3, 3), (4, 2))]
    assert [(c.name, c.why) for c in notice.added] == [("新预备", "记录保存后登记到党员名册")]
    assert [(c.name, c.why) for c in notice.removed] == [
        ("病故", "记录保存后登记的党籍状态变更：2026-11-03起为死亡"),
        ("调离", "记录保存后登记的组织变更：2026-11-01起在甲二支部；原记为缺席"),
    ]
    assert not notice.unexplained
    html = page.content.decode()
    assert 'data-testid="recount"' in html
    assert "支部党员大会：应到 4 → 3，实到 3 → 3（其中正式党员 4 → 2）" in html
    assert "将计入应到：新预备（记录保存后登记到党员名册）" in html
    assert "将不再计入应到：病故（" in html and "调离（记录保存后登记的组织变更" in html
    assert "后转入" not in html and "后入党" not in html

    # saved, the record counts as the notice said, and opens without it
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), _edit_data(meeting, page))
    assert response.status_code == 302
    recorded = MeetingKind.objects.get(meeting=meeting)  # written again
    assert (recorded.expected, recorded.present, recorded.expected_formal) == (3, 3, 2)
    assert _edit_page(client, meeting).context["roster"].recount is None


def test_the_notice_follows_the_form_and_the_roster_refresh(client, users, tree, make_member):
    make_member(tree.a1, name="甲")
    meeting = create_meeting(
        actor=None, data={"org": tree.a1, "date": D, "topic": "十一月大会"}, types=["assembly"]
    )
    make_member(tree.a1, name="补录", joined_on=dt.date(2015, 7, 1), confirmed_on=dt.date(2016, 7, 1))
    client.force_login(users["branch_a1"])
    url = reverse("meetings:roster")
    same = {"org": tree.a1.pk, "date": D.isoformat(), "types": ["assembly"], "editing": meeting.pk}
    refreshed = client.get(url, same)
    assert [c.name for c in refreshed.context["roster"].recount.added] == ["补录"]
    assert 'data-testid="recount"' in refreshed.content.decode()
    # another date chosen: the roster follows it, as asked; nothing to compare
    other = client.get(url, {**same, "date": (D - dt.timedelta(days=1)).isoformat()})
    assert other.context["roster"].recount is None
    # a record the user may not edit is not compared
    client.force_login(users["branch_a2"])
    assert client.get(url, {**same, "org": tree.a2.pk}).context["roster"].recount is None


def test_a_refused_save_keeps_the_notice(client, users, tree, make_member):
    make_member(tree.a1, name="甲")
    meeting = create_meeting(
        actor=None, data={"org": tree.a1, "date": D, "topic": "十一月大会"}, types=["assembly"]
    )
    make_member(tree.a1, name="补录")
    client.force_login(users["branch_a1"])
    page = _edit_page(client, meeting)
    data = {**_edit_data(meeting, page), "topic": ""}
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert [c.name for c in response.context["roster"].recount.added] == ["补录"]
    assert MeetingKind.objects.get(meeting=meeting).expected == 2


def test_the_edit_page_is_a_bounded_number_of_queries(
    client, users, tree, make_member, django_assert_max_num_queries
):
    people = [make_member(tree.a1 if i % 3 else tree.a1g1, name=f"党员{i:02d}") for i in range(30)]
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "十一月大会"},
        types=["assembly", "lecture"],
        absentees={people[0].pk: "病假", people[1].pk: "公差"},
    )
    client.force_login(users["branch_a1"])
    # the page's own and, compared with the roster, the record's absentees (its counts come with the record), and the
    # absentees' names for the record's version (core.edits)
    with django_assert_max_num_queries(18):
        assert _edit_page(client, meeting).context["roster"].recount is None
    for i in range(5):
        make_member(tree.a1, name=f"补录{i}")
    update_member(actor=None, member=people[0], data={"org": tree.a2}, effective_on=dt.date(2026, 11, 1))
    with django_assert_max_num_queries(20):  # and who would change: members entered, history recorded since
        notice = _edit_page(client, meeting).context["roster"].recount
    assert len(notice.added) == 5 and len(notice.removed) == 1
