"""Training checks (TRAIN-*): pure functions over the "training" facts (dangjian/training/facts.py); the logic
lives in dangjian/training/logic.py, shared with the secretary's page and `dangjian training gaps`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

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
    register_param_labels,
    register_short_titles,
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


@register("train_secretary_annual", SecretaryAnnualParams, facts=("training",), label=_l("书记年度培训"))
def secretary_annual(facts: OrgFacts, window: Window, p: SecretaryAnnualParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    return _outcome(
        logic.secretary_annual(
            _facts(facts),
            year=window.year,
            as_of=window.as_of,
            levels=p.levels,
            new_grace_months=p.new_grace_months,
        )
    )


class SecretaryNewParams(Params):
    months: int = Field(ge=1, le=12)
    levels: list[LevelName] = Field(min_length=1)


@register("train_secretary_new", SecretaryNewParams, facts=("training",), label=_l("新任书记培训"))
def secretary_new(facts: OrgFacts, window: Window, p: SecretaryNewParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    return _outcome(
        logic.secretary_new(
            _facts(facts), year=window.year, as_of=window.as_of, levels=p.levels, months=p.months
        )
    )


class HoursParams(Params):
    min_hours: float = Field(gt=0)
    platforms: list[PlatformName] = Field(default_factory=list)

    @property
    def target(self) -> Decimal:
        return Decimal(str(self.min_hours))


def _hours(people, facts: OrgFacts, window: Window, p: HoursParams, who: str) -> Outcome:
    from dangjian.training.params import load_params

    return _outcome(
        logic.hours_rule(
            people,
            _facts(facts),
            year=window.year,
            as_of=window.as_of,
            min_hours=p.target,
            platforms=p.platforms,
            params=load_params(),
            who=who,
        )
    )


@register("train_member_hours", HoursParams, facts=("training",), label=_l("党员学时"))
def member_hours(facts: OrgFacts, window: Window, p: HoursParams) -> Outcome:
    """Each member on the roll on D (党支部 with its 党小组) has ≥ min_hours in year Y."""
    if window.closed:
        return dissolved(window)
    return _hours(_facts(facts).members, facts, window, p, "党员")


@register("train_cadre_hours", HoursParams, facts=("training",), label=_l("书记和委员学时"))
def cadre_hours(facts: OrgFacts, window: Window, p: HoursParams) -> Outcome:
    """Each holder of a committee post (书记 … 委员) on D has ≥ min_hours in year Y."""
    if window.closed:
        return dissolved(window)
    return _hours(_facts(facts).cadres, facts, window, p, "书记和委员")


register_param_labels(
    {
        "levels": _l("计入的培训层级"),
        "new_grace_months": _l("新任书记宽限月数"),
        "min_hours": _l("学时下限"),
        "platforms": _l("计入的学习平台"),
    }
)


# the overview's column headings
register_short_titles(
    {
        "TRAIN-SECRETARY-ANNUAL": _l("书记轮训"),
        "TRAIN-SECRETARY-NEW-6M": _l("新任书记培训"),
        "TRAIN-MEMBER-HOURS": _l("党员学时"),
        "TRAIN-CADRE-HOURS": _l("支委学时"),
    }
)
