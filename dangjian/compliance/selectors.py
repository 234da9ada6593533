"""Reads for the compliance pages: the organisations in scope, the roll-up of one evaluation per 单位
(done in Python over the results: the evaluation is run once per request), one organisation's results
with the records that satisfied them, and the rulebook laid out for reading.

单位: organisations are grouped by their 所在单位 (a unit's 党组 and 机关党委 with everything below them);
an organisation without one is grouped under its ancestor directly below the 工委 (the depth-2
organisation of its path), with the key "@<that ancestor's path>"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.http import Http404
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance.evaluator import Evaluation, Result
from dangjian.compliance.kept import History, unit_filter, unit_key
from dangjian.compliance.plain import plain_basis, plain_note
from dangjian.compliance.registry import (
    EVIDENCE_RESOLVERS,
    OTHER_AREA,
    PARAM_LABELS,
    REGISTRY,
    SHORT_TITLES,
    VALUE_LABELS,
    Area,
    EvidenceItem,
    Link,
    area_of,
)
from dangjian.compliance.rulebook import Rule, Ruleset
from dangjian.orgs.choices import OrgType, PostTitle, chinese_label
from dangjian.orgs.models import Org

STATUS_ORDER = {"fail": 0, "pending": 1, "pass": 2, "not_applicable": 3}
OPEN_STATUSES = frozenset({"fail", "pending"})  # what "只看不符合" lists: not met, or not yet decided
SEVERITY_TEXT = {"required": _l("必须"), "advisory": _l("建议")}
STATUS_TEXT = {
    "pass": _l("符合"),
    "fail": _l("不符合"),
    "pending": _l("待定"),
    "not_applicable": _l("不适用"),
}

# Organisations shown row by row without asking, when the scope spans several 单位.
INLINE_ORGS = 40


def clause_parts(text: str, key_sentence: str) -> tuple[str, str, str, str]:
    """The clause's heading (up to its first 。) and the rest split around the rule's key sentence (to
    highlight it): (heading, before, key sentence, after); the key sentence is "" when not found."""
    cut = text.find("。") + 1
    heading, rest = text[:cut], text[cut:]
    at = rest.find(key_sentence) if key_sentence else -1
    if at < 0:
        return heading, rest, "", ""
    return heading, rest[:at], key_sentence, rest[at + len(key_sentence) :]


def short_title(rule: Rule) -> str:
    return str(SHORT_TITLES.get(rule.id, rule.title))


# --- scope ------------------------------------------------------------------------------------------


def scoped_orgs(user, *, org_pk: int | None = None, unit: str = "") -> tuple[QuerySet, Org | None]:
    """The visible organisations to evaluate: all of them, or one visible organisation's subtree (an
    invisible or unknown `org_pk` is a 404), optionally one 单位 of them (a 单位 with no organisation there is a
    404 too, not an empty table under its name)."""
    qs = Org.objects.visible_to(user)
    root = None
    if org_pk is not None:
        root = qs.filter(pk=org_pk).first()
        if root is None:
            raise Http404(_("该组织不存在或不在您的管理范围内。"))
        qs = qs.filter(path__startswith=root.path)
    if unit:
        qs = qs.filter(unit_filter(unit))
        if not qs.exists():
            raise Http404(_("该单位不存在或不在您的管理范围内。"))
    return qs, root


# --- tallies and the roll-up ------------------------------------------------------------------------


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    pending: int = 0
    not_applicable: int = 0

    def add(self, status: str, n: int = 1) -> None:
        if status == "pass":
            self.passed += n
        elif status == "fail":
            self.failed += n
        elif status == "pending":
            self.pending += n
        else:
            self.not_applicable += n

    @property
    def evaluated(self) -> int:
        return self.passed + self.failed + self.pending + self.not_applicable

    @property
    def applicable(self) -> int:
        return self.evaluated - self.not_applicable

    @property
    def share(self) -> float | None:
        """Passing / (evaluated − not applicable); None when nothing applies."""
        return self.passed / self.applicable if self.applicable else None

    @property
    def percent(self) -> str:
        share = self.share
        if share is None:
            return "—"
        value = share * 100
        # Never round a shortfall up to 100% or a single pass down to 0%.
        if 99 < value < 100:
            return "99%"
        if 0 < value < 1:
            return "1%"
        return f"{value:.0f}%"

    @property
    def status(self) -> str:
        """The colour of a roll-up cell: its worst status ("none" when no rule result at all)."""
        if self.failed:
            return "fail"
        if self.pending:
            return "pending"
        if self.passed:
            return "pass"
        return "not_applicable" if self.not_applicable else "none"


@dataclass
class Column:
    rule: Rule
    short: str
    area: Area = OTHER_AREA
    tally: Tally = field(default_factory=Tally)


class AreaHeading(NamedTuple):
    """A group of the overview's columns: the area's label over `span` consecutive columns."""

    area: Area
    span: int


def overview_rules(evaluation: Evaluation, types: set[str] | None) -> list[Rule]:
    """The overview's columns: the rules applying to one of `types` (None: every rule), grouped by their
    check kind's area of work (registered by the app that owns the kind), in rulebook order within one."""
    rules = [rule for rule in evaluation.ruleset.rules if types is None or set(rule.applies_to) & types]
    order = {rule.id: i for i, rule in enumerate(rules)}
    return sorted(rules, key=lambda r: (area_of(r.check).order, area_of(r.check).key, order[r.id]))


