"""How each outside study platform's figures become 学时: `rules/study-platforms.yaml` (in settings.RULES_DIR),
validated with pydantic (unknown keys, wrong types, a missing platform are errors naming the file and key).
Which platforms count toward the hours rules is the rulebook's `platforms` parameter, not this file."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dangjian.core import rulefiles
from dangjian.training.choices import Platform

FILE_NAME = "study-platforms.yaml"
CENT = Decimal("0.01")


class StudyParamsError(rulefiles.RuleFileError):
    """The study-platform parameters cannot be read or are invalid."""


class PlatformParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(min_length=1)
    hours_from: Literal["hours", "points"]
    points_per_hour: int | None = Field(default=None, ge=1)
    basis: str = Field(min_length=1)
    confidence: Literal["HIGH", "MEDIUM", "LOW", "UNCONFIRMED"]
    note: str = ""

    @model_validator(mode="after")
    def _points_need_rate(self) -> PlatformParams:
        if self.hours_from == "points" and self.points_per_hour is None:
            raise ValueError("hours_from 为 points 时必须填写 points_per_hour")
        return self

    def hours(self, points: int | None, hours: Decimal | None) -> Decimal:
        """The 学时 this platform's record counts for (0 when the figure it uses is absent)."""
        if self.hours_from == "hours":
            return hours if hours is not None else Decimal(0)
        if points is None:
            return Decimal(0)
        return (Decimal(points) / Decimal(self.points_per_hour)).quantize(CENT, rounding=ROUND_HALF_UP)


class StudyParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    platforms: dict[str, PlatformParams]

    @model_validator(mode="after")
    def _all_platforms(self) -> StudyParams:
        unknown = sorted(set(self.platforms) - set(Platform.values))
        missing = sorted(set(Platform.values) - set(self.platforms))
        if unknown:
            raise ValueError(f"未知的平台 {'、'.join(unknown)}（可用：{'、'.join(Platform.values)}）")
        if missing:
            raise ValueError(f"缺少平台 {'、'.join(missing)}")
        return self


def params_path() -> Path:
    return rulefiles.rule_path(FILE_NAME)


def load_params(path: Path | str | None = None) -> StudyParams:
    """The validated parameters (core.rulefiles: parsed once per version of the file). `path`: another file
    (relative to the current directory), for tests."""
    source = Path(path).absolute() if path is not None else FILE_NAME
    return rulefiles.load(source, StudyParams, error=StudyParamsError)
