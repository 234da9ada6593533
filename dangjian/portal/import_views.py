"""Web import pages: templates, upload → preview (a dry run) → confirm (the real run).

The upload is read into memory and its temporary file (Django keeps a large one in
FILE_UPLOAD_TEMP_DIR) is closed, hence deleted, at once. Only a file whose preview is clean is kept
between preview and confirmation, under VAR_DIR/imports/<random token>.xlsx: a refused or malformed
file is never stored. The session keeps the token per kind and the confirmation form echoes it back.
The client never names a path: the token must match the session's, and the file is read once and
deleted when the import is confirmed. Every refusal, preview and commit is audited.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from dangjian.accounts.web import admin_required
from dangjian.core.downloads import personal_data

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PREVIEW_ROWS = 500
STALE_AFTER_SECONDS = 24 * 3600
SESSION_KEY = "pending_imports"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_ZIP_MAGIC = b"PK\x03\x04"

DESCRIPTIONS = {
    "dev-cases": gettext_lazy(
        "发展党员：导入已在培养的入党申请人、积极分子、发展对象和预备党员（按身份证号新增或补充），每个主要步骤一列日期，"
        "须符合发展流程的先后和间隔要求；已到预备党员阶段的，关联党员名册中的该党员（名册中没有的，新增党员，入党日期为接收预备党员日期）。"
    ),
    "study-stats": gettext_lazy(
        "学习平台统计：导入学习强国、上海干部在线学习等平台导出的每名党员每期的积分和学时"
        "（按身份证号、平台和期间新增或更新）；哪些平台的学时计入学时要求，由规则库规定。"
    ),
    "ballot-tallies": gettext_lazy(
        "纸质测评票：民主评议党员用纸质测评票的党支部，按民主评议登记收回的纸质票数和每名党员得到的各等次票数"
        "（只能在党员互评和民主测评步骤中登记；一个文件给出该民主评议的全部纸质票数，替换此前登记的数字）。"
    ),
    "orgs": gettext_lazy("组织树：按组织编码新增或更新组织。上级组织可以写在同一文件中靠后的行。"),
    "members": gettext_lazy(
        "党员名册：按身份证号新增或更新党员。填写党内职务和任职日期时，在党员所在组织登记该职务。"
    ),
    "posts": gettext_lazy(
        "党内职务任免：为已登记的党员登记职务（按党员、组织、职务和任职日期匹配），任职组织可以不是党员所在组织。"
    ),
    "meetings": gettext_lazy(
        "组织生活记录：按组织、活动类型、日期和主题新增或更新记录。一条记录可以同时是几种活动；"
        "只需填写缺席人员，应到、实到人数按会议当天的名单自动计算。"
    ),
    "dues-bases": gettext_lazy(
        "党费基数申报：按党员和生效月份新增或更新缴费类别和月缴费基数（税后月收入）；"
        "年中调资另起一行，生效月份填新工资发放的月份。“其他”类别填写支部确定的月缴纳额。"
    ),
    "dues-payments": gettext_lazy(
        "党费缴纳：逐笔登记缴纳记录（可直接整理银行流水），所属月份可以是一段月份，按月份先后分配；"
        "党员、所属月份、金额和缴纳日期都相同的记录视为已导入，不会重复登记。"
    ),
}
ACTION_LABELS = {
    "create": gettext_lazy("新增"),
    "update": gettext_lazy("更新"),
    "unchanged": gettext_lazy("未变"),
}


class ImportUploadForm(forms.Form):
    refusal = ""  # a refusal decided before the form could be bound (an oversized body)

    file = forms.FileField(
        label=gettext_lazy("Excel 文件（.xlsx）"),
        error_messages={"required": gettext_lazy("请选择要导入的 Excel 文件。")},
        widget=forms.ClearableFileInput(
            attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}", "class": "form-control form-control-sm"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("只能导入 .xlsx 格式的 Excel 文件（旧版 .xls 请先另存为 .xlsx）。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_too_large_message())
        head = upload.read(4)
        upload.seek(0)
        if head != _ZIP_MAGIC:
            raise forms.ValidationError(
                _("文件内容不是有效的 .xlsx 工作簿，请用 Excel 或 WPS 另存为 .xlsx 后再上传。")
            )
        return upload


def _audit_refusal(request, kind: str, name: str, reasons: list[str]) -> None:
    from dangjian.core.imports import actor_path, record_import_event

    record_import_event(
        kind,
        name,
        actor=request.user,
        action="import_failed",
        note="导入预览未执行：" + "；".join(str(r) for r in reasons),
        org_path=actor_path(request.user),
    )


def _too_large_message() -> str:
    return _("文件超过 %(mb)d MB，请拆分成几个文件分别导入。") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}


def _label(kind: str) -> str:
    from dangjian.core.imports import IMPORT_KINDS

    if kind not in IMPORT_KINDS:
        raise Http404(_("未知的导入类型。"))
    return IMPORT_KINDS[kind]


def _import_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _pending_path(token: str) -> Path | None:
    """The stored upload for a token from the session; None for anything that is not our token shape."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    return _import_dir() / f"{token}.xlsx"


