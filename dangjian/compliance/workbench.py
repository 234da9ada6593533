"""The workbench (工作台): what an organisation must do, overdue first, from what is already recorded.

The engine defines the hooks; each domain app registers, from one module of its own (`<app>/workbench.py`,
imported by its `AppConfig.ready()`):

- a **category** (`register_category`): its key, label and place at the top of the page, the check kinds whose
  kept results belong to it (those of an area of work, `registry.register_area`: the overview groups its columns
  by the same areas), those whose missing periods are one item each (a missed 支委会 per month), and a
  link to the page where the category's open results are put right when the check kind has none of its own —
  or, when the link function reads the item (`ITEM_KEYWORDS`: the missed month, the result's missing entries,
  its year), before the check kind's, which sees the result only; optionally the day an item was due when the
  category knows it better than the engine (`due`: a missed month's 集中交纳日, a member's transfer six months
  after leaving), what the link and due functions need of all the category's items at once (`prepare`, read once
  per list: a fixed number of queries), and the check kinds whose missing entries are the days of meetings found
  at fault (`meeting_days`: a meeting short of its quorum), which are not deadlines;
- **providers** (`register_provider`): items the kept results do not hold — this month's 党费 before the
  集中交纳日, a development step due soon, a transfer waiting for acceptance — read for a whole set of
  organisations in a fixed number of queries.

The engine turns the kept results (`compliance.kept`) into items itself: a failed result is overdue, due on the
earliest day its missing entries name or, failing those, the deadline its message names (`deadline_in`: a term
ended without a 换届, a new secretary's training), or on the day its category gives (`due`); one of a
`meeting_days` kind is dated by the earliest meeting it names (`WorkItem.held_on`, the page says 召开于), overdue
from that day: what it found has happened, and stands until the record is put right; a failed result with none
of these days shows since when it has failed (`WorkItem.since`, 检查发现于). A pending one of a check kind without
a 待办 function is due by the end of the year (or by the deadline it names); the kept 待办 are due by the end of
their period. Nothing is evaluated here and nothing is asked of a branch.

In the first months of a year (`compliance.carryover`, rules/workbench.yaml) the previous year's missed work is
listed too, as its kept results (evaluated as of its 31 December) say: the missed months and quarters of the
check kinds whose periods are an item each, and the failed results of the rules whose obligation for the new year
is still open (pending in the new year: an annual 组织生活会, 谈心谈话 …), each labelled with its year. A state on
31 December that the new year judges again (a vacant post, a term overdue) is not carried: the new year's result
says whether it still fails.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance import carryover
from dangjian.compliance.checks import REGISTRY
from dangjian.compliance.models import KeptResult, KeptTodo
from dangjian.compliance.periods import month_of, quarter_of
from dangjian.compliance.registry import KIND_AREAS, Link
from dangjian.compliance.rulebook import Ruleset
from dangjian.core import messages

OVERDUE, DUE = "overdue", "due"


@dataclass(frozen=True)
class OrgLabel:
    """The organisation an item belongs to, as the page shows it."""

    id: int
    name: str
    path: str
    type: str = ""


@dataclass(frozen=True)
class WorkItem:
    category: str  # a registered category's key
    title: str  # what, in a few words ("每月召开支部委员会")
    org: OrgLabel
    due: dt.date | None  # the day it was (or is) due; None when the records give no day
    overdue: bool
    detail: str = ""  # the kept message or the provider's sentence
    period: str = ""  # "2026-05", "2026-Q2" or "2026" when the item is one period of a periodic rule
    link: Link | None = None  # the one button: the page that settles it (only pages the viewer may open)
    since: dt.date | None = None  # a failed result without a day of its own: since when it has failed
    rule_id: str = ""
    # a provider's item that is what a check kind's result asks of the organisation, said more precisely
    # ("上传某某的述职报告" for appraisal_annual's 未上传述职报告): the work list shows it instead of that rule's item
    stands_for: str = ""
    # a failed result of a `meeting_days` kind: the day of the (earliest) meeting it found at fault, which is not
    # a deadline (召开于, where a deadline says 截止)
    held_on: dt.date | None = None

    @property
    def period_label(self) -> str:
        """The period as the page says it: "2026年12月", "2026年第4季度", "2026年度" (in English "December 2026",
        "Q4 2026", "2026")."""
        return period_text(self.period)

    @property
    def category_label(self) -> str:
        found = CATEGORIES.get(self.category)
        return str(found.label) if found is not None else ""

    @property
    def sort_key(self) -> tuple:
        return (
            not self.overdue,
            self.due or self.held_on or self.since or dt.date.max,
            CATEGORIES[self.category].order if self.category in CATEGORIES else 99,
            self.org.path,
            self.rule_id,
            self.period,
            self.title,
        )


@dataclass(frozen=True)
class OrgRef:
    """What a category's (and a check kind's) link function reads of an organisation."""

    id: int
    type: str
    name: str = ""
    path: str = ""


@dataclass(frozen=True)
class OpenResult:
    """A kept result or 待办 on the work list, as a category's `prepare` reads all of its own at once."""

    rule: Any  # rulebook.Rule
    org: OrgRef
    status: str  # "fail" or "pending" (a 待办: "pending")
    year: int  # the result's year: the previous one for last year's missed work (compliance.carryover)
    missing: tuple[str, ...] = ()  # the result's missing entries (none for a 待办)
    period: str = ""  # a 待办's period


