"""Evaluation windows and periods (pure date arithmetic, no database).

Year Y as of D: D after 31 December Y means 31 December Y. An organisation's window runs from the later
of 1 January Y and its 成立日期 to the earliest of 31 December Y, its 撤销日期 and D, all inclusive.
It has no window (it is not evaluated) when it was set up after D, or dissolved before 1 January Y.
A month or quarter is required when it lies entirely inside the window.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

PeriodKind = Literal["month", "quarter"]


class Period(NamedTuple):
    label: str  # "2026-03" or "2026-Q1"
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Window:
    year: int
    as_of: dt.date  # D, already clamped into the year
    start: dt.date
    end: dt.date
    dissolved_on: dt.date | None = None

    @property
    def closed(self) -> bool:
        """Dissolved on or before D (on its 撤销日期 an organisation is no longer active)."""
        return self.dissolved_on is not None and self.dissolved_on <= self.as_of

    @property
    def year_end(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def clamp_as_of(year: int, as_of: dt.date) -> dt.date:
    """D for year Y: a D after 31 December Y is 31 December Y; a D before 1 January Y is refused."""
    if as_of < dt.date(year, 1, 1):
        raise ValueError(f"评估日期 {as_of:%Y-%m-%d} 早于 {year} 年，无法评估该年度。")
    return min(as_of, dt.date(year, 12, 31))


def window_for(
    year: int, as_of: dt.date, founded_on: dt.date | None, dissolved_on: dt.date | None
) -> Window | None:
    """The organisation's window for year Y as of D (D already clamped), or None when not evaluated."""
    start = max(dt.date(year, 1, 1), founded_on or dt.date.min)
    end = min(as_of, dissolved_on or dt.date.max)
    if founded_on is not None and founded_on > as_of:
        return None  # set up after D
    if dissolved_on is not None and dissolved_on < dt.date(year, 1, 1):
        return None  # gone before the year began
    return Window(year=year, as_of=as_of, start=start, end=end, dissolved_on=dissolved_on)


def month_of(day: dt.date) -> Period:
    last = monthrange(day.year, day.month)[1]
    return Period(f"{day.year}-{day.month:02d}", day.replace(day=1), day.replace(day=last))


def quarter_of(day: dt.date) -> Period:
    q = (day.month - 1) // 3 + 1
    start = dt.date(day.year, 3 * q - 2, 1)
    end = month_of(dt.date(day.year, 3 * q, 1)).end
    return Period(f"{day.year}-Q{q}", start, end)


def period_of(day: dt.date, kind: PeriodKind) -> Period:
    return month_of(day) if kind == "month" else quarter_of(day)


def period_label(day: dt.date, kind: PeriodKind) -> str:
    """The label of the month or quarter containing `day` (fast path of period_of(day, kind).label)."""
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@lru_cache(maxsize=64)
def periods_of_year(year: int, kind: PeriodKind) -> tuple[Period, ...]:
    if kind == "month":
        return tuple(month_of(dt.date(year, m, 1)) for m in range(1, 13))
    return tuple(quarter_of(dt.date(year, 3 * q - 2, 1)) for q in range(1, 5))


def required_periods(window: Window, kind: PeriodKind) -> list[Period]:
    """The periods that lie entirely inside the window."""
    return [p for p in periods_of_year(window.year, kind) if p.start >= window.start and p.end <= window.end]
