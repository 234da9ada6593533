"""How each outside study platform's figures become 学时: `rules/study-platforms.yaml` (in settings.RULES_DIR),
validated with pydantic (unknown keys, wrong types, a missing platform are errors naming the file and key).
Which platforms count toward the hours rules is the rulebook's `platforms` parameter, not this file."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dangjian.training.choices import Platform

FILE_NAME = "study-platforms.yaml"
CENT = Decimal("0.01")


class StudyParamsError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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
    return _params_path(str(getattr(settings, "RULES_DIR", "") or ""))


@lru_cache(maxsize=4)
def _params_path(_rules_dir_setting: str) -> Path:
    """Resolved once per RULES_DIR setting: the rules read the parameters for every organisation."""
    from dangjian.compliance.rulebook import rules_dir

    return (rules_dir() / FILE_NAME).resolve()


def load_params(path: Path | str | None = None) -> StudyParams:
    """The validated parameters (cached by the file's modification time and size)."""
    path = Path(path) if path is not None else params_path()
    try:
        stat = path.stat()
    except OSError as exc:
        raise StudyParamsError(f"参数文件 {path.name} 无法读取：{exc.strerror}。") from exc
    return _load(str(path if path.is_absolute() else path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path_str: str, mtime_ns: int, size: int) -> StudyParams:
    from dangjian.compliance.rulebook import describe_errors

    name = Path(path_str).name
    try:
        raw = yaml.safe_load(Path(path_str).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise StudyParamsError(f"参数文件 {name} 不是有效的 YAML：{exc}") from exc
    if not isinstance(raw, dict):
        raise StudyParamsError(f"参数文件 {name}：顶层应为映射。")
    try:
        return StudyParams.model_validate(raw)
    except ValidationError as exc:
        raise StudyParamsError(f"参数文件 {name}：{describe_errors(exc)}。") from exc
