"""The seed's calendar: every date of the demo data is measured from a reference day ("today").

The records cover a window of months ending with today's month: the twelve months up to it (today's month
and the eleven before), and from 1 January of the previous year when today falls in the first
PREVIOUS_YEAR_MONTHS months, so that the year just ended is whole (its kept results are computed too,
see `run`). Nothing is dated after today.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from dangjian.core.dates import add_months

WINDOW_MONTHS = 12
PREVIOUS_YEAR_MONTHS = 3  # January..March: the previous year is still being reviewed

# No meetings on these days of any year (public holidays, approximately: the moving ones at their usual dates).
HOLIDAYS = (
    (1, 1, 3),
    (2, 15, 23),
    (4, 4, 6),
    (5, 1, 5),
    (6, 19, 21),
    (9, 25, 27),
    (10, 1, 7),
)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def quarter_of(month: dt.date) -> dt.date:
    """The first day of the quarter of `month`."""
    return dt.date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)


def is_holiday(day: dt.date) -> bool:
    return any(day.month == m and first <= day.day <= last for m, first, last in HOLIDAYS)


@dataclass(frozen=True)
class Clock:
    """The reference day and the window of months the records cover."""

    today: dt.date
    months: tuple[dt.date, ...] = field(init=False)  # first days, oldest first; the last is today's month

    def __post_init__(self) -> None:
        current = self.today.replace(day=1)
        first = add_months(current, 1 - WINDOW_MONTHS)
        if self.today.month <= PREVIOUS_YEAR_MONTHS:
            first = min(first, dt.date(self.today.year - 1, 1, 1))
        count = (current.year - first.year) * 12 + current.month - first.month + 1
        object.__setattr__(self, "months", tuple(add_months(first, n) for n in range(count)))

    @property
    def first(self) -> dt.date:
        """The first day of the window."""
        return self.months[0]

    @property
    def current(self) -> dt.date:
        """The first day of today's month."""
        return self.months[-1]

    @property
    def years(self) -> list[int]:
        return sorted({m.year for m in self.months})

    @cached_property
    def workdays(self) -> dict[dt.date, list[dt.date]]:
        """The working days of each month of the window (the whole month: a day drawn after today is a
        meeting not yet held)."""
        return {
            month: [
                day
                for d in range(1, calendar.monthrange(month.year, month.month)[1] + 1)
                if (day := month.replace(day=d)).weekday() < 5 and not is_holiday(day)
            ]
            for month in self.months
        }

    def quarter_months(self, quarter: dt.date) -> list[dt.date]:
        """The months of the window in the quarter that begins on `quarter`."""
        return [m for m in self.months if quarter_of(m) == quarter]

    def kept_years(self) -> list[int]:
        """The years whose kept results the seed computes: this year, and the previous one early in the year."""
        year = self.today.year
        return [year - 1, year] if self.today.month <= PREVIOUS_YEAR_MONTHS else [year]
