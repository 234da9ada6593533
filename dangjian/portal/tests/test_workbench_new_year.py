"""Last year's missed work in the first months of a new year (rules/workbench.yaml, `previous_year_months`): a branch
that missed December's 支委会 still sees it, overdue and labelled with its month, on 5 January; its 党委's roll-up
counts it and the daily reminders tell it once a week; the refreshes of January keep last year's results current
(a December meeting recorded late puts its item right); after the window it is no longer listed. What a new year
judges again (a state on 31 December) is not carried over."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dangjian.compliance import carryover, kept
from dangjian.compliance.models import KeptResult, KeptStamp
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.workbench import CATEGORIES
from dangjian.meetings.services import create_meeting
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post
from dangjian.portal import workbench
from dangjian.reminders.models import Notification
from dangjian.reminders.services import send_reminders

LAST_DAY = dt.date(2026, 12, 31)
JAN5 = dt.date(2027, 1, 5)
AFTER = dt.date(2027, 4, 1)  # the day after the window (previous_year_months: 3)
RULE = "MTG-COMMITTEE-MONTHLY"
CST = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=CST), tick=False)


def nightly(day: dt.date) -> None:
    """The nightly refresh of `day` (as `dangjian compliance refresh` runs it: no explicit year)."""
    with at(day):
        kept.refresh(Org.objects.all(), on=day)


@pytest.fixture
def committee(tree, make_member):
    """甲一 with a committee of three since 2025 and its 支委会 held every month of 2026 but December; the last
    nightly refresh of 2026 ran on 31 December."""
    people = [make_member(tree.a1, name=n) for n in ("书记甲", "组织委员乙", "宣传委员丙")]
    with at(dt.date(2026, 12, 1)):
        for person, title in zip(people, ("shuji", "zuzhi", "xuanchuan"), strict=True):
            create_post(
                actor=None,
                data={"member": person, "org": tree.a1, "title": title, "started_on": dt.date(2025, 1, 1)},
            )
        for month in range(1, 12):
            create_meeting(
                actor=None,
                data={"org": tree.a1, "date": dt.date(2026, month, 10), "topic": "支委会"},
                types=["committee"],
            )
    nightly(LAST_DAY)
    return people


def committee_items(items, org) -> dict:
    return {i.period: i for i in items if i.rule_id == RULE and i.org.id == org.pk}


def from_last_year(items) -> list:
    return [i for i in items if i.period.startswith("2026")]


def test_decembers_missed_committee_meeting_is_overdue_on_5_january_and_gone_after_the_window(
    client, users, tree, committee
):
    nightly(JAN5)
    items = committee_items(workbench.work_list(users["branch_a1"], on=JAN5).items, tree.a1)
    december = items["2026-12"]
    assert december.overdue and december.due == LAST_DAY
    assert "2026-11" not in items  # held
    with translation.override("zh-hans"):
        assert december.period_label == "2026年12月"
    with translation.override("en"):
        assert december.period_label == "December 2026"

    with at(JAN5):
        client.force_login(users["branch_a1"])
        html = client.get(reverse("dashboard")).content.decode()
    assert f'data-rule="{RULE}"' in html and "2026年12月" in html

    nightly(AFTER)
    # last year's result still fails (nothing was recorded), but the window is over: no longer listed
    assert KeptResult.objects.filter(year=2026, org=tree.a1, rule_id=RULE, status="fail").exists()
    assert from_last_year(workbench.work_list(users["branch_a1"], on=AFTER).items) == []
    assert from_last_year(workbench.work_list(users["branch_a1"], on=dt.date(2027, 3, 31)).items) != []


def test_without_the_window_last_years_items_vanish_on_1_january(users, tree, committee, monkeypatch):
    nightly(JAN5)
    assert "2026-12" in committee_items(workbench.work_list(users["branch_a1"], on=JAN5).items, tree.a1)
    closed = carryover.WorkbenchParams(previous_year_months=0)
    monkeypatch.setattr(carryover, "load_params", lambda: closed)
    assert from_last_year(workbench.work_list(users["branch_a1"], on=JAN5).items) == []


def test_last_years_annual_rules_are_carried_but_not_a_state_the_new_year_judges_again(
    users, tree, committee, make_member
):
    # 甲一第一党小组 has no 党小组长 on 31 December, nor in January: the new year's result says so, once
    make_member(tree.a1g1, name="组员丁")
    nightly(LAST_DAY)
    nightly(JAN5)
    ruleset = load_ruleset()
    kinds = {rule.id: rule.check for rule in ruleset.rules}
    per_period = {kind for c in CATEGORIES.values() for kind in c.per_period}
    items = workbench.work_list(users["branch_a1"], on=JAN5).items
    carried = from_last_year(items)
    assert carried and all(i.overdue for i in carried)
    failed = KeptResult.objects.filter(year=2026, status="fail", org__path__startswith=tree.a1.path)
    pending_now = set(KeptResult.objects.filter(year=2027, status="pending").values_list("org_id", "rule_id"))
    for item in carried:
        assert kinds[item.rule_id] in per_period or (item.org.id, item.rule_id) in pending_now, item
    # an annual obligation missed in 2026 (the 书记's 党课), labelled with its year
    lecture = next(i for i in carried if i.rule_id == "LECTURE-SECRETARY-ANNUAL")
    assert lecture.period == "2026" and lecture.due == LAST_DAY
    with translation.override("zh-hans"):
        assert lecture.period_label == "2026年度"
    # what failed in 2026 and is judged again in 2027 is listed once, as the new year's result
    judged_again = {
        (org_id, rule_id)
        for org_id, rule_id in failed.values_list("org_id", "rule_id")
        if kinds[rule_id] not in per_period and (org_id, rule_id) not in pending_now
    }
    assert judged_again
    for org_id, rule_id in judged_again:
        listed = [i for i in items if (i.org.id, i.rule_id) == (org_id, rule_id)]
        assert all(not i.period.startswith("2026") for i in listed), listed


def test_januarys_refreshes_keep_last_year_and_a_late_record_puts_its_item_right(
    users, tree, committee, django_capture_on_commit_callbacks
):
    nightly(JAN5)
    stamp = KeptStamp.objects.get(year=2026, org=tree.a1)
    assert stamp.as_of == LAST_DAY and stamp.evaluated_at.date() == JAN5  # kept again in January
    assert "2026-12" in committee_items(workbench.work_list(users["branch_a1"], on=JAN5).items, tree.a1)

    kept._pending().clear()  # the fixtures' writes share the test's transaction: only the meeting's count
    # December's 支委会 recorded late: the refresh after the write keeps 2026 too
    with at(dt.date(2027, 1, 6)), django_capture_on_commit_callbacks(execute=True):
        create_meeting(
            actor=users["branch_a1"],
            data={"org": tree.a1, "date": dt.date(2026, 12, 28), "topic": "十二月支委会（补录）"},
            types=["committee"],
        )
    assert KeptResult.objects.get(year=2026, org=tree.a1, rule_id=RULE).status == "pass"
    on = dt.date(2027, 1, 6)
    assert "2026-12" not in committee_items(workbench.work_list(users["branch_a1"], on=on).items, tree.a1)


def test_the_roll_up_counts_last_years_overdue_items(client, users, tree, committee, monkeypatch):
    nightly(JAN5)
    rollup = workbench.rollup(users["dangwei_a"], on=JAN5)
    counts = {r.org.pk: r.overdue for r in rollup.rows}
    listed = workbench.work_list(users["dangwei_a"], org=tree.a1, on=JAN5).items
    assert counts[tree.a1.pk] == sum(1 for i in listed if i.overdue)
    carried = sum(1 for i in from_last_year(listed) if i.overdue)
    assert carried >= 1
    closed = carryover.WorkbenchParams(previous_year_months=0)
    monkeypatch.setattr(carryover, "load_params", lambda: closed)
    without = {r.org.pk: r.overdue for r in workbench.rollup(users["dangwei_a"], on=JAN5).rows}
    assert counts[tree.a1.pk] - without.get(tree.a1.pk, 0) == carried


def test_the_reminders_tell_last_decembers_item_once_a_week(users, tree, committee):
    nightly(JAN5)
    for days in range(7):
        send_reminders(on=JAN5 + dt.timedelta(days=days))
    told = Notification.objects.filter(recipient=users["branch_a1"], org=tree.a1, period="2026-12")
    assert list(told.filter(title__contains="支部委员会").values_list("day", flat=True)) == [JAN5]
    send_reminders(on=JAN5 + dt.timedelta(days=7))  # a week later, still overdue: told again
    assert told.filter(title__contains="支部委员会").count() == 2


def _queries(read) -> int:
    with CaptureQueriesContext(connection) as ctx:
        read()
    return len(ctx.captured_queries)


def test_the_home_pages_read_as_many_queries_in_the_window_whatever_the_number_of_branches(
    client, users, tree, committee, add_branches
):
    def dashboard(user) -> int:
        with at(JAN5):
            client.force_login(user)
            return _queries(lambda: client.get(reverse("dashboard")))

    add_branches(2, 0)
    nightly(LAST_DAY)
    nightly(JAN5)
    small = dashboard(users["dangwei_a"]), dashboard(users["branch_a1"])
    add_branches(8, 2)
    nightly(LAST_DAY)
    nightly(JAN5)
    assert len(workbench.rollup(users["dangwei_a"], on=JAN5).rows) >= 10
    assert (dashboard(users["dangwei_a"]), dashboard(users["branch_a1"])) == small
    # last year's items cost no query of their own
    assert _queries(lambda: workbench.rollup(users["dangwei_a"], on=JAN5)) == _queries(
        lambda: workbench.rollup(users["dangwei_a"], on=AFTER)
    )


def paid_through_november(payer):
    """A base of 6000 from January 2026, January to May paid on 1 June and June to November on 1 December:
    December is unpaid."""
    from decimal import Decimal

    from dangjian.dues.services import declare_base, record_payment

    with at(dt.date(2026, 12, 1)):
        declare_base(
            actor=None,
            member=payer,
            year=2026,
            category="active",
            monthly_base=Decimal("6000"),
            effective_month=dt.date(2026, 1, 1),
        )
    for months, amount, paid_on in (
        ("2026-01~2026-05", "450.00", dt.date(2026, 6, 1)),
        ("2026-06~2026-11", "540.00", dt.date(2026, 12, 1)),
    ):
        with at(paid_on):
            record_payment(
                actor=None,
                member=payer,
                months=months,
                amount=Decimal(amount),
                paid_on=paid_on,
                method="cash",
            )
    return payer


def test_decembers_unpaid_dues_stay_overdue_in_january(users, tree, make_member):
    """With a 集中交纳日 (the 18th) December's dues were overdue on 31 December: the month stays on the list."""
    from dangjian.dues.services import set_collection_day

    with at(dt.date(2026, 12, 1)):
        set_collection_day(actor=None, org=tree.a1, day=18)
    paid_through_november(make_member(tree.a1, name="王一"))
    # the branch's other member (of the accounts' fixture) likewise: a month without a declared base is not
    # paid in full (rulebook v9)
    paid_through_november(Member.objects.get(org=tree.a1, name="李党员"))
    nightly(LAST_DAY)
    nightly(JAN5)
    dues = {
        i.period: i
        for i in workbench.work_list(users["branch_a1"], on=JAN5).items
        if i.rule_id == "DUES-PAID-MONTHLY"
    }
    assert "2026-12" in dues and dues["2026-12"].overdue
    assert "2026-11" not in dues
    # the kept result says it: not a second time as last December's item
    assert not [
        i for i in workbench.work_list(users["branch_a1"], on=JAN5).items if i.title == "上年12月党费"
    ]


def test_decembers_unpaid_dues_of_a_branch_without_a_collection_day_stay_overdue_in_january(
    users, tree, make_member
):
    """Without a 集中交纳日 December was due on 31 December, the day last year is evaluated as of: the dues
    provider lists it in the first months of the new year, overdue, until it is paid."""
    from decimal import Decimal

    from dangjian.dues.services import record_payment

    payer = paid_through_november(make_member(tree.a1, name="王一"))
    nightly(LAST_DAY)
    nightly(JAN5)

    def december(day):
        with at(day):
            items = workbench.work_list(users["branch_a1"], on=day).items
            return [i for i in items if i.period == "2026-12" and i.category == "dues"]

    found = december(JAN5)
    assert [(i.title, i.overdue, i.due, i.org.id) for i in found] == [
        ("上年12月党费", True, LAST_DAY, tree.a1.pk)
    ]
    assert "1名党员" in found[0].detail and "month=2026-12" in found[0].link.url
    assert december(AFTER) == []  # after the window
    with at(JAN5):
        record_payment(
            actor=None, member=payer, months="2026-12", amount=Decimal("90.00"), paid_on=JAN5, method="cash"
        )
    assert december(JAN5) == []
