"""The audit log as its readers read it (`portal:audit`, its export and its organisation search): who may read which
events, the filter, and each event's changes in words.

Readers: the 审计管理员 reads the whole trail (the other system roles' actions included), exports it and checks its
hash chain (`portal.auditexport`); a 党组织管理员 reads the events of the organisations they administer. The 系统管理员
and the 安全管理员 do not read it: the 审计管理员 reviews their actions.

Changes in words: a field by its label, a choice by its label, a record a foreign key names by its name, an
organisation (named by its id or, as most snapshots keep it, by its 组织编码) by its name with its code beside it,
yes/no as 是/否, a list joined with 、. The names are read once per page (one query per related model; the
organisations in one), never per row. Personal data: services store 身份证号 and 手机号码 masked; whatever text an
event carries is shown through `core.logging.redact` all the same (a file named with an ID number, a note typed by
hand), so a page or a file of the log never shows one in full.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django import forms
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from dangjian.accounts.scope import scope_for
from dangjian.accounts.sysroles import AUDIT_ADMIN
from dangjian.core.audit import SNAPSHOT_LABELS, SNAPSHOT_VALUES, register_snapshot_labels
from dangjian.core.formfields import as_id
from dangjian.core.logging import redact
from dangjian.core.models import AuditEvent
from dangjian.core.widgets import FastSelect
from dangjian.meetings.choices import MeetingType
from dangjian.orgs.models import Org

ORG_SEARCH_LIMIT = 20  # the organisation search's suggestions: type more to narrow them


# --- who reads what ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    events: QuerySet  # the events the user may read
    orgs: QuerySet  # the organisations the filter may name
    auditor: bool  # the 审计管理员: the whole trail, its export and the check of its chain


def reader(user) -> Reader:
    """What `user` may read of the log; PermissionDenied for anyone but the 审计管理员 and the 党组织管理员."""
    scope = scope_for(user)
    if scope.system_role == AUDIT_ADMIN:
        return Reader(AuditEvent.objects.all(), Org.objects.all(), True)
    if scope.is_admin:
        orgs = Org.objects.visible_to(user)
        return Reader(AuditEvent.objects.filter(within(scope.path_q("org_path"), orgs)), orgs, False)
    raise PermissionDenied(_("此页面仅供党组织管理员和审计管理员使用。"))


def within(by_path: Q, orgs: QuerySet) -> Q:
    """The events filed under a subtree: those filed where it stood (`by_path`, on org_path: an organisation
    deleted or moved out since stays in the history of the subtree it was in) and those of the organisations in
    it now, wherever they stood (`orgs`, by the events' org_ref: a 党支部 moved under another 党委 keeps its
    history, for its own administrators and its new 党委's). The organisations' ids are read first and sent as
    a list: the two conditions are then two index scans, where a subquery beside an OR would read the whole log.
    An empty `by_path` (a scope of everything) stays everything."""
    if not by_path:
        return by_path
    return by_path | Q(org_ref__in=list(orgs.order_by().values_list("id", flat=True)))


def with_orgs(events: QuerySet) -> QuerySet:
    """The events with the name and code of the organisation each one is filed under (`org_name`, `org_code`;
    None when it has none, or it has been deleted since): read in the events' own query, by its id (a moved
    organisation keeps its name on its earlier events)."""
    org = Org.objects.filter(pk=OuterRef("org_ref"))
    return events.annotate(
        org_name=Subquery(org.values("name")[:1]), org_code=Subquery(org.values("code")[:1])
    )


# --- the filter -------------------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


def org_option_label(name: str, code: str, dissolved_on: dt.date | None = None) -> str:
    if dissolved_on is not None and dissolved_on < dt.date.today():
        return _("%(name)s（%(code)s，已撤销）") % {"name": name, "code": code}
    return f"{name}（{code}）"


def org_options(orgs: QuerySet, *, q: str = "", selected: str = "") -> list[tuple[str, str]]:
    """(pk, "name（code）") of the organisations of `orgs` whose name or 单位 holds `q` or whose 组织编码 starts with
    it, at most ORG_SEARCH_LIMIT, highest levels first (dissolved ones too: their events stay in the log); without
    `q` the selected one only. One query."""
    fields = ("pk", "name", "code", "dissolved_on")
    q = q.strip()[:100]
    if q:
        found = Q(name__icontains=q) | Q(unit__icontains=q) | Q(code__istartswith=q)
        rows = list(orgs.filter(found).order_by("depth", "path").values_list(*fields)[:ORG_SEARCH_LIMIT])
    else:
        pk = as_id(selected)
        rows = list(orgs.filter(pk=pk).values_list(*fields)) if pk is not None else []
    return [(str(pk), org_option_label(name, code, gone)) for pk, name, code, gone in rows]


class OrgSearchPicker(forms.Select):
    """The organisation of the filter: a search box and a native select holding the empty choice and the chosen
    organisation only (the log names thousands of organisations; the page stays far under 100 options). Typing in
    the box replaces the select's options with the organisations matching it, the first one chosen (htmx,
    `portal:audit_orgs`, among the organisations the reader may name). The box belongs to no form: the filter sends
    the select's choice."""

    chosen: Org | None = None

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.chosen
        choices = [("", _("全部组织"))]
        if chosen is not None:
            choices.append((str(chosen.pk), org_option_label(chosen.name, chosen.code, chosen.dissolved_on)))
        final = {**self.attrs, **(attrs or {})}
        select = FastSelect(attrs=final, choices=choices).render(
            name, str(chosen.pk) if chosen is not None else "", None, renderer
        )
        select_id = final.get("id") or f"id_{name}"
        search = format_html(
            '<input type="search" class="form-control form-control-sm mb-1" name="{}" id="{}" form="dj-detached"'
            ' maxlength="100" autocomplete="off" placeholder="{}" aria-label="{}" aria-controls="{}"'
            ' data-testid="org-search" hx-get="{}" hx-trigger="input changed delay:300ms, search"'
            ' hx-target="#{}" hx-include="#{}">',
            f"{name}_q",
            f"{select_id}_q",
            _("输入组织名称、单位或编码查找"),
            _("查找组织"),
            select_id,
            reverse("portal:audit_orgs"),
            select_id,
            select_id,
        )
        return format_html('<div class="dj-orgpick">{}{}</div>', search, select)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("操作"), required=False)
    object_type = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    org = forms.CharField(label=gettext_lazy("组织（含下级）"), required=False, widget=OrgSearchPicker())
    date_from = forms.DateField(label=gettext_lazy("开始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("结束日期"), required=False, widget=DateInput())
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False, max_length=150)

    def __init__(self, *args, object_types: list[str], orgs: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs = orgs
        cast(forms.ChoiceField, self.fields["action"]).choices = [
            ("", _("全部操作")),
            *AuditEvent.Action.choices,
        ]
        cast(forms.ChoiceField, self.fields["object_type"]).choices = [
            ("", _("全部对象")),
            *((t, type_label(t)) for t in object_types),
        ]
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )

    def clean_org(self) -> Org | None:
        value = self.cleaned_data.get("org", "")
        if not value:
            return None
        pk = as_id(value)
        org = self.orgs.filter(pk=pk).first() if pk is not None else None
        if org is None:
            raise forms.ValidationError(_("所选组织不存在或不在您的管理范围内，请重新选择。"))
        self.fields["org"].widget.chosen = org
        return org

    def clean(self):
        data = super().clean() or {}
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and first > last:
            for name in ("date_from", "date_to"):
                self.fields[name].widget.attrs["class"] += " is-invalid"
            raise forms.ValidationError(
                _("开始日期（%(first)s）晚于结束日期（%(last)s），请重新选择日期范围。")
                % {"first": f"{first:%Y-%m-%d}", "last": f"{last:%Y-%m-%d}"}
            )
        return data

    def filter(self, qs: QuerySet) -> QuerySet:
        data = self.cleaned_data
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("object_type"):
            qs = qs.filter(object_type=data["object_type"])
        if data.get("org") is not None:
            org = data["org"]
            qs = qs.filter(within(Q(org_path__startswith=org.path), Org.objects.subtree(org)))
        if data.get("date_from"):
            qs = qs.filter(at__date__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(at__date__lte=data["date_to"])
        if data.get("actor"):
            qs = qs.filter(
                Q(actor__username__icontains=data["actor"]) | Q(actor_label__icontains=data["actor"])
            )
        return qs

    def describe(self) -> str:
        """The filter in words (an export's audit event and its 说明 sheet): "" when nothing narrows it."""
        data = self.cleaned_data
        parts = []
        if data.get("action"):
            parts.append(_("操作：%(value)s") % {"value": AuditEvent.Action(data["action"]).label})
        if data.get("object_type"):
            parts.append(_("对象类型：%(value)s") % {"value": type_label(data["object_type"])})
        if data.get("org") is not None:
            org = data["org"]
            parts.append(_("组织：%(name)s（%(code)s）及其下级组织") % {"name": org.name, "code": org.code})
        first, last = data.get("date_from"), data.get("date_to")
        if first and last:
            parts.append(_("日期：%(first)s 至 %(last)s") % {"first": first, "last": last})
        elif first:
            parts.append(_("日期：%(first)s 起") % {"first": first})
        elif last:
            parts.append(_("日期：%(last)s 止") % {"last": last})
        if data.get("actor"):
            parts.append(_("操作人包含“%(text)s”") % {"text": redact(data["actor"])})
        return "；".join(parts)


# The object types of the whole log on PostgreSQL: one probe of audit_object_idx (object_type, object_id) per type, the
# next type after the last one found (a loose index scan), instead of a DISTINCT that reads every event — the log holds
# years of events (3 million: 0.3 ms against 220 ms), and the 审计管理员's page lists the types on every load.
_TYPES_BY_INDEX = """
WITH RECURSIVE found(type) AS (
    (SELECT object_type FROM {table} ORDER BY object_type LIMIT 1)
    UNION ALL
    SELECT (SELECT object_type FROM {table} WHERE object_type > found.type ORDER BY object_type LIMIT 1)
    FROM found WHERE found.type IS NOT NULL
)
SELECT type FROM found WHERE type IS NOT NULL
"""


def object_types(reader: Reader) -> list[str]:
    """The object types among the events `reader` may read, for the filter's list: the whole log's by the index on
    PostgreSQL for the 审计管理员; a 党组织管理员's, within their subtree, by a DISTINCT over those events (read by
    their path prefix)."""
    if reader.auditor and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_TYPES_BY_INDEX.format(table=connection.ops.quote_name(AuditEvent._meta.db_table)))
            return sorted(row[0] for row in cursor.fetchall())
    return sorted(reader.events.order_by().values_list("object_type", flat=True).distinct())


def filtered(reader: Reader, query) -> tuple[AuditFilterForm, QuerySet | None]:
    """The filter form over the reader's events and the events it selects; None when the filter does not hold (the
    form says why), rather than the whole log unfiltered."""
    form = AuditFilterForm(query or None, object_types=object_types(reader), orgs=reader.orgs)
    if not form.is_bound:
        return form, reader.events
    if not form.is_valid():
        return form, None
    return form, form.filter(reader.events)


# --- labels -----------------------------------------------------------------------------------------------------


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


def _account_state(value) -> str:
    return _("启用") if value else _("停用")


def _verification_result(value) -> str:
    return {"intact": _("完整"), "broken": _("已断开")}.get(value, str(value))


def _meeting_types(value) -> str:
    codes = value if isinstance(value, list) else [value]
    return "、".join(str(MeetingType(v).label) if v in MeetingType.values else str(v) for v in codes)


def register_labels() -> None:
    """What the page says for snapshot keys whose field label or value reads badly as stored (from
    `PortalConfig.ready`): an account's 有效 是 → 否 is its 账号状态 启用 → 停用; the log's own events (its pruning
    and the check of its chain) name their keys; a planned meeting's types are codes of a list."""
    register_snapshot_labels(
        "accounts.user", {"is_active": gettext_lazy("账号状态")}, values={"is_active": _account_state}
    )
    register_snapshot_labels(
        "core.auditevent",
        {
            "count": gettext_lazy("清理条数"),
            "before": gettext_lazy("清理此日期之前的记录"),
            "first_id": gettext_lazy("首条编号"),
            "first_at": gettext_lazy("首条时间"),
            "last_id": gettext_lazy("末条编号"),
            "last_at": gettext_lazy("末条时间"),
            "last_hash": gettext_lazy("末条哈希"),
            "result": gettext_lazy("校验结果"),
            "checked": gettext_lazy("已核对条数"),
            "head_hash": gettext_lazy("末条哈希"),
            "broken_id": gettext_lazy("断开处记录编号"),
            "broken_at": gettext_lazy("断开处记录时间"),
            "problem": gettext_lazy("问题"),
        },
        values={"result": _verification_result},
    )
    register_snapshot_labels("meetings.plannedmeeting", {}, values={"types": _meeting_types})


# --- values in words --------------------------------------------------------------------------------------------


class OrgName(str):
    """An organisation a change names, as its name (what the page compares and shows); its 组织编码 beside it."""

    code: str

    def __new__(cls, name: str, code: str) -> OrgName:
        shown = super().__new__(cls, name)
        shown.code = code
        return shown

    @property
    def plain(self) -> str:
        """Name and code in one text (the export's cell)."""
        return f"{self}（{self.code}）"


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _moment(text: str) -> str:
    """A time a snapshot keeps (ISO 8601) as the page writes times, in the site's zone."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def show(value) -> str:
    """A value as the page shows it: 是/否, a list joined with 、, a mapping as 键：值；…, a time in the site's zone,
    "—" for nothing; personal data that a text might carry redacted."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if isinstance(value, list | tuple):
        return "、".join(show(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{redact(str(k))}：{show(v)}" for k, v in value.items())
    if isinstance(value, str) and _DATETIME.match(value):
        return _moment(value)
    return redact(str(value))


@cache
def _value_kind(object_type: str, name: str) -> tuple[str, Any]:
    """How a snapshot value of the field is shown: ("value", text function) registered by its app, ("org", None) of
    a foreign key to an organisation (its id, or the 组织编码 a snapshot keeps), ("record", related model) of another
    foreign key (its id names a record), ("choices", value → label) of a field with choices, or ("", None) as it
    is."""
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
        if field.related_model._meta.label_lower == Org._meta.label_lower:
            return "org", None
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


def _org_names(ids: set[int], codes: set[str]) -> dict[tuple[str, Any], OrgName]:
    """The organisations the page's changes name by id or by 组织编码: one query for all of them."""
    if not ids and not codes:
        return {}
    rows = Org.objects.filter(Q(pk__in=sorted(ids)) | Q(code__in=sorted(codes))).values_list(
        "pk", "code", "name"
    )
    found: dict[tuple[str, Any], OrgName] = {}
    for pk, code, name in rows:
        found[("id", pk)] = found[("code", code)] = OrgName(name, code)
    return found


def audit_diffs(events) -> None:
    """Each event's `diff`: (label, before, after) of every changed key, the values in words — a choice by its label,
    a record named by its id by its name (`#id` once it is gone), an organisation by its name (an `OrgName`, its code
    beside it), a code its app registered by its text. Each event also gets its `object_repr` and `note` as shown
    (`shown_repr`, `shown_note`: redacted)."""
    changes = [(event, event.changed_fields()) for event in events]
    related: dict[Any, set[int]] = {}
    org_ids: set[int] = set()
    org_codes: set[str] = set()
    for event, fields in changes:
        for name, before, after in fields:
            kind, model = _value_kind(event.object_type, name)
            for value in (before, after):
                if kind == "record" and type(value) is int:
                    related.setdefault(model, set()).add(value)
                elif kind == "org" and type(value) is int:
                    org_ids.add(value)
                elif kind == "org" and isinstance(value, str) and value:
                    org_codes.add(value)
    names = _record_names(related)
    orgs = _org_names(org_ids, org_codes)

    def shown(object_type: str, name: str, value) -> str:
        kind, how = _value_kind(object_type, name)
        if value is None or value == "":
            return "—"
        if name.endswith("hash"):  # a hash is hex: not a text to redact
            return str(value)
        if kind == "value":
            return redact(str(how(value)))
        if kind == "choices" and isinstance(value, str):
            return redact(str(how.get(value, value)))
        if kind == "choices" and isinstance(value, list):
            return "、".join(redact(str(how.get(v, v))) if isinstance(v, str) else show(v) for v in value)
        if kind == "record" and type(value) is int:
            return names.get((how, value), f"#{value}")
        if kind == "org" and type(value) is int:
            return orgs.get(("id", value)) or f"#{value}"
        if kind == "org" and isinstance(value, str):
            return orgs.get(("code", value)) or redact(value)
        return show(value)

    for event, fields in changes:
        event.diff = [
            (
                field_label(event.object_type, name),
                shown(event.object_type, name, before),
                shown(event.object_type, name, after),
            )
            for name, before, after in fields
        ]
        event.shown_repr = redact(event.object_repr)
        event.shown_note = redact(event.note)


def plain(value: str) -> str:
    """A shown value as one text (an organisation with its code)."""
    return value.plain if isinstance(value, OrgName) else value
