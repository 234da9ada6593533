"""The work list's entries: one rule's missed periods of one organisation are shown together (portal.worklist)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import OrgLabel, WorkItem
from dangjian.portal.worklist import entries

BRANCH = OrgLabel(1, "办公室党支部", "/1/2/", "zhibu")
OTHER = OrgLabel(3, "财务处党支部", "/1/3/", "zhibu")


def missed(month: int, *, org=BRANCH, rule="DUES-PAID-MONTHLY", url: str | None = None) -> WorkItem:
    period = f"2026-{month:02d}"
    link = Link(url or f"/dues/?month={period}", "去收缴党费", True)
    return WorkItem(
        "dues",
        "党支部党员按月足额交纳党费",
        org,
        dt.date(2026, month, 22),
        True,
        "",
        period,
        link,
        None,
        rule,
    )


def test_a_rules_missed_months_of_one_branch_are_one_entry_where_the_first_stands():
    base = WorkItem(
        "dues",
        "每名党员登记缴费基数",
        BRANCH,
        dt.date(2026, 1, 31),
        True,
        "1名党员未登记",
        "",
        None,
        None,
        "B",
    )
    items = [missed(1), base, missed(2), missed(3), missed(1, org=OTHER)]

    shown = entries(items)

    assert [e.item for e in shown] == [items[0], base, items[4]]
    assert shown[0].count == 3 and shown[0].periods == (items[0], items[2], items[3])
    assert shown[0].period_links == [
        ("2026年1月", "/dues/?month=2026-01"),
        ("2026年2月", "/dues/?month=2026-02"),
        ("2026年3月", "/dues/?month=2026-03"),
    ]
    assert shown[1].periods == () and shown[1].count == 1  # an item of its own
    assert shown[2].periods == ()  # the other branch's single month stays as it is


def test_periods_leading_to_one_page_are_named_without_repeating_the_button():
    items = [missed(4, url="/meetings/new/"), missed(5, url="/meetings/new/")]

    (entry,) = entries(items)

    assert entry.period_links == [("2026年4月", ""), ("2026年5月", "")]


def test_items_with_their_own_detail_or_not_overdue_are_not_grouped():
    this_month = WorkItem(
        "dues",
        "党支部党员按月足额交纳党费",
        BRANCH,
        dt.date(2026, 12, 22),
        False,
        "本月尚未交清",
        "2026-12",
        None,
        None,
        "R",
    )
    items = [missed(1, rule="R"), this_month, missed(2, rule="R")]

    shown = entries(items)

    assert [e.item for e in shown] == [items[0], this_month]
    assert shown[0].periods == (items[0], items[2])


@pytest.mark.django_db
def test_the_home_page_shows_a_branchs_missed_months_of_one_rule_as_one_entry(client, users, tree):
    """Three missed 支委会 months of 甲一 are one entry (缺 3 个月, each month named, the earliest deadline), while the
    counts at the top still count three items."""
    from dangjian.compliance.models import KeptResult
    from dangjian.compliance.rulebook import load_ruleset
    from dangjian.core.messages import Message

    KeptResult.objects.create(
        version=load_ruleset().version,
        year=2026,
        org=tree.a1,
        rule_id="MTG-COMMITTEE-MONTHLY",
        unit_key=tree.a1.unit or "",
        org_path=tree.a1.path,
        status="fail",
        missing=["2026-01", "2026-02", "2026-03"],
        evidence=[],
        message=Message("未满足。").to_json(),
        since=dt.date(2026, 4, 1),
        digest="a1-committee",
    )
    client.force_login(users["branch_a1"])
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0), tick=False):
        html = client.get(reverse("dashboard")).content.decode()
    entries_shown = html.count('data-rule="MTG-COMMITTEE-MONTHLY"')
    shown = html.split('data-rule="MTG-COMMITTEE-MONTHLY"')[1].split("</li>\n")[0]
    assert entries_shown == 1
    assert 'data-periods="3"' in shown and "缺 3 个月" in shown and "最早截止 2026-01-31" in shown
    assert [m in shown for m in ("2026年1月", "2026年2月", "2026年3月")] == [True, True, True]
    counts = html.split('data-testid="work-counts"')[1].split("</ul>")[0]
    assert "三会一课 <strong>3</strong>" in counts
