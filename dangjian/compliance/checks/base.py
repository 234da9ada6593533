"""The check registry: a check kind is a name, a typed parameter model (pydantic, extra keys forbidden,
strict types) and a pure function over an organisation's facts and window. Optionally a `todo` function
(what is still due in the period containing a day) and a `validate_rule` hook (parameters that depend on
the rule, e.g. a mapping keyed by the organisation types the rule applies to)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from dangjian.compliance.facts import OrgFacts
from dangjian.compliance.periods import Window
from dangjian.meetings.choices import MeetingType
from dangjian.orgs.choices import OrgType, PostTitle, chinese_label

STATUSES = ("pass", "fail", "pending", "not_applicable")


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str
    missing: list[str] = field(default_factory=list)
    evidence: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Due:
    """Something still to be held: `period` ("2026-05", "2026-Q2" or "2026") by `due_by`."""

    period: str
    due_by: dt.date
    message: str


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


RunFn = Callable[[OrgFacts, Window, Any], Outcome]
TodoFn = Callable[[OrgFacts, Window, Any, dt.date], list[Due]]
RuleHook = Callable[[list[str], Any], None]


@dataclass(frozen=True)
class CheckKind:
    name: str
    params: type[Params]
    run: RunFn
    todo: TodoFn | None = None
    validate_rule: RuleHook | None = None
    facts: frozenset[str] = frozenset()  # extra fact providers the check reads (facts.register_facts)


REGISTRY: dict[str, CheckKind] = {}


def register(
    name: str,
    params: type[Params],
    *,
    todo: TodoFn | None = None,
    validate_rule: RuleHook | None = None,
    facts: Iterable[str] = (),
) -> Callable[[RunFn], RunFn]:
    """Registers a check kind. `facts` names the extra fact providers (facts.register_facts) whose data the
    check reads from `OrgFacts.extra`: the evaluator loads only the providers its ruleset's checks need."""

    def decorate(run: RunFn) -> RunFn:
        if name in REGISTRY:
            raise RuntimeError(f"check {name!r} registered twice")
        REGISTRY[name] = CheckKind(name, params, run, todo, validate_rule, frozenset(facts))
        return run

    return decorate


def _one_of(choices, what: str):
    def check(value: str) -> str:
        if value not in choices.values:
            allowed = "、".join(f"{v}（{chinese_label(choices, v)}）" for v in choices.values)
            raise ValueError(f"未知的{what}“{value}”，应为：{allowed}")
        return value

    return check


MeetingTypeName = Annotated[str, AfterValidator(_one_of(MeetingType, "活动类型"))]
OrgTypeName = Annotated[str, AfterValidator(_one_of(OrgType, "组织类型"))]
PostTitleName = Annotated[str, AfterValidator(_one_of(PostTitle, "党内职务"))]


@lru_cache(maxsize=64)
def type_label(meeting_type: str) -> str:
    return chinese_label(MeetingType, meeting_type)


_VERBS = {MeetingType.LECTURE: "上", MeetingType.THEME_DAY: "开展", MeetingType.MEMBER_REVIEW: "开展"}


@lru_cache(maxsize=64)
def held_label(meeting_type: str) -> str:
    """ "召开支部党员大会", "上党课", "开展主题党日"."""
    return f"{_VERBS.get(meeting_type, '召开')}{type_label(meeting_type)}"


@lru_cache(maxsize=64)
def title_label(title: str) -> str:
    return chinese_label(PostTitle, title)


@lru_cache(maxsize=4096)  # every message of a city-wide evaluation formats a few hundred distinct dates
def iso(day: dt.date) -> str:
    return day.strftime("%Y-%m-%d")


def dissolved(window: Window) -> Outcome:
    return Outcome("not_applicable", f"不适用：该组织已于{iso(window.dissolved_on)}撤销。")