@dataclass
class OrgRow:
    ref: Any  # OrgRef
    cells: list[Result | None]
    tally: Tally = field(default_factory=Tally)
    base_depth: int = 2  # the depth shown without indentation (the shallowest of its 单位's rows)

    @property
    def depth(self) -> int:
        return self.ref.path.count("/")

    @property
    def indent(self) -> int:
        return min(max(self.depth - self.base_depth, 0), 4)

    @property
    def type_label(self) -> str:
        return str(OrgType(self.ref.type).label)  # in the reader's language


@dataclass
class UnitRow:
    key: str
    label: str
    index: int
    cells: list[Tally]
    tally: Tally = field(default_factory=Tally)
    org_ids: set[int] = field(default_factory=set)
    orgs: list[OrgRow] | None = None
    count: int | None = None  # the number of organisations, when the rows were counted in SQL

    @property
    def cells_html(self) -> str:
        """The row's cells (符合/适用 per rule, coloured by the worst status), built here rather than in the
        template: a 工委's overview has a hundred 单位 by some forty rules, and the template engine spent most
        of the page's time on them."""
        return format_html_join(
            "",
            '<td class="dj-c dj-c-{}">{}</td>',
            (
                (
                    t.status,
                    f"{t.passed}/{t.applicable}" if t.applicable else ("–" if t.not_applicable else ""),
                )
                for t in self.cells
            ),
        )

    @property
    def n_orgs(self) -> int:
        return len(self.org_ids) if self.count is None else self.count


@dataclass
class Overview:
    evaluation: Evaluation
    columns: list[Column]
    units: list[UnitRow]
    overall: Tally
    n_orgs: int
    single: bool  # one 单位: the rows are its organisations
    inline: bool  # several 单位, few organisations: every unit is shown opened

    @property
    def areas(self) -> list[AreaHeading]:
        """The headings over the columns: one per run of columns of the same area."""
        headings: list[AreaHeading] = []
        for col in self.columns:
            if headings and headings[-1].area == col.area:
                headings[-1] = AreaHeading(col.area, headings[-1].span + 1)
            else:
                headings.append(AreaHeading(col.area, 1))
        return headings

    @property
    def worst(self) -> list[Column]:
        failing = [c for c in self.columns if c.tally.failed and c.tally.share is not None]
        return sorted(failing, key=lambda c: (c.tally.share, -c.tally.failed))[:3]

    @property
    def org_rows(self) -> list[OrgRow]:
        return [row for unit in self.units for row in unit.orgs or ()]


def org_types(orgs: QuerySet) -> set[str]:
    """The organisation types present among `orgs` (one query): the matrix shows the rules of these."""
    return set(orgs.order_by().values_list("type", flat=True).distinct())


