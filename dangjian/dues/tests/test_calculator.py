import datetime as dt
from decimal import Decimal as D

import pytest

from dangjian.dues.calculator import base_from_pay, monthly_due, round_money
from dangjian.dues.rates import RateTable, load_rates

M = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("base", "due", "rate"),
    [
        ("3000.00", "15.00", "0.005"),
        ("3000.01", "30.00", "0.01"),
        ("5000.00", "50.00", "0.01"),
        ("5000.01", "75.00", "0.015"),
        ("10000.00", "150.00", "0.015"),
        ("10000.01", "200.00", "0.02"),
        ("0", "0.00", "0.005"),
    ],
)
def test_active_brackets_inclusive_upper_bounds_whole_base(base, due, rate):
    assert monthly_due("active", D(base), M) == (D(due), D(rate))


@pytest.mark.parametrize(
    ("base", "due", "rate"),
    [("5000.00", "25.00", "0.005"), ("5000.01", "50.00", "0.01"), ("2000", "10.00", "0.005")],
)
def test_retired_brackets(base, due, rate):
    assert monthly_due("retired", D(base), M) == (D(due), D(rate))


@pytest.mark.parametrize("category", ["student", "unemployed", "relief"])
def test_flat_rates_ignore_base(category):
    assert monthly_due(category, D("8000"), M) == (D("0.20"), None)
    assert monthly_due(category, None, M) == (D("0.20"), None)


def test_other_uses_fixed_amount():
    assert monthly_due("other", None, M, fixed_amount=D("12.5")) == (D("12.50"), None)
    with pytest.raises(ValueError):
        monthly_due("other", None, M)


def test_bracket_category_without_base_is_an_error():
    with pytest.raises(ValueError):
        monthly_due("active", None, M)


def test_rounding_half_up_by_default():
    # 6543.21 × 1.5% = 98.14815 → 98.15; 3333.30 × 1% = 33.333 → 33.33
    assert monthly_due("active", D("6543.21"), M)[0] == D("98.15")
    assert monthly_due("active", D("3333.30"), M)[0] == D("33.33")
    assert round_money(D("0.125")) == D("0.13")


def test_rounding_mode_and_quantum_from_settings(settings):
    settings.DUES_ROUNDING_MODE = "ROUND_DOWN"
    assert monthly_due("active", D("6543.21"), M)[0] == D("98.14")
    settings.DUES_ROUNDING_MODE = "ROUND_HALF_EVEN"
    assert round_money(D("0.125")) == D("0.12")
    settings.DUES_ROUNDING_QUANTUM = "0.1"
    settings.DUES_ROUNDING_MODE = "ROUND_HALF_UP"
    assert monthly_due("active", D("6543.21"), M)[0] == D("98.1")


def test_base_from_pay():
    base = base_from_pay(
        [D("5000"), D("2000.50"), D("1500")],
        income_tax=D("120.50"),
        social_insurance=D("800"),
        housing_fund=D("900"),
        occupational_annuity=D("180"),
    )
    assert base == D("6500.00")
    assert monthly_due("active", base, M) == (D("97.50"), D("0.015"))
    with pytest.raises(TypeError):
        base_from_pay(
            [5000.0], income_tax=D(0), social_insurance=D(0), housing_fund=D(0), occupational_annuity=D(0)
        )


def test_rate_table_is_data_with_effective_dates():
    table = load_rates()
    assert table.schedules[0].effective_from == dt.date(2008, 4, 1)
    assert table.extra_remit_threshold == D("1000")
    later = RateTable.model_validate(
        {
            "extra_remit_threshold": "1000",
            "schedules": [
                table.schedules[0].model_dump(),
                {
                    **table.schedules[0].model_dump(),
                    "effective_from": dt.date(2030, 1, 1),
                    "flat": {"student": "0.50", "unemployed": "0.20", "relief": "0.20"},
                },
            ],
        }
    )
    assert later.schedule_for(dt.date(2029, 12, 1)).flat["student"] == D("0.20")
    assert later.schedule_for(dt.date(2030, 1, 1)).flat["student"] == D("0.50")


def test_rate_table_rejects_unknown_keys():
    data = load_rates().model_dump()
    data["surprise"] = 1
    with pytest.raises(ValueError):
        RateTable.model_validate(data)
