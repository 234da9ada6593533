"""The work list's 党费 items lead where they are put right: a missed month to that month's collection sheet, due on
the branch's 集中交纳日 in it, a missing 缴费基数 to the member's declaration form (one member) or to the sheet naming
them (several). They are the engine's items of the kept results (the category's link reads the item), each once, in
a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.compliance import workbench as engine
from dangjian.compliance.registry import Link
from dangjian.compliance.rulebook import load_ruleset
from dangjian.dues.services import declare_base, set_collection_day
from dangjian.orgs.models import Org
from dangjian.portal import workbench

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
DUES_RULES = ("DUES-PAID-MONTHLY", "DUES-BASE-DECLARED")


@pytest.fixture
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        yield


def declare(member, month=dt.date(2026, 1, 1)):
    declare_base(
        actor=None,
        member=member,
        year=2026,
        category="active",
        monthly_base=Decimal("6000"),
        effective_month=month,
    )


def refresh() -> None:
    kept.refresh(Org.objects.all(), on=TODAY)


def sheet(org, month: str) -> str:
    return f"{reverse('dues:sheet')}?org={org.pk}&month={month}"


def test_each_missed_month_leads_to_its_own_sheet(users, tree, make_member, frozen):
    declare(users["own_member"])
    declare(make_member(tree.a1, name="王一"))
    refresh()
    items = workbench.work_list(users["branch_a1"], on=TODAY).items
    missed = [i for i in items if i.rule_id == "DUES-PAID-MONTHLY" and i.org.id == tree.a1.pk]
    periods = [i.period for i in missed]
    assert sorted(periods) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]  # each once
    for item in missed:
        assert item.link == Link(sheet(tree.a1, item.period), "去收缴党费", True)
        assert item.overdue and item.due.strftime("%Y-%m") == item.period


def test_a_missing_declaration_leads_to_the_members_form_or_to_the_sheet_naming_them(
    users, tree, make_member, frozen
):
    declare(make_member(tree.a1, name="王一"))  # 甲一: 李党员 alone has no base
    make_member(tree.a2, name="乙一")
    declare(make_member(tree.a2, name="乙二"), month=dt.date(2026, 3, 1))  # 甲二: two lack one (from January)
    refresh()
    items = workbench.work_list(users["dangwei_a"], on=TODAY).items
    found = {i.org.id: i for i in items if i.rule_id == "DUES-BASE-DECLARED"}
    own = users["own_member"]
    assert found[tree.a1.pk].link == Link(
        f"{reverse('dues:member', args=[own.pk])}?year=2026#declare-base", "去申报缴费基数", True
    )
    assert found[tree.a2.pk].link == Link(sheet(tree.a2, "2026-01"), "去申报缴费基数", True)


def test_a_missed_month_is_due_on_the_branchs_collection_day(users, tree, make_member, frozen):
    set_collection_day(actor=None, org=tree.a1, day=10)
    declare(users["own_member"])
    declare(make_member(tree.a2, name="乙一"))
    refresh()
    items = workbench.work_list(users["dangwei_a"], on=TODAY).items
    missed = {(i.org.id, i.period): i for i in items if i.rule_id == "DUES-PAID-MONTHLY"}
    assert missed[(tree.a1.pk, "2026-03")].due == dt.date(2026, 3, 10)
    assert missed[(tree.a2.pk, "2026-03")].due == dt.date(2026, 3, 31)  # no 集中交纳日: the month's last day


def test_the_dues_items_are_the_engines_each_once(users, tree, make_member, frozen):
    """No provider stands for the kept DUES-* results: the engine lists them once, with the category's links (the
    engine's own list, as a 党委's page and the reminders read it, too)."""
    declare(make_member(tree.a1, name="王一"))
    make_member(tree.a2, name="乙一")
    refresh()
    assert "dues_results" not in engine.PROVIDERS
    orgs = Org.objects.filter(path__startswith=tree.a.path)
    theirs = [i for i in engine.kept_items(orgs, on=TODAY, ruleset=load_ruleset()) if i.rule_id in DUES_RULES]
    listed = [i for i in workbench.work_list(users["dangwei_a"], on=TODAY).items if i.rule_id in DUES_RULES]
    key = Counter((i.org.id, i.rule_id, i.period, i.link) for i in listed)
    assert key == Counter((i.org.id, i.rule_id, i.period, i.link) for i in theirs) and listed
    assert max(key.values()) == 1 and not any(i.stands_for for i in listed)
    for item in theirs:
        if item.rule_id == "DUES-PAID-MONTHLY" and item.period:
            url = f"{reverse('dues:sheet')}?org={item.org.id}&month={item.period}"
            assert item.link == Link(url, "去收缴党费", True)


def test_last_decembers_missed_month_leads_to_its_sheet(users, tree, frozen):
    """With a 集中交纳日, last December is overdue on 31 December: carried into January, it leads to its sheet."""
    set_collection_day(actor=None, org=tree.a1, day=10)
    january = dt.date(2027, 1, 5)
    kept.refresh(Org.objects.all(), on=january)
    items = workbench.work_list(users["branch_a1"], on=january).items
    december = [i for i in items if i.rule_id == "DUES-PAID-MONTHLY" and i.period == "2026-12"]
    assert [i.link for i in december] == [Link(sheet(tree.a1, "2026-12"), "去收缴党费", True)]


def test_the_dues_items_cost_a_fixed_number_of_queries(users, tree, make_member, add_branches, frozen):
    set_collection_day(actor=None, org=tree.a1, day=10)
    make_member(tree.a1, name="王一")
    refresh()
    orgs = Org.objects.filter(path__startswith=tree.a.path)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            items = engine.kept_items(orgs, on=TODAY, ruleset=load_ruleset())
        dues = [i for i in items if i.category == "dues"]
        return len(ctx.captured_queries), len(dues)

    count()  # once before counting: what is read once per process (the rulebook) is read
    small, few = count()
    add_branches(6, 1)  # each with a member without a base
    refresh()
    large, many = count()
    # the kept results and 待办, the members lacking a base and the 集中交纳日 (each once, for every branch), and the
    # elections awaiting approval of the organisations whose term result is listed (elections.workbench._prepare)
    assert many > few and large == small == 5, (small, large)


def test_this_months_dues_stay_on_the_list_once_the_collection_day_has_passed(users, tree, frozen):
    """DUES-PAID-MONTHLY judges whole months: between the 集中交纳日 and the month's end this month's unpaid members
    are on the list as overdue (not left off until the month is over)."""
    declare(users["own_member"])
    set_collection_day(actor=None, org=tree.a1, day=20)
    before = [i for i in workbench.work_list(users["branch_a1"], on=TODAY).items if i.title == "本月党费"]
    assert [(i.overdue, i.due, i.period) for i in before] == [(False, dt.date(2026, 6, 20), "2026-06")]
    set_collection_day(actor=None, org=tree.a1, day=10)
    after = [i for i in workbench.work_list(users["branch_a1"], on=TODAY).items if i.title == "本月党费"]
    assert [(i.overdue, i.due, i.period) for i in after] == [(True, dt.date(2026, 6, 10), "2026-06")]
    assert "1名党员本月党费尚未交清，集中交纳日2026-06-10已过。" in after[0].detail
    assert after[0].link == Link(sheet(tree.a1, "2026-06"), "去收缴党费", True)
