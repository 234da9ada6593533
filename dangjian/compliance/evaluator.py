"""Evaluation of a ruleset over a scope of organisations, and the 本月/本季度待办 list.

`evaluate(orgs, year=Y, as_of=D)`: the facts for every organisation are built with a fixed number of
queries (facts.py), then every rule's check runs as a pure function for every organisation of the types
the rule applies to that has a window (periods.py). A check that raises gives a `fail` (fail closed).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from dangjian.compliance.checks import REGISTRY, STATUSES, Outcome
from dangjian.compliance.facts import OrgFacts, OrgRef, build_facts
from dangjian.compliance.periods import Window, clamp_as_of, window_for
from dangjian.compliance.registry import NO_ITEMS, EvidenceRef, typed_evidence
from dangjian.compliance.rulebook import Rule, Ruleset, load_ruleset
from dangjian.core.messages import PLAIN, Message, render
from dangjian.core.perf import gc_paused

__all__ = ["STATUSES", "Evaluation", "OrgRef", "Result", "TodoItem", "evaluate", "todo"]

log = logging.getLogger(__name__)

CHECK_FAILED = gettext_noop("检查未能执行（%(error)s），按不合格处理，请联系系统管理员。")


def check_failed(exc: Exception) -> Message:
    return Message(CHECK_FAILED, error=type(exc).__name__)


@dataclass(slots=True)
class Result:
    rule: Rule
    org: OrgRef
    status: str
    missing: list[str] = field(default_factory=list)  # sorted periods, or meeting dates for quorum rules
    evidence: list[EvidenceRef] = field(default_factory=list)  # (kind, id) of the records it rests on
    message: Message | str = ""  # shown in the viewer's language: str(message)

    def to_json(self) -> dict:
        return {
            "rule": self.rule.id,
            "org": self.org.code,
            "status": self.status,
            "missing": list(self.missing),
            "clause": self.rule.clause,
            "basis": self.rule.basis,
            "message": render(self.message),
        }


@dataclass
class Evaluation:
    ruleset: Ruleset
    year: int
    as_of: dt.date  # D, clamped into the year
    results: list[Result]

    def to_json(self) -> dict:
        return {
            "ruleset": {"id": self.ruleset.id, "version": self.ruleset.version},
            "year": self.year,
            "as_of": self.as_of.strftime("%Y-%m-%d"),
            "results": [r.to_json() for r in self.results],
        }

    def for_org(self, org_id: int) -> list[Result]:
        return [r for r in self.results if r.org.id == org_id]

    def for_rule(self, rule_id: str) -> list[Result]:
        return [r for r in self.results if r.rule.id == rule_id]


@dataclass
class TodoItem:
    org: OrgRef
    rule: Rule
    period: str  # "2026-05", "2026-Q2" or "2026"
    due_by: dt.date
    message: Message | str


def extra_needs(ruleset: Ruleset, *, for_todo: bool = False) -> frozenset[str]:
    """The fact providers (facts.register_facts) the ruleset's checks read; for 待办 only those of checks
    with a todo function."""
    needed: set[str] = set()
    for rule in ruleset.rules:
        kind = REGISTRY[rule.check]
        if not for_todo or kind.todo is not None:
            needed |= kind.facts
    return frozenset(needed)


def rule_orgs(orgs, ruleset: Ruleset):
    """`orgs` without the organisations of types no rule of the ruleset applies to (the 工委: its facts would
    count the whole city's members for no result). A queryset stays a queryset."""
    types = sorted({t for rule in ruleset.rules for t in rule.applies_to})
    if isinstance(orgs, QuerySet) and not orgs.query.is_sliced:
        return orgs.filter(type__in=types)
    return [o for o in orgs if o.type in types]


def run_check(rule: Rule, facts: OrgFacts, window: Window, params=None) -> Outcome:
    """The rule's check on one organisation; an exception, an unknown status or untyped evidence is a
    fail. The outcome's evidence comes back as (kind, id) pairs. (`run_checks` does the same inline: a city's
    evaluation runs it 115,000 times.)"""
    kind = REGISTRY[rule.check]
    try:
        status, message, missing, evidence = kind.run(
            facts, window, rule.typed_params if params is None else params
        )
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        return Outcome(status, message, missing, typed_evidence(kind, evidence) if evidence else NO_ITEMS)
    except Exception as exc:
        log.exception("compliance check %s failed for org %s", rule.id, facts.ref.code)
        return Outcome("fail", check_failed(exc))


def evaluate(orgs, *, year: int, as_of: dt.date | None = None, ruleset: Ruleset | None = None) -> Evaluation:
    """Every rule of the ruleset for every organisation of `orgs` (a queryset: the caller has applied the
    scope or subtree) of the types the rule applies to, for year Y as of D (default today). Results are in
    rule order, then organisation path order. Raises ValueError when D is before 1 January Y."""
    with gc_paused():  # millions of short-lived facts and ledger rows at municipal scale
        return _evaluate(orgs, year=year, as_of=as_of, ruleset=ruleset)


def _evaluate(orgs, *, year: int, as_of: dt.date | None, ruleset: Ruleset | None) -> Evaluation:
    ruleset = ruleset or load_ruleset()
    as_of = clamp_as_of(year, as_of or dt.date.today())
    facts = build_facts(
        rule_orgs(orgs, ruleset), year=year, as_of=as_of, extra=extra_needs(ruleset), rules=ruleset.rules
    )
    results, _todos = run_checks(facts, ruleset, year, as_of)
    return Evaluation(ruleset=ruleset, year=year, as_of=as_of, results=results)


class _MessagePool:
    """One Message for the equal messages of an evaluation whose parameters are all plain text or numbers: a city's
    115,000 results say about 19,000 different things (every organisation without a development case gets the same
    不适用), and each message is a few hundred bytes. Messages with fragments (lists of names) are left as they are:
    comparing them would cost more than it saves."""

    __slots__ = ("pool",)

    def __init__(self) -> None:
        self.pool: dict[tuple, Message] = {}

    def get(self, message: Message) -> Message:
        params = message.params
        for value in params.values():
            if type(value) not in PLAIN:
                return message
        key = (message.msgid, message.is_plural, *params.items())
        return self.pool.setdefault(key, message)


# organisations checked together before their facts are released (see run_checks)
CHUNK = 250


def run_checks(
    facts: list[OrgFacts], ruleset: Ruleset, year: int, as_of: dt.date, *, todo_on: dt.date | None = None
) -> tuple[list[Result], list[TodoItem] | None]:
    """Every applicable rule on every organisation's facts that has a window (D already clamped): the results in
    rule order, then in the order of `facts` (path order); with `todo_on`, also the 待办 of `todo_of` for that day
    (facts built for its year as of it).

    The organisations are taken `CHUNK` at a time, every rule over the chunk in turn (one check kind's code runs
    over many organisations in a row, which the interpreter and the processor run about 8 % faster than every rule
    on one organisation after another), and the chunk's facts are released once its results are made: `facts` is
    emptied. A city's facts (about 150 MB) are then freed while its results (about 60 MB) are made, which reuse
    their memory, instead of both being held at the end."""
    buckets: list[list[Result]] = [[] for _ in ruleset.rules]  # each rule's results
    rules = [
        (bucket, rule, REGISTRY[rule.check], rule.typed_params, frozenset(rule.applies_to))
        for bucket, rule in zip(buckets, ruleset.rules, strict=True)
    ]
    todos: list[TodoItem] = []
    todo_rules = _todo_rules(ruleset)
    shared = _MessagePool().get
    facts.reverse()  # popped from the end: in path order
    while facts:
        chunk = [facts.pop() for _ in range(min(CHUNK, len(facts)))]
        windows = [
            (org_facts, window)
            for org_facts in chunk
            if (window := window_for(year, as_of, org_facts.founded_on, org_facts.dissolved_on)) is not None
        ]
        for bucket, rule, kind, params, applies in rules:
            run = kind.run
            for org_facts, window in windows:
                ref = org_facts.ref
                if ref.type not in applies:
                    continue
                # run_check, inline (a city's evaluation runs it 115,000 times)
                try:
                    status, message, missing, evidence = run(org_facts, window, params)
                    if status not in STATUSES:
                        raise ValueError(f"unknown status {status!r}")
                    evidence = typed_evidence(kind, evidence) if evidence else NO_ITEMS
                except Exception as exc:
                    log.exception("compliance check %s failed for org %s", rule.id, ref.code)
                    status, message, missing, evidence = "fail", check_failed(exc), NO_ITEMS, []
                if type(message) is Message:
                    message = shared(message)
                bucket.append(
                    Result(rule, ref, status, list(missing) if missing else NO_ITEMS, evidence, message)
                )
        if todo_on is not None:
            for org_facts in chunk:
                todos.extend(_org_todo(org_facts, todo_rules, todo_on))
        del chunk, windows  # the chunk's facts go now, not with the list's last item
    results: list[Result] = []
    for bucket in buckets:
        results.extend(bucket)
    if todo_on is None:
        return results, None
    order = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    todos.sort(key=lambda i: (i.due_by, i.org.path, order[i.rule.id]))
    return results, todos


def _active_on(facts: OrgFacts, on: dt.date) -> bool:
    founded = facts.founded_on is None or facts.founded_on <= on
    return founded and (facts.dissolved_on is None or facts.dissolved_on > on)


def todo(orgs, *, on: dt.date | None = None, ruleset: Ruleset | None = None) -> list[TodoItem]:
    """本月/本季度待办: for each periodic rule, the month or quarter containing `on` when it has no
    qualifying record yet (due by the period's last day, or the 撤销日期 if earlier); for each annual rule
    not yet satisfied in `on`'s year, "YYYY" due by 31 December (or the 撤销日期). Only organisations
    active on `on`, and only rules that apply to them. Sorted by due date, organisation path, rule order.
    With the collector paused as for `evaluate` (the pages' live 待办 when the kept one is not of the day: the
    city's in about 1.0 s instead of 1.8–2.4 s)."""
    ruleset = ruleset or load_ruleset()
    on = on or dt.date.today()
    with gc_paused():
        facts = build_facts(
            rule_orgs(orgs, ruleset),
            year=on.year,
            as_of=on,
            extra=extra_needs(ruleset, for_todo=True),
            rules=ruleset.rules,
        )
        return todo_of(facts, ruleset, on)


def todo_of(facts: list[OrgFacts], ruleset: Ruleset, on: dt.date) -> list[TodoItem]:
    """The 待办 of `todo` from facts built for `on`'s year as of `on`."""
    items: list[TodoItem] = []
    order = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    rules = _todo_rules(ruleset)
    for org_facts in facts:
        items.extend(_org_todo(org_facts, rules, on))
    items.sort(key=lambda i: (i.due_by, i.org.path, order[i.rule.id]))
    return items


def _todo_rules(ruleset: Ruleset) -> list[tuple[Rule, Any, frozenset[str]]]:
    """(rule, its check kind's todo function, the types it applies to) of the rules with a 待办, in rule order."""
    found = []
    for rule in ruleset.rules:
        kind = REGISTRY[rule.check]
        if kind.todo is not None:
            found.append((rule, kind.todo, frozenset(rule.applies_to)))
    return found


def _org_todo(
    org_facts: OrgFacts, rules: list[tuple[Rule, Any, frozenset[str]]], on: dt.date
) -> list[TodoItem]:
    """One organisation's 待办 on `on`, in rule order (nothing when it is not active on `on`); `rules`: `_todo_rules`."""
    window = window_for(on.year, on, org_facts.founded_on, org_facts.dissolved_on)
    if window is None or not _active_on(org_facts, on):
        return []
    items: list[TodoItem] = []
    ref = org_facts.ref
    for rule, due, applies in rules:
        if ref.type not in applies:
            continue
        try:
            dues = due(org_facts, window, rule.typed_params, on)
        except Exception as exc:
            log.exception("compliance todo %s failed for org %s", rule.id, ref.code)
            dues = [_failed_due(on, exc)]
        items.extend(TodoItem(ref, rule, d.period, d.due_by, d.message) for d in dues)
    return items


def _failed_due(on: dt.date, exc: Exception):
    from dangjian.compliance.checks import Due

    return Due(str(on.year), on, check_failed(exc))
