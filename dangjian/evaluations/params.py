"""The numbers of 民主评议党员, as data: `rules/evaluations.yaml` (in settings.RULES_DIR), read by the one loader
(`core.rulefiles`: pydantic, unknown keys refused, each number with its basis and confidence)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dangjian.core import rulefiles

FILE_NAME = "evaluations.yaml"

Confidence = Literal["HIGH", "MEDIUM", "LOW", "UNCONFIRMED"]


class EvaluationParamsError(rulefiles.RuleFileError):
    """The 民主评议 parameters cannot be read or are invalid."""


class _Sourced(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    basis: str = Field(min_length=1)
    confidence: Confidence
    note: str = ""


class Count(_Sourced):
    value: int = Field(ge=1)


class Switch(_Sourced):
    value: bool


class Share(_Sourced):
    numerator: int = Field(ge=0)
    denominator: int = Field(ge=1)

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)


class EvaluationParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    excellent_share: (
        Share  # EVAL-02: at most this share of the graded members 优秀 (the share itself allowed)
    )
    probationary_graded: Switch  # EVAL-04: 预备党员 are rated in the tallies; graded only when true
    probationary_vote: Switch  # 预备党员 receive a ballot only when true (党章: no 表决权)
    min_ballots_for_tallies: Count  # per-person tallies shown only from this many ballots
    rectify_months: Count  # 限期改正: the default period after the grade (DISP-04)
    rectify_months_max: Count  # … and the longest (DISP-04)
    publicity_working_days: Count  # the 公示 lasts at least this many working days before it may end

    @model_validator(mode="after")
    def _rectify_within_max(self) -> EvaluationParams:
        if self.rectify_months.value > self.rectify_months_max.value:
            raise ValueError("rectify_months 不能大于 rectify_months_max")
        return self


def load_params() -> EvaluationParams:
    return rulefiles.load(FILE_NAME, EvaluationParams, error=EvaluationParamsError)


def publicity_ends(published_on: dt.date, params: EvaluationParams) -> dt.date:
    """The first day the 公示 begun on `published_on` may end: `publicity_working_days` working days after it
    (Monday to Friday; public holidays are not known — counted as the 发展党员 workflow counts its delays)."""
    day, left = published_on, params.publicity_working_days.value
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def excellent_cap(graded: int, share: Fraction) -> int:
    """The most 优秀 among `graded` members: floor(graded × share) — exactly the share is allowed (9 graded: 3;
    10: 3; 2: 0)."""
    return (graded * share.numerator) // share.denominator


def voters_of(participants, params: EvaluationParams) -> list:
    """The participants who receive a 测评票: 正式党员, and 预备党员 when the parameter says so."""
    return [p for p in participants if p.formal or params.probationary_vote.value]


def graded_of(participants, params: EvaluationParams) -> list:
    """The participants the 组织评定 grades: 正式党员, and 预备党员 when the parameter says so (EVAL-04)."""
    return [p for p in participants if p.formal or params.probationary_graded.value]
