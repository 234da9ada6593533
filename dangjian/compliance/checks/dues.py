"""党费 checks (DUES-*), pure functions over a 党支部's DuesFacts (facts.py), following the ledger's semantics
(dangjian/dues/ledger.py):

- a month has a due when a base of that month's year is in force (the latest `effective_month` on or
  before it) and the member had joined by then (预备党员 pay from the month of their 入党日期); an
  approved exemption makes it `exempt`, a reduction replaces the due;
- regular payments, in order (first_month, paid_on, id), are allocated to their own months in order, each
  up to what is still owed on it (a remainder is an over-payment, never spilled into other months); a month
  is paid when its allocation reaches the due;
- a month is overdue from the day after the branch's 集中交纳日 (default: the month's last day);
- arrears: the latest run of consecutive unpaid (or partly paid) overdue months, over the months from
  January of the previous year; `case_months` or more is a case the branch must review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from pydantic import Field

from dangjian.compliance.checks.base import Outcome, Params, dissolved, iso, register
from dangjian.compliance.facts import DuesBaseRow, DuesFacts, DuesMember, OrgFacts
from dangjian.compliance.periods import Window, required_periods
from dangjian.dues.calculator import ZERO, monthly_due
from dangjian.dues.choices import LedgerStatus, ReliefKind
from dangjian.dues.ledger import add_months, due_on, month_range, month_start
from dangjian.dues.rates import load_rates

UNPAID = frozenset({LedgerStatus.UNPAID.value, LedgerStatus.PARTIAL.value})
NAMES_SHOWN = 10


class MonthLine(NamedTuple):
    due: Decimal
    paid: Decimal
    status: str  # paid | partial | unpaid | exempt


def base_in_force(bases: Iterable[DuesBaseRow], month: dt.date) -> DuesBaseRow | None:
    """The base of `month`'s year with the latest effective_month on or before `month`."""
    found = None
    for base in bases:
        if (
            base.year == month.year
            and base.effective_month <= month
            and (found is None or base.effective_month >= found.effective_month)
        ):
            found = base
    return found


def declared(base: DuesBaseRow | None, month: dt.date) -> bool:
    """A base is declared when it gives an amount (a bracket category needs a base, 其他 an amount)."""
    if base is None:
        return False
    schedule = load_rates().schedule_for(month).effective_from
    return _gives_amount(
        base.category, base.monthly_base is not None, base.fixed_amount is not None, schedule
    )


@lru_cache(maxsize=256)
def _gives_amount(category: str, has_base: bool, has_fixed: bool, schedule_from: dt.date) -> bool:
    """Whether the calculator can compute an amount for this shape of declaration (cached: the check runs
    for every member-month)."""
    try:
        monthly_due(
            category,
            Decimal("1000") if has_base else None,
            schedule_from,
            fixed_amount=Decimal("1") if has_fixed else None,
        )
    except ValueError:
        return False
    return True


def _mi(month: dt.date) -> int:
    """A month as an integer (year * 12 + month - 1): the ledger loops run over millions of months."""
    return month.year * 12 + month.month - 1


