"""Kept results: evaluations stored per (rulebook version, year, organisation, rule), with their history.

- `refresh(orgs)` evaluates the organisations (the facts are built once, set-based) and writes what changed:
  new and changed results, a `ResultChange` row for every change of status, the organisations' stamps
  (when evaluated), the tallies of their 单位 and the 待办 of the current year — a bounded number of
  statements whatever the number of organisations. The member figures of the organisations
  (`members.figures`: what the dashboard and the organisation pages count) are kept in the same refresh.
- Writes mark the organisations they can affect: every service records an audit event with the record's
  organisation path (`core.audit.record`), and `core.audit.changed` lets a service name another one (a
  member's former branch). The listener below collects the paths of a transaction and, after it commits,
  adds them to the waiting paths (`PendingRefresh`) and enqueues `refresh_pending` (Django's Tasks API
  through the `django-tasks` backport: the immediate backend runs it at once, the database backend in
  `dangjian worker`), which refreshes every waiting path in one pass: the writes of a busy hour queue up
  behind a running refresh and are then refreshed together. The organisations affected by a path are
  the organisations on it (the organisation and its ancestors) and those where a member of the changed
  organisation holds a post (a 党组 secretary's lecture, recorded in any branch, counts for the 党组: the
  meetings service names the lecturer's branch).
- Time alone changes verdicts (a month ends, a deadline passes): `dangjian compliance refresh` refreshes
  everything, nightly.
- In the first months of a year (`compliance.carryover`, rules/workbench.yaml) a refresh without an explicit year
  keeps the previous year too, as of its 31 December: the work list still shows its missed work, and a record
  entered late puts its item right.
- `kept_meta`, `kept_evaluation`, `kept_units`, `kept_counts` and `kept_todo` read them for the pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import marshal
import multiprocessing
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Max, Min, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django_tasks import task

from dangjian.compliance import carryover
from dangjian.compliance.evaluator import (
    Evaluation,
    Result,
    TodoItem,
    extra_needs,
    rule_orgs,
    run_checks,
)
from dangjian.compliance.facts import OrgRef, build_facts, under_paths
from dangjian.compliance.models import (
    KeptResult,
    KeptStamp,
    KeptTally,
    KeptTodo,
    PendingRefresh,
    ResultChange,
)
from dangjian.compliance.periods import clamp_as_of
from dangjian.compliance.registry import EvidenceRef
from dangjian.compliance.rulebook import Ruleset, load_ruleset
from dangjian.core import audit, messages
from dangjian.core.bulk import insert_rows
from dangjian.core.perf import gc_paused
from dangjian.members import figures
from dangjian.orgs.models import Org, Post

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
    previous: RefreshReport | None = None  # the previous year's, kept too in the first months of a year


def refresh(
    orgs=None,
    *,
    on: dt.date | None = None,
    year: int | None = None,
    ruleset: Ruleset | None = None,
    jobs: int | None = None,
) -> RefreshReport:
    """Evaluates `orgs` (a queryset; default every organisation) for `year` (default `on`'s) as of `on`
    (default today, clamped into the year) with `ruleset` (default the latest) and keeps the results.

    Without an explicit `year`, in the first months of a year (`carryover.previous_year_open`) the previous year
    is kept too, as of its 31 December (its report is `previous`): the work list still shows its missed work, and
    a record entered late puts its item right.

    A full refresh on PostgreSQL outside a transaction runs in `jobs` processes (default settings.REFRESH_JOBS),
    each refreshing whole 单位 (see `_refresh_in_parts`); otherwise, and with jobs=1, in this process."""
    ruleset = ruleset or load_ruleset()
    on = on or dt.date.today()
    jobs = settings.REFRESH_JOBS if jobs is None else jobs
    years = [year] if year is not None else carryover.years(on)
    reports = [
        _refresh_year(orgs, on=on, year=y, ruleset=ruleset, jobs=jobs, first=i == 0)
        for i, y in enumerate(years)
    ]
    report = reports[0]
    report.previous = reports[1] if len(reports) > 1 else None
    return report


def _refresh_year(orgs, *, on: dt.date, year: int, ruleset: Ruleset, jobs: int, first: bool) -> RefreshReport:
    """One year's refresh; the member figures (not a year's) are kept by the `first` only."""
    if orgs is None and jobs > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _refresh_in_parts(on=on, year=year, ruleset=ruleset, jobs=jobs, with_figures=first)
    report, _ids = _refresh(orgs, on=on, year=year, ruleset=ruleset, with_figures=first)
    return report


def _refresh(
    orgs, *, on: dt.date, year: int, ruleset: Ruleset, part: bool = False, with_figures: bool = True
) -> tuple[RefreshReport, list[int]]:
    """The refresh in this process: (its report, the ids of the organisations evaluated). `part`: `orgs` is
    one part of a full refresh (kept rows of organisations outside it are left to the caller); `with_figures`:
    the member figures are kept too (once per refresh, not per year)."""
    as_of = clamp_as_of(year, on)
    full = orgs is None
    orgs = Org.objects.all() if orgs is None else orgs
    with gc_paused():
        facts = build_facts(
            rule_orgs(orgs, ruleset), year=year, as_of=as_of, extra=extra_needs(ruleset), rules=ruleset.rules
        )
        scope = _Scope([f.ref.id for f in facts], full)
        results, todos = run_checks(facts, ruleset, year, as_of, todo_on=on if year == on.year else None)
        with transaction.atomic():
            report = _keep(ruleset.version, year, as_of, scope, results)
            if with_figures:
                figures.refresh(None if full else orgs)  # the member figures of the pages, kept alongside
            if todos is not None:
                report.todos = _keep_todos(ruleset.version, scope, todos)
        # freed while the collector is paused: re-enabled with them alive, its first collection would walk
        # the millions of objects of a city's facts and results (more than half a second) for nothing
        del facts, results, todos
    report.orgs = len(scope.ids)
    if full and not part and report.created + report.changed + report.removed > ANALYZE_AFTER:
        analyze()
    return report, scope.ids


# --- a full refresh in parts -------------------------------------------------------------------------------
#
# A city's full refresh is one evaluation of every organisation: its facts are read set-based, but the checks and
# the writing are Python, on one core. On PostgreSQL (SQLite has one writer) the organisations are split into
# `jobs` parts of whole 单位 — the subtrees directly below the top of the tree, which is how the kept results
# are rolled up — balanced by their number of organisations, and each part is refreshed by a worker process
# (forked from a fork server, see `_workers`) with a connection of its own, in its own transaction (a part's
# results, stamps, tallies and 待办 are written together; the 单位 of different parts are independent: evaluating an organisation gives the same result in any
# scope). The parent then removes what is kept for organisations no longer evaluated, as a one-process full
# refresh does.


def _parts(ruleset: Ruleset, jobs: int) -> list[list[str]]:
    """The organisations' subtrees directly below the top of the tree (each as its path; an organisation
    at the top as its own), in up to `jobs` parts of about the same number of organisations."""
    sizes: dict[str, int] = {}
    for path in rule_orgs(Org.objects.all(), ruleset).order_by("path").values_list("path", flat=True):
        segments = path.split("/")[:-1]
        key = "".join(f"{s}/" for s in segments[:2])
        sizes[key] = sizes.get(key, 0) + 1
    parts: list[list[str]] = [[] for _ in range(max(1, min(jobs, len(sizes))))]
    load = [0] * len(parts)
    for key, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):  # largest first
        i = load.index(min(load))
        parts[i].append(key)
        load[i] += size
    return [sorted(part) for part in parts if part]


def _part_q(keys: list[str]) -> Q:
    """The organisations of a part: each key's subtree (a key with one segment: that organisation only)."""
    subtrees = [key for key in keys if key.count("/") > 1]
    return under_paths("path", subtrees) | Q(path__in=[key for key in keys if key.count("/") <= 1])


