"""党费 in the workbench (compliance.workbench): the kept DUES-* results (arrears: overdue), and this month's
members not yet fully paid before the branch's 集中交纳日 (due).

The kept DUES-PAID-MONTHLY and DUES-BASE-DECLARED results are listed by this module's provider (`kept_results`)
rather than by the engine, standing for the engine's items of the same results (`WorkItem.stands_for`): the same
items, but each with the page that puts it right — a missed month, that month's collection sheet; a missing
declaration, the member's 申报缴费基数 form when one member lacks a base, else the collection sheet of the first month
concerned, which names them and links each one's form. The engine gives a result's link without its month or its
members."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.accounts.scope import scope_for
from dangjian.compliance import carryover
from dangjian.compliance.checks import REGISTRY
from dangjian.compliance.models import KeptResult
from dangjian.compliance.registry import Link
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.workbench import OrgLabel, WorkItem, day_in, register_category, register_provider
from dangjian.core import messages
from dangjian.dues import selectors
from dangjian.dues.forms import parse_month
from dangjian.dues.ledger import last_day
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

PAID_MONTHLY, BASE_DECLARED = "dues_paid_monthly", "dues_base_declared"
PER_PERIOD = (PAID_MONTHLY,)  # one item per missed month


def sheet_url(org_id: int, month: dt.date | None = None) -> str:
    query = {"org": org_id} | ({"month": f"{month:%Y-%m}"} if month else {})
    return f"{reverse('dues:sheet')}?{urlencode(query)}"


def declare_url(member_id: int, year: int) -> str:
    """The member's 党费 page at its 申报缴费基数 form."""
    return f"{reverse('dues:member', args=[member_id])}?year={year}#declare-base"


def _settle(rule, org, status: str) -> Link | None:
    if rule.check == "dues_arrears_case":
        return Link(
            f"{reverse('dues:arrears')}?{urlencode({'org': org.id})}", str(_l("审查欠缴")), primary=True
        )
    if rule.check == BASE_DECLARED:
        return Link(sheet_url(org.id), str(_l("去申报缴费基数")), primary=True)
    return Link(sheet_url(org.id), str(_l("去收缴党费")), primary=True)


register_category(
    "dues",
    _l("党费"),
    order=20,
    area="dues",
    per_period=PER_PERIOD,
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


# --- the kept DUES-PAID-MONTHLY and DUES-BASE-DECLARED results -------------------------------------------------------


def _kept_rows(user, org, on: dt.date, ruleset, rules: dict):
    """The kept results of `rules` of the organisations the user administers (within `org`'s subtree) that the
    work list shows, as compliance.workbench reads them (its `_open_results`, the same query narrowed to these
    rules): this year's failed and pending ones and, in the first months of a year, last year's failures still to
    be put right (the missed months; a failure whose rule is pending in the new year)."""
    orgs = Org.objects.filter(scope_for(user).org_q()).active(on)
    if org is not None:
        orgs = orgs.filter(path__startswith=org.path)
    rows = KeptResult.objects.filter(
        version=ruleset.version, org__in=orgs.order_by().values("pk"), rule_id__in=sorted(rules)
    )
    this_year = Q(year=on.year) & (Q(status="fail") | Q(status="pending"))
    if carryover.previous_year_open(on):
        still_open = KeptResult.objects.filter(
            version=ruleset.version,
            year=on.year,
            org_id=OuterRef("org_id"),
            rule_id=OuterRef("rule_id"),
            status="pending",
        )
        periodic = [rule_id for rule_id, rule in rules.items() if rule.check in PER_PERIOD]
        carried = Q(year=on.year - 1, status="fail") & (Q(rule_id__in=periodic) | Q(Exists(still_open)))
        rows = rows.filter(this_year | carried)
    else:
        rows = rows.filter(this_year)
    return rows.values_list(
        "year",
        "org_id",
        "org__name",
        "org__path",
        "org__type",
        "rule_id",
        "status",
        "missing",
        "message",
        "since",
    )


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


@register_provider("dues_results")
def kept_results(user, org, on: dt.date) -> list[WorkItem]:
    """The kept DUES-PAID-MONTHLY and DUES-BASE-DECLARED results of the organisations the user administers, as
    compliance.workbench.kept_items lists them (a missed month an overdue item each; a failure otherwise one item,
    due by the earliest month it names; a pending result due by the year's end), each standing for the engine's
    item and linking where it is put right: a missed month's collection sheet (去收缴党费); a missing declaration
    (去申报缴费基数), the member's form when one member of the branch lacks a base, else the sheet of the first month
    concerned. One query, and one more when a declaration is missing, whatever the number of organisations."""
    ruleset = load_ruleset()
    rules = {rule.id: rule for rule in ruleset.rules if rule.check in (PAID_MONTHLY, BASE_DECLARED)}
    if not rules:
        return []
    rows = list(_kept_rows(user, org, on, ruleset, rules))
    sole = _sole_lacking(
        {
            row[1]
            for row in rows
            if row[0] == on.year and row[6] == "fail" and rules[row[5]].check == BASE_DECLARED
        },
        on.year,
        on,
    )
    items: list[WorkItem] = []
    for year, org_id, name, path, org_type, rule_id, status, missing, message, since in rows:
        rule = rules[rule_id]
        kind = REGISTRY.get(rule.check)
        if status == "pending" and kind is not None and kind.todo is not None:
            continue  # its kept 待办 say what is due and by when (the engine's items)
        label = OrgLabel(org_id, name, path, org_type)
        if status == "fail" and rule.check in PER_PERIOD and missing:
            for period in missing:  # one item per missed month, which says what is missing
                month = parse_month(period)
                link = Link(sheet_url(org_id, month), _("去收缴党费"), primary=True)
                end = last_day(month) if month is not None else None
                items.append(
                    WorkItem(
                        "dues", rule.title, label, end, True, "", period, link, None, rule_id, rule.check
                    )
                )
            continue
        day = day_in(missing)
        due = day if status == "fail" else (day or dt.date(on.year, 12, 31))
        months = [m for m in map(parse_month, missing) if m is not None]
        if rule.check == BASE_DECLARED:
            member_id = sole.get(org_id) if status == "fail" and year == on.year else None
            url = declare_url(member_id, year) if member_id else sheet_url(org_id, min(months, default=None))
            link = Link(url, _("去申报缴费基数"), primary=True)
        else:
            link = Link(sheet_url(org_id, min(months, default=None)), _("去收缴党费"), primary=True)
        items.append(
            WorkItem(
                "dues",
                rule.title,
                label,
                due,
                status == "fail" and (day is None or day < on),
                messages.render(message),
                str(year) if year != on.year else "",  # last year's: says so
                link,
                since if due is None else None,
                rule_id,
                rule.check,
            )
        )
    return items
