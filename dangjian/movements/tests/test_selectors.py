"""Suggestions for 失联 members (never acted on), contacts due for members abroad, the summary per branch,
and their query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.members.models import Member
from dangjian.movements import selectors, services
from dangjian.movements.params import MovementsParamsError, load_params

D = dt.date


def lost_suggestion(member, on):
    items = selectors.lost_items(Member.objects.filter(pk=member.pk), on)
    return (items[0].suggestion, items[0].since) if items else None


def test_lost_suggests_suspension_from_exactly_6_months(member):
    services.record_lost_contact(actor=None, member=member, lost_on=D(2026, 1, 15))
    assert lost_suggestion(member, D(2026, 1, 14)) is None  # not lost yet
    assert lost_suggestion(member, D(2026, 7, 14)) == (None, D(2026, 7, 15))  # the day before: none
    assert lost_suggestion(member, D(2026, 7, 15)) == ("consider_suspension", D(2026, 7, 15))
    # never suspended: 除名 is suggested 24 more months later
    assert lost_suggestion(member, D(2028, 7, 14))[0] == "consider_suspension"
    assert lost_suggestion(member, D(2028, 7, 15)) == ("consider_removal", D(2028, 7, 15))
    member.refresh_from_db()
    assert member.status == "normal"  # a suggestion changes nothing


def test_after_suspension_removal_is_suggested_two_years_later(member):
    services.record_lost_contact(actor=None, member=member, lost_on=D(2025, 1, 10))
    services.change_status(
        actor=None,
        member=member,
        status="suspended",
        effective_on=D(2025, 9, 1),
        decided_on=D(2025, 8, 28),
        decision_body="甲一支部党员大会",
    )
    assert lost_suggestion(member, D(2027, 8, 31)) == (None, D(2027, 9, 1))
    assert lost_suggestion(member, D(2027, 9, 1)) == ("consider_removal", D(2027, 9, 1))


def test_regained_contact_ends_the_suggestions(member):
    lost = services.record_lost_contact(actor=None, member=member, lost_on=D(2025, 1, 10))
    services.record_regained(actor=None, lost=lost, regained_on=D(2025, 9, 1))
    assert lost_suggestion(member, D(2025, 8, 31))[0] == "consider_suspension"
    assert lost_suggestion(member, D(2025, 9, 1)) is None


def test_contact_due_for_members_abroad(tree, make_member):
    abroad = make_member(tree.a1, name="出国甲")
    local = make_member(tree.a1, name="外地乙")
    stint = services.start_stint(
        actor=None,
        member=abroad,
        destination="德国",
        abroad=True,
        abroad_purpose="study",
        left_on=D(2026, 1, 10),
    )
    services.start_stint(actor=None, member=local, destination="北京", left_on=D(2026, 1, 10))
    services.record_contact(actor=None, stint=stint, contacted_on=D(2026, 3, 1), way="phone")
    params = load_params()
    by_name = {i.member.name: i for i in selectors.mobile_items(Member.objects.all(), D(2026, 7, 31), params)}
    assert by_name["出国甲"].last_contact == D(2026, 3, 1)
    assert by_name["出国甲"].next_contact == D(2026, 9, 1)
    assert not by_name["出国甲"].contact_due  # more than 30 days ahead
    assert by_name["外地乙"].next_contact is None and not by_name["外地乙"].contact_due
    item = selectors.mobile_items(Member.objects.all(), D(2026, 8, 2), params)[0]
    assert item.contact_due and not item.contact_overdue  # within the reminder days
    item = selectors.mobile_items(Member.objects.all(), D(2026, 9, 2), params)[0]
    assert item.contact_overdue
    # a contact recorded after the day asked about does not count on that day
    services.record_contact(actor=None, stint=stint, contacted_on=D(2026, 9, 5), way="video")
    assert selectors.mobile_items(Member.objects.filter(pk=abroad.pk), D(2026, 9, 2))[0].contact_overdue
    assert not selectors.mobile_items(Member.objects.filter(pk=abroad.pk), D(2026, 9, 5))[0].contact_due


def test_summary_counts_per_branch_with_retired_members(tree, make_member):
    on = D(2026, 6, 30)
    make_member(tree.a1, name="在职一")
    make_member(tree.a1g1, name="小组离退休", work_status="retired")  # counts in 甲一
    mobile = make_member(tree.a1, name="流动一", work_status="retired")
    lost = make_member(tree.a2, name="失联一")
    gone = make_member(tree.a2, name="停止一")
    make_member(tree.b1, name="乙一党员")
    services.start_stint(actor=None, member=mobile, destination="海南", left_on=D(2026, 1, 1))
    services.record_lost_contact(actor=None, member=lost, lost_on=D(2026, 2, 1))
    services.change_status(
        actor=None,
        member=gone,
        status="suspended",
        effective_on=D(2026, 3, 1),
        decided_on=D(2026, 3, 1),
        decision_body="甲二支部党员大会",
    )
    lines = {line.label: line.counts for line in selectors.summary(Member.objects.all(), on)}
    assert lines["甲一支部"] == {"active": 1, "retired": 2, "mobile": 1, "lost": 0, "suspended": 0}
    assert lines["甲二支部"] == {"active": 1, "retired": 0, "mobile": 0, "lost": 1, "suspended": 1}
    assert lines["甲委 小计"] == {"active": 2, "retired": 2, "mobile": 1, "lost": 1, "suspended": 1}
    assert lines["合计"]["active"] == 3
    # the overview's total alone, in one query, is the summary's last line
    with CaptureQueriesContext(connection) as ctx:
        total = selectors.summary_total(Member.objects.all(), on)
    assert len(ctx.captured_queries) == 1
    assert total is not None and total.counts == lines["合计"] == {
        "active": 3,
        "retired": 2,
        "mobile": 1,
        "lost": 1,
        "suspended": 1,
    }
    assert selectors.summary_total(Member.objects.filter(name="无此人"), on) is None
    # before the stint began, nobody was away
    assert {x.label: x.counts for x in selectors.summary(Member.objects.all(), D(2025, 12, 31))}["甲一支部"][
        "mobile"
    ] == 0


def _add_branches(tree, make_member, first, last):
    from dangjian.orgs.services import create_org

    for i in range(first, last):
        branch = create_org(
            actor=None,
            data={
                "code": f"AX{i:02d}",
                "name": f"甲扩{i}支部",
                "type": "zhibu",
                "parent": tree.a,
                "unit": "甲委",
                "founded_on": D(2018, 3, 1),
            },
        )
        m = make_member(branch, name=f"扩员{i}")
        services.start_stint(
            actor=None,
            member=m,
            destination="西藏",
            abroad=bool(i % 2),
            abroad_purpose="study" if i % 2 else "",
            left_on=D(2025, 1, 1),
        )
        services.record_lost_contact(
            actor=None, member=make_member(branch, name=f"失联{i}"), lost_on=D(2025, 1, 1)
        )


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    assert result  # something was listed
    return len(ctx.captured_queries)


def test_lists_and_summary_cost_the_same_queries_for_2_and_many_branches(tree, make_member):
    on = D(2026, 6, 30)
    calls = (
        lambda: selectors.summary(Member.objects.all(), on),
        lambda: selectors.mobile_items(Member.objects.all(), on),
        lambda: selectors.lost_items(Member.objects.all(), on),
    )
    load_params()  # read once, then cached
    _add_branches(tree, make_member, 0, 2)
    small = [_queries(c) for c in calls]
    _add_branches(tree, make_member, 2, 14)
    assert [_queries(c) for c in calls] == small == [2, 1, 1]
    assert len(selectors.lost_items(Member.objects.all(), on)) == 14


def test_params_file_is_validated(tmp_path):
    bad = tmp_path / "movements.yaml"
    bad.write_text("lost_suspend_months: {value: '6', basis: x, confidence: HIGH}\n", encoding="utf-8")
    with pytest.raises(MovementsParamsError, match=r"movements\.yaml"):
        load_params(bad)
    params = load_params()
    assert params.lost_suspend_months.value == 6
    assert "EDU-03" in params.lost_suspend_months.basis
    assert params.lost_remove_months.value == 24
    assert params.abroad_contact_months.value == 6
