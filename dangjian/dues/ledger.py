"""The monthly 党费 ledger and arrears, computed (never stored) with a bounded number of set-based queries
for any number of members: members, bases, reliefs, payments and collection days are each one query.

The amounts and the allocation of payments are computed by dues.kernel (shared with the compliance rules):
a member's regular (non-extra) payments, ordered by (first_month, paid_on, id), are allocated to their months
in order, each month up to what is still owed on it. A remainder beyond the dues of a payment's own months is
NOT spilled into other months: it is shown as `over` on the payment's last month (an over-payment the branch
refunds, or re-records as a voluntary extra payment).

History taken into account: payments ending before January of the year before the window are settled
history and are not re-read (bounded work for a city-wide ledger).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db.models import Max

from dangjian.core.dates import add_months
from dangjian.dues.calculator import ZERO
from dangjian.dues.choices import ArrearsLevel, LedgerStatus
from dangjian.dues.kernel import BaseRow, ReliefRow, member_lines, month_index, month_of, unpaid_runs
from dangjian.dues.models import ArrearsReview, CollectionDay, DuesBase, DuesPayment, DuesRelief
from dangjian.orgs.choices import OrgType

WARNING_MONTHS = 3
CASE_MONTHS = 6  # 党章 第九条 (FEE-11, CONST-01): without a DUES-ARREARS-CASE rule in the rulebook


@dataclass
class LedgerRow:
    member_id: int
    member_name: str
    org_id: int
    org_code: str
    month: dt.date
    category: str
    base: Decimal | None
    rate: Decimal | None
    due: Decimal
    paid: Decimal
    status: str  # paid | partial | unpaid | exempt
    over: Decimal = field(
        default=ZERO
    )  # paid beyond the dues of a payment's months (shown on its last month)
    notes: list[str] = field(default_factory=list)  # set by the pages: 预交/补交 of the payments covering it


@dataclass(frozen=True)
class OwedMonth:
    """An overdue month not paid in full: `partial` when part of it was paid (shown as 部分), `owed` what is
    still to pay."""

    month: str  # YYYY-MM
    due: Decimal
    paid: Decimal

    @property
    def owed(self) -> Decimal:
        return max(self.due - self.paid, ZERO)

    @property
    def partial(self) -> bool:
        return self.paid > ZERO


@dataclass
class ArrearsRow:
    member_id: int
    member_name: str
    org_id: int
    org_code: str
    unpaid_months: list[str]
    consecutive: int  # the latest run
    level: str  # none | warning | case | reviewed
    case_runs: list[str] = field(default_factory=list)  # "YYYY-MM~YYYY-MM": the runs that are cases
    unreviewed_runs: list[str] = field(default_factory=list)  # those without a review covering them
    owed_months: list[OwedMonth] = field(default_factory=list)  # the unpaid months with what is still owed

    @property
    def owed(self) -> Decimal:
        return sum((m.owed for m in self.owed_months), ZERO)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months, m = [], month_start(first)
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    return months


def last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def branch_id(org) -> int:
    """The 党支部 whose collection day applies: a 党小组's parent, otherwise the org itself."""
    return org.parent_id if org.type == OrgType.XIAOZU and org.parent_id else org.pk


def due_on(month: dt.date, day: int | None) -> dt.date:
    return month.replace(day=day) if day else last_day(month)


def collection_days(branch_ids) -> dict[int, int]:
    """The 党费集中交纳日 (day of the month) of each of these 党支部 that has set one (one query)."""
    return dict(CollectionDay.objects.filter(org_id__in=branch_ids).values_list("org_id", "day"))


def collection_day(branch: int) -> int | None:
    """The 党费集中交纳日 of one 党支部 (by id), or None when it has set none (one query)."""
    return collection_days([branch]).get(branch)


def due_date(org, month: dt.date) -> dt.date:
    """The branch's 党费集中交纳日 in `month` (default: the month's last day). Overdue from the day after."""
    return due_on(month_start(month), collection_day(branch_id(org)))


def _member_ids(members):
    return members.order_by().values("pk")


