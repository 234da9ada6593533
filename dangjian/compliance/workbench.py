"""The workbench (工作台): what an organisation must do, overdue first, from what is already recorded.

The engine defines the hooks; each domain app registers, from one module of its own (`<app>/workbench.py`,
imported by its `AppConfig.ready()`):

- a **category** (`register_category`): its key, label and place at the top of the page, the check kinds whose
  kept results belong to it (those of an area of work, `registry.register_area`: the overview groups its columns
  by the same areas), those whose missing periods are one item each (a missed 支委会 per month), and a
  link to the page where the category's open results are put right when the check kind has none of its own;
- **providers** (`register_provider`): items the kept results do not hold — this month's 党费 before the
  集中交纳日, a development step due soon, a transfer waiting for acceptance — read for a whole set of
  organisations in a fixed number of queries.

The engine turns the kept results (`compliance.kept`) into items itself: a failed result is overdue; a pending
one of a check kind without a 待办 function is due by the end of the year; the kept 待办 are due by the end of
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
            self.due or self.since or dt.date.max,
            CATEGORIES[self.category].order if self.category in CATEGORIES else 99,
            self.org.path,
            self.rule_id,
            self.period,
            self.title,
        )


# (rule, org ref of the kept row, status) → the page where an open result of the category is put right
CategoryLink = Callable[[Any, Any, str], Link | None]


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


def register_category(
    key: str,
    label: Any,
    *,
    order: int,
    area: str = "",
    per_period: Iterable[str] = (),
    link: CategoryLink | None = None,
) -> None:
    """A category of the work list; `area`: the area of work whose check kinds' kept results it shows (none:
    only its providers' items)."""
    if key in CATEGORIES:
        raise RuntimeError(f"workbench category {key!r} registered twice")
    if area and area in _BY_AREA:
        raise RuntimeError(f"area {area!r} shown by two workbench categories")
    category = Category(key, label, order, area, frozenset(per_period), link)
    CATEGORIES[key] = category
    if area:
        _BY_AREA[area] = category


def register_provider(name: str) -> Callable[[Provider], Provider]:
    def decorate(provider: Provider) -> Provider:
        if name in PROVIDERS and PROVIDERS[name] is not provider:
            raise RuntimeError(f"workbench provider {name!r} registered twice")
        PROVIDERS[name] = provider
        return provider

    return decorate


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


@dataclass(frozen=True)
class _Ref:
    """What a check kind's link function reads of an organisation."""

    id: int
    type: str
    name: str = ""
    path: str = ""


def _link(rule, ref: _Ref, status: str, category: Category | None) -> Link | None:
    kind = REGISTRY.get(rule.check)
    link = kind.link(rule, ref, status) if kind is not None and kind.link is not None else None
    if link is None and category is not None and category.link is not None:
        link = category.link(rule, ref, status)
    return link


def _per_period_kinds() -> set[str]:
    return {kind for c in CATEGORIES.values() for kind in c.per_period}


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
    queries. The links are the check kinds' own (or the category's): pages of the item's organisation, which its
    administrators open."""
    rules = {rule.id: rule for rule in ruleset.rules}
    ids = orgs.order_by().values("pk")
    todo_kinds = {name for name, kind in REGISTRY.items() if kind.todo is not None}
    rows = _open_results(ids, on=on, ruleset=ruleset, statuses=Q(status="fail") | Q(status="pending"))
    items: list[WorkItem] = []
    for year, org_id, name, path, org_type, rule_id, status, missing, message, since in rows.values_list(
        *_FIELDS
    ):
        rule = rules.get(rule_id)
        category = category_of(rule.check) if rule is not None else None
        if rule is None or category is None:
            continue
        if status == "pending" and rule.check in todo_kinds:
            continue  # its kept 待办 say what is due and by when
        ref = _Ref(org_id, org_type, name, path)
        org = OrgLabel(org_id, name, path, org_type)
        link = _link(rule, ref, status, category)
        if status == "fail" and rule.check in category.per_period and missing:
            # one item per missed period, which says what is missing: the year's message is not repeated
            for period in missing:
                end = _period_end(period)
                items.append(
                    WorkItem(category.key, rule.title, org, end, True, "", period, link, None, rule_id)
                )
            continue
        day = day_in(missing)
        due = day if status == "fail" else (day or dt.date(on.year, 12, 31))
        since_day = since if due is None else None
        text = messages.render(message)
        overdue = _overdue(status, day, on)
        period = str(year) if year != on.year else ""  # last year's: says so
        items.append(
            WorkItem(category.key, rule.title, org, due, overdue, text, period, link, since_day, rule_id)
        )
    todos = KeptTodo.objects.filter(version=ruleset.version, org__in=ids).values_list(
        "org_id", "org__name", "org__path", "org__type", "rule_id", "period", "due_by", "message"
    )
    for org_id, name, path, org_type, rule_id, period, due_by, message in todos:
        rule = rules.get(rule_id)
        category = category_of(rule.check) if rule is not None else None
        if rule is None or category is None:
            continue
        link = _link(rule, _Ref(org_id, org_type, name, path), "pending", category)
        org = OrgLabel(org_id, name, path, org_type)
        detail = messages.render(message)
        items.append(
            WorkItem(category.key, rule.title, org, due_by, due_by < on, detail, period, link, None, rule_id)
        )
    return items


def overdue_counts(orgs, *, on: dt.date, ruleset: Ruleset) -> dict[int, int]:
    """Organisation id → its overdue items as `kept_items` lists them (a failed result is one item, or one
    per missing period for the check kinds registered so; in the first months of a year the previous year's
    too), from the kept results alone: one query, whatever the number of organisations."""
    rules = {rule.id: rule for rule in ruleset.rules}
    per_period = _per_period_kinds()
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
