"""The reminders' lead times, as data: `rules/reminders.yaml` (in settings.RULES_DIR), read by the one loader
(`core.rulefiles`): how many days before its due date an item of a category is told, and after how many days
the same item may be told to the same person again."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dangjian.core import rulefiles

FILE_NAME = "reminders.yaml"


class RemindersParamsError(rulefiles.RuleFileError):
    """The reminder parameters cannot be read or are invalid."""


class RemindersParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    lead_days: dict[str, int] = Field(default_factory=dict)  # workbench category → days ahead of the due date
    repeat_after_days: int = Field(ge=1)


def load_params() -> RemindersParams:
    return rulefiles.load(FILE_NAME, RemindersParams, error=RemindersParamsError)