def _month(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _dues_of(member: DuesMember, start: int, last: int) -> tuple[dict[int, Decimal], set[int]]:
    """The due of each month start..last with a base in force (bases apply within their own year), and the
    exempt months. One amount is computed per base row and rate schedule, not per month."""
    table = load_rates()
    bases = [(_mi(b.effective_month), b) for b in member.bases]
    schedule_starts = [_mi(schedule.effective_from) for schedule in table.schedules]
    amounts: dict[tuple[int, int], Decimal] = {}
    due: dict[int, Decimal] = {}
    exempt: set[int] = set()
    for index in range(start, last + 1):
        year = index // 12
        base = None
        for from_index, row in bases:
            if row.year == year and from_index <= index:
                base = row
        if base is None:
            continue
        month = _month(index)
        key = (id(base), max((e for e in schedule_starts if e <= index), default=-1))
        if key not in amounts:
            try:
                amounts[key] = monthly_due(
                    base.category, base.monthly_base, month, fixed_amount=base.fixed_amount
                )[0]
            except ValueError:
                amounts[key] = ZERO
        amount = amounts[key]
        for relief in member.reliefs:
            if _mi(relief.start_month) <= index <= _mi(relief.end_month):
                if relief.kind == ReliefKind.EXEMPT:
                    amount = ZERO
                    exempt.add(index)
                elif relief.monthly_amount is not None:
                    amount = relief.monthly_amount
                break
        due[index] = amount
    return due, exempt


def member_months(member: DuesMember, first: dt.date, last: dt.date) -> dict[dt.date, MonthLine]:
    """The member's ledger for the months first..last (1st of each month): only months with a base in force,
    from the month they joined. Payments starting earlier are allocated from their own first month."""
    first_i, last_i = _mi(first), _mi(last)
    start = max(min([first_i, *(_mi(p.first_month) for p in member.payments)]), _mi(member.joined_on))
    due, exempt = _dues_of(member, start, last_i)
    paid = dict.fromkeys(due, ZERO)
    for payment in member.payments:
        remaining = payment.amount
        for index in range(_mi(payment.first_month), _mi(payment.last_month) + 1):
            if remaining <= 0:
                break
            if index not in due:
                continue
            take = min(remaining, max(due[index] - paid[index], ZERO))
            paid[index] += take
            remaining -= take
    lines = {}
    for index, amount in due.items():
        if not first_i <= index <= last_i:
            continue
        if index in exempt:
            status = LedgerStatus.EXEMPT.value
        elif paid[index] >= amount:
            status = LedgerStatus.PAID.value
        elif paid[index] > 0:
            status = LedgerStatus.PARTIAL.value
        else:
            status = LedgerStatus.UNPAID.value
        lines[_month(index)] = MonthLine(amount, paid[index], status)
    return lines


def overdue(month: dt.date, collection_day: int | None, as_of: dt.date) -> bool:
    """Overdue from the day after the branch's 集中交纳日 in that month."""
    return as_of > due_on(month_start(month), collection_day)


def latest_run(member: DuesMember, collection_day: int | None, as_of: dt.date) -> tuple[int, dt.date | None]:
    """(length, last month) of the latest run of consecutive unpaid overdue months as of `as_of`, over the
    months from January of the previous year (as ledger.arrears)."""
    first, last = dt.date(as_of.year - 1, 1, 1), month_start(as_of)
    lines = member_months(member, first, last)
    run, latest, end, previous = 0, 0, None, None
    for month in month_range(first, last):
        if not overdue(month, collection_day, as_of):
            break
        line = lines.get(month)
        if line is not None and line.status in UNPAID:
            run = run + 1 if previous is not None and add_months(previous, 1) == month else 1
            previous, latest, end = month, run, month
        else:
            previous = None
    return latest, end


def names(members: list[DuesMember]) -> str:
    shown = "、".join(m.name for m in members[:NAMES_SHOWN])
    return shown + (f"等{len(members)}人" if len(members) > NAMES_SHOWN else "")


def _dues(facts: OrgFacts) -> DuesFacts:
    if facts.dues is None:
        raise ValueError("党费数据未加载")
    return facts.dues


def _label(month: dt.date) -> str:
    return f"{month:%Y-%m}"


# --- DUES-BASE-DECLARED ------------------------------------------------------------------------------


class NoParams(Params):
    pass


@register("dues_base_declared", NoParams)
def dues_base_declared(facts: OrgFacts, window: Window, p: NoParams) -> Outcome:
    """Every member (joined by D) has a declared base in force in every month of the window from the month
    they joined; missing: the months in which some member has none. Not applicable once dissolved."""
    if window.closed:
        return dissolved(window)
    dues = _dues(facts)
    if not dues.members:
        return Outcome("pass", f"已满足：{iso(window.as_of)}本支部没有需要登记党费基数的党员。")
    window_months = month_range(window.start, window.end)
    lacking: list[DuesMember] = []
    missing: set[str] = set()
    for member in dues.members:
        joined = month_start(member.joined_on)
        gaps = [m for m in window_months if m >= joined and not declared(base_in_force(member.bases, m), m)]
        if gaps:
            lacking.append(member)
            missing.update(_label(m) for m in gaps)
    if not lacking:
        return Outcome(
            "pass", f"已满足：{len(dues.members)}名党员均已登记{window.year}年度的缴费类别和月缴费基数。"
        )
    months = sorted(missing)
    return Outcome(
        "fail",
        f"{len(lacking)}名党员未登记{window.year}年度有效的缴费类别和月缴费基数（{names(lacking)}），"
        f"涉及月份：{'、'.join(months)}。",
        months,
    )


# --- DUES-PAID-MONTHLY --------------------------------------------------------------------------------


@register("dues_paid_monthly", NoParams)
def dues_paid_monthly(facts: OrgFacts, window: Window, p: NoParams) -> Outcome:
    """Every required month (entirely inside the window) that is overdue on D is fully paid (or exempt) by
    every member with a due in it; missing: the months with any unpaid or partly paid member."""
    dues = _dues(facts)
    months = [
        period.start
        for period in required_periods(window, "month")
        if overdue(period.start, dues.collection_day, window.as_of)
    ]
    if not months:
        return Outcome("pending", f"待定：截至{iso(window.as_of)}尚无已过党费集中交纳日的完整月份需要检查。")
    unpaid_by_month: dict[dt.date, int] = {}
    for member in dues.members:
        lines = member_months(member, months[0], months[-1])
        for month in months:
            line = lines.get(month)
            if line is not None and line.status in UNPAID:
                unpaid_by_month[month] = unpaid_by_month.get(month, 0) + 1
    if not unpaid_by_month:
        return Outcome(
            "pass",
            f"已满足：{window.year}年需检查的{len(months)}个月（已过集中交纳日）全体党员均已交清党费。",
        )
    missing = sorted(unpaid_by_month)
    details = "、".join(f"{_label(m)}（{unpaid_by_month[m]}人）" for m in missing)
    return Outcome(
        "fail",
        f"{window.year}年有{len(missing)}个月党员未交清党费（未交或部分交纳）：{details}。",
        [_label(m) for m in missing],
    )


# --- DUES-ARREARS-CASE --------------------------------------------------------------------------------


class ArrearsCaseParams(Params):
    case_months: int = Field(ge=1)


@register("dues_arrears_case", ArrearsCaseParams)
def dues_arrears_case(facts: OrgFacts, window: Window, p: ArrearsCaseParams) -> Outcome:
    """No member whose latest run of unpaid overdue months (as of D) is `case_months` or longer without a
    review (dated by D) whose through_month is on or after the run's last month; missing: the unreviewed
    runs as "YYYY-MM~YYYY-MM". Not applicable once dissolved."""
    if window.closed:
        return dissolved(window)
    dues = _dues(facts)
    cases, unreviewed = 0, []
    for member in dues.members:
        length, end = latest_run(member, dues.collection_day, window.as_of)
        if length < p.case_months or end is None:
            continue
        cases += 1
        if member.reviewed_through is None or member.reviewed_through < end:
            unreviewed.append((member, add_months(end, 1 - length), end, length))
    if not unreviewed:
        if cases:
            return Outcome(
                "pass", f"已满足：连续{p.case_months}个月以上未交纳党费的{cases}名党员均已经支部审查。"
            )
        return Outcome(
            "pass", f"已满足：截至{iso(window.as_of)}没有连续{p.case_months}个月以上未交纳党费的党员。"
        )
    details = "、".join(f"{m.name}（{_label(s)}至{_label(e)}，连续{n}个月）" for m, s, e, n in unreviewed)
    missing = sorted(f"{_label(s)}~{_label(e)}" for _m, s, e, _n in unreviewed)
    return Outcome(
        "fail",
        f"{len(unreviewed)}名党员连续{p.case_months}个月以上未交纳党费，尚无支部审查记录：{details}。",
        missing,
    )