def _sweep_stale() -> None:
    """Uploads previewed but never confirmed are removed after a day."""
    limit = time.time() - STALE_AFTER_SECONDS
    for path in _import_dir().glob("*.xlsx"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def _discard(token: str | None) -> None:
    path = _pending_path(token) if token else None
    if path is not None:
        path.unlink(missing_ok=True)


def _named_source(data: bytes, name: str) -> io.BytesIO:
    """The workbook bytes as a file object carrying the uploaded file's name (for the audit log)."""
    source = io.BytesIO(data)
    source.name = name
    return source


def _cards(forms_by_kind: dict | None = None) -> list[dict]:
    from dangjian.core.imports import IMPORT_KINDS, get_importer

    forms_by_kind = forms_by_kind or {}
    return [
        {
            "kind": kind,
            "label": label,
            "description": DESCRIPTIONS.get(kind, ""),
            "columns": get_importer(kind).columns,
            "form": forms_by_kind.get(kind) or ImportUploadForm(auto_id=f"id_{kind}_%s"),
        }
        for kind, label in IMPORT_KINDS.items()
    ]


def _index_page(request, forms_by_kind: dict | None = None, status: int = 200):
    """The import page; with `forms_by_kind` (a refused upload: one bound form), the refusal is said at the top of
    the page, naming the card and linking to it, and the card's file input takes the focus (the browser scrolls
    to it), since the card may be far below the fold."""
    cards = _cards(forms_by_kind)
    refused = next((card for card in cards if card["kind"] in (forms_by_kind or {})), None)
    if refused is not None:
        form = refused["form"]
        reasons = [form.refusal] if form.refusal else [*form.non_field_errors(), *form.errors.get("file", [])]
        refused = {**refused, "reasons": [str(r) for r in reasons]}
    context = {
        "nav": "imports",
        "cards": cards,
        "refused": refused,
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "imports/index.html", context, status=status)


@admin_required
def import_index(request):
    return _index_page(request)


@admin_required
def import_template(request, kind: str):
    from dangjian.core.imports import template_workbook

    label = _label(kind)
    response = HttpResponse(template_workbook(kind), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_("%(label)s导入模板.xlsx") % {"label": label}
    )
    return response


@personal_data  # the preview and its error report list the file's rows
@csrf_exempt  # only so that an oversized body can be refused unparsed; _upload is CSRF-protected
@admin_required
def import_upload(request, kind: str):
    _label(kind)
    if request.method != "POST":
        return redirect("portal:import_index")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD_BYTES + 64 * 1024:
        # Refused without parsing: the body is drained in small chunks, never stored.
        while request.read(64 * 1024):
            pass
        form = ImportUploadForm(auto_id=f"id_{kind}_%s")
        form.refusal = _too_large_message()
        _audit_refusal(request, kind, _("上传的文件"), [form.refusal])
        return _index_page(request, {kind: form}, status=400)
    return _upload(request, kind)


@csrf_protect
def _upload(request, kind: str):
    """Runs a dry run of the upload and shows the preview; only a clean preview is stored, to be confirmed."""
    from dangjian.core.imports import ImportFileError, run_import

    label = _label(kind)
    form = ImportUploadForm(request.POST, request.FILES, auto_id=f"id_{kind}_%s")
    try:
        valid = form.is_valid()
        upload = form.cleaned_data["file"] if valid else None
        name = Path(upload.name).name[:100] if upload else ""
        data = upload.read() if upload else b""
    finally:
        for uploaded in request.FILES.values():
            uploaded.close()  # a large upload's temporary file is deleted now, not at the end of the request
    if not valid:
        uploaded = request.FILES.get("file")
        _audit_refusal(
            request,
            kind,
            Path(uploaded.name).name[:100] if uploaded else _("上传的文件"),
            form.errors.get("file", []),
        )
        return _index_page(request, {kind: form}, status=400)
    try:
        result = run_import(kind, _named_source(data, name), actor=request.user, dry_run=True)
    except ImportFileError as exc:
        form.add_error("file", exc.message)
        return _index_page(request, {kind: form}, status=400)
    pending = request.session.get(SESSION_KEY, {})
    _discard(pending.pop(kind, {}).get("token"))  # a new preview replaces the previous one
    token = ""
    if result.ok():  # only a clean preview is kept for confirmation
        _sweep_stale()
        token = secrets.token_hex(16)
        path = _pending_path(token)
        path.write_bytes(data)
        path.chmod(0o600)
        pending[kind] = {"token": token, "name": name}
    request.session[SESSION_KEY] = pending
    return render(
        request,
        "imports/preview.html",
        _result_context(kind, label, name, result, committed=False, token=token),
    )


@personal_data
@admin_required
@require_POST
def import_commit(request, kind: str):
    """Runs the previewed file for real. Refused without a matching preview in this session."""
    from dangjian.core.imports import ImportFileError, run_import

    label = _label(kind)
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(kind) or {}
    path = _pending_path(entry.get("token", ""))
    if path is None or request.POST.get("token") != entry.get("token") or not path.is_file():
        messages.error(request, _("没有待确认的导入（或预览已过期），请重新上传文件并预览。"))
        return redirect("portal:import_index")
    pending.pop(kind)
    request.session[SESSION_KEY] = pending  # one confirmation per preview, even on a double submit
    request.session.save()
    try:
        data = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    name = entry.get("name") or _("上传的文件")
    try:
        result = run_import(kind, _named_source(data, name), actor=request.user, dry_run=False)
    except ImportFileError as exc:
        messages.error(request, exc.message)
        return redirect("portal:import_index")
    if result.ok():
        messages.success(
            request,
            _("已导入%(label)s：新增 %(c)d，更新 %(u)d，未变 %(n)d。")
            % {"label": label, "c": result.created, "u": result.updated, "n": result.unchanged},
        )
    return render(request, "imports/preview.html", _result_context(kind, label, name, result, committed=True))


def _result_context(kind: str, label: str, name: str, result, *, committed: bool, token: str = "") -> dict:
    planned = [
        {
            "row": p.row,
            "action": p.action,
            "label": ACTION_LABELS.get(p.action, p.action),
            "summary": p.summary,
        }
        for p in result.planned[:MAX_PREVIEW_ROWS]
    ]
    return {
        "nav": "imports",
        "kind": kind,
        "label": label,
        "filename": name,
        "result": result,
        "planned": planned,
        "planned_hidden": max(0, len(result.planned) - MAX_PREVIEW_ROWS),
        "committed": committed,
        "token": token,
        "next_url": {"orgs": "orgs:tree", "members": "members:list", "posts": "orgs:tree"}.get(kind),
    }
