"""Calendar arithmetic shared by the rules, the workflows and the 党费 ledger ("N months after" a date)."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (earlier when negative), clamped to the month's end: 31 August + 6 → 28/29
    February. "Lost on 15 January" is "6 months lost" from 15 July on. The first of a month stays the first
    (the ledger steps through months this way). The one implementation: import it from here."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