def _part_orgs(keys: list[str]):
    return Org.objects.filter(_part_q(keys))


def _refresh_part(args: tuple) -> tuple[RefreshReport, list[int]]:
    """In a worker process: one part's refresh, on a connection of its own."""
    keys, on, year, version, with_figures = args
    try:
        return _refresh(
            _part_orgs(keys),
            on=on,
            year=year,
            ruleset=load_ruleset(version),
            part=True,
            with_figures=with_figures,
        )
    finally:
        connections.close_all()


def _start_worker(database: str) -> None:
    """A worker process's start: the database of the process that asked for the refresh (under the tests, the
    test database, which the settings do not name). Its part's facts are loaded by the worker's own thread: the
    parts already keep every core busy, and helper threads (settings.FACT_THREADS) measured no faster there
    (a city's refresh in two parts: 3.7 s median with one thread per part, 3.8 s with two)."""
    connections["default"].settings_dict["NAME"] = database
    settings.FACT_THREADS = 1


def _workers() -> multiprocessing.context.ForkServerContext:
    """Worker processes are forked from a fork server: a process of their own, started once (with Django set up,
    `dangjian.compliance.worker_start`) and never running anything else. Forking the process that asks for the
    refresh would copy whatever its other threads hold at that moment (a lock of a web server's request thread,
    a pooled database connection being handed out) into a worker where nothing will ever release it."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dangjian.compliance.worker_start"])
    return context


def _refresh_in_parts(
    *, on: dt.date, year: int, ruleset: Ruleset, jobs: int, with_figures: bool = True
) -> RefreshReport:
    parts = _parts(ruleset, jobs)
    database = connection.settings_dict["NAME"]
    # a worker that dies (killed for its memory, say) fails the refresh instead of leaving it waiting for ever
    with ProcessPoolExecutor(
        len(parts), mp_context=_workers(), initializer=_start_worker, initargs=(database,)
    ) as pool:
        args = [(keys, on, year, ruleset.version, with_figures) for keys in parts]
        done = list(pool.map(_refresh_part, args))
    report = RefreshReport()
    evaluated: set[int] = set()
    for part, ids in done:
        for name in ("orgs", "results", "created", "changed", "removed", "todos"):
            setattr(report, name, getattr(report, name) + getattr(part, name))
        evaluated.update(ids)
    report.removed += _forget_others(ruleset.version, year, evaluated, todos=year == on.year)
    if with_figures:
        # the member figures of the organisations outside every part (the top of the tree): the parts kept theirs
        figures.refresh(Org.objects.exclude(_part_q([key for keys in parts for key in keys])))
    if report.created + report.changed + report.removed > ANALYZE_AFTER:
        analyze()
    return report


def _forget_others(version: int, year: int, evaluated: set[int], *, todos: bool) -> int:
    """What is kept for the year of organisations that were not evaluated (dissolved before the year, now of a
    type no rule applies to, deleted): their results, stamps and 待办 are removed and their 单位 recounted."""
    kept = KeptStamp.objects.filter(version=version, year=year).values_list("org_id", "unit_key")
    others = {org_id: unit for org_id, unit in kept if org_id not in evaluated}
    stray = (
        KeptResult.objects.filter(version=version, year=year)
        .exclude(org_id__in=KeptStamp.objects.filter(version=version, year=year).values("org_id"))
        .values_list("org_id", "unit_key")
        .distinct()
    )
    others.update((org_id, unit) for org_id, unit in stray if org_id not in evaluated)
    if not others:
        return 0
    removed = 0
    with transaction.atomic():
        for batch in _in_batches(sorted(others)):
            removed += KeptResult.objects.filter(version=version, year=year, org_id__in=batch).delete()[0]
            KeptStamp.objects.filter(version=version, year=year, org_id__in=batch).delete()
            if todos:
                KeptTodo.objects.filter(version=version, org_id__in=batch).delete()
        _tally(version, year, set(others.values()))
    return removed


# A full refresh that rewrote more rows than this updates the planner statistics at once (the first refresh of
# a database, a new rulebook version); smaller changes are left to autovacuum.
ANALYZE_AFTER = 10_000


@dataclass(frozen=True)
class _Scope:
    """The organisations a refresh writes: their ids, and whether that is every organisation (then the kept
    rows are read and updated without an id list: one statement instead of one per batch of ids)."""

    ids: list[int]
    full: bool

    def filtered(self, queryset, **filters):
        """`queryset` filtered by `filters`, per batch of the scope's ids (or once, unbatched, when full)."""
        if self.full:
            yield queryset.filter(**filters)
            return
        for batch in _in_batches(self.ids):
            yield queryset.filter(org_id__in=batch, **filters)


