"""Last year's missed work in the first months of a new year: the parameter (`rules/workbench.yaml`, in
settings.RULES_DIR, read by the one loader `core.rulefiles`) and the years it opens.

On 2 January last December's missed 支委会, the last quarter's missed 党小组会 and a 组织生活会 never held in the
year are still to be put right, but the kept results of the new year do not hold them. For the first
`previous_year_months` months of a year (3: until 31 March) the work list, the roll-up's counts and the reminders
also read the previous year's failures (`compliance.workbench`), and every refresh (`compliance.kept.refresh`
without an explicit year: the nightly one and those after writes) keeps the previous year as well, evaluated as of
its 31 December, so that a record entered late in January puts its item right."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from dangjian.core import rulefiles

FILE_NAME = "workbench.yaml"


class WorkbenchParamsError(rulefiles.RuleFileError):
    """The workbench parameters cannot be read or are invalid."""


class WorkbenchParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # the months of a new year during which the previous year's missed work is still listed and kept current
    previous_year_months: int = Field(ge=0, le=12)


def load_params() -> WorkbenchParams:
    return rulefiles.load(FILE_NAME, WorkbenchParams, error=WorkbenchParamsError)


def previous_year_open(on: dt.date) -> bool:
    """Whether `on` lies in the first months of its year during which the previous year's work is still listed."""
    return on.month <= load_params().previous_year_months


def years(on: dt.date) -> list[int]:
    """The years whose kept results the work list reads on `on` and a refresh keeps: `on`'s, and in the first
    months of a year also the previous one."""
    return [on.year, on.year - 1] if previous_year_open(on) else [on.year]
