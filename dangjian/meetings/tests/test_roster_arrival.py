"""The roster of a record dated D (应到, the attendance list of 组织生活录入) lists the members on the organisation's
roll on D: a member received by 组织关系转入本系统 is on it from the date they came, not from their 入党日期."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.core.errors import ServiceError
from dangjian.meetings.models import Meeting
from dangjian.meetings.roster import members_in_subtree
from dangjian.meetings.services import create_meeting
from dangjian.movements.services import accept_transfer, start_transfer, transfer_in

D = dt.date
ARRIVED = D(2026, 6, 1)


def received(org, name="转入者", on=ARRIVED):
    data = {
        "name": name,
        "id_number": unique_id_number(),
        "category": "formal",
        "joined_on": D(2010, 7, 1),
        "confirmed_on": D(2011, 7, 1),
        "org": org,
        "work_status": "active",
    }
    return transfer_in(
        actor=None, data=data, letter_no="沪组转字001", origin="某区委组织部", transferred_on=on
    ).member


def names(org, on) -> set[str]:
    return {e.name for e in members_in_subtree(org, on)}


def test_a_member_received_from_outside_is_on_the_roster_from_their_arrival(tree, make_member):
    make_member(tree.a1, name="老党员")
    received(tree.a1)
    received(tree.a1g1, name="小组转入")  # into a 党小组 of the branch: the branch's roster too
    assert names(tree.a1, ARRIVED - dt.timedelta(days=1)) == {"老党员"}
    assert names(tree.a1, ARRIVED) == {"老党员", "转入者", "小组转入"}
    assert names(tree.a1g1, D(2026, 3, 2)) == set()
    assert names(tree.a1g1, D(2026, 9, 1)) == {"小组转入"}


def test_then_moved_inside_the_system_they_are_on_neither_roster_before_arrival(tree):
    member = received(tree.a1)
    transfer = start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 8, 1), reason="调动"
    )
    accept_transfer(actor=None, transfer=transfer, accepted_on=D(2026, 9, 1))
    assert "转入者" not in names(tree.a1, D(2026, 5, 31)) | names(tree.a2, D(2026, 5, 31))
    assert "转入者" in names(tree.a1, D(2026, 7, 1)) and "转入者" not in names(tree.a2, D(2026, 7, 1))
    assert "转入者" in names(tree.a2, D(2026, 9, 1)) and "转入者" not in names(tree.a1, D(2026, 9, 1))


def test_the_entry_page_s_roster_and_the_record_follow_the_arrival(client, users, tree, make_member):
    make_member(tree.a1, name="老党员")
    member = received(tree.a1)
    client.force_login(users["branch_a1"])
    url = reverse("meetings:roster")

    def listed(day) -> set[str]:
        response = client.get(url, {"org": tree.a1.pk, "date": day.isoformat(), "types": ["assembly"]})
        assert response.status_code == 200
        roster = response.context["roster"]
        assert roster.counts[0].expected == len(roster.rows)
        return {row.name for row in roster.rows}

    assert "转入者" not in listed(D(2026, 3, 2))
    assert "转入者" in listed(D(2026, 9, 1))

    # a record before the arrival neither expects nor takes them as absent
    with pytest.raises(ServiceError, match="缺席人员不在应到名单中"):
        create_meeting(
            actor=None,
            data={"org": tree.a1, "date": D(2026, 3, 2), "topic": "转入前的大会"},
            types=["assembly"],
            absentees={member.pk: "出差"},
        )
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D(2026, 3, 2), "topic": "转入前的大会"},
        types=["assembly"],
        absentees={},
    )
    kind = Meeting.objects.get(pk=meeting.pk).kinds.get()
    assert (kind.expected, kind.present) == (2, 2)  # 老党员 and the users fixture's 李党员
