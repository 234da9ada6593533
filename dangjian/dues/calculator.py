"""党费 amounts: pure functions over the rate table (no database)."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed

from dangjian.dues.rates import RateTable, load_rates

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@lru_cache(maxsize=1)
def rounding() -> tuple[Decimal, str]:
    """(quantum, mode) from settings.DUES_ROUNDING_QUANTUM and settings.DUES_ROUNDING_MODE, read once (and
    again after a settings change): the ledger rounds an amount for every base row of every member."""
    quantum = Decimal(str(getattr(settings, "DUES_ROUNDING_QUANTUM", "0.01")))
    mode_name = getattr(settings, "DUES_ROUNDING_MODE", "ROUND_HALF_UP")
    mode = getattr(decimal, mode_name, None)
    if not isinstance(mode, str) or not mode_name.startswith("ROUND_"):
        raise ValueError(f"DUES_ROUNDING_MODE “{mode_name}” 无效。")
    return quantum, mode


def _settings_changed(*, setting, **kwargs) -> None:
    if setting in {"DUES_ROUNDING_QUANTUM", "DUES_ROUNDING_MODE"}:
        rounding.cache_clear()


setting_changed.connect(_settings_changed)


def round_money(value: Decimal) -> Decimal:
    """Rounds to settings.DUES_ROUNDING_QUANTUM with settings.DUES_ROUNDING_MODE (no official rule: FEE-13;
    default half-up to 0.01 元)."""
    quantum, mode = rounding()
    return Decimal(value).quantize(quantum, rounding=mode)


def monthly_due(
    category: str,
    base: Decimal | None,
    month: dt.date,
    *,
    fixed_amount: Decimal | None = None,
    table: RateTable | None = None,
) -> tuple[Decimal, Decimal | None]:
    """(amount due for `month`, the rate applied — None for flat and fixed amounts). `table`: the rate table
    when the caller already holds it (the ledger, once per member), else load_rates()."""
    schedule = (table or load_rates()).schedule_for(month)
    if category in schedule.brackets:
        if base is None:
            raise ValueError("该缴费类别须有月缴费基数。")
        if base < 0:
            raise ValueError("月缴费基数不能为负数。")
        rate = schedule.rate_for(category, base)
        return round_money(base * rate), rate
    if category in schedule.flat:
        return round_money(schedule.flat[category]), None
    if category in schedule.fixed:
        if fixed_amount is None:
            raise ValueError("“其他”类别须有月缴纳额。")
        if fixed_amount < 0:
            raise ValueError("月缴纳额不能为负数。")
        return round_money(fixed_amount), None
    raise ValueError(f"未知的缴费类别“{category}”。")


def base_from_pay(
    pay_items: list[Decimal],
    *,
    income_tax: Decimal,
    social_insurance: Decimal,
    housing_fund: Decimal,
    occupational_annuity: Decimal,
) -> Decimal:
    """The monthly base: 工资项目 minus 个人所得税, 社保, 公积金 and 职业年金 (FEE-01), to the cent."""
    values = [*pay_items, income_tax, social_insurance, housing_fund, occupational_annuity]
    if any(isinstance(v, float) for v in values):
        raise TypeError("金额须为 Decimal，不能为 float。")
    total = sum((Decimal(v) for v in pay_items), ZERO)
    base = total - Decimal(income_tax) - Decimal(social_insurance) - Decimal(housing_fund)
    base -= Decimal(occupational_annuity)
    if base < 0:
        raise ValueError("扣除后的月缴费基数为负数，请核对工资项目。")
    return base.quantize(CENT, rounding=decimal.ROUND_HALF_UP)
