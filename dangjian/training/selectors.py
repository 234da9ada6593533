"""Shared reads for the training pages and commands, set-based: the organisations (one query), the
"training" facts (four queries, dangjian/training/facts.py) and the latest rulebook's TRAIN-* parameters;
the results come from the same pure functions as the compliance checks (dangjian/training/logic.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from dangjian.compliance.periods import clamp_as_of, window_for
from dangjian.core.perf import gc_paused
from dangjian.core.pinyin import name_key
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org, Post
from dangjian.training import logic
from dangjian.training.facts import load_training_facts, participations, platform_records
from dangjian.training.params import load_params
from dangjian.training.rules import LOGIC


@dataclass(frozen=True)
class TrainRule:
    id: str
    title: str
    check: str  # the check kind: train_secretary_annual | train_secretary_new | train_member_hours | …
    applies_to: frozenset[str]
    params: object


def train_rules() -> list[TrainRule]:
    """The TRAIN-* rules of the latest rulebook (the rules of the training check kinds), with their typed
    parameters."""
    from dangjian.compliance.rulebook import load_ruleset

    ruleset = load_ruleset()
    return [
        TrainRule(r.id, r.title, r.check, frozenset(r.applies_to), r.typed_params)
        for r in ruleset.rules
        if r.check in LOGIC
    ]


def hours_rule(rules: list[TrainRule], check: str = "train_member_hours") -> TrainRule | None:
    return next((r for r in rules if r.check == check), None)


def run_rule(rule: TrainRule, facts: logic.TrainingFacts, year: int, as_of: dt.date) -> logic.RuleResult:
    """The rule's result with its members' gaps, by the same logic as its check (`training.rules.LOGIC`)."""
    return LOGIC[rule.check](facts, year, as_of, rule.params)


@dataclass
class OrgTraining:
    org: Org
    facts: logic.TrainingFacts
    as_of: dt.date
    results: dict[str, logic.RuleResult] = field(default_factory=dict)  # rule id → result


@gc_paused()
def evaluate(
    orgs: QuerySet, *, year: int, as_of: dt.date, rules: list[TrainRule] | None = None
) -> list[OrgTraining]:
    """The TRAIN-* results of each organisation (in path order) with a window in year Y as of D. With the collector
    paused, as for the compliance evaluation (a city's: about 0.33 s of CPU instead of 0.72)."""
    rules = train_rules() if rules is None else rules
    as_of = clamp_as_of(year, as_of)
    org_list = list(orgs.order_by("path"))
    facts = load_training_facts(orgs.order_by().values("pk"), org_list, year, as_of)
    out = []
    for org in org_list:
        window = window_for(year, as_of, org.founded_on, org.dissolved_on)
        if window is None or window.closed:
            continue
        item = OrgTraining(org, facts[org.pk], window.as_of)
        for rule in rules:
            if org.type in rule.applies_to:
                item.results[rule.id] = run_rule(rule, item.facts, year, window.as_of)
        out.append(item)
    return out


# --- hours per member ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursLine:
    member_id: int
    name: str
    org: Org
    training: Decimal
    platform: Decimal
    target: Decimal

    @property
    def total(self) -> Decimal:
        return self.training + self.platform

    @property
    def met(self) -> bool:
        return self.total >= self.target


def hours_lines(items: list[OrgTraining], year: int, rule: TrainRule) -> list[HoursLine]:
    """Each member of the 党支部 among `items`, alphabetical within a branch (no ranking)."""
    params = load_params()
    lines = []
    for item in items:
        if item.org.type != OrgType.ZHIBU:
            continue
        for person in sorted(item.facts.members, key=lambda p: (name_key(p.name), p.name, p.member_id)):
            h = logic.member_hours(
                item.facts, person.member_id, year, item.as_of, rule.params.platforms, params
            )
            target = rule.params.target_for(person.joined_on, year)
            lines.append(HoursLine(person.member_id, person.name, item.org, h.training, h.platform, target))
    return lines


def branches_under(org: Org, user) -> QuerySet:
    """The 党支部 of `org`'s subtree that `user` may see (a grant without descendants: none below it)."""
    return Org.objects.visible_subtree(user, org).filter(type=OrgType.ZHIBU)


# --- the secretary's page ----------------------------------------------------------------------------------


@dataclass
class SecretaryView:
    org: Org
    item: OrgTraining | None
    my_results: list[tuple[TrainRule, logic.RuleResult, list[logic.Gap]]]
    my_trainings: list[logic.TrainingRow]
    my_hours: logic.Hours | None
    branch_lines: list[HoursLine]

    @property
    def branch_met(self) -> int:
        return sum(1 for line in self.branch_lines if line.met)

    @property
    def branch_average(self) -> Decimal:
        if not self.branch_lines:
            return Decimal(0)
        return sum((line.total for line in self.branch_lines), Decimal(0)) / len(self.branch_lines)


def secretary_views(member, *, year: int, as_of: dt.date) -> list[SecretaryView]:
    """One view per organisation where the member is 书记 on D: the organisation's term, the member's training
    this year and what the TRAIN-* rules say is missing for them, and the branch's hours (set-based)."""
    rules = train_rules()
    org_ids = Post.objects.current(as_of).filter(member=member, title="shuji").values("org_id")
    items = evaluate(Org.objects.filter(pk__in=org_ids), year=year, as_of=as_of, rules=rules)
    member_rule = hours_rule(rules)
    cadre_rule = hours_rule(rules, "train_cadre_hours")
    views = []
    for item in items:
        mine = []
        for rule in rules:
            result = item.results.get(rule.id)
            if result is None or rule.check == "train_member_hours":
                continue
            mine.append((rule, result, [g for g in result.gaps if g.member_id == member.pk]))
        trainings = [
            t
            for t in item.facts.trainings.get(member.pk, ())
            if dt.date(year, 1, 1) <= t.started_on <= item.as_of
        ]
        hours = None
        if cadre_rule is not None:
            hours = logic.member_hours(
                item.facts, member.pk, year, item.as_of, cadre_rule.params.platforms, load_params()
            )
        lines = hours_lines([item], year, member_rule) if member_rule else []
        views.append(SecretaryView(item.org, item, mine, trainings, hours, lines))
    return views


@dataclass
class OwnHours:
    trainings: list[logic.TrainingRow]
    hours: logic.Hours | None
    target: Decimal | None
    prorated: bool = False  # the target is the year's share from the month the member joined the Party

    @property
    def met(self) -> bool | None:
        if self.hours is None or self.target is None:
            return None
        return self.hours.total >= self.target

    @property
    def remaining(self) -> Decimal | None:
        """The hours still to reach the year's target (0 once reached), or None without a target."""
        if self.hours is None or self.target is None:
            return None
        return max(self.target - self.hours.total, Decimal(0))


def own_hours(member, *, year: int, as_of: dt.date) -> OwnHours:
    """A member's own trainings and hours of year Y, as TRAIN-MEMBER-HOURS counts them (two queries: their
    participations and their platform records; not their branch's whole roll)."""
    rules = train_rules()
    rule = hours_rule(rules)
    branch = member.org.parent if member.org.type == OrgType.XIAOZU and member.org.parent_id else member.org
    window = window_for(year, clamp_as_of(year, as_of), branch.founded_on, branch.dissolved_on)
    if window is None or window.closed:
        return OwnHours([], None, None)
    own = Q(member=member.pk)
    facts = logic.TrainingFacts(
        trainings=participations(own, year, window.as_of), study=platform_records(own, year)
    )
    trainings = [
        t for t in facts.trainings.get(member.pk, ()) if dt.date(year, 1, 1) <= t.started_on <= window.as_of
    ]
    if rule is None:
        return OwnHours(trainings, None, None)
    h = logic.member_hours(facts, member.pk, year, window.as_of, rule.params.platforms, load_params())
    target = rule.params.target_for(member.joined_on, year)
    return OwnHours(trainings, h, target, prorated=target != rule.params.target)