def analyze() -> None:
    """PostgreSQL's planner statistics of the kept tables, after a full refresh that rewrote many rows or a
    bulk load (a refresh of one 单位 reads its rows through the organisation index only when the planner knows
    the table's size: without statistics it scanned every kept row, 60 ms instead of 4)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (KeptResult, KeptStamp, KeptTally, KeptTodo):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _row(result: Result) -> tuple:
    """The kept fields of a result; the message as stored (its JSON form, rendered when shown)."""
    return (
        unit_key(result.org),
        result.org.path,
        result.status,
        list(result.missing),
        [[ref.kind, ref.id] for ref in result.evidence],
        messages.dump(result.message),
    )


def _digest(values: tuple) -> str:
    """Of the kept fields (str, int, lists and the message's JSON dict). marshal's version 2 writes no
    back-references, so equal values always give equal bytes; it is about twice as fast as repr() over a
    city's results."""
    return hashlib.blake2b(marshal.dumps(values, 2), digest_size=16).hexdigest()


FIELDS = ("unit_key", "org_path", "status", "missing", "evidence", "message")
# The rows are written as plain tuples (core.bulk.insert_rows: COPY on PostgreSQL), not through bulk_create, whose
# arrays of a city's JSON values psycopg dumps one element at a time; the JSON columns get their text.
RESULT_COLUMNS = ("version", "year", "org_id", "rule_id", *FIELDS, "since", "digest")
CHANGE_COLUMNS = ("version", "year", "org_id", "rule_id", "old_status", "new_status", "as_of", "changed_at")


def _json(value: Any) -> str:
    """A JSON column's text (what the JSONField stores: loaded back, the same value)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _in_batches(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), BATCH):
        yield ids[i : i + BATCH]


def _keep(version: int, year: int, as_of: dt.date, scope: _Scope, results: list[Result]) -> RefreshReport:
    """Writes the results of the scope: a changed row is replaced (delete and insert are far cheaper than
    Django's row-by-row bulk update), a new status is a ResultChange; then the organisations' stamps and the
    tallies of every 单位 they are (or were) in."""
    now = timezone.now()
    # (org, rule) → (id, status, digest, since, 单位): no JSON is read back
    existing: dict[tuple[int, str], tuple[int, str, str, dt.date, str]] = {}
    for found in scope.filtered(KeptResult.objects, version=version, year=year):
        rows = found.values_list("id", "org_id", "rule_id", "status", "digest", "since", "unit_key")
        for pk, org_id, rule_id, status, digest, since, unit in rows:
            existing[(org_id, rule_id)] = (pk, status, digest, since, unit)
    create: list[tuple] = []  # RESULT_COLUMNS
    replaced: list[int] = []
    changes: list[tuple] = []  # CHANGE_COLUMNS
    changed_at = connection.ops.adapt_datetimefield_value(now)
    touched: set[str] = set()  # the 单位 whose tallies change
    seen = set()
    for result in results:
        key = (result.org.id, result.rule.id)
        seen.add(key)
        values = _row(result)
        digest = _digest(values)
        known = existing.get(key)
        if known is not None and known[2] == digest:
            continue
        old_status = known[1] if known is not None else ""
        same_status = known is not None and old_status == result.status
        if known is not None:
            replaced.append(known[0])
            touched.add(known[4])
        touched.add(values[0])
        create.append(
            (
                version,
                year,
                key[0],
                key[1],
                values[0],
                values[1],
                values[2],
                _json(values[3]),
                _json(values[4]),
                _json(values[5]),
                known[3] if same_status and known is not None else as_of,
                digest,
            )
        )
        if not same_status:
            changes.append((version, year, key[0], key[1], old_status, result.status, as_of, changed_at))
    gone = [existing[key][0] for key in existing.keys() - seen]
    touched.update(existing[key][4] for key in existing.keys() - seen)
    for batch in _in_batches(replaced + gone):
        KeptResult.objects.filter(pk__in=batch).delete()
    insert_rows(KeptResult, RESULT_COLUMNS, create)
    insert_rows(ResultChange, CHANGE_COLUMNS, changes)
    _stamp(version, year, as_of, now, scope, results)
    if touched:
        _tally(version, year, touched)
    return RefreshReport(
        results=len(results), created=len(create) - len(replaced), changed=len(replaced), removed=len(gone)
    )


def _stamp(version, year, as_of, now, scope: _Scope, results: list[Result]) -> None:
    """The evaluation date of the scope's organisations (one UPDATE), with their 单位 and path where those
    changed; stamps of organisations without results any more are removed, new ones created."""
    refs = {r.org.id: r.org for r in results}
    known: dict[int, tuple[str, str]] = {}
    for stamps in scope.filtered(KeptStamp.objects, version=version, year=year):
        known.update(
            (org_id, (unit, path))
            for org_id, unit, path in stamps.values_list("org_id", "unit_key", "org_path")
        )
    stale = [org_id for org_id in known if org_id not in refs]
    moved = [
        ref for org_id, ref in refs.items() if org_id in known and known[org_id] != (unit_key(ref), ref.path)
    ]
    for batch in _in_batches(stale + [ref.id for ref in moved]):
        KeptStamp.objects.filter(org_id__in=batch, version=version, year=year).delete()
    KeptStamp.objects.bulk_create(
        [
            KeptStamp(
                version=version,
                year=year,
                org_id=ref.id,
                unit_key=unit_key(ref),
                org_path=ref.path,
                as_of=as_of,
                evaluated_at=now,
            )
            for ref in [*moved, *(ref for org_id, ref in refs.items() if org_id not in known)]
        ],
        batch_size=BATCH,
    )
    if scope.full:
        KeptStamp.objects.filter(version=version, year=year).update(as_of=as_of, evaluated_at=now)
        return
    for batch in _in_batches([org_id for org_id in refs if org_id in known]):
        KeptStamp.objects.filter(org_id__in=batch, version=version, year=year).update(
            as_of=as_of, evaluated_at=now
        )


def _tally(version: int, year: int, units: set[str]) -> None:
    """Recounts the kept results of these 单位 per rule and status (one GROUP BY, one insert)."""
    keys = sorted(units)
    KeptTally.objects.filter(version=version, year=year, unit_key__in=keys).delete()
    counts = (
        KeptResult.objects.filter(version=version, year=year, unit_key__in=keys)
        .values_list("unit_key", "rule_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    KeptTally.objects.bulk_create(
        [
            KeptTally(version=version, year=year, unit_key=key, rule_id=rule_id, status=status, n=n)
            for key, rule_id, status, n in counts
        ],
        batch_size=BATCH,
    )


def _keep_todos(version: int, scope: _Scope, todos: list[TodoItem]) -> int:
    """The 待办 of the scope's organisations: rows no longer due are deleted, new ones inserted, the rest stay
    (a 待办 is the same from one day to the next until it is done or its period ends). A kept row and a new
    item are the same 待办 when their rule, period, date and stored message are equal."""
    wanted: dict[tuple, list[tuple[Any, TodoItem]]] = {}
    for item in todos:
        key = (version, item.org.id, item.rule.id, item.period, item.due_by)
        wanted.setdefault(key, []).append((messages.dump(item.message), item))
    stale: list[int] = []
    for found in scope.filtered(KeptTodo.objects):
        rows = found.values_list("id", "version", "org_id", "rule_id", "period", "due_by", "message")
        for pk, row_version, org_id, rule_id, period, due_by, message in rows:
            candidates = wanted.get((row_version, org_id, rule_id, period, due_by), [])
            for i, (dumped, _item) in enumerate(candidates):
                if dumped == message:  # kept as it is
                    del candidates[i]
                    break
            else:
                stale.append(pk)
    for batch in _in_batches(stale):
        KeptTodo.objects.filter(pk__in=batch).delete()
    insert_rows(
        KeptTodo,
        ("version", "org_id", "rule_id", "period", "due_by", "message"),
        (
            (version, item.org.id, item.rule.id, item.period, item.due_by, _json(dumped))
            for candidates in wanted.values()
            for dumped, item in candidates
        ),
    )
    return len(todos)


# --- reading ---------------------------------------------------------------------------------------------


_ORG_FIELDS = ("org_id", "org__code", "org__name", "org__type", "org__path", "org__unit")
_TODO_FIELDS = (*_ORG_FIELDS, "rule_id", "period", "due_by", "message")


@dataclass(frozen=True)
class KeptMeta:
    as_of: dt.date  # the earliest evaluation date among the organisations
    evaluated_at: dt.datetime  # the latest refresh
    orgs: int


def _ids(orgs):
    return orgs.order_by().values("pk")


def _stamps(orgs, year: int, ruleset: Ruleset):
    return KeptStamp.objects.filter(version=ruleset.version, year=year, org__in=_ids(orgs))


def kept_meta(orgs, *, year: int, ruleset: Ruleset) -> KeptMeta | None:
    """When the kept results of `orgs` were evaluated (one query over the stamps); None when none are kept."""
    row = _stamps(orgs, year, ruleset).aggregate(as_of=Min("as_of"), at=Max("evaluated_at"), orgs=Count("id"))
    if not row["orgs"]:
        return None
    return KeptMeta(row["as_of"], row["at"], row["orgs"])


def kept_evaluation(
    orgs, *, year: int, ruleset: Ruleset, meta: KeptMeta, with_messages: bool = True
) -> Evaluation:
    """The kept results of `orgs` as an Evaluation (rule order, then path order): one query. Without messages
    (`with_messages=False`, for the roll-ups that show statuses only) the messages are "" and not read."""
    rules = {rule.id: rule for rule in ruleset.rules}
    order = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    # The JSON columns are read as their text and each distinct text decoded once: a city's 107,000 results
    # carry about 19,000 distinct messages and 8,000 distinct lists of missing periods. Results with the same
    # message share one Message (immutable), which a caller rendering them can render once.
    found = KeptResult.objects.filter(version=ruleset.version, year=year, org__in=_ids(orgs)).annotate(
        missing_text=Cast("missing", TextField()),
        evidence_text=Cast("evidence", TextField()),
        message_text=Cast("message", TextField()) if with_messages else Value('""'),
    )
    rows = found.values_list(
        *_ORG_FIELDS, "rule_id", "status", "missing_text", "evidence_text", "message_text"
    )
    missing_of: dict[str, tuple[str, ...]] = {}
    evidence_of: dict[str, tuple[EvidenceRef, ...]] = {}
    message_of: dict[str, messages.Message | str] = {}
    refs: dict[int, OrgRef] = {}
    results = []
    for org_id, code, name, org_type, path, unit, rule_id, status, missing, evidence, message in rows:
        rule = rules.get(rule_id)
        if rule is None:
            continue
        ref = refs.get(org_id)
        if ref is None:
            ref = refs[org_id] = OrgRef(org_id, code, name, org_type, path, unit)
        periods = missing_of.get(missing)
        if periods is None:
            periods = missing_of[missing] = tuple(json.loads(missing))
        refs_of = evidence_of.get(evidence)
        if refs_of is None:
            refs_of = evidence_of[evidence] = tuple(EvidenceRef(k, i) for k, i in json.loads(evidence))
        text = message_of.get(message)
        if text is None:
            text = message_of[message] = messages.load(json.loads(message))
        results.append(Result(rule, ref, status, list(periods), list(refs_of), text))
    results.sort(key=lambda r: (order[r.rule.id], r.org.path))
    return Evaluation(ruleset=ruleset, year=year, as_of=meta.as_of, results=results)


@dataclass(frozen=True)
class Change:
    old_status: str  # "": the first evaluation
    new_status: str
    as_of: dt.date


@dataclass(frozen=True)
class History:
    since: dt.date  # the evaluation date from which the result has had its present status
    changes: tuple[Change, ...]  # oldest first


def result_history(org_id: int, *, year: int, ruleset: Ruleset) -> dict[str, History]:
    """Rule id → since when the organisation's kept result has had its status, and each change of status
    (when it first failed, when it was put right): two queries."""
    since = dict(
        KeptResult.objects.filter(version=ruleset.version, year=year, org_id=org_id).values_list(
            "rule_id", "since"
        )
    )
    changes: dict[str, list[Change]] = {}
    rows = (
        ResultChange.objects.filter(version=ruleset.version, year=year, org_id=org_id)
        .order_by("as_of", "id")
        .values_list("rule_id", "old_status", "new_status", "as_of")
    )
    for rule_id, old, new, as_of in rows:
        changes.setdefault(rule_id, []).append(Change(old, new, as_of))
    return {rule_id: History(day, tuple(changes.get(rule_id, ()))) for rule_id, day in since.items()}


def kept_units(orgs, *, year: int, ruleset: Ruleset) -> dict[str, tuple[int, str]]:
    """单位 → (organisations of the scope in it, its first path): one query over the stamps."""
    rows = (
        _stamps(orgs, year, ruleset)
        .values_list("unit_key")
        .annotate(n=Count("id"), first=Min("org_path"))
        .order_by()
    )
    return {key: (n, first) for key, n, first in rows}


def kept_status_counts(orgs, *, year: int, ruleset: Ruleset) -> list[tuple[str, int]]:
    """(status, count) of the kept results of `orgs`, counted from the results: one query. For a branch's home (a
    branch is never a whole 单位); a 党委's or the 工委's scope counts from the 单位 tallies (`kept_counts`)."""
    return list(
        KeptResult.objects.filter(version=ruleset.version, year=year, org__in=_ids(orgs))
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )


def kept_counts(
    orgs, units: dict[str, tuple[int, str]], *, year: int, ruleset: Ruleset
) -> list[tuple[str, str, str, int]]:
    """(单位, rule id, status, count) for a scope over many 单位: the tallies of the 单位 the scope covers
    whole, counted from the results for the others. Three queries at most, whatever the scope."""
    version = ruleset.version
    totals = dict(
        KeptStamp.objects.filter(version=version, year=year, unit_key__in=list(units))
        .values_list("unit_key")
        .annotate(n=Count("id"))
        .order_by()
    )
    whole = [key for key, (n, _first) in units.items() if totals.get(key) == n]
    partial = [key for key in units if key not in set(whole)]
    counts = list(
        KeptTally.objects.filter(version=version, year=year, unit_key__in=whole).values_list(
            "unit_key", "rule_id", "status", "n"
        )
    )
    if partial:
        counts += list(
            KeptResult.objects.filter(version=version, year=year, unit_key__in=partial, org__in=_ids(orgs))
            .values_list("unit_key", "rule_id", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
    return counts


def todo_current(orgs, on: dt.date, *, ruleset: Ruleset) -> bool:
    """Whether the kept 待办 of `orgs` are those of `on` (their results were refreshed that day)."""
    meta = kept_meta(orgs, year=on.year, ruleset=ruleset)
    return meta is not None and meta.as_of == on


def _todo_items(rows, ruleset: Ruleset) -> list[TodoItem]:
    """TodoItems from rows of _TODO_FIELDS (a rule the ruleset no longer has is left out)."""
    rules = {rule.id: rule for rule in ruleset.rules}
    refs: dict[int, OrgRef] = {}
    items = []
    for org_id, code, name, org_type, path, unit, rule_id, period, due_by, message in rows:
        rule = rules.get(rule_id)
        if rule is None:
            continue
        ref = refs.get(org_id)
        if ref is None:
            ref = refs[org_id] = OrgRef(org_id, code, name, org_type, path, unit)
        items.append(TodoItem(ref, rule, period, due_by, messages.load(message)))
    return items


def kept_todo(orgs, *, ruleset: Ruleset) -> list[TodoItem]:
    """The kept 待办 of `orgs` (one query), in the order of `evaluator.todo`."""
    order = {rule.id: i for i, rule in enumerate(ruleset.rules)}
    rows = KeptTodo.objects.filter(version=ruleset.version, org__in=_ids(orgs)).values_list(*_TODO_FIELDS)
    items = _todo_items(rows, ruleset)
    items.sort(key=lambda i: (i.due_by, i.org.path, order[i.rule.id]))
    return items


def kept_todo_soonest(orgs, *, ruleset: Ruleset, limit: int) -> tuple[int, int, list[TodoItem]]:
    """For the compact 待办 panel: (organisations with 待办, items, the `limit` soonest items by due date,
    organisation path and rule), in two queries, whatever the number of items."""
    base = KeptTodo.objects.filter(version=ruleset.version, org__in=_ids(orgs))
    totals = base.aggregate(items=Count("id"), orgs=Count("org_id", distinct=True))
    rows = base.order_by("due_by", "org__path", "rule_id", "id").values_list(*_TODO_FIELDS)[:limit]
    return totals["orgs"], totals["items"], _todo_items(rows, ruleset)


def kept_todo_units(orgs, *, ruleset: Ruleset) -> list[tuple[str, int, int, dt.date]]:
    """For a large scope's 待办 summary: per 单位 of `orgs` with kept 待办, (单位 or "", organisations, items, the
    soonest due date), counted in one query whatever the number of items (reading them to count them cost a city's
    工委 half a second)."""
    rows = (
        KeptTodo.objects.filter(version=ruleset.version, org__in=_ids(orgs))
        .values("org__unit")
        .annotate(orgs=Count("org_id", distinct=True), items=Count("id"), first=Min("due_by"))
        .order_by()
        .values_list("org__unit", "orgs", "items", "first")
    )
    found: dict[str, list] = {}
    for unit, n_orgs, items, first in rows:  # a NULL 单位 and an empty one are the same "未填单位"
        known = found.setdefault(unit or "", [unit or "", 0, 0, first])
        known[1] += n_orgs
        known[2] += items
        known[3] = min(known[3], first)
    return [(unit, n_orgs, items, first) for unit, n_orgs, items, first in found.values()]


# --- refresh after writes ----------------------------------------------------------------------------------


def affected_orgs(paths: Iterable[str]):
    """The organisations a change at these paths can affect: those on the paths (each organisation and its
    ancestors: their own, their 党小组's and their subtree's records) and those where a member of a changed
    organisation (or of its subtree) holds a post (a secretary's lecture or training counts for the
    organisation of the post; a service names the lecturer's branch through `audit.changed`). Two queries."""
    paths = sorted({p for p in paths if p})
    ids = {int(segment) for path in paths for segment in path.split("/") if segment}
    if not ids:
        return Org.objects.none()
    ids.update(
        Post.objects.filter(under_paths("member__org__path", paths))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=dt.date(dt.date.today().year - 1, 1, 1)))
        .values_list("org_id", flat=True)
        .distinct()
    )
    return Org.objects.filter(pk__in=sorted(ids))


