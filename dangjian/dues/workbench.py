"""党费 in the workbench (compliance.workbench): the kept DUES-* results (arrears: overdue), each leading where it is
put right, and this month's members not yet fully paid before the branch's 集中交纳日 (due).

The category's link reads the item (compliance.workbench.ITEM_KEYWORDS): a missed month leads to that month's
collection sheet (去收缴党费); a missing declaration (去申报缴费基数) to the member's 申报缴费基数 form when one member of
the branch lacks a base, else to the collection sheet of the first month concerned, which names them and links each
one's form; a case of arrears to 审查欠缴. A missed month is due on the branch's 集中交纳日 in it (the engine would say
its last day). What these need of all the items at once — the members lacking a base, the 集中交纳日 — the category
reads once per list (`_prepare`): one query each, only when an item needs it, whatever the number of branches."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Min, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance import carryover
from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import (
    OpenResult,
    OrgLabel,
    WorkItem,
    register_category,
    register_provider,
)
from dangjian.dues import selectors
from dangjian.dues.forms import parse_month
from dangjian.dues.ledger import collection_days, due_on
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType

PAID_MONTHLY, BASE_DECLARED, ARREARS_CASE = "dues_paid_monthly", "dues_base_declared", "dues_arrears_case"
PER_PERIOD = (PAID_MONTHLY,)  # one item per missed month


def sheet_url(org_id: int, month: dt.date | None = None) -> str:
    query = {"org": org_id} | ({"month": f"{month:%Y-%m}"} if month else {})
    return f"{reverse('dues:sheet')}?{urlencode(query)}"


def declare_url(member_id: int, year: int) -> str:
    """The member's 党费 page at its 申报缴费基数 form."""
    return f"{reverse('dues:member', args=[member_id])}?year={year}#declare-base"


@dataclass(frozen=True)
class _Read:
    """What the category's link and due functions read of all the work list's 党费 results (`_prepare`)."""

    year: int  # the list's year
    sole: dict[int, int]  # 党支部 id → its one member without a base this year (`_sole_lacking`)
    days: dict[int, int]  # 党支部 id → its 党费集中交纳日, for the branches with a missed month that set one


def _sole_lacking(branch_ids: set[int], year: int, on: dt.date) -> dict[int, int]:
    """Branch id → its member without a declared base of `year` in force from January (or the month they joined),
    for the branches (and their 党小组) where exactly one member on the roll lacks one (one query)."""
    if not branch_ids:
        return {}
    members = (
        Member.objects.filter(
            Q(org_id__in=branch_ids) | Q(org__parent_id__in=branch_ids, org__type=OrgType.XIAOZU)
        )
        .filter(joined_on__lte=on)
        .exclude(inactive_from__lte=on)
        .annotate(first_base=Min("dues_bases__effective_month", filter=Q(dues_bases__year=year)))
        .values_list("pk", "org_id", "org__parent_id", "org__type", "joined_on", "first_base")
    )
    january = dt.date(year, 1, 1)
    lacking: dict[int, list[int]] = defaultdict(list)
    for pk, org_id, parent_id, org_type, joined_on, first_base in members:
        needed = max(january, joined_on.replace(day=1))
        if first_base is None or first_base > needed:
            lacking[parent_id if org_type == OrgType.XIAOZU else org_id].append(pk)
    return {branch: found[0] for branch, found in lacking.items() if len(found) == 1}


def _prepare(results: list[OpenResult], on: dt.date) -> _Read:
    """The members lacking a base in the branches whose declaration fails this year, and the 集中交纳日 of those
    with a missed month: a query each, only when there are such branches."""
    undeclared = {
        r.org.id
        for r in results
        if r.rule.check == BASE_DECLARED and r.status == "fail" and r.year == on.year
    }
    missed = {r.org.id for r in results if r.rule.check == PAID_MONTHLY and r.status == "fail" and r.missing}
    return _Read(
        on.year, _sole_lacking(undeclared, on.year, on), collection_days(sorted(missed)) if missed else {}
    )


def _settle(
    rule, org, status: str, *, period: str, missing: tuple[str, ...], year: int, prepared: _Read | None
) -> Link:
    """A missed month: its collection sheet; a missing declaration: the member's form when one member of the branch
    lacks a base this year, else the sheet of the first month concerned; a case of arrears: 审查欠缴."""
    if rule.check == ARREARS_CASE:
        return Link(f"{reverse('dues:arrears')}?{urlencode({'org': org.id})}", _("审查欠缴"), primary=True)
    month = parse_month(period) or min(filter(None, map(parse_month, missing)), default=None)
    if rule.check == BASE_DECLARED:
        sole = prepared.sole.get(org.id) if prepared and status == "fail" and year == prepared.year else None
        url = declare_url(sole, year) if sole else sheet_url(org.id, month)
        return Link(url, _("去申报缴费基数"), primary=True)
    return Link(sheet_url(org.id, month), _("去收缴党费"), primary=True)


def _due(rule, org, status: str, *, period: str, prepared: _Read | None) -> dt.date | None:
    """A missed month is due on the branch's 集中交纳日 in it (its last day when it has set none)."""
    month = parse_month(period) if rule.check == PAID_MONTHLY else None
    if month is None or prepared is None:
        return None
    return due_on(month, prepared.days.get(org.id))


register_category(
    "dues",
    _l("党费"),
    order=20,
    area="dues",
    per_period=PER_PERIOD,
    link=_settle,
    due=_due,
    prepare=_prepare,
)


def _item(found, period: dt.date, overdue: bool, title: str, detail: str) -> WorkItem:
    return WorkItem(
        "dues",
        title,
        OrgLabel(found.branch.pk, found.branch.name, found.branch.path, found.branch.type),
        found.due_date,
        overdue,
        detail % {"n": found.members, "day": f"{found.due_date:%Y-%m-%d}"},
        f"{period:%Y-%m}",
        Link(sheet_url(found.branch.pk, period), _("去收缴党费"), primary=True),
    )


@register_provider("dues_this_month")
def this_month(user, org, on: dt.date) -> list[WorkItem]:
    """Per branch: the members not yet fully paid for this month (selectors.open_this_month, from the ledger
    snapshots) — due while its 集中交纳日 is ahead, overdue once it has passed: DUES-PAID-MONTHLY judges only whole
    months, so until the month ends this item is the only one that says so.

    In the first months of a year (compliance.carryover) also last December's, overdue, for the branches without
    a 集中交纳日: their December was due on 31 December, the day last year's results are evaluated as of, so the
    kept result could not call it overdue (with a 集中交纳日 it does)."""
    items = [
        _item(found, on, False, _("本月党费"), _("%(n)s名党员本月党费尚未交清，集中交纳日为%(day)s。"))
        if found.due_date >= on
        else _item(found, on, True, _("本月党费"), _("%(n)s名党员本月党费尚未交清，集中交纳日%(day)s已过。"))
        for found in selectors.open_this_month(user, on, org)
    ]
    if carryover.previous_year_open(on):
        december = dt.date(on.year - 1, 12, 1)
        items.extend(
            _item(
                found,
                december,
                True,
                _("上年12月党费"),
                _("%(n)s名党员上年12月党费尚未交清，应于%(day)s前交纳。"),
            )
            for found in selectors.open_this_month(user, december, org)
            if found.due_date == dt.date(on.year - 1, 12, 31)
        )
    return items