def build_overview(
    evaluation: Evaluation, *, types: set[str] | None = None, org_rows: bool | None = None
) -> Overview:
    """One pass over the results: per rule, per 单位 and (when they are to be shown) per organisation.
    `types`: show only the rules that apply to one of these organisation types (None: every rule).
    `org_rows`: build the organisation rows (None: when there is one 单位 or few organisations)."""
    rules = overview_rules(evaluation, types)
    position = {rule.id: i for i, rule in enumerate(rules)}
    columns = [Column(rule, short_title(rule), area_of(rule.check)) for rule in rules]
    overall = Tally()
    units: dict[str, UnitRow] = {}
    orgs: dict[int, tuple[str, OrgRow]] = {}
    for result in evaluation.results:
        col, status, ref = position.get(result.rule.id), result.status, result.org
        if col is None:
            continue
        key = unit_key(ref)
        unit = units.get(key)
        if unit is None:
            unit = units[key] = UnitRow(key, key, len(units), [Tally() for _ in rules])
        unit.cells[col].add(status)
        unit.tally.add(status)
        unit.org_ids.add(ref.id)
        columns[col].tally.add(status)
        overall.add(status)
        entry = orgs.get(ref.id)
        if entry is None:
            entry = orgs[ref.id] = (key, OrgRow(ref, [None] * len(rules)))
        entry[1].cells[col] = result
        entry[1].tally.add(status)
    # The results come rule by rule, each in path order: order the 单位 by their first organisation.
    first_path: dict[str, str] = {}
    for key, row in orgs.values():
        if key not in first_path or row.ref.path < first_path[key]:
            first_path[key] = row.ref.path
    ordered = sorted(units.values(), key=lambda u: first_path[u.key])
    for i, unit in enumerate(ordered):
        unit.index = i
    single = len(ordered) <= 1
    inline = not single and len(orgs) <= INLINE_ORGS
    if org_rows is None:
        org_rows = single or inline
    if org_rows:
        rows_of: dict[str, list[OrgRow]] = {u.key: [] for u in ordered}
        for key, row in sorted(orgs.values(), key=lambda kr: kr[1].ref.path):
            rows_of[key].append(row)
        for unit in ordered:
            unit.orgs = rows_of[unit.key]
            base = min(row.depth for row in unit.orgs)
            for row in unit.orgs:
                row.base_depth = base
    _label_units(ordered)
    return Overview(evaluation, columns, ordered, overall, len(orgs), single, inline)


def build_overview_from_counts(
    evaluation: Evaluation,
    counts: list[tuple[str, str, str, int]],
    unit_orgs: dict[str, int],
    first_paths: dict[str, str],
    *,
    types: set[str] | None = None,
) -> Overview:
    """The roll-up of a large scope from kept results counted in SQL (compliance.kept.kept_counts): per rule
    and per 单位, without organisation rows (a 单位's rows are fetched when it is opened)."""
    rules = overview_rules(evaluation, types)
    position = {rule.id: i for i, rule in enumerate(rules)}
    columns = [Column(rule, short_title(rule), area_of(rule.check)) for rule in rules]
    overall = Tally()
    units: dict[str, UnitRow] = {}
    for key, rule_id, status, n in counts:
        col = position.get(rule_id)
        if col is None:
            continue
        unit = units.get(key)
        if unit is None:
            unit = units[key] = UnitRow(key, key, 0, [Tally() for _ in rules], count=unit_orgs.get(key, 0))
        unit.cells[col].add(status, n)
        unit.tally.add(status, n)
        columns[col].tally.add(status, n)
        overall.add(status, n)
    ordered = sorted(units.values(), key=lambda u: first_paths.get(u.key, ""))
    for i, unit in enumerate(ordered):
        unit.index = i
    _label_units(ordered)
    n_orgs = sum(u.n_orgs for u in ordered)
    return Overview(evaluation, columns, ordered, overall, n_orgs, len(ordered) <= 1, False)


def _label_units(units: list[UnitRow]) -> None:
    """Units without a 所在单位 are named after their ancestor below the 工委 (one query, when any)."""
    paths = {u.key[1:]: u for u in units if u.key.startswith("@")}
    if not paths:
        return
    names = dict(Org.objects.filter(path__in=list(paths)).values_list("path", "name"))
    for path, unit in paths.items():
        unit.label = _("%(name)s（未填写所在单位）") % {"name": names.get(path, path)}


def unit_label(key: str) -> str:
    if not key.startswith("@"):
        return key
    name = Org.objects.filter(path=key[1:]).values_list("name", flat=True).first()
    return _("%(name)s（未填写所在单位）") % {"name": name or key[1:]}


# --- one organisation -------------------------------------------------------------------------------


@dataclass
class RuleResult:
    result: Result
    clause_text: str
    evidence: list[EvidenceItem]
    link: Link | None  # where the result is acted on ("去录入…", "任命职务" …)
    history: History | None = None  # kept results only: since when, and the changes of status
    basis: str = ""  # the rule's basis and note in plain words (compliance.plain): no research provenance
    note: str = ""

    @property
    def clause_parts(self) -> tuple[str, str, str, str]:
        return clause_parts(self.clause_text, self.rule.key_sentence)

    @property
    def is_quorum(self) -> bool:
        return self.rule.check == "meeting_quorum"

    @property
    def rule(self) -> Rule:
        return self.result.rule

    @property
    def status(self) -> str:
        return self.result.status