@task()
def refresh_paths(paths: list[str]) -> int:
    """Refreshes the kept results of the organisations affected by changes at `paths`."""
    report = refresh(affected_orgs(paths))
    return report.orgs


@task()
def refresh_pending() -> int:
    """Refreshes the organisations of every path waiting in `PendingRefresh`, in one pass: the tasks queued by
    a burst of writes find the paths of the later writes already taken by the first and return at once. The
    rows are taken with their lock (another worker skips them) and deleted in the refresh's transaction: a
    refresh that fails leaves them for the next task."""
    with transaction.atomic():
        rows = list(
            PendingRefresh.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "path")
        )
        if not rows:
            return 0
        PendingRefresh.objects.filter(pk__in=[pk for pk, _path in rows]).delete()
        return refresh(affected_orgs(path for _pk, path in rows)).orgs


_local = threading.local()


def _pending() -> set[str]:
    paths = getattr(_local, "paths", None)
    if paths is None:
        paths = _local.paths = set()
    return paths


def _flush() -> None:
    """Adds every path marked so far to the waiting ones and enqueues their refresh; the transaction's later
    callbacks find nothing."""
    paths = sorted(_pending())
    _pending().clear()
    if paths:
        PendingRefresh.objects.bulk_create([PendingRefresh(path=path) for path in paths])
        refresh_pending.enqueue()


@contextmanager
def refreshed_once_after() -> Iterator[None]:
    """For a bulk writer that refreshes everything itself when it is done (`dangjian seed`): its writes mark
    no organisation, so that the refresh after them is not run twice (once for the marked paths, which are
    then nearly all of them, and once in full)."""
    _local.suspended = getattr(_local, "suspended", 0) + 1
    try:
        yield
    finally:
        _local.suspended -= 1


def _suspended() -> int:
    return int(getattr(_local, "suspended", 0))


def mark_changed(org_path: str) -> None:
    """A record of the organisation at `org_path` changed: its kept results are refreshed after the
    transaction commits (at once outside a transaction), once for all the paths the transaction marked.
    The paths of a rolled-back transaction are forgotten when the next transaction marks its own."""
    if not org_path or _suspended():
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
