"""The 党费 rate table: data in `rules/dues-rates.yaml` (settings.RULES_DIR), validated on load.

Rates follow 中组发〔2008〕3号 (regulations.md FEE-01…FEE-06, FEE-10): brackets with inclusive upper
bounds applied to the whole base for 在职 and 离退休, flat amounts for 学生/下岗失业/依靠抚恤或救济生活, and an
amount set by the branch for 其他. Each schedule has an `effective_from` date so a future change of the
rules is a new schedule, not an edit of code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dangjian.core import rulefiles
from dangjian.dues.choices import DuesCategory

FILE_NAME = "dues-rates.yaml"


class RatesError(rulefiles.RuleFileError):
    """The rate table cannot be read or is invalid, or a month precedes its first schedule."""


class Bracket(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    upto: Decimal | None  # inclusive upper bound; None: no upper bound
    rate: Decimal = Field(ge=0, lt=1)


class Schedule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    effective_from: dt.date
    basis: str = Field(min_length=1)
    brackets: dict[str, list[Bracket]]
    flat: dict[str, Decimal]
    fixed: list[str]

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        seen = [*self.brackets, *self.flat, *self.fixed]
        unknown = sorted(set(seen) - set(DuesCategory.values))
        if unknown:
            raise ValueError(f"未知的缴费类别：{'、'.join(unknown)}")
        if len(seen) != len(set(seen)):
            raise ValueError("同一缴费类别出现在多处")
        missing = sorted(set(DuesCategory.values) - set(seen))
        if missing:
            raise ValueError(f"缺少缴费类别：{'、'.join(missing)}")
        for category, brackets in self.brackets.items():
            if not brackets or brackets[-1].upto is not None:
                raise ValueError(f"{category}：最后一档的上限须为空（null）")
            bounds = [b.upto for b in brackets[:-1]]
            if any(b is None for b in bounds) or bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
                raise ValueError(f"{category}：各档上限须严格递增")
        return self

    def rate_for(self, category: str, base: Decimal) -> Decimal:
        for bracket in self.brackets[category]:
            if bracket.upto is None or base <= bracket.upto:
                return bracket.rate
        raise AssertionError("unreachable: the last bracket is open")


class RateTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schedules: list[Schedule] = Field(min_length=1)
    extra_remit_threshold: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> RateTable:
        dates = [s.effective_from for s in self.schedules]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("schedules 须按 effective_from 严格递增排列")
        return self

    def schedule_for(self, month: dt.date) -> Schedule:
        applicable = [s for s in self.schedules if s.effective_from <= month.replace(day=28)]
        if not applicable:
            raise RatesError(f"{month:%Y-%m} 早于党费标准的生效日期（{self.schedules[0].effective_from}）。")
        return applicable[-1]


def load_rates() -> RateTable:
    """The rate table (core.rulefiles: parsed once per version of the file, read again when it changes). The
    calculator calls this for every base row of every member: a call costs one `stat` of the file."""
    return rulefiles.load(FILE_NAME, RateTable, error=RatesError)
