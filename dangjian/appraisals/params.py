"""The numbers of 述职评议, as data: `rules/appraisals.yaml` (in settings.RULES_DIR), read by the one loader
(`core.rulefiles`: pydantic, unknown keys refused, each value with its basis and confidence): the points of each
rating, the default 测评 items and weights of a new campaign, the ballots needed to show per-person figures and
which organisation types a campaign of a 工委 or a 党委 takes as subjects."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dangjian.core import rulefiles

FILE_NAME = "appraisals.yaml"

Confidence = Literal["HIGH", "MEDIUM", "LOW", "UNCONFIRMED"]
OrgTypeName = Literal["gongwei", "dangzu", "dangwei", "zongzhi", "zhibu", "xiaozu"]


class AppraisalParamsError(rulefiles.RuleFileError):
    """The 述职评议 parameters cannot be read or are invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Sourced(_Strict):
    basis: str = Field(min_length=1)
    confidence: Confidence
    note: str = ""


class Points(_Sourced):
    good: int = Field(ge=0, le=1000)
    fairly_good: int = Field(ge=0, le=1000)
    average: int = Field(ge=0, le=1000)
    poor: int = Field(ge=0, le=1000)

    def of(self, rating: str) -> int:
        return int(getattr(self, rating))


class DefaultItem(_Strict):
    name: str = Field(min_length=1, max_length=50)
    weight: Decimal = Field(gt=0, max_digits=6, decimal_places=2, strict=False)


class DefaultItems(_Sourced):
    overall: DefaultItem  # 综合评价: always an item of a campaign
    others: list[DefaultItem] = []


class Count(_Sourced):
    value: int = Field(ge=1)


class SubjectTypes(_Sourced):
    gongwei: list[OrgTypeName]  # a 工委 campaign's subjects
    dangwei: list[OrgTypeName]  # a 党委 campaign's subjects


class AppraisalParams(_Strict):
    points: Points
    default_items: DefaultItems
    min_ballots_for_tallies: Count
    subject_types: SubjectTypes

    @model_validator(mode="after")
    def _names_unique(self) -> AppraisalParams:
        names = [self.default_items.overall.name, *(i.name for i in self.default_items.others)]
        if len(set(names)) != len(names):
            raise ValueError("default_items 的项目名称不能重复")
        return self


def load_params() -> AppraisalParams:
    return rulefiles.load(FILE_NAME, AppraisalParams, error=AppraisalParamsError)


CENT = Decimal("0.01")


def round2(value: Decimal) -> Decimal:
    """Half up to two decimals (83.335 → 83.34): the figure a person computes by hand."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
