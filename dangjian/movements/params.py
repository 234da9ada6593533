"""The periods of 流动 and 失联 members, as data: `rules/movements.yaml` (in settings.RULES_DIR), validated with
pydantic (unknown keys, wrong types and missing parameters are errors naming the file and the key)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

FILE_NAME = "movements.yaml"


class MovementsParamsError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    value: int = Field(ge=1)
    basis: str = Field(min_length=1)
    confidence: Literal["HIGH", "MEDIUM", "LOW", "UNCONFIRMED"]
    note: str = ""


class MovementsParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    lost_suspend_months: Parameter
    lost_remove_months: Parameter
    abroad_contact_months: Parameter
    contact_reminder_days: Parameter


def params_path() -> Path:
    from dangjian.compliance.rulebook import rules_dir

    return rules_dir() / FILE_NAME


def load_params(path: Path | str | None = None) -> MovementsParams:
    """The validated parameters (cached by the file's modification time and size)."""
    path = Path(path) if path is not None else params_path()
    try:
        stat = path.stat()
    except OSError as exc:
        raise MovementsParamsError(f"参数文件 {path.name} 无法读取：{exc.strerror}。") from exc
    return _load(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path_str: str, mtime_ns: int, size: int) -> MovementsParams:
    from dangjian.compliance.rulebook import describe_errors

    name = Path(path_str).name
    try:
        raw = yaml.safe_load(Path(path_str).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MovementsParamsError(f"参数文件 {name} 不是有效的 YAML：{exc}") from exc
    if not isinstance(raw, dict):
        raise MovementsParamsError(f"参数文件 {name}：顶层应为映射。")
    try:
        return MovementsParams.model_validate(raw)
    except ValidationError as exc:
        raise MovementsParamsError(f"参数文件 {name}：{describe_errors(exc)}。") from exc
