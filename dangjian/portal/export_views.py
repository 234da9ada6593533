"""The page of a large export made by the task worker (core.exports): its progress, then its download. Only the
user who asked for the export sees either; anybody else gets a 404, as for a record outside their scope. The users
who may export: the 党组织管理员, and the 审计管理员 (the audit log, portal.auditexport)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dangjian.accounts.scope import scope_for
from dangjian.accounts.sysroles import AUDIT_ADMIN
from dangjian.core import exports
from dangjian.core.downloads import XLSX_CONTENT_TYPE, personal_data
from dangjian.core.models import ExportJob

WAITING = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)


def exporter_required(view):
    """Signed in as a 党组织管理员 or the 审计管理员 (who exports the audit log); otherwise 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = scope_for(request.user)
        if not (scope.is_admin or scope.system_role == AUDIT_ADMIN):
            raise PermissionDenied(_("此页面仅供党组织管理员使用。"))
        return view(request, *args, **kwargs)

    return wrapper


def _own_job(request, pk) -> ExportJob:
    return get_object_or_404(ExportJob, pk=pk, user=request.user)


@exporter_required
@require_GET
def export_job(request, pk):
    job = _own_job(request, pk)
    percent = 0
    if job.rows_expected:
        percent = min(99, job.rows_done * 100 // job.rows_expected)
    if job.status == ExportJob.Status.DONE:
        percent = 100
    response = render(
        request,
        "portal/export_job.html",
        {
            "job": job,
            "waiting": job.status in WAITING,
            "percent": percent,
            "expires_at": exports.expires_at(job),
            "what": exports.label(job.kind),
        },
    )
    add_never_cache_headers(response)  # the status changes: never a stale copy
    return response


@personal_data
@exporter_required
@require_GET
def export_download(request, pk):
    job = _own_job(request, pk)
    content = exports.read(job) if job.status == ExportJob.Status.DONE else None
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, job.filename) or "attachment"
    return response
