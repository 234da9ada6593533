"""`dangjian.core.dates.add_months`: the same day N months on, clamped to the month's end."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.dates import add_months

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 15), 6, D(2026, 7, 15)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # clamped to February's end
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # … in a leap year
        (D(2026, 1, 31), 2, D(2026, 3, 31)),  # not clamped again on the way
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2025, 8, 31), 6, D(2026, 2, 28)),
        (D(2025, 11, 30), 3, D(2026, 2, 28)),  # across the year end
        (D(2026, 3, 31), -1, D(2026, 2, 28)),  # negative months clamp the same way
        (D(2026, 1, 15), -1, D(2025, 12, 15)),
        (D(2026, 5, 31), -13, D(2025, 4, 30)),
        (D(2025, 2, 28), -12, D(2024, 2, 28)),  # the 28th stays the 28th, even in a leap year
        (D(2026, 3, 1), -7, D(2025, 8, 1)),  # a month's first stays the first (the 党费 ledger)
        (D(2026, 12, 1), 1, D(2027, 1, 1)),
        (D(2026, 7, 9), 0, D(2026, 7, 9)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected
