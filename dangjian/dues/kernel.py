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

# What `compute` makes of the same rows: raised when that changes (a 减交 never raises a due: 2), so that the stored
# ledger snapshots, whose fingerprint carries it, are computed afresh rather than read (dues.snapshots.fingerprint).
KERNEL_VERSION = 2

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


_starts_cache: tuple = (None, ())  # (the rate table, its schedules' first month indices)


def _schedule_starts(table) -> tuple[int, ...]:
    """The first month index each rate schedule applies to (schedule_for: effective_from ≤ the 28th), per
    rate table (load_rates returns the same table until its file changes)."""
    global _starts_cache
    cached_table, starts = _starts_cache
    if cached_table is not table:
        starts = tuple(
            month_index(s.effective_from) + (1 if s.effective_from.day > 28 else 0) for s in table.schedules
        )
        _starts_cache = (table, starts)
    return starts


class Ledger(NamedTuple):
    """A member's months start..end as parallel lists (offset = month index - start): the allocation's
    working form, cheap enough to compute for every member of the city in one evaluation."""

    start: int
    due: list  # Decimal, or None for a month without a line
    paid: list  # Decimal
    over: list  # Decimal
    exempt: list  # bool
    declared: list  # bool
    rows: list  # (base row, rate) per month, or None


def compute(
    *,
    joined_on: dt.date,
    inactive_from: dt.date | None,
    bases,
    reliefs,
    payments,
    first: int,
    last: int,
) -> Ledger | None:
    """The member's ledger from the earlier of `first` and the first month of their payments (payments are
    allocated from their own first month) to `last`; None when no month has a line.

    `bases` are BaseRow-shaped and ordered by effective_month; `payments` are (first_month, last_month,
    amount) tuples (PaymentRow or plain) in allocation order."""
    payments = [(month_index(f), month_index(t), amount) for f, t, amount in payments]
    start = first
    if payments:
        start = min(start, min(p[0] for p in payments))
    joined = joined_on.year * 12 + joined_on.month - 1
    if joined > start:
        start = joined
    end = last
    if inactive_from is not None:  # off the roll: dues up to the month of their last day on it
        end = min(end, month_index(inactive_from - dt.timedelta(days=1)))
    if start > end or not bases:
        return None
    size = end - start + 1
    due: list = [None] * size
    exempt = [False] * size
    declared = [False] * size
    meta: list = [None] * size

    # each base row is in force from its effective month to the month before the next row of the same year
    # (or December); rows of other years never apply. One amount per base row and rate schedule.
    table = load_rates()  # once per member (a stat of the file), not per base row
    schedule_starts = _schedule_starts(table)
    bases = sorted(bases, key=lambda b: b.effective_month)  # stable: of two rows for a month, the later wins
    count = len(bases)
    for k, row in enumerate(bases):
        year = row.year
        seg_first = max(month_index(row.effective_month), year * 12)
        following = next((b for b in bases[k + 1 :] if b.year == year), None) if k + 1 < count else None
        seg_last = year * 12 + 11 if following is None else month_index(following.effective_month) - 1
        seg_first, seg_last = max(seg_first, start), min(seg_last, end)
        while seg_first <= seg_last:
            # split where a new rate schedule begins
            boundary = next((s for s in schedule_starts if seg_first < s <= seg_last), None)
            piece_last = seg_last if boundary is None else boundary - 1
            try:
                amount, rate = monthly_due(
                    row.category,
                    row.monthly_base,
                    month_of(seg_first),
                    fixed_amount=row.fixed_amount,
                    table=table,
                )
                ok = True
            except ValueError:
                amount, rate, ok = ZERO, None, False
            lo, hi = seg_first - start, piece_last - start + 1
            n = hi - lo
            due[lo:hi] = [amount] * n
            declared[lo:hi] = [ok] * n
            meta[lo:hi] = [(row, rate)] * n
            seg_first = piece_last + 1
    relieved = [False] * size if reliefs else None
    for relief in reliefs:  # the first approved relief covering a month applies to it
        lo = max(month_index(relief.start_month), start) - start
        hi = min(month_index(relief.end_month), end) - start
        for offset in range(lo, hi + 1):
            if due[offset] is None or relieved[offset]:
                continue
            relieved[offset] = True
            if relief.kind == EXEMPT_KIND:
                due[offset], exempt[offset] = ZERO, True
            elif relief.monthly_amount is not None and relief.monthly_amount < due[offset]:
                due[offset] = relief.monthly_amount  # a reduction never raises a due (a base lowered later)

    paid = [ZERO] * size
    over = [ZERO] * size
    last_offset = size - 1
    for p_first, p_last, remaining in payments:
        lo, hi = p_first - start, p_last - start
        if lo < 0:
            lo = 0
        if hi > last_offset:
            hi = last_offset
        offset = lo
        while offset <= hi:
            amount = due[offset]
            if amount is not None:
                owed = amount - paid[offset]
                if owed > 0:
                    if owed >= remaining:
                        paid[offset] += remaining
                        remaining = ZERO
                        break
                    paid[offset] = amount
                    remaining -= owed
            offset += 1
        if remaining > 0:
            target = next((o for o in range(hi, lo - 1, -1) if due[o] is not None), None)
            if target is not None:
                over[target] += remaining
    return Ledger(start, due, paid, over, exempt, declared, meta)


