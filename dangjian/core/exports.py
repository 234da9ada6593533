"""Large spreadsheet exports, made by the task worker while the page shows their progress.

A 工委's member roll (60,000 rows) or compliance table (100,000 rows) takes seconds of CPU to write. Made in the
web process, it holds a thread for that long, raises the process's memory and slows every page served beside
it. An app registers each of its exports here (`register_export`): a function that makes the workbook for a
user and the export page's query, and one that estimates its rows cheaply. `respond` (the export view) makes a
small export at once, as before; a larger one (more than EXPORT_BACKGROUND_ROWS rows expected) becomes an
`ExportJob`, made by `run_export` in `dangjian worker` (at a lower CPU priority than the pages), and the user is
sent to the job's page (portal), which shows the progress and then the download.

- The export is made with the user's scope as it is when the job runs (a role withdrawn in between is
  withdrawn from the export too) and in the language of the page that asked for it.
- The finished workbook is kept encrypted (Fernet, a key derived from PII_KEY for this purpose) under
  VAR_DIR/exports, readable by the job's user only, for EXPORT_KEEP_MINUTES; then the file is deleted and the
  page says the export has expired. Job rows are deleted after a week.
- The `export` audit event is recorded when the file is made, as for a download made at once.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from dangjian.core.downloads import export_response, record_export
from dangjian.core.errors import ServiceError
from dangjian.core.models import ExportJob
from dangjian.core.perf import gc_paused
from dangjian.core.pii import derived_key

log = logging.getLogger(__name__)

PROGRESS_EVERY = 2000  # rows between two updates of a job's progress


@dataclass(frozen=True)
class Made:
    """A finished export: the workbook and what its audit event says."""

    content: bytes
    filename: str
    what: str
    object_type: str
    org_path: str
    scope: str
    rows: int


Progress = Callable[[int], None]
Builder = Callable[[Any, QueryDict, Progress], Made]  # (user, the page's query, progress) → the export
Estimator = Callable[[Any, QueryDict], int]  # (user, query) → the rows expected, cheaply


@dataclass(frozen=True)
class ExportKind:
    name: str
    build: Builder
    estimate: Estimator
    label: Any  # what is exported, shown on the job's page ("党员名册")


EXPORTS: dict[str, ExportKind] = {}


def register_export(name: str, *, estimate: Estimator, label: Any) -> Callable[[Builder], Builder]:
    def decorate(build: Builder) -> Builder:
        known = EXPORTS.get(name)
        if known is not None and known.build is not build:
            raise RuntimeError(f"export {name!r} registered twice")
        EXPORTS[name] = ExportKind(name, build, estimate, label)
        return build

    return decorate


def label(name: str) -> str:
    kind = EXPORTS.get(name)
    return str(kind.label) if kind is not None else name


def no_progress(rows: int) -> None:
    """The progress of an export made at once: nobody is watching."""


def respond(request, name: str):
    """The export `name` of the request's user and query: the download at once when it is small, else a job
    for the task worker and a redirect to its page."""
    kind = EXPORTS[name]
    expected = kind.estimate(request.user, request.GET)
    if expected <= settings.EXPORT_BACKGROUND_ROWS:
        made = kind.build(request.user, request.GET, no_progress)
        return _download(made, actor=request.user)
    expire()
    job = ExportJob.objects.create(
        id=uuid.uuid4(),
        user=request.user,
        kind=name,
        params={key: request.GET.getlist(key) for key in request.GET},
        rows_expected=expected,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    transaction.on_commit(lambda: run_export.enqueue(str(job.pk)))
    return redirect("portal:export_job", pk=job.pk)


def _download(made: Made, *, actor) -> HttpResponse:
    return export_response(
        made.content,
        made.filename,
        actor=actor,
        what=made.what,
        object_type=made.object_type,
        org_path=made.org_path,
        scope=made.scope,
        rows=made.rows,
    )


def _query(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, [str(v) for v in values])
    return query


@task()
def run_export(job_id: str) -> str:
    """Makes a queued export (in `dangjian worker`; at once with the immediate backend)."""
    taken = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING
    )
    if not taken:  # already taken, or deleted
        return "skipped"
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    kind = EXPORTS.get(job.kind)

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows)

    try:
        if kind is None or not job.user.is_active:
            raise PermissionDenied
        with translation.override(job.language or settings.LANGUAGE_CODE):
            # a large scope's rows (the city's 115,000 检查结果) are many short-lived objects: built with the collector
            # paused, as the evaluation (the 工委's compliance table: about 2.7 s of CPU instead of 3.3–4.0)
            with gc_paused():
                made = kind.build(job.user, _query(job.params), progress)
            with transaction.atomic():
                store(job, made.content)
                record_export(
                    actor=job.user,
                    what=made.what,
                    object_type=made.object_type,
                    org_path=made.org_path,
                    scope=made.scope,
                    rows=made.rows,
                )
                ExportJob.objects.filter(pk=job.pk).update(
                    status=ExportJob.Status.DONE,
                    rows_done=made.rows,
                    filename=made.filename[:200],
                    finished_at=timezone.now(),
                )
    except (PermissionDenied, Http404, ServiceError):
        _fail(job, _("您已无权导出这些数据（管理范围已变更），未生成文件。"))
        return "refused"
    except Exception:
        log.exception("export %s (job %s) failed", job.kind, job.pk)  # the trace names no person: ids only
        _fail(job, _("生成文件时出错，请稍后重新导出；如仍出错请联系系统管理员。"))
        return "failed"
    expire()
    return "done"


def _fail(job: ExportJob, reason: str) -> None:
    _path(job.pk).unlink(missing_ok=True)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.FAILED, error=reason[:300], finished_at=timezone.now()
    )


# --- the files ------------------------------------------------------------------------------------------


def _directory() -> Path:
    path = Path(settings.VAR_DIR) / "exports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(job_id) -> Path:
    return _directory() / f"{uuid.UUID(str(job_id)).hex}.bin"


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derived_key(b"exports")))


def store(job: ExportJob, content: bytes) -> None:
    """Keeps `content` as the finished workbook of `job`, encrypted."""
    path = _path(job.pk)
    partial = path.with_suffix(".part")
    partial.write_bytes(_fernet().encrypt(content))
    partial.chmod(0o600)
    partial.replace(path)  # whole or absent: a page never offers half a file


def read(job: ExportJob) -> bytes | None:
    """The finished workbook of `job`, or None when it has expired (or was never made)."""
    try:
        return _fernet().decrypt(_path(job.pk).read_bytes())
    except FileNotFoundError:
        return None


def expires_at(job: ExportJob):
    return (job.finished_at or job.created_at) + timedelta(minutes=settings.EXPORT_KEEP_MINUTES)


def expire(now=None) -> int:
    """Deletes the files of the exports finished more than EXPORT_KEEP_MINUTES ago (their pages then say so)
    and the jobs older than a week. Returns the number of files deleted."""
    now = now or timezone.now()
    old = ExportJob.objects.filter(
        status=ExportJob.Status.DONE, finished_at__lt=now - timedelta(minutes=settings.EXPORT_KEEP_MINUTES)
    )
    ids = list(old.values_list("pk", flat=True))
    for pk in ids:
        _path(pk).unlink(missing_ok=True)
    old.filter(pk__in=ids).update(status=ExportJob.Status.EXPIRED)
    ExportJob.objects.filter(created_at__lt=now - timedelta(days=7)).delete()
    return len(ids)