def ledger_rows(member_sq, first: int, last: int) -> tuple[dict, dict, dict]:
    """(payments, bases, reliefs) by member id, for the members of `member_sq` (a values("pk") queryset) and the
    months first..last: the kernel's inputs, three queries whatever the number of members. Payments are
    (first_month, last_month, amount) tuples in allocation order."""
    history_start, last_month = month_of(first), month_of(last)
    rows = (
        DuesPayment.objects.filter(
            member__in=member_sq, is_extra=False, first_month__lte=last_month, last_month__gte=history_start
        )
        .order_by("member_id", "first_month", "paid_on", "id")
        .values_list("member_id", "first_month", "last_month", "amount")
    )
    payments = {member_id: [r[1:] for r in group] for member_id, group in groupby(rows, key=itemgetter(0))}
    earliest = min((p[0][0] for p in payments.values()), default=history_start)
    earliest = min(earliest, history_start)
    bases: dict[int, list[BaseRow]] = defaultdict(list)
    for member_id, *values in (
        DuesBase.objects.filter(
            member__in=member_sq, year__gte=earliest.year, effective_month__lte=last_month
        )
        .order_by("member_id", "effective_month")
        .values_list("member_id", "year", "effective_month", "category", "monthly_base", "fixed_amount")
    ):
        bases[member_id].append(BaseRow(*values))
    reliefs: dict[int, list[ReliefRow]] = defaultdict(list)
    for member_id, *values in (
        DuesRelief.objects.filter(member__in=member_sq, start_month__lte=last_month, end_month__gte=earliest)
        .order_by("member_id", "start_month", "id")
        .values_list("member_id", "kind", "start_month", "end_month", "monthly_amount")
    ):
        reliefs[member_id].append(ReliefRow(*values))
    return payments, bases, reliefs


def ledger_span(members, first: dt.date, last: dt.date) -> tuple[list, dict[int, dict[dt.date, LedgerRow]]]:
    """Ledger rows of every member for the months first..last: (member list, member_id → month → row).
    Five queries whatever the number of members; the allocation is dues.kernel's. The members in the list carry
    only their id, name, dates and organisation: their personal data is neither read nor decrypted.
    `members` is a Member queryset, or a list of members already read with their organisation (a member's own
    pages, which have read the member): then they are not read again (four queries)."""
    first, last = month_start(first), month_start(last)
    after = add_months(last, 1)
    if isinstance(members, list):
        member_list = [
            m
            for m in members
            if m.joined_on < after and not (m.inactive_from is not None and m.inactive_from <= first)
        ]
        member_ids: Any = [m.pk for m in member_list]
    else:
        member_list = list(
            members.select_related("org")
            .only("pk", "name", "joined_on", "inactive_from", "org")
            .filter(joined_on__lt=after)
            .exclude(inactive_from__lte=first)  # off the roll before the span: no dues in it
        )
        member_ids = _member_ids(members)
    if not member_list:
        return [], {}
    payments_by_member, bases_by_member, reliefs_by_member = ledger_rows(
        member_ids, month_index(dt.date(first.year - 1, 1, 1)), month_index(last)
    )

    result: dict[int, dict[dt.date, LedgerRow]] = {}
    first_i, last_i = month_index(first), month_index(last)
    for member in member_list:
        lines = member_lines(
            joined_on=member.joined_on,
            inactive_from=member.inactive_from,
            bases=bases_by_member.get(member.pk, ()),
            reliefs=reliefs_by_member.get(member.pk, ()),
            payments=payments_by_member.get(member.pk, ()),
            first=first_i,
            last=last_i,
        )
        result[member.pk] = {
            month_of(index): LedgerRow(
                member_id=member.pk,
                member_name=member.name,
                org_id=member.org_id,
                org_code=member.org.code,
                month=month_of(index),
                category=line.category,
                base=line.base,
                rate=line.rate,
                due=line.due,
                paid=line.paid,
                status=line.status,
                over=line.over,
            )
            for index, line in lines.items()
        }
    return member_list, result


def ledger(members, month: dt.date) -> list[LedgerRow]:
    """One row per member with a base in force in `month` who had joined by then (a Member queryset, or a list
    of members read with their organisation, as `ledger_span` takes)."""
    month = month_start(month)
    member_list, rows = ledger_span(members, month, month)
    return [rows[m.pk][month] for m in member_list if month in rows.get(m.pk, {})]


