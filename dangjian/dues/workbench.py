"""党费 in the workbench (compliance.workbench): the kept DUES-* results (arrears: overdue), and this month's
members not yet fully paid before the branch's 集中交纳日 (due)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance import carryover
from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import OrgLabel, WorkItem, register_category, register_provider
from dangjian.dues import selectors


def sheet_url(org_id: int, month: dt.date | None = None) -> str:
    query = {"org": org_id} | ({"month": f"{month:%Y-%m}"} if month else {})
    return f"{reverse('dues:sheet')}?{urlencode(query)}"


def _settle(rule, org, status: str) -> Link | None:
    if rule.check == "dues_arrears_case":
        return Link(
            f"{reverse('dues:arrears')}?{urlencode({'org': org.id})}", str(_l("审查欠缴")), primary=True
        )
    return Link(sheet_url(org.id), str(_l("去收缴党费")), primary=True)


register_category(
    "dues",
    _l("党费"),
    order=20,
    area="dues",
    per_period=("dues_paid_monthly",),
    link=_settle,
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
    """Per branch: the members not yet fully paid for this month while its 集中交纳日 is ahead (once it has
    passed, the kept DUES-PAID-MONTHLY result says so); from the ledger snapshots (selectors.open_this_month).

    In the first months of a year (compliance.carryover) also last December's, overdue, for the branches without
    a 集中交纳日: their December was due on 31 December, the day last year's results are evaluated as of, so the
    kept result could not call it overdue (with a 集中交纳日 it does)."""
    items = [
        _item(found, on, False, _("本月党费"), _("%(n)s名党员本月党费尚未交清，集中交纳日为%(day)s。"))
        for found in selectors.open_this_month(user, on, org)
        if found.due_date >= on
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
