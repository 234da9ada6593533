"""The engine's registries: what a domain app plugs into the compliance engine.

The engine defines the hooks; each domain app brings the implementations from one module of its own
(`<app>/rules.py`), imported by its `AppConfig.ready()`. The engine never imports a domain app.

- check kinds (`register`): a name, a typed parameter model (pydantic, extra keys forbidden, strict types),
  a pure function over an organisation's facts and window, and optionally a `todo` function (what is still
  due in the period containing a day), a `validate_rule` hook (parameters that depend on the rule), the
  fact providers it reads, the kind of records its evidence ids name, a label for the rulebook page and a
  `link` (where a failing result is put right: "去录入", "任命职务" …);
- fact providers (`register_facts`, in facts.py): set-based loaders of the facts a domain's checks read;
- evidence resolvers (`register_evidence`): turn (kind, id) into what a viewer may see of the record,
  through the viewer's scope;
- labels (`register_param_labels`, `register_value_labels`, `register_short_titles`) for the pages, and the
  area of work each check kind belongs to (`register_area`: the overview's column groups).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, NamedTuple

from django.db import models
from pydantic import AfterValidator, BaseModel, ConfigDict

from dangjian.core.messages import Join, Message
from dangjian.orgs.choices import OrgType, PostTitle, chinese_label

STATUSES = ("pass", "fail", "pending", "not_applicable")


class EvidenceRef(NamedTuple):
    """A record a result rests on: its kind (registered by the owning app) and its id."""

    kind: str
    id: int


class _NoItems(list):
    """The one empty list shared by every outcome and result without missing periods or without evidence (a city's
    evaluation has 100,000 and 90,000 of them: 14 MB of empty lists otherwise). Equal to [] and, being shared,
    unchangeable."""

    __slots__ = ()

    def _shared(self, *args, **kwargs):
        raise TypeError("a result's empty list is shared: make a new list to change it")

    append = extend = insert = remove = pop = clear = sort = reverse = _shared
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _shared


NO_ITEMS: list = _NoItems()


class Outcome(NamedTuple):
    """What a check says of one organisation. A tuple (made in a third of the time of a frozen dataclass: a city's
    evaluation makes 115,000), its lists empty and shared unless given."""

    status: str
    # rendered in the viewer's language when shown (core.messages); a plain str is shown as it is
    message: Message | str
    missing: list[str] = NO_ITEMS
    # ids of the records the result rests on, of the check kind's evidence kind (or EvidenceRef items)
    evidence: list[Any] = NO_ITEMS


@dataclass(frozen=True)
class Due:
    """Something still to be done: `period` ("2026-05", "2026-Q2" or "2026") by `due_by`."""

    period: str
    due_by: dt.date
    message: Message | str


class Link(NamedTuple):
    """Where a result is acted on: a URL and its button text."""

    url: str
    label: str
    primary: bool = False  # the main action ("去录入"), shown as the filled button


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


RunFn = Callable[[Any, Any, Any], Outcome]  # (OrgFacts, Window, params) → Outcome
TodoFn = Callable[[Any, Any, Any, dt.date], list[Due]]
RuleHook = Callable[[list[str], Any], None]
LinkFn = Callable[[Any, Any, str], Link | None]  # (Rule, OrgRef, status) → Link or None


@dataclass(frozen=True)
class CheckKind:
    name: str
    params: type[Params]
    run: RunFn
    todo: TodoFn | None = None
    validate_rule: RuleHook | None = None
    facts: frozenset[str] = frozenset()  # fact providers the check reads (facts.register_facts)
    evidence: str = ""  # the kind of the record ids in Outcome.evidence
    label: Any = ""  # shown on the rulebook page
    link: LinkFn | None = None


REGISTRY: dict[str, CheckKind] = {}


def register(
    name: str,
    params: type[Params],
    *,
    todo: TodoFn | None = None,
    validate_rule: RuleHook | None = None,
    facts: Iterable[str] = (),
    evidence: str = "",
    label: Any = "",
    link: LinkFn | None = None,
) -> Callable[[RunFn], RunFn]:
    """Registers a check kind. `facts` names the fact providers whose data the check reads from
    `OrgFacts.extra`: the evaluator loads only the providers its ruleset's checks need."""

    def decorate(run: RunFn) -> RunFn:
        if name in REGISTRY:
            raise RuntimeError(f"check {name!r} registered twice")
        REGISTRY[name] = CheckKind(
            name, params, run, todo, validate_rule, frozenset(facts), evidence, label or name, link
        )
        return run

    return decorate


