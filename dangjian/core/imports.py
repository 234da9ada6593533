"""Excel import and export: the registry of kinds and the public API used by the command and the web.

`run_import` reads the first sheet, checks every cell, resolves references across the whole file (in
bulk), then writes row by row through the domain services inside one transaction, each row in its own
savepoint so that one refused row does not hide the errors of the next. If any row has an error, or on
a dry run, the transaction is rolled back: a file is imported entirely or not at all, and a dry run
reports exactly what a real run would do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from dangjian.core import audit, xlsx
from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.core.xlsx import Column, ParsedRow, RowError

__all__ = [
    "IMPORT_KINDS",
    "ImportContext",
    "ImportFileError",
    "ImportResult",
    "Importer",
    "PlannedRow",
    "RowError",
    "actor_path",
    "bulk_filter",
    "export_workbook",
    "get_importer",
    "record_import_event",
    "run_import",
    "template_workbook",
]

IMPORT_KINDS: dict[str, str] = {
    "orgs": "组织",
    "members": "党员",
    "posts": "党内职务",
    "meetings": "组织生活记录",
    "dues-bases": "党费基数",
    "dues-payments": "党费缴纳",
    "dev-cases": "发展党员",
    "study-stats": "学习平台统计",
    "ballot-tallies": "纸质测评票",
}

_IMPORTERS = {
    "orgs": "dangjian.orgs.xlsx.OrgImporter",
    "members": "dangjian.members.xlsx.MemberImporter",
    "posts": "dangjian.members.xlsx.PostImporter",
    "meetings": "dangjian.meetings.xlsx.MeetingImporter",
    "dues-bases": "dangjian.dues.xlsx.DuesBaseImporter",
    "dues-payments": "dangjian.dues.xlsx.DuesPaymentImporter",
    "dev-cases": "dangjian.pipeline.xlsx.DevCaseImporter",
    "study-stats": "dangjian.training.xlsx.StudyStatsImporter",
    "ballot-tallies": "dangjian.evaluations.xlsx.BallotTalliesImporter",
}

# import kind → context managers around its write step, registered by the apps whose derived data the
# import changes (the 党费 ledger snapshots defer their refresh to once per members file)
WRITE_CONTEXTS: dict[str, list[Callable[[], Any]]] = {}


def register_write_context(kind: str, factory: Callable[[], Any]) -> None:
    if factory not in WRITE_CONTEXTS.setdefault(kind, []):
        WRITE_CONTEXTS[kind].append(factory)


PROGRESS_EVERY = 1000
_COUNTERS = {"create": "created", "update": "updated", "unchanged": "unchanged"}


class ImportFileError(ServiceError):
    """The file is missing or not a readable .xlsx workbook (nothing was read, nothing written)."""


@dataclass
class PlannedRow:
    row: int
    action: str  # "create", "update" or "unchanged"
    summary: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_SHOWN_ERRORS, in row order
    error_count: int = 0  # all of them
    rows: int = 0  # data rows of the file (blank rows left out)
    warnings: list[str] = field(default_factory=list)
    planned: list[PlannedRow] = field(default_factory=list)

    def ok(self) -> bool:
        return not self.errors

    @property
    def more_errors(self) -> int:
        """Errors found beyond those listed."""
        return max(0, self.error_count - len(self.errors))

    def to_json(self) -> dict:
        data: dict[str, Any] = {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
        }
        if self.more_errors:
            data["more_errors"] = self.more_errors
        return data


class Importer:
    """One kind of import/export. Subclasses define the columns and the resolve-and-write step."""

    kind: str = ""
    title: str = ""  # sheet title
    columns: tuple[Column, ...] = ()
    aliases: dict[str, str] = {}  # service field name → column header, beyond the column keys
    fallback_column = ""  # where an error that names no field is reported (default: the first column)

    def header_for(self, key: str | None) -> str:
        for column in self.columns:
            if column.key == key:
                return column.header
        return self.aliases.get(key or "") or self.fallback_column or self.columns[0].header

    def write_context(self):
        """A context manager around the write step (e.g. to refresh derived data once for the whole file
        instead of once per row): those another app registered for this kind (`register_write_context`)."""
        stack = contextlib.ExitStack()
        for factory in WRITE_CONTEXTS.get(self.kind, ()):
            stack.enter_context(factory())
        return stack

    def check_row(self, row: ParsedRow, ctx: ImportContext) -> None:
        """Checks within one row that need no database (e.g. two columns that go together)."""

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        raise NotImplementedError

    def example(self) -> dict[str, Any]:
        raise NotImplementedError

    def export_rows(self, queryset) -> Iterable[dict[str, Any]]:
        raise NotImplementedError


# How an actor's scope is read (accounts.scope.fresh_scope, set by the accounts app when it loads): core
# sits below accounts and names no app above it.
_SCOPE_LOADER: list[Callable[[Any], Any]] = []


def register_scope_loader(loader: Callable[[Any], Any]) -> None:
    _SCOPE_LOADER[:] = [loader]


def load_scope(actor) -> Any:
    if not _SCOPE_LOADER:
        raise RuntimeError("no scope loader registered (the accounts app is not installed)")
    return _SCOPE_LOADER[0](actor)


class ImportContext:
    """What an importer needs while it runs: the actor and its scope, and where results go."""

    def __init__(self, importer: Importer, actor, progress: Callable[[int, int], None] | None, total: int):
        self.importer = importer
        self.actor = actor
        self.scope = load_scope(actor)
        self.result = ImportResult()
        self.errors = xlsx.RowErrorLog()  # bounded: the result lists the first ones and counts them all
        self.present: set[str] = set()
        self.paths: list[str] = []
        self._failed: set[int] = set()
        self._progress = progress
        self._total = total
        self._done = 0

    def error(self, row: int, column: str, message: str) -> None:
        self.report(RowError(row, column, message))

    def report(self, error: RowError) -> None:
        self.errors.add(error)
        self._failed.add(error.row)

    def fails(self, row: int) -> bool:
        return row in self._failed

    def covers(self, org) -> bool:
        return self.scope.covers(org)

    def has(self, key: str) -> bool:
        """Whether the sheet has that column (absent columns leave existing values alone)."""
        return key in self.present

    def attempt(self, row: int, write: Callable[..., tuple[str, str, str]], *args: Any) -> bool:
        """Runs one row's write in a savepoint; a refusal becomes that row's errors.

        `write` returns (action, summary, org path) and calls the services."""
        try:
            with transaction.atomic():
                action, summary, path = write(*args)
        except ServiceError as exc:
            self._service_error(row, exc)
            return False
        except DatabaseError:
            self.error(row, self.importer.header_for(None), _("数据库拒绝写入该行（违反数据约束），请核对。"))
            return False
        finally:
            self._tick()
        self._count(row, action, summary, path)
        return True

    def written(self, row: int, action: str, summary: str, path: str) -> None:
        """A row written by the importer itself in bulk (not through `attempt`): counted and listed the same."""
        self._tick()
        self._count(row, action, summary, path)

    def refused(self, row: int, exc: ServiceError) -> None:
        """A row a bulk write refused: its errors, as `attempt` reports a refusal."""
        self._tick()
        self._service_error(row, exc)

    def _count(self, row: int, action: str, summary: str, path: str) -> None:
        self.result.planned.append(PlannedRow(row, action, summary))
        counter = _COUNTERS[action]
        setattr(self.result, counter, getattr(self.result, counter) + 1)
        if path:
            self.paths.append(path)

    def _service_error(self, row: int, exc: ServiceError) -> None:
        if not exc.errors:
            self.error(row, self.importer.header_for(exc.field), exc.message)
        for key, messages in exc.errors.items():
            for message in messages:
                self.error(row, self.importer.header_for(key), message)

    def _tick(self) -> None:
        self._done += 1
        if self._progress and (self._done % PROGRESS_EVERY == 0 or self._done == self._total):
            self._progress(self._done, self._total)

    def finish(self) -> ImportResult:
        result = self.result
        result.errors = self.errors.first()
        result.error_count = self.errors.count
        result.planned.sort(key=lambda p: p.row)  # rows are written parents first, listed in sheet order
        if result.errors:  # nothing was written
            result.created = result.updated = result.unchanged = 0
            result.planned = []
        return result


class _Rollback(Exception):
    pass


def get_importer(kind: str) -> Importer:
    if kind not in _IMPORTERS:
        raise ValueError(
            _("未知的导入类型“%(kind)s”，应为：%(kinds)s。")
            % {"kind": kind, "kinds": enumeration(IMPORT_KINDS)}
        )
    return import_string(_IMPORTERS[kind])()


def bulk_filter(queryset, field_name: str, values: Iterable[Any], size: int = 2000) -> list:
    """Rows whose `field_name` is in `values`: one query per `size` values (SQLite caps IN lists)."""
    values = sorted({v for v in values if v not in (None, "")})
    rows: list = []
    for start in range(0, len(values), size):
        rows.extend(queryset.filter(**{f"{field_name}__in": values[start : start + size]}))
    return rows


def common_path(paths: list[str]) -> str:
    """The deepest organisation path that contains all of them (for filtering the audit log)."""
    if not paths:
        return ""
    low, high = min(paths), max(paths)  # the common prefix of the extremes is that of all
    size = next(
        (i for i, (a, b) in enumerate(zip(low, high, strict=False)) if a != b), min(len(low), len(high))
    )
    prefix = low[:size]
    return prefix[: prefix.rfind("/") + 1]


def _source_label(source: Any) -> str:
    name = source if isinstance(source, str | Path) else getattr(source, "name", "")
    return Path(str(name)).name if name else "上传的文件"


def _scope_path(scope: Any) -> str:
    return common_path([g.path for g in getattr(scope, "admin_grants", ())])


def actor_path(actor) -> str:
    """The organisations an actor administers (their common path): where its refused files are filed, so
    that whoever oversees the actor sees them."""
    return _scope_path(load_scope(actor))


def _audit_path(ctx: ImportContext) -> str:
    return common_path(ctx.paths) or _scope_path(ctx.scope)


def record_import_event(kind: str, source: Any, *, actor, action: str, note: str, org_path: str = "") -> None:
    """One audit event per preview, commit or refusal: the kind, the file's name and the counts — never a
    cell's content. Outside the import's transaction, so that a rolled-back run keeps its record."""
    label = IMPORT_KINDS[kind]
    audit.record(
        actor=actor,
        action=action,
        object_type="import",
        object_repr=f"导入{label}：{_source_label(source)}",
        org_path=org_path,
        note=f"{label}{note}",
    )


def _record_outcome(kind: str, source: Any, ctx: ImportContext, *, dry_run: bool) -> None:
    r = ctx.result
    counts = f"新增 {r.created}，更新 {r.updated}，未变 {r.unchanged}"
    if r.errors:
        phase = "导入预览" if dry_run else "导入未执行"
        note = f"{phase}：共 {r.rows} 行，发现 {r.error_count} 处错误，未写入任何数据"
        record_import_event(
            kind, source, actor=ctx.actor, action="import_failed", note=note, org_path=_audit_path(ctx)
        )
    elif dry_run:
        note = f"导入预览：共 {r.rows} 行，可导入（{counts}）"
        record_import_event(
            kind, source, actor=ctx.actor, action="import_preview", note=note, org_path=_audit_path(ctx)
        )


def _record_summary(kind: str, source: Any, ctx: ImportContext) -> None:
    """The committed import, inside its transaction (it is the write's own audit event)."""
    r = ctx.result
    record_import_event(
        kind,
        source,
        actor=ctx.actor,
        action="import",
        note=f"导入：新增 {r.created}，更新 {r.updated}，未变 {r.unchanged}",
        org_path=common_path(ctx.paths),
    )


def run_import(
    kind: str, source, *, actor, dry_run: bool, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Imports a workbook (a path or a binary file object). `actor` None is the system (full scope).

    Raises ImportFileError when the file cannot be read (or has more rows than settings.IMPORT_MAX_ROWS);
    every problem inside it is a RowError. Every run is audited: a preview, a commit, a refusal."""
    importer = get_importer(kind)
    if isinstance(source, str | Path) and not Path(source).is_file():  # a wrong argument, like a wrong kind
        raise ImportFileError(_("文件不存在或不可读：%(path)s") % {"path": source})
    ctx = ImportContext(importer, actor, progress, 0)
    try:
        sheet = xlsx.parse_sheet(importer.columns, source, on_error=ctx.report)
    except xlsx.WorkbookError as exc:
        phase = "导入预览未执行" if dry_run else "导入未执行"
        record_import_event(
            kind,
            source,
            actor=actor,
            action="import_failed",
            note=f"{phase}：{exc.message}",
            org_path=_audit_path(ctx),
        )
        raise ImportFileError(exc.message) from exc
    ctx._total = ctx.result.rows = len(sheet.rows)
    ctx.present = sheet.present
    ctx.result.warnings.extend(sheet.warnings)
    if sheet.header_ok:
        _write(kind, source, importer, sheet, ctx, dry_run=dry_run)
    result = ctx.finish()
    _record_outcome(kind, source, ctx, dry_run=dry_run)
    return result


def _write(
    kind: str, source, importer: Importer, sheet: xlsx.ParsedSheet, ctx: ImportContext, *, dry_run: bool
):
    """Checks and writes the rows in one transaction, rolled back on any error or on a dry run."""
    if not sheet.rows:
        ctx.result.warnings.append(_("文件中没有数据行。"))
    for row in sheet.rows:
        importer.check_row(row, ctx)
    try:
        with transaction.atomic():
            with importer.write_context():
                importer.run(sheet.rows, ctx)
            if ctx.errors or dry_run:
                raise _Rollback
            _record_summary(kind, source, ctx)
    except _Rollback:
        pass


def template_workbook(kind: str) -> bytes:
    """Headers plus one example row, and a second sheet explaining each column."""
    importer = get_importer(kind)
    return xlsx.write_workbook(importer.columns, [importer.example()], title=importer.title, with_help=True)


def export_workbook(kind: str, queryset) -> bytes:
    """The same columns as the import, one row per object of the queryset (Org, Member, Post or Meeting)."""
    importer = get_importer(kind)
    return xlsx.write_workbook(importer.columns, importer.export_rows(queryset), title=importer.title)
