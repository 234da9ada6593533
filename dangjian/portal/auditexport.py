"""The 审计管理员's export of the audit log and the check of its hash chain from the audit page.

The export (registered with `core.exports`): exactly the events the page's filter selects, oldest first (the
chain's order), one row each with its changes in words, in a workbook with Chinese headers and a 说明 sheet naming
the filter; made at once when small, by the task worker otherwise; recorded as an `export` event. Personal data is
as the page shows it: masked in the snapshots, redacted in any other text.

The check (`verify_chain`, a task: `dangjian audit verify` run for the 审计管理员 — in `dangjian worker`, or at once
with the immediate backend): walks the chain (`core.auditchain.verify`) and records a `verify` event whose snapshot
holds the result, which the page then shows — where the chain breaks, if it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from dangjian.accounts.models import User
from dangjian.accounts.scope import scope_for
from dangjian.accounts.sysroles import AUDIT_ADMIN
from dangjian.core import audit, auditchain, xlsx
from dangjian.core.downloads import Counted
from dangjian.core.errors import ServiceError
from dangjian.core.exports import Made, Progress, register_export
from dangjian.core.models import AuditEvent
from dangjian.portal import auditlog

BATCH = 2000  # events read, and their names looked up, at a time
# An export above this is refused (a worksheet holds 1,048,576 rows): the filter is narrowed instead.
MAX_ROWS = 1_000_000
HEADER = (
    "记录编号",
    "时间",
    "操作人",
    "操作",
    "对象类型",
    "对象",
    "所属组织",
    "组织编码",
    "变更内容",
    "说明",
    "请求编号",
    "哈希",
)
WIDTHS = (10, 20, 16, 12, 14, 28, 24, 14, 60, 40, 20, 66)
VERIFY_TYPE = "core.auditevent"  # the log's own events (its pruning, the checks of its chain)


# --- the export -------------------------------------------------------------------------------------------------


def _auditor_events(user, query: QueryDict):
    found = auditlog.reader(user)
    if not found.auditor:
        raise PermissionDenied
    form, events = auditlog.filtered(found, query)
    if events is None:
        raise ServiceError(_("筛选条件有误，未导出。"))
    return form, events


def _estimate(user, query: QueryDict) -> int:
    _form, events = _auditor_events(user, query)
    return events.count()


def _changes(event) -> str:
    return "；".join(
        f"{label}：{auditlog.plain(before)} → {auditlog.plain(after)}" for label, before, after in event.diff
    )


def _rows(events) -> Iterator[tuple[Any, ...]]:
    """The events in id order (the chain's), BATCH at a time: a batch's names are read once for all its rows."""
    last = 0
    while True:
        batch = list(auditlog.with_orgs(events.filter(id__gt=last).order_by("id"))[:BATCH])
        if not batch:
            return
        auditlog.audit_diffs(batch)
        for event in batch:
            yield (
                event.id,
                timezone.localtime(event.at).replace(tzinfo=None),
                event.actor_label,
                event.get_action_display(),
                auditlog.type_label(event.object_type),
                event.shown_repr,
                event.org_name or "",
                event.org_code or "",
                _changes(event),
                event.shown_note,
                event.request_id,
                event.hash,
            )
        last = batch[-1].id


@register_export("audit", estimate=_estimate, label=gettext_lazy("操作日志"))
def build_export(user, query: QueryDict, progress: Progress) -> Made:
    form, events = _auditor_events(user, query)
    described = form.describe() if form.is_bound else ""
    rows = Counted(_rows(events), progress)
    # the workbook's headers and notes are Chinese data, as every export's (its values follow the page's language)
    events_sheet = xlsx.Table("操作日志", header=HEADER, rows=rows, widths=WIDTHS)
    now = timezone.localtime()

    def about() -> Iterator[tuple[str, Any]]:  # written after the events: their number is known
        yield ("导出时间", f"{now:%Y-%m-%d %H:%M:%S}")
        yield ("导出人", audit.actor_label(user))
        yield ("筛选条件", described or "全部操作日志")
        yield ("记录条数", rows.n)
        yield ("排列顺序", "按记录编号（即记录的先后）排列")
        yield ("个人信息", "身份证号、手机号码只以掩码显示")

    about_sheet = xlsx.Table("说明", rows=about(), widths=(14, 60))
    content = xlsx.tables_bytes([events_sheet, about_sheet])  # the rows are counted as they are written
    return Made(
        content,
        f"{_('操作日志')}-{dt.date.today():%Y-%m-%d}.xlsx",
        what=_("操作日志"),
        object_type="core.auditevent",
        org_path=form.cleaned_data["org"].path if form.is_bound and form.cleaned_data.get("org") else "",
        scope=described or _("全部操作日志"),
        rows=rows.n,
    )


# --- the check of the chain -------------------------------------------------------------------------------------


def record_verification(*, actor, verdict: auditchain.Verdict) -> AuditEvent:
    """The `verify` event of a check of the chain, its result in its snapshot (kept in Chinese, as the log's
    records are; the page says it in the reader's language)."""
    after: dict[str, Any] = {"result": "intact" if verdict.ok else "broken", "checked": verdict.count}
    if verdict.ok:
        after["head_hash"] = verdict.head_hash
        note = f"操作日志完整：共核对 {verdict.count} 条，哈希链未发现断开。"
    else:
        broken = AuditEvent.objects.filter(pk=verdict.broken_id or 0).values_list("at", flat=True).first()
        after["broken_id"] = verdict.broken_id
        after["broken_at"] = timezone.localtime(broken) if broken is not None else None
        after["problem"] = verdict.problem
        note = (
            f"操作日志的哈希链在编号 {verdict.broken_id} 处断开：{verdict.problem}"
            f"（此前 {verdict.count} 条完好）"
        )
    return audit.record(
        actor=actor,
        action="verify",
        object_type="core.auditevent",
        object_repr="操作日志完整性校验",
        after=after,
        note=note,
    )


@task()
def verify_chain(user_id: int) -> int | None:
    """Checks the chain for the 审计管理员 `user_id` (still one when it runs) and records the check; returns its event's
    id (None: refused)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or scope_for(user).system_role != AUDIT_ADMIN:
        return None
    return record_verification(actor=user, verdict=auditchain.verify()).pk


def latest_verification() -> AuditEvent | None:
    """The latest check of the chain (one query, on the object-type index)."""
    return AuditEvent.objects.filter(object_type=VERIFY_TYPE, action="verify").order_by("-id").first()