def resolve_evidence(user, refs) -> dict:
    """(kind, id) → EvidenceItem for the records the results rest on, resolved by the app owning each kind
    through the user's scope: one resolver call per kind. A kind nobody resolves is left out."""
    by_kind: dict[str, set[int]] = {}
    for ref in refs:
        by_kind.setdefault(ref.kind, set()).add(ref.id)
    found = {}
    for kind, ids in by_kind.items():
        resolver = EVIDENCE_RESOLVERS.get(kind)
        if resolver is None:
            continue
        for pk, item in resolver(user, sorted(ids)).items():
            found[(kind, pk)] = item
    return found


def org_results(
    user,
    org: Org,
    evaluation: Evaluation,
    clause_texts: dict[str, str],
    history: dict[str, History] | None = None,
) -> list[RuleResult]:
    """The organisation's results, worst first then in rulebook order, with the records they rest on
    (resolved through the user's scope by the owning apps), the action that puts an open one right and,
    for kept results, their history (rule id → History)."""
    results = [r for r in evaluation.results if r.org.id == org.pk]
    evidence = resolve_evidence(user, (ref for r in results for ref in r.evidence))
    active = org.dissolved_on is None or org.dissolved_on > dt.date.today()
    order = {rule.id: i for i, rule in enumerate(evaluation.ruleset.rules)}
    titles = {rule.id: rule.title for rule in evaluation.ruleset.rules}
    out = []
    for result in sorted(results, key=lambda r: (STATUS_ORDER[r.status], order[r.rule.id])):
        rule = result.rule
        link_fn = REGISTRY[rule.check].link
        link = link_fn(rule, result.org, result.status) if active and link_fn is not None else None
        items = [evidence[ref] for ref in result.evidence if ref in evidence]
        items.sort(key=lambda e: (e.date or dt.date.min, e.ref))
        out.append(
            RuleResult(
                result,
                clause_texts.get(rule.clause, ""),
                items,
                link,
                (history or {}).get(rule.id),
                plain_basis(rule.basis),
                plain_note(rule.note, titles),
            )
        )
    return out


def status_counts(results) -> list[tuple[str, str, int]]:
    counts = {s: 0 for s in STATUS_ORDER}
    for r in results:
        counts[r.status] += 1
    return [(s, str(STATUS_TEXT[s]), counts[s]) for s in STATUS_ORDER]


# --- the rulebook -----------------------------------------------------------------------------------

# Words in a rule's note saying that a number's source is uncertain (and so made a parameter).
UNCERTAIN_MARKERS = ("不确定", "待核", "为参数")


def _value_label(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict):
        return "；".join(f"{chinese_label(OrgType, k)}：{_value_label(key, v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_value_label(key, v) for v in value)
    if key == "title":
        return chinese_label(PostTitle, value)
    if key == "period":
        return str({"month": _("每月"), "quarter": _("每季度")}.get(value, value))
    labeler = VALUE_LABELS.get(key)
    return labeler(value) if labeler is not None else str(value)


@dataclass
class RuleView:
    rule: Rule
    clause_text: str
    applies_to: list[str]
    severity_label: str
    check_label: str
    params: list[tuple[str, str, str]]  # (label, key, value shown)
    uncertain: bool
    basis_plain: str = ""  # for readers other than the 工委管理员 (compliance.plain)
    note_plain: str = ""

    @property
    def clause_parts(self) -> tuple[str, str, str, str]:
        return clause_parts(self.clause_text, self.rule.key_sentence)


def rule_views(ruleset: Ruleset, clause_texts: dict[str, str]) -> list[RuleView]:
    titles = {rule.id: rule.title for rule in ruleset.rules}
    views = []
    for rule in ruleset.rules:
        params = [(str(PARAM_LABELS.get(k, k)), k, _value_label(k, v)) for k, v in rule.params.items()]
        views.append(
            RuleView(
                rule=rule,
                clause_text=clause_texts.get(rule.clause, ""),
                applies_to=[chinese_label(OrgType, t) for t in rule.applies_to],
                severity_label=str(SEVERITY_TEXT[rule.severity]),
                check_label=str(REGISTRY[rule.check].label),
                params=params,
                uncertain=any(m in rule.note for m in UNCERTAIN_MARKERS),
                basis_plain=plain_basis(rule.basis),
                note_plain=plain_note(rule.note, titles),
            )
        )
    return views


def shows_provenance(scope) -> bool:
    """Whether a user reads the research behind the rules (reference codes, confidence, parameter keys,
    checksums): the 工委管理员, who maintains the rulebook. Everyone else reads the rules in plain words, on the
    pages and in the export."""
    from dangjian.accounts.choices import Role

    return bool(scope.is_superuser or Role.GONGWEI_ADMIN in scope.roles())
