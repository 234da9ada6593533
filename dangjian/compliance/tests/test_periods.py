import datetime as dt

import pytest

from dangjian.compliance.periods import (
    Window,
    clamp_as_of,
    period_label,
    period_of,
    periods_of_year,
    required_periods,
    window_for,
)

D = dt.date


def labels(window, kind):
    return [p.label for p in required_periods(window, kind)]


def test_as_of_after_the_year_means_31_december():
    assert clamp_as_of(2026, D(2027, 3, 1)) == D(2026, 12, 31)
    assert clamp_as_of(2026, D(2026, 6, 30)) == D(2026, 6, 30)


def test_as_of_before_the_year_is_refused():
    with pytest.raises(ValueError, match="早于 2026 年"):
        clamp_as_of(2026, D(2025, 12, 31))


def test_window_runs_from_1_january_or_founding_to_as_of_or_dissolution():
    assert window_for(2026, D(2026, 8, 15), D(2018, 3, 1), None) == Window(
        2026, D(2026, 8, 15), D(2026, 1, 1), D(2026, 8, 15), None
    )
    window = window_for(2026, D(2026, 12, 31), D(2026, 2, 10), D(2026, 9, 30))
    assert (window.start, window.end, window.closed) == (D(2026, 2, 10), D(2026, 9, 30), True)


def test_organisation_set_up_after_as_of_has_no_window():
    assert window_for(2026, D(2026, 5, 1), D(2026, 5, 2), None) is None
    assert window_for(2026, D(2026, 5, 1), D(2026, 5, 1), None) is not None


def test_organisation_dissolved_before_the_year_has_no_window():
    assert window_for(2026, D(2026, 12, 31), D(2018, 1, 1), D(2025, 12, 31)) is None
    assert window_for(2026, D(2026, 12, 31), D(2018, 1, 1), D(2026, 1, 1)) is not None


def test_dissolution_after_as_of_leaves_the_organisation_active():
    window = window_for(2026, D(2026, 6, 30), D(2018, 1, 1), D(2026, 9, 1))
    assert (window.end, window.closed) == (D(2026, 6, 30), False)


def test_a_quarter_is_required_once_its_last_day_is_inside_the_window():
    assert labels(window_for(2026, D(2026, 3, 30), None, None), "quarter") == []
    assert labels(window_for(2026, D(2026, 3, 31), None, None), "quarter") == ["2026-Q1"]


def test_founding_mid_quarter_makes_that_quarter_not_required():
    window = window_for(2026, D(2026, 12, 31), D(2026, 1, 2), None)
    assert labels(window, "quarter") == ["2026-Q2", "2026-Q3", "2026-Q4"]
    assert labels(window, "month")[0] == "2026-02"


def test_founding_on_the_first_day_of_a_month_makes_that_month_required():
    assert labels(window_for(2026, D(2026, 4, 30), D(2026, 4, 1), None), "month") == ["2026-04"]


def test_dissolution_day_is_inside_the_window():
    assert labels(window_for(2026, D(2026, 12, 31), None, D(2026, 3, 31)), "quarter") == ["2026-Q1"]
    assert labels(window_for(2026, D(2026, 12, 31), None, D(2026, 3, 30)), "quarter") == []
    assert labels(window_for(2026, D(2026, 12, 31), None, D(2026, 5, 15)), "month") == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]


def test_periods_and_labels():
    assert [p.label for p in periods_of_year(2026, "quarter")] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert period_of(D(2026, 2, 28), "month") == ("2026-02", D(2026, 2, 1), D(2026, 2, 28))
    assert period_of(D(2028, 2, 10), "month").end == D(2028, 2, 29)
    assert period_of(D(2026, 9, 30), "quarter") == ("2026-Q3", D(2026, 7, 1), D(2026, 9, 30))
    assert period_label(D(2026, 10, 1), "quarter") == "2026-Q4"
    assert period_label(D(2026, 10, 1), "month") == "2026-10"
