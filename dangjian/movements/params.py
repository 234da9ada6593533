"""The periods of 流动 and 失联 members, as data: `rules/movements.yaml` (in settings.RULES_DIR), validated with
pydantic (unknown keys, wrong types and missing parameters are errors naming the file and the key)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dangjian.core import rulefiles

FILE_NAME = "movements.yaml"


class MovementsParamsError(rulefiles.RuleFileError):
    """The movements parameters cannot be read or are invalid."""


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
    abroad_study_years: Parameter
    contact_reminder_days: Parameter


def params_path() -> Path:
    return rulefiles.rule_path(FILE_NAME)


def load_params(path: Path | str | None = None) -> MovementsParams:
    """The validated parameters (core.rulefiles: parsed once per version of the file). `path`: another file
    (relative to the current directory), for tests."""
    source = Path(path).absolute() if path is not None else FILE_NAME
    return rulefiles.load(source, MovementsParams, error=MovementsParamsError)
