"""Training checks (TRAIN-*): pure functions over the "training" facts (dangjian/training/facts.py); the logic
lives in dangjian/training/logic.py, shared with the secretary's page and `dangjian training gaps`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext_lazy as _l
from pydantic import AfterValidator, Field

from dangjian.compliance.facts import OrgFacts
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Outcome,
    Params,
    dissolved,
    one_of,
    register,
    register_area,
    register_param_labels,
    register_short_titles,
    register_value_labels,
)
from dangjian.training import facts as _training_facts  # noqa: F401  (registers the "training" provider)
from dangjian.training import logic
from dangjian.training.choices import Platform, TrainingLevel

LevelName = Annotated[str, AfterValidator(one_of(TrainingLevel, "培训类别"))]
PlatformName = Annotated[str, AfterValidator(one_of(Platform, "学习平台"))]


def _facts(facts: OrgFacts) -> logic.TrainingFacts:
    value = facts.extra.get("training")
    if value is None:
        raise ValueError("培训数据未加载")
    return value


def _outcome(result: logic.RuleResult) -> Outcome:
    return Outcome(result.status, result.message, [g.name for g in result.gaps])


class SecretaryAnnualParams(Params):
    levels: list[LevelName] = Field(min_length=1)
    new_grace_months: int = Field(ge=1, le=12)


class SecretaryNewParams(Params):
    months: int = Field(ge=1, le=12)
    levels: list[LevelName] = Field(min_length=1)


class HoursParams(Params):
    min_hours: float = Field(gt=0)
    platforms: list[PlatformName] = Field(default_factory=list)
    # full (v1–v9 as published): everyone on the roll on D needs min_hours, a 预备党员 admitted in November too;
    # prorated (v10): a member who joined the Party in year Y needs min_hours for the months from the month of
    # joining, rounded up to a whole 学时 (logic.prorated_target)
    new_members: Literal["full", "prorated"] = "full"

    @property
    def target(self) -> Decimal:
        return Decimal(str(self.min_hours))

    def target_for(self, joined_on: dt.date | None, year: int) -> Decimal:
        """The year's target of a member who joined the Party on `joined_on`."""
        if self.new_members == "prorated":
            return logic.prorated_target(self.target, joined_on, year)
        return self.target


def _hours_of(people, who: str):
    def run(facts: logic.TrainingFacts, year: int, as_of: dt.date, p: HoursParams) -> logic.RuleResult:
        from dangjian.training.params import load_params

        return logic.hours_rule(
            people(facts),
            facts,
            year=year,
            as_of=as_of,
            min_hours=p.target,
            platforms=p.platforms,
            params=load_params(),
            who=who,
            prorate=p.new_members == "prorated",
        )

    return run


# check kind → the rule's logic with its members' gaps: the one dispatch of the TRAIN-* rules, read by the
# checks below and by the training pages (dangjian/training/selectors.py)
LOGIC: dict[str, Callable[[logic.TrainingFacts, int, dt.date, Any], logic.RuleResult]] = {
    "train_secretary_annual": lambda facts, year, as_of, p: logic.secretary_annual(
        facts, year=year, as_of=as_of, levels=p.levels, new_grace_months=p.new_grace_months
    ),
    "train_secretary_new": lambda facts, year, as_of, p: logic.secretary_new(
        facts, year=year, as_of=as_of, levels=p.levels, months=p.months
    ),
    "train_member_hours": _hours_of(lambda f: f.members, "党员"),
    "train_cadre_hours": _hours_of(lambda f: f.cadres, "书记和委员"),
}


def _check(kind: str):
    def check(facts: OrgFacts, window: Window, p: Params) -> Outcome:
        if window.closed:
            return dissolved(window)
        return _outcome(LOGIC[kind](_facts(facts), window.year, window.as_of, p))

    check.__name__ = kind
    return check


# 书记年度培训: the 书记 in post on D took a training of the given levels in year Y (a new one: within the grace)
register("train_secretary_annual", SecretaryAnnualParams, facts=("training",), label=_l("书记年度培训"))(
    _check("train_secretary_annual")
)
# 新任书记培训: a 书记 appointed in year Y was trained within `months` of the appointment
register("train_secretary_new", SecretaryNewParams, facts=("training",), label=_l("新任书记培训"))(
    _check("train_secretary_new")
)
# 党员学时: each member on the roll on D (党支部 with its 党小组) has ≥ min_hours in year Y
register("train_member_hours", HoursParams, facts=("training",), label=_l("党员学时"))(
    _check("train_member_hours")
)
# 书记和委员学时: each holder of a committee post (书记 … 委员) on D has ≥ min_hours in year Y
register("train_cadre_hours", HoursParams, facts=("training",), label=_l("书记和委员学时"))(
    _check("train_cadre_hours")
)


register_param_labels(
    {
        "levels": _l("计入的培训层级"),
        "new_grace_months": _l("新任书记宽限月数"),
        "min_hours": _l("学时下限"),
        "platforms": _l("计入的学习平台"),
        "new_members": _l("年内入党的党员"),
    }
)
register_value_labels("levels", dict(TrainingLevel.choices))
register_value_labels("new_members", {"full": _l("按全年学时"), "prorated": _l("按入党后的月数折算")})
register_value_labels("platforms", dict(Platform.choices))


# the overview's column headings
register_short_titles(
    {
        "TRAIN-SECRETARY-ANNUAL": _l("书记轮训"),
        "TRAIN-SECRETARY-NEW-6M": _l("新任书记培训"),
        "TRAIN-MEMBER-HOURS": _l("党员学时"),
        "TRAIN-CADRE-HOURS": _l("支委学时"),
    }
)

register_area(
    "training",
    _l("培训"),
    order=60,
    kinds=(
        "train_secretary_annual",
        "train_secretary_new",
        "train_member_hours",
        "train_cadre_hours",
    ),
)