# What the engine tells a category's link and due functions of the item, as keyword arguments after (rule, org ref,
# status): a function takes those it names (all of them with **kwargs), so that one of (rule, org, status) alone is
# called as it always was.
# - period: the missed month or quarter of a per-period item ("2026-05", "2026-Q2"), a 待办's period; "" for an
#   item that stands for a whole result
# - missing: the result's missing entries (all of them, for each of its per-period items; none for a 待办)
# - year: the result's year (the previous year's for last year's missed work)
# - prepared: what the category's `prepare` returned for this list (None without one)
ITEM_KEYWORDS = frozenset({"period", "missing", "year", "prepared"})

# (rule, org ref, status, **the item keywords it names) → the page where the item is put right, or None
CategoryLink = Callable[..., Link | None]
# (rule, org ref, status, **the item keywords it names) → the day the item was (or is) due, or None: the engine's
CategoryDue = Callable[..., dt.date | None]
# (the category's open results on this list, on) → what its link and due functions read (`prepared`), in a fixed
# number of queries whatever the number of results
Prepare = Callable[[list[OpenResult], dt.date], Any]


def item_keywords(fn: Callable[..., Any] | None) -> frozenset[str]:
    """The item keywords `fn` takes: those it names, all of them when it takes **kwargs, none for a function of
    (rule, org, status) alone."""
    if fn is None:
        return frozenset()
    parameters = inspect.signature(fn).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return ITEM_KEYWORDS
    named = {p.name for p in parameters if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return ITEM_KEYWORDS & named


@dataclass(frozen=True)
class Category:
    key: str
    label: Any  # lazy text
    order: int
    # the area of work (registry.register_area) whose check kinds' kept results belong here: the overview's
    # column group and the work list's category place the kinds once, where the owning app declares them
    area: str = ""
    per_period: frozenset[str] = frozenset()  # check kinds whose missing periods are an item each
    link: CategoryLink | None = None
    due: CategoryDue | None = None
    prepare: Prepare | None = None
    link_keywords: frozenset[str] = frozenset()  # item_keywords(link): it reads the item when not empty
    due_keywords: frozenset[str] = frozenset()
    # check kinds whose missing entries are the days of meetings found at fault (held short of the quorum, chaired
    # by another): dated by the meeting (`WorkItem.held_on`), not due on it
    meeting_days: frozenset[str] = frozenset()


CATEGORIES: dict[str, Category] = {}
_BY_AREA: dict[str, Category] = {}


def category_of(kind: str) -> Category | None:
    """The category of a check kind's kept results: the one showing the kind's area (None: not on the work list)."""
    area = KIND_AREAS.get(kind)
    return _BY_AREA.get(area) if area else None


# (user, org, on) → the items of the organisations the user administers (within `org`'s subtree when given),
# in a fixed number of queries whatever their number. Links lead only to pages the user may open.
Provider = Callable[[Any, Any, dt.date], list[WorkItem]]
PROVIDERS: dict[str, Provider] = {}
# (user, roots, on) → the decisions awaiting the higher organisations among `roots` (ids of the organisations whose
# own items are listed: the 党委/工委 the user administers as such, or the one a drill-down opens): the items a provider names after the 党委 that approves them (a 发展党员 step it approves, an
# election's result). A 党委's home page lists them with its own items, so that its administrator sees what waits
# for them without opening each branch. Cheap: one query when there is nothing.
Decisions = Callable[[Any, list[int], dt.date], list[WorkItem]]
DECISIONS: dict[str, Decisions] = {}


def register_category(
    key: str,
    label: Any,
    *,
    order: int,
    area: str = "",
    per_period: Iterable[str] = (),
    link: CategoryLink | None = None,
    due: CategoryDue | None = None,
    prepare: Prepare | None = None,
    meeting_days: Iterable[str] = (),
) -> None:
    """A category of the work list; `area`: the area of work whose check kinds' kept results it shows (none:
    only its providers' items).

    `link(rule, org, status)` gives the page where an item is put right when its check kind has no link of its
    own. A link function that also takes item keywords (`ITEM_KEYWORDS`: `period`, `missing`, `year`, `prepared`)
    reads the item, so it knows more than the check kind's link, which sees the result only: it is asked first,
    and the kind's link is used when it returns None. `due(rule, org, status, **keywords)` gives the day a result's
    item was due when the category knows it better than the engine (None: the engine's day; the kept 待办 keep
    theirs). `prepare(results, on)` reads, once per list, what they need of all the category's open results
    (the members of each branch without a base …), passed to them as `prepared`. `meeting_days`: the check kinds
    whose missing entries are the days meetings were held (short of their quorum …): a failed result's item says
    when the (earliest) meeting was held instead of a deadline, and is overdue from that day on."""
    if key in CATEGORIES:
        raise RuntimeError(f"workbench category {key!r} registered twice")
    if area and area in _BY_AREA:
        raise RuntimeError(f"area {area!r} shown by two workbench categories")
    category = Category(
        key,
        label,
        order,
        area,
        frozenset(per_period),
        link,
        due,
        prepare,
        item_keywords(link),
        item_keywords(due),
        frozenset(meeting_days),
    )
    CATEGORIES[key] = category
    if area:
        _BY_AREA[area] = category


def _registrar(registry: dict[str, Any], what: str, name: str) -> Callable[[Any], Any]:
    """A decorator putting a function into `registry` under `name`; a second function under the same name is a
    mistake (two apps registering one name), refused at start-up."""

    def decorate(function):
        if name in registry and registry[name] is not function:
            raise RuntimeError(f"workbench {what} {name!r} registered twice")
        registry[name] = function
        return function

    return decorate


def register_provider(name: str) -> Callable[[Provider], Provider]:
    return _registrar(PROVIDERS, "provider", name)


def register_decisions(name: str) -> Callable[[Decisions], Decisions]:
    return _registrar(DECISIONS, "decisions", name)


def categories() -> list[Category]:
    return sorted(CATEGORIES.values(), key=lambda c: c.order)


# --- from the kept results ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(\d{2})))?$")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _period_end(period: str) -> dt.date | None:
    """The last day of "2026", "2026-Q2" or "2026-05"; None for anything else."""
    found = _PERIOD.match(period)
    if found is None:
        return None
    year, quarter, month = found.groups()
    if quarter:
        return quarter_of(dt.date(int(year), 3 * int(quarter), 1)).end
    if month:
        if not 1 <= int(month) <= 12:
            return None
        return month_of(dt.date(int(year), int(month), 1)).end
    return dt.date(int(year), 12, 31)


def period_text(period: str) -> str:
    """A period label ("2026-12", "2026-Q4", "2026") in words of the active language; anything else as it is."""
    found = _PERIOD.match(period)
    if found is None:
        return period
    year, quarter, month = found.groups()
    if quarter:
        return _("%(year)s年第%(quarter)s季度") % {"year": year, "quarter": quarter}
    if month:
        if not 1 <= int(month) <= 12:
            return period
        return date_format(dt.date(int(year), int(month), 1), "YEAR_MONTH_FORMAT")
    return _("%(year)s年度") % {"year": year}


def day_in(texts: Iterable[str]) -> dt.date | None:
    """The earliest day named in a result's missing entries: a period's last day ("2026-Q1"), or a day
    written in the entry ("周静怡（应于2026-11-06前考察）")."""
    days = []
    for text in texts:
        end = _period_end(text)
        if end is not None:
            days.append(end)
            continue
        for found in _DAY.findall(text):
            try:
                days.append(dt.date.fromisoformat(found))
            except ValueError:
                continue
    return min(days, default=None)


# The parameters of a kept message that name the day by which something was due: any `deadline`, wherever it is in
# the message (a message's details list one fragment per member: a new secretary's 集中培训, "%(deadline)s前"), and,
# per check kind, the parameter of its top-level message that does: the term end of a term ended without a 换届,
# as the engine's term_on_time and elections' term_on_time_adjusted word it (with an approved adjustment, the
# latter's day is the result's missing entry, read first). Keyed by the kind and the parameter's name, never by the
# message's wording (its msgid), so that a reworded message keeps its deadline.
DEADLINE = "deadline"
DEADLINE_PARAMS: dict[str, str] = {"term_on_time": "end", "term_on_time_adjusted": "end"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def deadline_in(message: Any, kind: str = "") -> dt.date | None:
    """The earliest deadline a kept message (its stored JSON, `core.messages`) of a result of check kind `kind`
    names as a parameter (`DEADLINE`, anywhere in it; the kind's `DEADLINE_PARAMS`, at its top level); None for a
    message that names none, or a plain text."""
    days: list[dt.date] = []

    def read(value: Any, named: str) -> None:
        if not isinstance(value, dict):
            return
        if "j" in value:  # a Join
            for part in value["j"]:
                read(part, DEADLINE)
            return
        for name, param in (value.get("p") or {}).items():
            if name in (named, DEADLINE) and isinstance(param, str) and _ISO_DAY.fullmatch(param):
                try:
                    days.append(dt.date.fromisoformat(param))
                except ValueError:
                    continue
            else:
                read(param, DEADLINE)

    read(message, DEADLINE_PARAMS.get(kind, DEADLINE))
    return min(days, default=None)


def _overdue(status: str, day: dt.date | None, on: dt.date) -> bool:
    """A failed result is overdue, unless the day it names is still ahead (a 换届 due in four months fails
    ORG-TERM-REMINDER: it is due, not late)."""
    return status == "fail" and (day is None or day < on)


_FIELDS = (
    "year",
    "org_id",
    "org__name",
    "org__path",
    "org__type",
    "rule_id",
    "status",
    "missing",
    "message",
    "since",
)


def _link(category: Category, result: OpenResult, keywords: dict[str, Any]) -> Link | None:
    """The item's one button: the category's link first when it reads the item (it knows the month concerned),
    then the check kind's own, then a category link of (rule, org, status) alone."""
    rule, ref, status = result.rule, result.org, result.status
    reads = category.link is not None and bool(category.link_keywords)
    if reads:
        assert category.link is not None
        link = category.link(rule, ref, status, **{k: keywords[k] for k in category.link_keywords})
        if link is not None:
            return link
    kind = REGISTRY.get(rule.check)
    if kind is not None and kind.link is not None:
        link = kind.link(rule, ref, status)
        if link is not None:
            return link
    if category.link is not None and not reads:
        return category.link(rule, ref, status)
    return None


def _due(
    category: Category, result: OpenResult, keywords: dict[str, Any], day: dt.date | None
) -> dt.date | None:
    """The day the category gives the item (its `due`), or the engine's `day`."""
    if category.due is None:
        return day
    found = category.due(
        result.rule, result.org, result.status, **{k: keywords[k] for k in category.due_keywords}
    )
    return found if found is not None else day


def _per_period_kinds() -> set[str]:
    return {kind for c in CATEGORIES.values() for kind in c.per_period}


def _meeting_day_kinds() -> set[str]:
    return {kind for c in CATEGORIES.values() for kind in c.meeting_days}


def _open_results(ids, *, on: dt.date, ruleset: Ruleset, statuses: Q):
    """The kept results of `on`'s year with `statuses` and, in the first months of a year, the previous year's
    failures still to be put right: those of the per-period kinds (their missed months and quarters), and those
    of rules whose result in the new year is pending (an obligation of each year, still open: last year's is
    another one). One query: the new year's pending rows are looked up in the database, not fetched."""
    rows = KeptResult.objects.filter(version=ruleset.version, org__in=ids)
    this_year = Q(year=on.year) & statuses
    if not carryover.previous_year_open(on):
        return rows.filter(this_year)
    per_period = _per_period_kinds()
    periodic = [rule.id for rule in ruleset.rules if rule.check in per_period]
    still_open = KeptResult.objects.filter(
        version=ruleset.version,
        year=on.year,
        org_id=OuterRef("org_id"),
        rule_id=OuterRef("rule_id"),
        status="pending",
    )
    carried = Q(year=on.year - 1, status="fail") & (Q(rule_id__in=periodic) | Q(Exists(still_open)))
    return rows.filter(this_year | carried)


def kept_items(orgs, *, on: dt.date, ruleset: Ruleset) -> list[WorkItem]:
    """The items of `orgs` (a queryset of organisations the viewer administers) from the kept results of `on`'s
    year (in its first months also the previous year's missed work, see `_open_results`) and the kept 待办: two
    queries, and those of the categories' `prepare` (each once, for all its results). The links are the
    categories' and the check kinds' (`_link`): pages of the item's organisation, which its administrators open."""
    rules = {rule.id: rule for rule in ruleset.rules}
    ids = orgs.order_by().values("pk")
    todo_kinds = {name for name, kind in REGISTRY.items() if kind.todo is not None}
    rows = _open_results(ids, on=on, ruleset=ruleset, statuses=Q(status="fail") | Q(status="pending"))
    # (category, result, kept message, since, a 待办's due day): all read before any item is made, so that each
    # category prepares what its link and due functions read once, for all its results
    found: list[tuple[Category, OpenResult, Any, dt.date | None, dt.date | None]] = []
    for year, org_id, name, path, org_type, rule_id, status, missing, message, since in rows.values_list(
        *_FIELDS
    ):
        rule = rules.get(rule_id)
        category = category_of(rule.check) if rule is not None else None
        if rule is None or category is None:
            continue
        if status == "pending" and rule.check in todo_kinds:
            continue  # its kept 待办 say what is due and by when
        ref = OrgRef(org_id, org_type, name, path)
        found.append((category, OpenResult(rule, ref, status, year, tuple(missing)), message, since, None))
    todos = KeptTodo.objects.filter(version=ruleset.version, org__in=ids).values_list(
        "org_id", "org__name", "org__path", "org__type", "rule_id", "period", "due_by", "message"
    )
    for org_id, name, path, org_type, rule_id, period, due_by, message in todos:
        rule = rules.get(rule_id)
        category = category_of(rule.check) if rule is not None else None
        if rule is None or category is None:
            continue
        year = int(period[:4]) if period[:4].isdigit() else on.year
        result = OpenResult(rule, OrgRef(org_id, org_type, name, path), "pending", year, (), period)
        found.append((category, result, message, None, due_by))
    grouped: dict[str, tuple[Category, list[OpenResult]]] = {}
    for category, result, *_rest in found:
        grouped.setdefault(category.key, (category, []))[1].append(result)
    prepared = {key: c.prepare(listed, on) for key, (c, listed) in grouped.items() if c.prepare is not None}
    items: list[WorkItem] = []
    for category, result, message, since, todo_due in found:
        rule, ref, status, missing = result.rule, result.org, result.status, result.missing
        org = OrgLabel(ref.id, ref.name, ref.path, ref.type)
        keywords = {"missing": missing, "year": result.year, "prepared": prepared.get(category.key)}
        if todo_due is not None:  # a kept 待办: due by the day it says
            link = _link(category, result, keywords | {"period": result.period})
            detail = messages.render(message)
            items.append(
                WorkItem(
                    category.key,
                    rule.title,
                    org,
                    todo_due,
                    todo_due < on,
                    detail,
                    result.period,
                    link,
                    None,
                    rule.id,
                )
            )
            continue
        if status == "fail" and rule.check in category.per_period and missing:
            # one item per missed period, which says what is missing: the year's message is not repeated; its link
            # is the result's unless the category's reads the period
            reads_period = "period" in category.link_keywords
            link = None if reads_period else _link(category, result, keywords | {"period": ""})
            for period in missing:
                each = keywords | {"period": period}
                if reads_period:
                    link = _link(category, result, each)
                end = _due(category, result, each, _period_end(period))
                items.append(
                    WorkItem(category.key, rule.title, org, end, True, "", period, link, None, rule.id)
                )
            continue
        keywords["period"] = ""
        day = day_in(missing)
        held = None
        if rule.check in category.meeting_days:  # the days meetings were held, not deadlines
            held, day = day, None
        deadline = day if day is not None else deadline_in(message, rule.check)
        due = _due(
            category,
            result,
            keywords,
            deadline if status == "fail" else (deadline or dt.date(on.year, 12, 31)),
        )
        since_day = since if due is None and held is None else None
        text = messages.render(message)
        overdue = _overdue(status, day, on)  # as overdue_counts reads it, from the missing entries alone
        period = str(result.year) if result.year != on.year else ""  # last year's: says so
        link = _link(category, result, keywords)
        items.append(
            WorkItem(
                category.key,
                rule.title,
                org,
                due,
                overdue,
                text,
                period,
                link,
                since_day,
                rule.id,
                held_on=held if due is None else None,
            )
        )
    return items


def overdue_counts(orgs, *, on: dt.date, ruleset: Ruleset) -> dict[int, int]:
    """Organisation id → its overdue items as `kept_items` lists them (a failed result is one item, or one
    per missing period for the check kinds registered so; in the first months of a year the previous year's
    too), from the kept results alone: one query, whatever the number of organisations."""
    rules = {rule.id: rule for rule in ruleset.rules}
    per_period, meeting_days = _per_period_kinds(), _meeting_day_kinds()
    counts: dict[int, int] = {}
    ids = orgs.order_by().values("pk")
    rows = _open_results(ids, on=on, ruleset=ruleset, statuses=Q(status="fail")).values_list(
        "org_id", "rule_id", "missing"
    )
    for org_id, rule_id, missing in rows:
        rule = rules.get(rule_id)
        if rule is None or category_of(rule.check) is None:
            continue
        if rule.check in per_period and missing:
            n = len(missing)
        elif rule.check in meeting_days:  # what it found stands from the day the meeting was held
            n = 1
        else:
            n = int(_overdue("fail", day_in(missing), on))
        if n:
            counts[org_id] = counts.get(org_id, 0) + n
    return counts


@dataclass
class CategoryCount:
    category: Category
    overdue: int = 0
    due: int = 0

    @property
    def total(self) -> int:
        return self.overdue + self.due


@dataclass
class WorkList:
    items: list[WorkItem] = field(default_factory=list)

    def sorted(self) -> WorkList:
        self.items.sort(key=lambda i: i.sort_key)
        return self

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.items if i.overdue)

    def only(self, category: str) -> list[WorkItem]:
        """The items of one category (all of them for an unknown or empty key)."""
        if category not in CATEGORIES:
            return self.items
        return [i for i in self.items if i.category == category]

    def counts(self) -> list[CategoryCount]:
        """Items per category, in the categories' order (every category, empty ones too)."""
        found = {c.key: CategoryCount(c) for c in categories()}
        for item in self.items:
            entry = found.get(item.category)
            if entry is None:
                continue
            if item.overdue:
                entry.overdue += 1
            else:
                entry.due += 1
        return list(found.values())


# The engine's own check kinds (the organisation's state, compliance.checks.state).
register_category("orgs", _l("组织设置"), order=80, area="org")
