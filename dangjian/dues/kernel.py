"""The 党费 ledger of one member computed from plain rows (no database): the single implementation behind the
ledger pages and commands (dues.ledger) and the compliance rules DUES-* (compliance.checks.dues).

Semantics:
- a month has a line when a base of that month's year is in force (the latest `effective_month` on or before
  it) and the member is on the roll in it: from the month of their 入党日期 (预备党员 pay from the month the
  支部大会 admitted them, DEV-22) up to the month of their last day on the roll;
- the amount comes from the rate table (dues.calculator.monthly_due), computed once per base row and rate
  schedule; an approved exemption makes the month `exempt` (due 0), a reduction replaces the due;
- regular payments, in order (first_month, paid_on, id), are allocated to their own months in order, each
  month up to what is still owed on it; a remainder is an over-payment shown on the payment's last month,
  never spilled into other months; a month is `paid` when its allocation reaches the due.

Months are handled as integers (year * 12 + month - 1): a city-wide evaluation runs this for every member.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from dangjian.dues.calculator import ZERO, monthly_due
from dangjian.dues.choices import LedgerStatus, ReliefKind
from dangjian.dues.rates import load_rates

PAID = LedgerStatus.PAID.value
PARTIAL = LedgerStatus.PARTIAL.value
UNPAID = LedgerStatus.UNPAID.value
EXEMPT = LedgerStatus.EXEMPT.value
EXEMPT_KIND = ReliefKind.EXEMPT.value


class BaseRow(NamedTuple):
    """A declared category and base (DuesBase) from `effective_month` (the 1st) within `year`."""

    year: int
    effective_month: dt.date
    category: str
    monthly_base: Decimal | None = None
    fixed_amount: Decimal | None = None


class ReliefRow(NamedTuple):
    kind: str  # reduce | exempt
    start_month: dt.date
    end_month: dt.date
    monthly_amount: Decimal | None = None


class PaymentRow(NamedTuple):
    """A regular (non-extra) payment, given in allocation order (first_month, paid_on, id)."""

    first_month: dt.date
    last_month: dt.date
    amount: Decimal


class Line:
    """One month of a member's ledger. `declared` is False when the base in force gives no amount (a bracket
    category without a base, 其他 without an amount): the line then has a due of 0."""

    __slots__ = ("base", "category", "declared", "due", "index", "over", "paid", "rate", "status")

    def __init__(self, index, category, base, rate, due, status, declared):
        self.index = index
        self.category = category
        self.base = base
        self.rate = rate
        self.due = due
        self.paid = ZERO
        self.status = status
        self.over = ZERO
        self.declared = declared

    @property
    def month(self) -> dt.date:
        return month_of(self.index)


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_of(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


_starts_cache: list = [None, ()]  # [the rate table, its schedules' first month indices]


def _schedule_starts() -> tuple[int, ...]:
    """The first month index each rate schedule applies to (schedule_for: effective_from ≤ the 28th), per
    rate table (load_rates caches the table per rules directory)."""
    table = load_rates()
    if _starts_cache[0] is not table:
        _starts_cache[:] = [
            table,
            tuple(
                month_index(s.effective_from) + (1 if s.effective_from.day > 28 else 0)
                for s in table.schedules
            ),
        ]
    return _starts_cache[1]


def member_lines(
    *,
    joined_on: dt.date,
    inactive_from: dt.date | None,
    bases: tuple[BaseRow, ...] | list[BaseRow],
    reliefs: tuple[ReliefRow, ...] | list[ReliefRow],
    payments: tuple[PaymentRow, ...] | list[PaymentRow],
    first: int,
    last: int,
) -> dict[int, Line]:
    """The member's lines for the month indices first..last (only months with a line). Payments that start
    before `first` are allocated from their own first month, so earlier months are computed as needed."""
    start = first
    for payment in payments:
        start = min(start, month_index(payment.first_month))
    start = max(start, month_index(joined_on))
    end = last
    if inactive_from is not None:  # off the roll: dues up to the month of their last day on it
        end = min(end, month_index(inactive_from - dt.timedelta(days=1)))
    if start > end or not bases:
        return {}

    by_year: dict[int, list[tuple[int, BaseRow]]] = {}
    for row in bases:
        by_year.setdefault(row.year, []).append((month_index(row.effective_month), row))
    for rows in by_year.values():
        rows.sort(key=lambda item: item[0])
    relief_spans = [(month_index(r.start_month), month_index(r.end_month), r) for r in reliefs]
    schedule_starts = _schedule_starts()
    single_schedule = len(schedule_starts) == 1
    amounts: dict[tuple[int, int], tuple[Decimal, Decimal | None, bool]] = {}

    lines: dict[int, Line] = {}
    for index in range(start, end + 1):
        in_year = by_year.get(index // 12)
        if not in_year:
            continue
        base = None
        for from_index, row in in_year:
            if from_index > index:
                break
            base = row
        if base is None:
            continue
        schedule = 0 if single_schedule else sum(1 for s in schedule_starts if s <= index)
        key = (id(base), schedule)
        computed = amounts.get(key)
        if computed is None:
            try:
                due, rate = monthly_due(
                    base.category, base.monthly_base, month_of(index), fixed_amount=base.fixed_amount
                )
                computed = (due, rate, True)
            except ValueError:
                computed = (ZERO, None, False)
            amounts[key] = computed
        due, rate, declared = computed
        status = ""
        for relief_start, relief_end, relief in relief_spans if reliefs else ():
            if relief_start <= index <= relief_end:
                if relief.kind == EXEMPT_KIND:
                    due, status = ZERO, EXEMPT
                elif relief.monthly_amount is not None:
                    due = relief.monthly_amount
                break
        lines[index] = Line(index, base.category, base.monthly_base, rate, due, status, declared)

    for payment in payments:
        remaining = payment.amount
        p_first, p_last = month_index(payment.first_month), month_index(payment.last_month)
        for index in range(p_first, p_last + 1):
            if remaining <= 0:
                break
            line = lines.get(index)
            if line is None:
                continue
            owed = line.due - line.paid
            if owed > 0:
                take = owed if owed < remaining else remaining
                line.paid += take
                remaining -= take
        if remaining > 0:
            target = next((lines[i] for i in range(p_last, p_first - 1, -1) if i in lines), None)
            if target is not None:
                target.over += remaining

    result = {}
    for index, line in lines.items():
        if line.status != EXEMPT:
            line.status = PAID if line.paid >= line.due else PARTIAL if line.paid > 0 else UNPAID
        if first <= index <= last:
            result[index] = line
    return result