# --- evidence -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    """What a viewer sees of one record a result rests on. A record outside the viewer's scope is shown
    by its date only (`visible` False): no title, no organisation, no link."""

    ref: EvidenceRef
    date: dt.date | None
    text: str = ""
    org_name: str = ""
    url: str = ""
    visible: bool = True


# (user, ids) → {id: EvidenceItem}; a resolver reads the records through the user's scope, in a fixed
# number of queries whatever the number of ids.
EvidenceResolver = Callable[[Any, list[int]], Mapping[int, EvidenceItem]]
EVIDENCE_RESOLVERS: dict[str, EvidenceResolver] = {}


def register_evidence(kind: str) -> Callable[[EvidenceResolver], EvidenceResolver]:
    def decorate(resolver: EvidenceResolver) -> EvidenceResolver:
        if kind in EVIDENCE_RESOLVERS and EVIDENCE_RESOLVERS[kind] is not resolver:
            raise RuntimeError(f"evidence kind {kind!r} registered twice")
        EVIDENCE_RESOLVERS[kind] = resolver
        return resolver

    return decorate


def typed_evidence(kind: CheckKind, evidence: Iterable[Any]) -> list[EvidenceRef]:
    """The outcome's evidence as (kind, id) pairs: plain ids are of the check kind's evidence kind."""
    refs = []
    default = kind.evidence
    new, ref = tuple.__new__, EvidenceRef
    for item in evidence:
        if type(item) is int and default:  # the common case, first (a city's evaluation types millions)
            refs.append(new(ref, (default, item)))  # without NamedTuple's keyword-handling constructor
        elif isinstance(item, EvidenceRef):
            refs.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            refs.append(EvidenceRef(str(item[0]), int(item[1])))
        else:
            if not kind.evidence:
                raise ValueError(f"check {kind.name!r} gives evidence ids but declares no evidence kind")
            refs.append(EvidenceRef(kind.evidence, int(item)))
    return refs


# --- labels for the pages -------------------------------------------------------------------------------

PARAM_LABELS: dict[str, Any] = {}
VALUE_LABELS: dict[str, Callable[[Any], str]] = {}
SHORT_TITLES: dict[str, Any] = {}


def register_param_labels(labels: Mapping[str, Any]) -> None:
    """Parameter key → its label on the rulebook page."""
    PARAM_LABELS.update(labels)


def register_value_labels(key: str, labeler: Callable[[Any], str] | Mapping[str, Any]) -> None:
    """How a parameter's value is shown: a function of the value, or a mapping value → label."""
    if isinstance(labeler, Mapping):
        mapping = dict(labeler)
        VALUE_LABELS[key] = lambda value: str(mapping.get(value, value))
    else:
        VALUE_LABELS[key] = labeler


def register_short_titles(titles: Mapping[str, Any]) -> None:
    """Rule id → the short column heading of the overview (a rule without one shows its title)."""
    SHORT_TITLES.update(titles)


# --- areas of work: the overview groups its columns by them ------------------------------------------


@dataclass(frozen=True)
class Area:
    """An area of the party's work (组织设置, 三会一课, 党费 …): the overview shows the rules of its check kinds
    together, under its label, areas in `order`."""

    key: str
    label: Any
    order: int


AREAS: dict[str, Area] = {}
KIND_AREAS: dict[str, str] = {}  # check kind → area key
OTHER_AREA = Area("", "", 10_000)  # the kinds no app placed in an area: last, without a heading


def register_area(key: str, label: Any, *, order: int, kinds: Iterable[str]) -> None:
    """Places check kinds in an area of work, declared by the app that owns them (several modules of one
    app may register the same area with the same label and order)."""
    area = Area(key, label, order)
    known = AREAS.setdefault(key, area)
    if (str(known.label), known.order) != (str(label), order):
        raise RuntimeError(f"area {key!r} registered twice with different labels or orders")
    for kind in kinds:
        if KIND_AREAS.setdefault(kind, key) != key:
            raise RuntimeError(f"check {kind!r} placed in two areas")


def area_of(kind: str) -> Area:
    return AREAS.get(KIND_AREAS.get(kind, ""), OTHER_AREA)


# --- helpers shared by the checks -----------------------------------------------------------------------


def one_of(choices, what: str):
    def check(value: str) -> str:
        if value not in choices.values:
            allowed = "、".join(f"{v}（{chinese_label(choices, v)}）" for v in choices.values)
            raise ValueError(f"未知的{what}“{value}”，应为：{allowed}")
        return value

    return check


OrgTypeName = Annotated[str, AfterValidator(one_of(OrgType, "组织类型"))]
PostTitleName = Annotated[str, AfterValidator(one_of(PostTitle, "党内职务"))]


@lru_cache(maxsize=256)
def choice_label(choices: type[models.TextChoices], value: str) -> Message:
    """A choice's label as a fragment of a message: its msgid is the Chinese label, so it is shown as the
    choice's lazy label is, in the viewer's language."""
    return Message(chinese_label(choices, value))


def title_name(title: str) -> Message:
    """A post title (书记 …) as a fragment of a message."""
    return choice_label(PostTitle, title)


@lru_cache(maxsize=4096)  # every message of a city-wide evaluation formats a few hundred distinct dates
def iso(day: dt.date) -> str:
    return day.strftime("%Y-%m-%d")


@lru_cache(maxsize=64)
def month_count(n: int) -> Message:
    """ "6个月" ("6 months") as a fragment of a message."""
    return Message.plural("%(n)s个月", n=n)


def some_names(names: list[str], shown: int = 10) -> Message | Join:
    """ "甲、乙、丙", or the first `shown` names and "等N人" when there are more."""
    first = Join(names[:shown])
    return Message("%(names)s等%(n)s人", names=first, n=len(names)) if len(names) > shown else first


def dissolved(window) -> Outcome:
    return Outcome("not_applicable", Message("不适用：该组织已于%(day)s撤销。", day=iso(window.dissolved_on)))


def unmet_this_year(
    window, state: Message, fail: Message, evidence: list, *, may_wait: bool = True
) -> Outcome:
    """An annual requirement not met (yet), `state` saying where it stands: pending until the year's end while it
    may still be done (`may_wait`) in an organisation not dissolved; not applicable for one dissolved before the
    year's end; else `fail`, the year missing."""
    if may_wait and not window.closed and window.as_of < window.year_end:
        return Outcome(
            "pending",
            Message("待完成：%(state)s（截至%(day)s），应于年底前完成。", state=state, day=iso(window.as_of)),
            [],
            evidence,
        )
    if window.dissolved_on is not None and window.closed and window.dissolved_on < window.year_end:
        return Outcome(
            "not_applicable",
            Message("不适用：该组织已于%(day)s撤销。", day=iso(window.dissolved_on)),
            [],
            evidence,
        )
    return Outcome("fail", fail, [str(window.year)], evidence)
