"""Kept results: evaluations stored per (rulebook version, year, organisation, rule), with their history.

- `refresh(orgs)` evaluates the organisations (the facts are built once, set-based) and writes what changed:
  new and changed results, a `ResultChange` row for every change of status, the 待办 of the current
  year, and the evaluation date on every row of those organisations — a bounded number of statements
  whatever the number of organisations.
- Writes mark the organisations they can affect: every service records an audit event with the record's
  organisation path (`core.audit.record`), and `core.audit.changed` lets a service name another one (a
  member's former branch). The listener below collects the paths of a transaction and, after it commits,
  enqueues `refresh_paths` (Django's Tasks API through the `django-tasks` backport: the immediate backend
  runs it at once, the database backend in `dangjian worker`). The organisations affected by a path are
  the organisations on it (the organisation and its ancestors) and every organisation of the same 单位
  (a 党组 secretary's lecture in one of the unit's branches counts for the 党组).
- Time alone changes verdicts (a month ends, a deadline passes): `dangjian compliance refresh` refreshes
  everything, nightly.
- `kept_evaluation`, `kept_counts` and `kept_todo` read them for the pages.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django_tasks import task

from dangjian.compliance.evaluator import (
    Evaluation,
    Result,
    TodoItem,
    extra_needs,
    results_of,
    todo_of,
)
from dangjian.compliance.facts import OrgRef, build_facts
from dangjian.compliance.models import KeptResult, KeptTodo, ResultChange
from dangjian.compliance.periods import clamp_as_of
from dangjian.compliance.registry import EvidenceRef
from dangjian.compliance.rulebook import Ruleset, load_ruleset
from dangjian.core import audit
from dangjian.core.perf import gc_paused
from dangjian.orgs.models import Org

BATCH = 2000


def unit_key(ref) -> str:
    """The roll-up group of an organisation (an OrgRef or an Org): its 所在单位, or for an organisation
    without one "@" and the path of its ancestor directly below the 工委."""
    if ref.unit:
        return ref.unit
    parts = ref.path.split("/")[:-1]
    return "@" + "".join(f"{p}/" for p in parts[: min(2, len(parts))])


def unit_filter(key: str) -> Q:
    if key.startswith("@"):
        return Q(unit="", path__startswith=key[1:])
    return Q(unit=key)


@dataclass
class RefreshReport:
    orgs: int = 0
    results: int = 0
    created: int = 0
    changed: int = 0
    removed: int = 0
    todos: int = 0


def refresh(
    orgs=None, *, on: dt.date | None = None, year: int | None = None, ruleset: Ruleset | None = None
) -> RefreshReport:
    """Evaluates `orgs` (a queryset; default every organisation) for `year` (default `on`'s) as of `on`
    (default today, clamped into the year) with `ruleset` (default the latest) and keeps the results."""
    ruleset = ruleset or load_ruleset()
    on = on or dt.date.today()
    year = year or on.year
    as_of = clamp_as_of(year, on)
    orgs = Org.objects.all() if orgs is None else orgs
    with gc_paused():
        facts = build_facts(orgs, year=year, as_of=as_of, extra=extra_needs(ruleset), rules=ruleset.rules)
        results = results_of(facts, ruleset, year, as_of)
        todos = todo_of(facts, ruleset, on) if year == on.year else None
    org_ids = [f.ref.id for f in facts]
    with transaction.atomic():
        report = _keep(ruleset.version, year, as_of, org_ids, results)
        if todos is not None:
            report.todos = _keep_todos(ruleset.version, on, org_ids, todos)
    report.orgs = len(org_ids)
    return report


def _row(result: Result) -> tuple:
    return (
        unit_key(result.org),
        result.org.path,
        result.status,
        list(result.missing),
        [[ref.kind, ref.id] for ref in result.evidence],
        result.message,
    )


def _in_batches(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), BATCH):
        yield ids[i : i + BATCH]


def _keep(
    version: int, year: int, as_of: dt.date, org_ids: list[int], results: list[Result]
) -> RefreshReport:
    now = timezone.now()
    existing: dict[tuple[int, str], tuple] = {}
    fields = ("unit_key", "org_path", "status", "missing", "evidence", "message")
    for batch in _in_batches(org_ids):
        rows = KeptResult.objects.filter(version=version, year=year, org_id__in=batch).values_list(
            "id", "org_id", "rule_id", *fields
        )
        for pk, org_id, rule_id, *values in rows:
            existing[(org_id, rule_id)] = (pk, tuple(values))
    create: list[KeptResult] = []
    moved: list[KeptResult] = []  # took another status: `since` changes too
    same: list[KeptResult] = []
    changes: list[ResultChange] = []
    seen = set()
    for result in results:
        key = (result.org.id, result.rule.id)
        seen.add(key)
        values = _row(result)
        known = existing.get(key)
        if known is None:
            create.append(
                KeptResult(
                    version=version,
                    year=year,
                    org_id=key[0],
                    rule_id=key[1],
                    **dict(zip(fields, values, strict=True)),
                    since=as_of,
                    as_of=as_of,
                    evaluated_at=now,
                )
            )
            changes.append(
                ResultChange(
                    version=version,
                    year=year,
                    org_id=key[0],
                    rule_id=key[1],
                    old_status="",
                    new_status=result.status,
                    as_of=as_of,
                    changed_at=now,
                )
            )
        elif known[1] != values:
            row = KeptResult(pk=known[0], **dict(zip(fields, values, strict=True)))
            old_status = known[1][2]
            if old_status == result.status:
                same.append(row)
            else:
                row.since = as_of
                moved.append(row)
                changes.append(
                    ResultChange(
                        version=version,
                        year=year,
                        org_id=key[0],
                        rule_id=key[1],
                        old_status=old_status,
                        new_status=result.status,
                        as_of=as_of,
                        changed_at=now,
                    )
                )
    KeptResult.objects.bulk_create(create, batch_size=BATCH)
    KeptResult.objects.bulk_update(moved, [*fields, "since"], batch_size=BATCH)
    KeptResult.objects.bulk_update(same, list(fields), batch_size=BATCH)
    ResultChange.objects.bulk_create(changes, batch_size=BATCH)
    gone = [existing[key][0] for key in existing.keys() - seen]
    for batch in _in_batches(gone):
        KeptResult.objects.filter(pk__in=batch).delete()
    for batch in _in_batches(org_ids):
        KeptResult.objects.filter(version=version, year=year, org_id__in=batch).update(
            as_of=as_of, evaluated_at=now
        )
    return RefreshReport(
        results=len(results), created=len(create), changed=len(moved) + len(same), removed=len(gone)
    )


def _keep_todos(version: int, on: dt.date, org_ids: list[int], todos: list[TodoItem]) -> int:
    for batch in _in_batches(org_ids):
        KeptTodo.objects.filter(org_id__in=batch).delete()  # every version: only the latest is kept
    KeptTodo.objects.bulk_create(
        [
            KeptTodo(
                version=version,
                org_id=item.org.id,
                rule_id=item.rule.id,
                period=item.period,
                due_by=item.due_by,
                message=item.message,
                on=on,
            )
            for item in todos
        ],
        batch_size=BATCH,
    )
    return len(todos)


# --- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptMeta:
    as_of: dt.date  # the earliest evaluation date among the organisations
    evaluated_at: dt.datetime  # the latest refresh
    orgs: int


def kept_meta(orgs, *, year: int, ruleset: Ruleset) -> KeptMeta | None:
    """When the kept results of `orgs` were evaluated (one query); None when none are kept."""
    row = KeptResult.objects.filter(version=ruleset.version, year=year, org__in=_ids(orgs)).aggregate(
        as_of=Min("as_of"), at=Max("evaluated_at"), orgs=Count("org_id", distinct=True)
    )
    if not row["orgs"]:
        return None
    return KeptMeta(row["as_of"], row["at"], row["orgs"])


def _ids(orgs):
    return orgs.order_by().values("pk")


def kept_evaluation(orgs, *, year: int, ruleset: Ruleset, meta: KeptMeta) -> Evaluation:
    """The kept results of `orgs` as an Evaluation (rule order, then path order): one query."""
    rules = {rule.id: rule for rule in ruleset.rules}
    order = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    rows = KeptResult.objects.filter(version=ruleset.version, year=year, org__in=_ids(orgs)).values_list(
        "org_id",
        "org__code",
        "org__name",
        "org__type",
        "org__path",
        "org__unit",
        "rule_id",
        "status",
        "missing",
        "evidence",
        "message",
    )
    refs: dict[int, OrgRef] = {}
    results = []
    for org_id, code, name, org_type, path, unit, rule_id, status, missing, evidence, message in rows:
        rule = rules.get(rule_id)
        if rule is None:
            continue
        ref = refs.get(org_id)
        if ref is None:
            ref = refs[org_id] = OrgRef(org_id, code, name, org_type, path, unit)
        results.append(
            Result(rule, ref, status, list(missing), [EvidenceRef(k, i) for k, i in evidence], message)
        )
    results.sort(key=lambda r: (order[r.rule.id], r.org.path))
    return Evaluation(ruleset=ruleset, year=year, as_of=meta.as_of, results=results)


def kept_counts(orgs, *, year: int, ruleset: Ruleset) -> tuple[list[tuple[str, str, str, int]], dict, dict]:
    """For a large scope: (unit key, rule id, status, count) rows, the number of organisations per unit and
    each unit's first path (for ordering): two queries, whatever the number of organisations."""
    base = KeptResult.objects.filter(version=ruleset.version, year=year, org__in=_ids(orgs))
    counts = list(base.values_list("unit_key", "rule_id", "status").annotate(n=Count("id")).order_by())
    units = {
        key: (n, first)
        for key, n, first in base.values_list("unit_key")
        .annotate(n=Count("org_id", distinct=True), first=Min("org_path"))
        .order_by()
    }
    return counts, {k: v[0] for k, v in units.items()}, {k: v[1] for k, v in units.items()}


def kept_todo(orgs, *, ruleset: Ruleset) -> tuple[list[TodoItem], dt.date | None]:
    """The kept 待办 of `orgs` (one query) and the date they were computed for."""
    rules = {rule.id: rule for rule in ruleset.rules}
    order = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    rows = KeptTodo.objects.filter(version=ruleset.version, org__in=_ids(orgs)).values_list(
        "org_id",
        "org__code",
        "org__name",
        "org__type",
        "org__path",
        "org__unit",
        "rule_id",
        "period",
        "due_by",
        "message",
        "on",
    )
    items, day = [], None
    refs: dict[int, OrgRef] = {}
    for org_id, code, name, org_type, path, unit, rule_id, period, due_by, message, on in rows:
        rule = rules.get(rule_id)
        if rule is None:
            continue
        ref = refs.get(org_id)
        if ref is None:
            ref = refs[org_id] = OrgRef(org_id, code, name, org_type, path, unit)
        items.append(TodoItem(ref, rule, period, due_by, message))
        day = on if day is None else min(day, on)
    items.sort(key=lambda i: (i.due_by, i.org.path, order[i.rule.id]))
    return items, day


def history(org, rule_id: str, *, year: int, ruleset: Ruleset) -> list[ResultChange]:
    return list(ResultChange.objects.filter(version=ruleset.version, year=year, org=org, rule_id=rule_id))


# --- refresh after writes ----------------------------------------------------------------------------------


def affected_orgs(paths: Iterable[str]):
    """The organisations a change at these paths can affect: those on the paths (each organisation and its
    ancestors) and every organisation of the changed organisations' 单位. Two queries."""
    paths = [p for p in paths if p]
    ids = {int(segment) for path in paths for segment in path.split("/") if segment}
    if not ids:
        return Org.objects.none()
    changed = {int(path.rstrip("/").rsplit("/", 1)[-1]) for path in paths}
    keys = {unit_key(org) for org in Org.objects.filter(pk__in=changed).only("unit", "path")}
    query = Q(pk__in=ids)
    for key in keys:
        if key.count("/") > 1:  # an organisation without a 单位 below the 工委: its ancestor's subtree
            query |= unit_filter(key)
        elif not key.startswith("@"):
            query |= unit_filter(key)
    return Org.objects.filter(query)


@task()
def refresh_paths(paths: list[str]) -> int:
    """Refreshes the kept results of the organisations affected by changes at `paths`."""
    report = refresh(affected_orgs(paths))
    return report.orgs


_local = threading.local()


def _pending() -> set[str]:
    paths = getattr(_local, "paths", None)
    if paths is None:
        paths = _local.paths = set()
    return paths


def _flush() -> None:
    """Enqueues one refresh for every path marked so far; the transaction's later callbacks find nothing."""
    paths = sorted(_pending())
    _pending().clear()
    if paths:
        refresh_paths.enqueue(paths)


def mark_changed(org_path: str) -> None:
    """A record of the organisation at `org_path` changed: its kept results are refreshed after the
    transaction commits (at once outside a transaction), once for all the paths the transaction marked.
    The paths of a rolled-back transaction are forgotten when the next transaction marks its own."""
    if not org_path:
        return
    conn = transaction.get_connection()
    outermost = id(conn.atomic_blocks[0]) if conn.in_atomic_block else None
    if getattr(_local, "transaction", None) != outermost:  # a new transaction: forget a rolled-back one's
        _local.transaction = outermost
        _pending().clear()
    _pending().add(org_path)
    transaction.on_commit(_flush)


def connect() -> None:
    """Called from the engine's AppConfig.ready()."""
    if mark_changed not in audit.CHANGE_LISTENERS:
        audit.CHANGE_LISTENERS.append(mark_changed)
