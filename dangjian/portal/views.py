"""The dashboard and the audit log page."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_tasks import TaskResultStatus

from dangjian.accounts.choices import SystemRole
from dangjian.accounts.scope import scope_for
from dangjian.accounts.sysroles import AUDIT_ADMIN
from dangjian.accounts.sysviews import system_role_required
from dangjian.accounts.web import admin_required
from dangjian.assessment.selectors import tier_history, tier_movement
from dangjian.assessment.workbench import lagging_branches
from dangjian.compliance.workbench import CATEGORIES
from dangjian.core import exports
from dangjian.core.downloads import personal_data, record_export
from dangjian.core.models import AuditEvent
from dangjian.evaluations.forms import own_self_form
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.portal import auditexport, auditlog, report, selectors, workbench, worklist
from dangjian.portal.auditlog import audit_diffs, field_label, type_label  # noqa: F401  (read from here too)


@personal_data  # a member without an admin role sees their own record here
@login_required
@require_GET
def dashboard(request):
    """Admins: statistics of their scope. A member without an admin role: their own record.
    Anyone else: a page saying no role has been assigned yet."""
    scope = scope_for(request.user)
    if scope.system_role:  # 三员分立: the system roles' own pages, no party statistics
        return render(
            request,
            "accounts/system/dashboard.html",
            {"nav": "dashboard", "role_label": SystemRole(scope.system_role).label},
        )
    if scope.is_admin:
        board = selectors.build_dashboard(request.user)
        context = {
            "nav": "dashboard",
            "board": board,
            "chart_data": board.chart_data(),
            "compliance": selectors.compliance_summary(request.user),
            "today": dt.date.today(),
        }
        # 党委/工委: the organisations most behind first, then the overseen organisation's own items
        if scope.oversees:
            context["rollup"] = workbench.rollup(request.user, unit=_unit(request))
            context["tiers"] = tier_movement(request.user)  # 分类定级 at the latest 审定 and how it moved
            # 抓两头带中间: the branches tiered 后进 whose 整顿 is not done come first, above the roll-up
            context["lagging"] = lagging_branches(request.user, None, dt.date.today())
            # the 党委's (工委's) own items — 书记和委员的学时, 书记述职评议 … — as on its drill-down page
            roots = workbench.overseen_roots(request.user)
            if roots:
                context.update(_work_context(request, workbench.own_work(roots, user=request.user)))
        else:  # a branch: what it must do, overdue first
            context.update(_work_context(request, workbench.work_list(request.user)))
        return render(request, "core/dashboard.html", context)
    member = selectors.own_member(request.user)
    if member is not None:
        request.user.member = member  # the navbar shows the member's name: no second read
    home = workbench.member_home(member) if member is not None else None
    if home is not None:  # the 个人自评 forms of the evaluations at that step
        home.self_assessments = tuple((p, own_self_form(p)) for p in home.self_assessments)
    return render(
        request, "core/dashboard_personal.html", {"nav": "dashboard", "member": member, "home": home}
    )


def _unit(request) -> str | None:
    """The 单位 the roll-up is narrowed to (`?unit=`, a row of its units' table; empty: the organisations without
    one), None for all of them."""
    unit = request.GET.get("unit")
    return unit.strip()[:100] if unit is not None else None


def _work_context(request, work) -> dict:
    """The work list and the category it is narrowed to (`?category=`: the counts at the top are its links)."""
    category = request.GET.get("category", "")
    category = category if category in CATEGORIES else ""
    shown = work.only(category)
    return {"work": work, "category": category, "shown": shown, "entries": worklist.entries(shown)}


@personal_data  # the items name members (政治生日, transfers)
@admin_required
@require_GET
def work_org(request, pk: int):
    """The drill-down of the roll-up, within the user's scope (any other organisation is a 404): a 党支部's (or
    党小组's) work list; for a 党委, 党总支 … the roll-up of its subtree and its own items."""
    org = Org.objects.visible_to(request.user).filter(pk=pk).first()
    if org is None or not scope_for(request.user).covers(org):
        raise Http404
    context = {"nav": "dashboard", "org": org, "today": dt.date.today()}
    if org.type in (OrgType.ZHIBU, OrgType.XIAOZU):
        context.update(_work_context(request, workbench.work_list(request.user, org=org)))
        context["tier_history"] = tier_history(org)
    else:
        unit = _unit(request)
        rollup = workbench.rollup(request.user, root=org, unit=unit)
        # an organisation without organisations below it (a 党组) has its own items only: no empty roll-up above them
        context["rollup"] = rollup if rollup.total_orgs or unit is not None else None
        context.update(_work_context(request, workbench.own_work(org, user=request.user)))
    return render(request, "core/work_org.html", context)


DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@admin_required
@require_GET
def report_docx(request, pk: int):
    """The data part of the 述职报告 of an organisation in the user's scope (404 otherwise) for `year` (default
    this year), as a Word document; recorded as an export."""
    org = Org.objects.visible_to(request.user).filter(pk=pk).first()
    if org is None or not scope_for(request.user).covers(org):
        raise Http404
    today = dt.date.today()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        raise Http404 from None
    if not 2000 <= year <= today.year:
        raise Http404
    content = report.report_docx(report.report_data(org, year, on=today))
    record_export(
        actor=request.user,
        what=_("述职报告数据"),
        object_type="orgs.Org",
        org_path=org.path,
        scope=f"{org.name} {year}",
        rows=1,
    )
    response = HttpResponse(content, content_type=DOCX_CONTENT_TYPE)
    filename = _("%(org)s%(year)s年度述职报告数据.docx") % {"org": org.name, "year": year}
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    add_never_cache_headers(response)
    return response


# --- audit log ---------------------------------------------------------------------------------------
#
# The reading (who reads which events, the filter, the changes in words) is `portal.auditlog`; the 审计管理员's
# export and check of the hash chain are `portal.auditexport`.

audit_admin_required = system_role_required(AUDIT_ADMIN)


@login_required
@require_GET
def audit_log(request):
    """The audit trail within the reader's scope; the 审计管理员 reads all of it (the other system roles'
    actions included), exports what the filter selects and checks the hash chain. The 系统管理员 and the 安全管理员
    do not read it: the 审计管理员 reviews their actions. A filter that does not hold (a date range backwards, an
    organisation outside the scope) is said on the form, with what was typed, and lists nothing."""
    reader = auditlog.reader(request.user)
    form, events = auditlog.filtered(reader, request.GET)
    if events is None:
        events = reader.events.none()
    events = auditlog.with_orgs(events.order_by("-at", "-id"))
    page = Paginator(events, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        event.type_label = auditlog.type_label(event.object_type)
    auditlog.audit_diffs(page)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "audit",
        "form": form,
        "page": page,
        "auditor": reader.auditor,
        "filter_holds": not form.is_bound or not form.errors,
        "export_query": query.urlencode(),
    }
    if reader.auditor:
        context["verification"] = auditexport.latest_verification()
    return render(request, "core/audit_log.html", context)


@login_required
@require_GET
def audit_orgs(request):
    """htmx: the `<option>`s of the filter's organisation search (`auditlog.OrgSearchPicker`): the organisations the
    reader may name whose name, 单位 or 组织编码 match (names and codes only, at most 20), the first one chosen."""
    reader = auditlog.reader(request.user)
    q = request.GET.get("org_q", "").strip()[:100]
    selected = request.GET.get("org", "")
    options = auditlog.org_options(reader.orgs, q=q, selected=selected)
    values = [value for value, _label in options]
    if selected not in values:
        selected = values[0] if q and values else ""
    return render(
        request,
        "orgs/_org_options.html",
        {"options": options, "selected": selected, "searched": bool(q), "kind": "", "required": False},
    )


@personal_data
@audit_admin_required
@require_GET
def audit_export(request):
    """The 审计管理员's export of exactly the events the page's filter selects (`auditexport`): at once when small,
    by the task worker otherwise; recorded as an export. A filter that does not hold exports nothing (an
    organisation outside the log: 404; anything else: 400); more than a worksheet holds is refused with a message."""
    form, events = auditlog.filtered(auditlog.reader(request.user), request.GET)
    if events is None:
        if "org" in form.errors:
            raise Http404
        raise BadRequest("invalid audit filter")
    if events.count() > auditexport.MAX_ROWS:
        messages.error(
            request,
            _("筛选出的记录超过 %(limit)s 条，一个工作表放不下，请缩小日期范围后分次导出。")
            % {"limit": f"{auditexport.MAX_ROWS:,}"},
        )
        query = request.GET.urlencode()
        return redirect(f"{reverse('portal:audit')}?{query}" if query else reverse("portal:audit"))
    return exports.respond(request, "audit")


@audit_admin_required
@require_POST
def audit_verify(request):
    """The 审计管理员 checks the audit log's hash chain (`dangjian audit verify`) from the page: the check runs as a task
    (at once with the immediate backend, else in `dangjian worker`) and is recorded as a `verify` event, whose result
    the page shows. A repeat checks again."""
    result = auditexport.verify_chain.enqueue(request.user.pk)
    if result.status == TaskResultStatus.SUCCESSFUL and result.return_value is not None:
        event = AuditEvent.objects.get(pk=result.return_value)
        if (event.after or {}).get("result") == "intact":
            messages.success(request, _("校验完成：操作日志完整，哈希链未发现断开。"))
        else:
            messages.error(request, _("校验完成：操作日志的哈希链已断开，详见下方校验结果。"))
    elif result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED):
        messages.error(request, _("校验未能完成，请稍后重试；如仍失败，请联系系统管理员。"))
    else:
        messages.info(request, _("已开始校验操作日志，完成后结果显示在本页，请稍后刷新查看。"))
    return redirect("portal:audit")