def member_ledger(member, year: int) -> list[LedgerRow]:
    """The member's twelve months of `year` (only months with a base in force, from the month they joined)."""
    _, rows = ledger_span([member], dt.date(year, 1, 1), dt.date(year, 12, 1))
    return sorted(rows.get(member.pk, {}).values(), key=lambda r: r.month)


def arrears_span(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The months `arrears` looks at: January of the previous year to the month of `as_of`."""
    return dt.date(as_of.year - 1, 1, 1), month_start(as_of)


def arrears(
    members, as_of: dt.date, *, span: tuple[list, dict] | None = None, days: dict[int, int] | None = None
) -> list[ArrearsRow]:
    """Members with unpaid (or partly paid) overdue months as of `as_of`, over the months from January of
    the previous year. `consecutive` is the length of the latest run of consecutive unpaid overdue months
    (a paid or exempt month, or a month without a base, ends a run). Cases are derived as the latest
    rulebook's DUES-ARREARS-CASE does (dues.rules.arrears_case_params: v5 judges every run of 6 months or
    more, v4 the latest run only): `case_runs` the runs it judges, `unreviewed_runs` those not covered by a
    review dated by `as_of` (审查所涉截至月份 on or after the run's last month). Level: case while a run is
    unreviewed; else warning for a latest run of 3 or more; else reviewed when every case run is covered."""
    from dangjian.dues.rules import arrears_case_params  # the rules read this module

    params = arrears_case_params()
    first, last = arrears_span(as_of)
    # `span`: what ledger_span(members, *arrears_span(as_of)) returned, when the caller reads those rows too
    member_list, rows = span if span is not None else ledger_span(members, first, last)
    if days is None:  # `days`: collection_days() of the members' branches, when the caller has read them
        days = collection_days({branch_id(m.org) for m in member_list})
    reviewed = dict(
        ArrearsReview.objects.filter(member__in=_member_ids(members), reviewed_on__lte=as_of)
        .values("member_id")
        .annotate(through=Max("through_month"))
        .order_by()
        .values_list("member_id", "through")
    )
    open_status = (LedgerStatus.UNPAID.value, LedgerStatus.PARTIAL.value)
    span_months = month_range(first, last)
    overdue_by_day: dict[int | None, list[dt.date]] = {}  # the members of a branch share its collection day
    result = []
    for member in member_list:
        day = days.get(branch_id(member.org))
        months = overdue_by_day.get(day)
        if months is None:
            # not overdue yet: the collection day itself is not overdue
            months = overdue_by_day[day] = [m for m in span_months if as_of > due_on(m, day)]
        member_rows = rows.get(member.pk, {})
        flags = [(r := member_rows.get(m)) is not None and r.status in open_status for m in months]
        unpaid = [m for m, flag in zip(months, flags, strict=True) if flag]
        if not unpaid:
            continue
        runs = unpaid_runs(flags)
        latest_run = runs[-1][1]
        judged = runs[-1:] if params.runs == "latest" else runs
        cases = [(months[s], months[s + n - 1]) for s, n in judged if n >= params.case_months]
        through = reviewed.get(member.pk)
        open_cases = [(s, e) for s, e in cases if through is None or through < e]
        if open_cases:
            level = ArrearsLevel.CASE.value
        elif latest_run >= WARNING_MONTHS and latest_run < params.case_months:
            level = ArrearsLevel.WARNING.value
        elif cases:
            level = ArrearsLevel.REVIEWED.value
        else:
            level = ArrearsLevel.NONE.value
        result.append(
            ArrearsRow(
                member_id=member.pk,
                member_name=member.name,
                org_id=member.org_id,
                org_code=member.org.code,
                unpaid_months=[f"{m:%Y-%m}" for m in unpaid],
                consecutive=latest_run,
                level=level,
                case_runs=[_run_label(s, e) for s, e in cases],
                unreviewed_runs=[_run_label(s, e) for s, e in open_cases],
                owed_months=[
                    OwedMonth(f"{m:%Y-%m}", member_rows[m].due, member_rows[m].paid) for m in unpaid
                ],
            )
        )
    return result


def _run_label(first: dt.date, last: dt.date) -> str:
    return f"{first:%Y-%m}~{last:%Y-%m}"