def status_at(ledger: Ledger, offset: int) -> str:
    """paid | partial | unpaid | exempt of a month with a line."""
    if ledger.exempt[offset]:
        return EXEMPT
    paid = ledger.paid[offset]
    return PAID if paid >= ledger.due[offset] else PARTIAL if paid > 0 else UNPAID


def member_lines(
    *,
    joined_on: dt.date,
    inactive_from: dt.date | None,
    bases,
    reliefs,
    payments,
    first: int,
    last: int,
) -> dict[int, Line]:
    """The member's lines for the month indices first..last (only months with a line)."""
    ledger = compute(
        joined_on=joined_on,
        inactive_from=inactive_from,
        bases=bases,
        reliefs=reliefs,
        payments=payments,
        first=first,
        last=last,
    )
    if ledger is None:
        return {}
    result = {}
    for offset in range(max(first - ledger.start, 0), len(ledger.due)):
        amount = ledger.due[offset]
        if amount is None:
            continue
        base, rate = ledger.rows[offset]
        index = ledger.start + offset
        line = Line(
            index,
            base.category,
            base.monthly_base,
            rate,
            amount,
            status_at(ledger, offset),
            ledger.declared[offset],
        )
        line.paid, line.over = ledger.paid[offset], ledger.over[offset]
        result[index] = line
    return result


# --- one status code per month ------------------------------------------------------------------------------
# p paid, q partly paid, u unpaid, e exempt, x a base that gives no amount (a bracket category without a base,
# 其他 without an amount), - no line (no base in force, or not yet a member). The compliance rules DUES-* read
# these; LedgerSnapshot stores them.

NO_LINE = "-"
UNDECLARED = "x"
UNPAID_CODES = frozenset("qu")
DECLARED_CODES = frozenset("pque")


def unpaid_runs(unpaid) -> list[tuple[int, int]]:
    """(offset of the first month, length) of every run of consecutive True values, in order: the runs of
    consecutive unpaid (or partly paid) months, shared by the arrears pages and DUES-ARREARS-CASE."""
    runs: list[tuple[int, int]] = []
    start = None
    for offset, flag in enumerate(unpaid):
        if flag:
            if start is None:
                start = offset
        elif start is not None:
            runs.append((start, offset - start))
            start = None
    if start is not None:
        runs.append((start, len(unpaid) - start))
    return runs


def month_codes(
    *, joined_on: dt.date, inactive_from: dt.date | None, bases, reliefs, payments, first: int, last: int
) -> str:
    """One code per month first..last (month indices) of the member's ledger."""
    ledger = compute(
        joined_on=joined_on,
        inactive_from=inactive_from,
        bases=bases,
        reliefs=reliefs,
        payments=payments,
        first=first,
        last=last,
    )
    return codes_of(ledger, first, last)


def _cents(amount: Decimal) -> int | None:
    cents = amount * 100
    return int(cents) if cents == cents.to_integral_value() else None


def amounts_of(ledger: Ledger | None, first: int, last: int) -> str:
    """The amounts of the months first..last: per month "due/paid" in fen (分), empty for a month without a
    line, comma-separated; "" when an amount is not a whole number of fen (then nobody reads them)."""
    items = [""] * (last - first + 1)
    if ledger is None:
        return ",".join(items)
    for offset, amount in enumerate(ledger.due):
        index = ledger.start + offset - first
        if amount is None or not 0 <= index < len(items):
            continue
        due, paid = _cents(amount), _cents(ledger.paid[offset])
        if due is None or paid is None:
            return ""
        items[index] = f"{due}/{paid}"
    return ",".join(items)


def codes_of(ledger: Ledger | None, first: int, last: int) -> str:
    """month_codes of a computed ledger."""
    if ledger is None:
        return NO_LINE * (last - first + 1)
    lead = ledger.start - first  # months before the ledger starts (not yet a member)
    skip = -lead if lead < 0 else 0
    codes = [
        NO_LINE
        if amount is None
        else UNDECLARED
        if not ok
        else "e"
        if free
        else "p"
        if done >= amount
        else "q"
        if done > 0
        else "u"
        for amount, done, free, ok in zip(
            ledger.due[skip:], ledger.paid[skip:], ledger.exempt[skip:], ledger.declared[skip:], strict=True
        )
    ]
    text = NO_LINE * max(lead, 0) + "".join(codes)
    return text + NO_LINE * (last - first + 1 - len(text))
