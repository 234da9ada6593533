"""The dashboard and the audit log page."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from dangjian.accounts.choices import SystemRole
from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required
from dangjian.assessment.selectors import tier_history, tier_movement
from dangjian.assessment.workbench import lagging_branches
from dangjian.compliance.workbench import CATEGORIES
from dangjian.core.audit import SNAPSHOT_LABELS, SNAPSHOT_VALUES
from dangjian.core.downloads import personal_data, record_export
from dangjian.core.models import AuditEvent
from dangjian.evaluations.forms import own_self_form
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.portal import report, selectors, workbench


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
                context.update(_work_context(request, workbench.own_work(roots)))
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
    return {"work": work, "category": category, "shown": work.only(category)}


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
        context.update(_work_context(request, workbench.own_work(org)))
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


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("操作"), required=False)
    object_type = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    date_from = forms.DateField(label=gettext_lazy("开始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("结束日期"), required=False, widget=DateInput())
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False, max_length=150)

    def __init__(self, *args, object_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("全部操作")), *AuditEvent.Action.choices]
        self.fields["object_type"].choices = [
            ("", _("全部对象")),
            *((t, type_label(t)) for t in object_types),
        ]
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )

    def filter(self, qs):
        data = self.cleaned_data
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("object_type"):
            qs = qs.filter(object_type=data["object_type"])
        if data.get("date_from"):
            qs = qs.filter(at__date__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(at__date__lte=data["date_to"])
        if data.get("actor"):
            qs = qs.filter(
                Q(actor__username__icontains=data["actor"]) | Q(actor_label__icontains=data["actor"])
            )
        return qs


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


# Audit events about operations, or about exports of derived tables, rather than one model's rows.
OPERATION_TYPES = {
    "import": gettext_lazy("数据导入"),
    "seed": gettext_lazy("演示数据"),
    "demo_users": gettext_lazy("演示账号"),
    "compliance.result": gettext_lazy("合规检查结果"),
    "dues.ledger": gettext_lazy("党费台账"),
    "assessment.scheme": gettext_lazy("考核方案"),
}


@cache
def _type_label(object_type: str, language: str) -> str:
    model = _model(object_type)
    if model is not None:
        return str(model._meta.verbose_name)
    return str(OPERATION_TYPES.get(object_type, object_type))


def type_label(object_type: str) -> str:
    from django.utils.translation import get_language

    return _type_label(object_type, get_language() or "")


def field_label(object_type: str, name: str) -> str:
    registered = SNAPSHOT_LABELS.get(object_type, {}).get(name)
    if registered is not None:
        return str(registered)
    model = _model(object_type)
    if model is None:
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    label = getattr(field, "verbose_name", None)
    if label is None and field.is_relation and field.related_model is not None:
        # a reverse relation (a meeting's attachments, a training's participants) has no label of its own:
        # the related records' name
        label = field.related_model._meta.verbose_name_plural
    return str(label) if label is not None else name


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    return str(value)


@cache
def _value_kind(object_type: str, name: str) -> tuple[str, Any]:
    """How a snapshot value of the field is shown: ("value", text function) registered by its app, ("choices",
    value → label) of a field with choices, ("record", related model) of a foreign key (its id names a record),
    or ("", None) as it is."""
    shown = SNAPSHOT_VALUES.get((object_type, name))
    if shown is not None:
        return "value", shown
    model = _model(object_type)
    if model is None:
        return "", None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return "", None
    if (field.many_to_one or field.one_to_one) and field.concrete and field.related_model is not None:
        return "record", field.related_model
    if getattr(field, "choices", None):
        return "choices", {str(value): label for value, label in field.flatchoices}
    return "", None


def _record_names(related: dict[Any, set[int]]) -> dict[tuple[Any, int], str]:
    """The names of the records that the page's foreign-key values name: one query per related model."""
    names: dict[tuple[Any, int], str] = {}
    for model, ids in related.items():
        has_name = any(f.name == "name" for f in model._meta.concrete_fields)
        rows = model._default_manager.filter(pk__in=sorted(ids))
        for record in rows.only("pk", "name") if has_name else rows:
            names[(model, record.pk)] = record.name if has_name else str(record)
    return names


def audit_diffs(events) -> None:
    """Each event's `diff`: (label, before, after) of every changed key, the values in words — a choice by its label,
    a record named by its id by its name (`#id` once it is gone), a code its app registered by its text."""
    changes = [(event, event.changed_fields()) for event in events]
    related: dict[Any, set[int]] = {}
    for event, fields in changes:
        for name, before, after in fields:
            kind, model = _value_kind(event.object_type, name)
            if kind == "record":
                related.setdefault(model, set()).update(v for v in (before, after) if type(v) is int)
    names = _record_names(related)

    def shown(object_type: str, name: str, value) -> str:
        kind, how = _value_kind(object_type, name)
        if value is None or value == "":
            return "—"
        if kind == "value":
            return str(how(value))
        if kind == "choices" and isinstance(value, str):
            return str(how.get(value, value))
        if kind == "record" and type(value) is int:
            return names.get((how, value), f"#{value}")
        return _show(value)

    for event, fields in changes:
        event.diff = [
            (
                field_label(event.object_type, name),
                shown(event.object_type, name, before),
                shown(event.object_type, name, after),
            )
            for name, before, after in fields
        ]


@login_required
@require_GET
def audit_log(request):
    """The audit trail within the reader's scope; the 审计管理员 reads all of it (the other system roles'
    actions included). The 系统管理员 and the 安全管理员 do not read it: the 审计管理员 reviews their actions."""
    scope = scope_for(request.user)
    if scope.system_role == SystemRole.AUDIT_ADMIN:
        events = AuditEvent.objects.all()
    elif scope.is_admin:
        events = AuditEvent.objects.filter(scope.path_q("org_path"))
    else:
        raise PermissionDenied("需要管理员角色")
    object_types = sorted(events.order_by().values_list("object_type", flat=True).distinct())
    form = AuditFilterForm(request.GET or None, object_types=object_types)
    if form.is_bound and form.is_valid():
        events = form.filter(events)
    page = Paginator(events.order_by("-at", "-id"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        event.type_label = type_label(event.object_type)
    audit_diffs(page)
    return render(request, "core/audit_log.html", {"nav": "audit", "form": form, "page": page})
