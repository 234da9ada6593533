"""The 党费 rate table: data in `rules/dues-rates.yaml` (settings.RULES_DIR), validated on load.

Rates follow 中组发〔2008〕3号 (regulations.md FEE-01…FEE-06, FEE-10): brackets with inclusive upper
bounds applied to the whole base for 在职 and 离退休, flat amounts for 学生/下岗失业/依靠抚恤或救济生活, and an
amount set by the branch for 其他. Each schedule has an `effective_from` date so a future change of the
rules is a new schedule, not an edit of code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.signals import setting_changed
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dangjian.dues.choices import DuesCategory

FILE_NAME = "dues-rates.yaml"


class RatesError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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


@lru_cache(maxsize=4)
def _load(rules_dir: str) -> RateTable:
    path = Path(rules_dir) / FILE_NAME
    if not path.exists():
        raise RatesError(f"党费标准文件 {path} 不存在。")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RatesError(f"党费标准文件 {path.name} 无法读取：{exc}") from exc
    try:
        return RateTable.model_validate(data)
    except ValidationError as exc:
        problems = "；".join(
            f"{'.'.join(map(str, e['loc'])) or '（顶层）'}：{e['msg']}" for e in exc.errors()
        )
        raise RatesError(f"党费标准文件 {path.name} 有误：{problems}") from exc


def load_rates() -> RateTable:
    """The rate table, read once per rules directory (the calculator calls this for every base row of every
    member, so it must not touch the file system; a changed file is read at the next start)."""
    return _load(_rules_dir())


@lru_cache(maxsize=1)
def _rules_dir() -> str:
    rules_dir = getattr(settings, "RULES_DIR", None)
    return str(rules_dir) if rules_dir else _default_dir()


def _settings_changed(*, setting, **kwargs) -> None:
    if setting == "RULES_DIR":
        _rules_dir.cache_clear()


setting_changed.connect(_settings_changed)


@lru_cache(maxsize=1)
def _default_dir() -> str:
    return str(Path(settings.BASE_DIR) / "rules")
