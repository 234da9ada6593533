"""Forms of the meeting pages. They parse input only; the rules (types an organisation may record,
dates, the absentees on the roster, scope) live in dangjian.meetings.services, whose errors the views
put back on the form."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms.utils import ErrorDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dangjian.core.formfields import as_id, id_field
from dangjian.meetings.choices import MeetingType, OrgLifeReviewDecision
from dangjian.meetings.models import Meeting
from dangjian.meetings.selectors import allowed_types
from dangjian.meetings.services import MEETING_FIELDS
from dangjian.members.forms import DateInput, OrgChoiceField
from dangjian.members.models import Member
from dangjian.members.widgets import search_members_when_many
from dangjian.orgs.models import Org

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_MAX_FILES = 10
# Allowed extensions and the first bytes each must start with (a renamed executable is refused).
ATTACHMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "docx": (b"PK\x03\x04",),
}


def parse_month(value: str | None) -> dt.date | None:
    """ "2026-11" → 1 November 2026; anything else → None."""
    match = MONTH_RE.match((value or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1900 <= year <= 2999 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


class MonthInput(forms.TextInput):
    input_type = "month"


class MeetingFilterForm(forms.Form):
    """GET filters of the record list."""

    org = OrgChoiceField(label=_("组织"), required=False)
    type = forms.ChoiceField(
        label=_("活动类型"), required=False, choices=[("", _("全部")), *MeetingType.choices]
    )
    month = forms.CharField(label=_("月份"), required=False, widget=MonthInput())
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    q = forms.CharField(label=_("主题"), required=False, max_length=50)

    def __init__(self, data=None, *, orgs: Iterable[Org] = (), **kwargs):
        super().__init__(data, **kwargs)
        self.fields["org"].set_orgs(orgs)
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = _("按主题搜索")
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"

    def clean_month(self) -> str:
        value = self.cleaned_data.get("month") or ""
        if value and parse_month(value) is None:
            raise forms.ValidationError(_("请按“年-月”填写月份，例如 2026-11。"))
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:  # else "no record matches", which reads as if none were held
            self.add_error("date_to", _("截止日期早于起始日期，已按起始日期筛选，请核对。"))
        return cleaned

    def filters(self) -> dict:
        """Cleaned filters (the month turned into a date range); invalid values are dropped rather than
        failing the whole page."""
        if not self.is_bound:
            return {}
        self.is_valid()
        filters = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        first = parse_month(filters.pop("month", None))
        if first is not None:
            nxt = (first + dt.timedelta(days=32)).replace(day=1)
            filters["date_from"] = max(filters.get("date_from") or first, first)
            filters["date_to"] = min(filters.get("date_to") or dt.date.max, nxt - dt.timedelta(days=1))
        return filters


class PersonChoiceField(forms.ChoiceField):
    """A member picked from the options the view computed (the roster and the post holders on the
    meeting's date); cleans to the member id."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)
        # Django's own message names the option's value (a member id)
        self.error_messages["invalid_choice"] = _(
            "所选人员不是该组织在会议日期的应到人员或职务人员，请重新选择。"
        )
        self.set_people([])

    def set_people(self, people: Iterable[tuple[int, str]]) -> None:
        self.choices = [("", "---------"), *((str(pk), label) for pk, label in people)]

    def clean(self, value):
        value = super().clean(value)
        return int(value) if value else None


class IdListField(forms.Field):
    """Member ids ticked in the roster (whether they are on it is the service's to decide)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("缺席人员无效。"), code="invalid") from exc


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Optional evidence files: pdf, jpg, png or docx, at most 20 MB each."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > ATTACHMENT_MAX_FILES:
            raise forms.ValidationError(_("一次最多上传 %(n)d 个附件。") % {"n": ATTACHMENT_MAX_FILES})
        errors = []
        for upload in files:
            ext = os.path.splitext(upload.name)[1].lower().lstrip(".")
            if ext not in ATTACHMENT_TYPES:
                errors.append(_("“%(name)s”：只能上传 PDF、JPG、PNG 或 DOCX 文件。") % {"name": upload.name})
                continue
            if upload.size > ATTACHMENT_MAX_BYTES:
                errors.append(_("“%(name)s”超过 20 MB。") % {"name": upload.name})
                continue
            head = upload.read(8)
            upload.seek(0)
            if not head.startswith(ATTACHMENT_TYPES[ext]):
                errors.append(_("“%(name)s”的内容与扩展名不符。") % {"name": upload.name})
        if errors:
            raise forms.ValidationError(errors)
        return files


REQUIRED = {
    "org": _("请选择组织。"),
    "date": _("请填写日期。"),
    "topic": _("请填写主题。"),
    "types": _("请至少选择一种活动类型。"),
}


class MeetingForm(forms.Form):
    """Create and edit a record. Field names match the service's data keys; `types` and `absentees`
    are its other two arguments (each absentee's reason comes from the input `reason_<member id>`)."""

    org = OrgChoiceField(label=_("组织"))
    # the edit page's: the version of the record it showed (core.edits), so that a record changed since is not
    # silently saved over
    version = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    date = forms.DateField(label=_("日期"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    types = forms.MultipleChoiceField(
        label=_("活动类型"),
        choices=MeetingType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("一次活动可同时计入多种类型，例如主题党日同时开展党课。"),
    )
    topic = forms.CharField(label=_("主题"), max_length=200)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    host = PersonChoiceField(
        label=_("主持人"),
        help_text=_(
            "支部党员大会、支部委员会由书记主持，书记缺席时由副书记或委员主持；党小组会由党小组长主持。"
        ),
    )
    lecturer = PersonChoiceField(label=_("主讲人"), help_text=_("从应到人员或本组织职务人员中选择。"))
    lecturer_name = forms.CharField(
        label=_("外请主讲人"), max_length=100, required=False, help_text=_("主讲人不是本组织党员时填写姓名。")
    )
    observers = forms.CharField(
        label=_("列席人员"), max_length=500, required=False, help_text=_("不计入应到、实到人数。")
    )
    agenda = forms.CharField(label=_("议题"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    content = forms.CharField(label=_("主要内容"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    decisions = forms.CharField(label=_("决定事项"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    absentees = IdListField(label=_("缺席人员"), required=False)
    attachments = MultipleFileField(
        label=_("附件"), help_text=_("可选：会议记录扫描件、照片等，PDF/JPG/PNG/DOCX，每个不超过 20 MB。")
    )

    SERVICE_FIELDS = MEETING_FIELDS

    def __init__(self, *args, orgs: Iterable[Org] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].set_orgs(orgs, grouped=True, kind="active")
        self._chosen_org: dict[str, Org | None] = {}  # current_org()'s reads, above the picker's threshold
        for name, message in REQUIRED.items():
            self.fields[name].error_messages["required"] = message
        self.fields["date"].widget.attrs["max"] = dt.date.today().isoformat()
        self.fields["topic"].widget.attrs.update({"autocomplete": "off"})
        self.fields["attachments"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,.docx"
        # The roster follows the organisation, date and types (htmx); these inputs travel with it.
        for name in ("org", "date", "host", "lecturer", "lecturer_name"):
            self.fields[name].widget.attrs["data-dj-keep"] = ""
        refresh = {
            "hx-get": reverse("meetings:roster"),
            "hx-target": "#dj-people",
            "hx-include": "[data-dj-keep]",
            "hx-sync": "closest form:replace",
        }
        self.fields["org"].widget.attrs.update(
            {**refresh, "hx-trigger": "change", "hx-vals": '{"org_changed": "1"}'}
        )
        self.fields["date"].widget.attrs.update({**refresh, "hx-trigger": "change delay:400ms"})
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.MultipleHiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    # --- the parts the roster depends on, read leniently before (or without) validation ----------

    def current_org(self) -> Org | None:
        """The organisation chosen (or preselected) among those offered, or None. Above the picker's threshold
        the field holds none of them before validation: the chosen one is read once (one query, kept)."""
        key = str((self.data.get("org") if self.is_bound else self.initial.get("org")) or "")
        field = self.fields["org"]
        if key in field.orgs or field.queryset is None:
            return field.orgs.get(key)
        if key not in self._chosen_org:
            canonical = key.isascii() and key.isdigit() and str(int(key)) == key
            self._chosen_org[key] = field.queryset.filter(pk=int(key)).first() if canonical else None
        return self._chosen_org[key]

    def current_date(self) -> dt.date | None:
        return parse_date(self.data.get("date") if self.is_bound else self.initial.get("date"))

    def typed_date(self) -> tuple[dt.date | None, list[str]]:
        """The date as typed, cleaned by its field, for the roster refresh: (the date, []), or (None, the field's
        messages) when mistyped; (None, []) when not filled in (no error on a half-filled form)."""
        raw = (self.data.get("date") or "").strip() if self.is_bound else ""
        if not raw:
            return None, []
        try:
            return self.fields["date"].clean(raw), []
        except forms.ValidationError as exc:
            return None, list(exc.messages)

    def current_types(self) -> list[str]:
        if self.is_bound:
            wanted = (
                self.data.getlist("types") if hasattr(self.data, "getlist") else self.data.get("types", [])
            )
        else:
            wanted = self.initial.get("types") or []
        return [t for t in MeetingType.values if t in set(wanted)]

    def current_absentees(self) -> tuple[set[int], dict[int, tuple[str, str]]]:
        """The ticked absentees and their reasons as (kind, text), as submitted (inputs `reason_kind_<id>` and
        `reason_<id>`) or from the record being edited; with those held from an earlier roster (`hold`)."""
        if not self.is_bound:
            reasons = dict(self.initial.get("absentee_reasons") or {})
            return set(reasons), reasons
        ids = self._ids("absentees") | self._ids("held_absentees")
        return ids, {
            pk: (
                (self.data.get(f"reason_kind_{pk}") or "").strip()[:10],
                (self.data.get(f"reason_{pk}") or "").strip()[:200],
            )
            for pk in ids
        }

    def _ids(self, name: str) -> set[int]:
        raw = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name, [])
        return {pk for pk in map(as_id, raw if isinstance(raw, list | tuple) else [raw]) if pk is not None}

    def put(self, name: str, value: str | list[str]) -> None:
        """Sets what the bound form holds for `name` (rendered and validated as if submitted)."""
        data = self.data.copy()  # a request's QueryDict is immutable
        if isinstance(value, list) and hasattr(data, "setlist"):
            data.setlist(name, value)
        else:
            data[name] = value
        self.data = data

    def hold(
        self, on_roster: set[int], offered: set[int]
    ) -> tuple[dict[int, tuple[str, str]], int | None, int | None]:
        """After the roster of the organisation, date and types now chosen is computed (`on_roster`: the members it
        lists, `offered`: the host and lecturer options): the ticks and choices held from an earlier roster (inputs
        `held_absentees`, `held_host`, `held_lecturer`) of people listed again are ticked and chosen again; returns
        the ticked absentees (with their reasons), the host and the lecturer this roster does not list, which the
        page holds in turn (and saving leaves out)."""
        absent, reasons = self.current_absentees()
        chosen: dict[str, int | None] = {}
        for name in ("host", "lecturer"):
            if not self.is_bound:
                chosen[name] = as_id(self.initial.get(name))
                continue
            chosen[name] = as_id(self.data.get(name)) or None
            held = as_id(self.data.get(f"held_{name}"))
            blank = not (self.data.get(name) or (name == "lecturer" and self.data.get("lecturer_name")))
            if held is not None and blank:
                chosen[name] = held
                if held in offered:
                    self.put(name, str(held))
        if self.is_bound:
            restored = self._ids("held_absentees") & on_roster
            if restored:
                self.put("absentees", [str(pk) for pk in sorted(self._ids("absentees") | restored)])
        host, lecturer = (
            chosen[name] if chosen[name] not in offered else None for name in ("host", "lecturer")
        )
        return {pk: reasons.get(pk, ("", "")) for pk in sorted(absent - on_roster)}, host, lecturer

    def limit_types(self, org: Org | None) -> None:
        """Offers only the types the chosen organisation may record (the service refuses the others)."""
        allowed = allowed_types(org)
        self.fields["types"].choices = [(t, label) for t, label in MeetingType.choices if t in allowed]
        if not self.is_bound:
            return
        # a type ticked for another organisation stays visible, so the service can explain the refusal
        extra = [t for t in self.current_types() if t not in allowed]
        if extra:
            self.fields["types"].choices += [(t, MeetingType(t).label) for t in extra]

    def set_people(self, people: list[tuple[int, str]]) -> None:
        self.fields["host"].set_people(people)
        self.fields["lecturer"].set_people(people)
        org = self.current_org()
        if org is not None:  # a roster of hundreds: the two pickers search it
            search_members_when_many(self, org, names=("host", "lecturer"))

    # --- cleaned values for the service --------------------------------------------------------

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data.get(k) for k in self.SERVICE_FIELDS}
        ids = [pk for pk in (data["host"], data["lecturer"]) if pk]
        members = Member.objects.in_bulk(ids) if ids else {}
        data["host"] = members.get(data["host"]) if data["host"] else None
        data["lecturer"] = members.get(data["lecturer"]) if data["lecturer"] else None
        for key in ("place", "lecturer_name", "observers", "agenda", "content", "decisions"):
            data[key] = data[key] or ""
        return data

    def service_types(self) -> list[str]:
        return list(self.cleaned_data.get("types") or [])

    def service_absentees(self) -> dict[int, tuple[str, str]]:
        _ids, reasons = self.current_absentees()
        return {pk: reasons.get(pk, ("", "")) for pk in self.cleaned_data.get("absentees") or []}

    def unvalidated(self) -> MeetingForm:
        """Renders what was typed without validating it (the roster refresh of a half-filled form)."""
        self._errors = ErrorDict()
        self.cleaned_data = {}
        return self

    def mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields and name not in ("types", "absentees"):
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}_error"


def edit_initial(meeting: Meeting) -> dict[str, Any]:
    """The edit form's initial values from a record (its types ticked, its absentees with reasons)."""
    initial = {name: getattr(meeting, name) for name in MeetingForm.SERVICE_FIELDS}
    initial.update(
        {
            "org": str(meeting.org_id),
            "host": str(meeting.host_id or ""),
            "lecturer": str(meeting.lecturer_id or ""),
            "types": [k.type for k in meeting.kinds.all()],
        }
    )
    # the names name an absentee the roster no longer lists (held on the page) without another query
    absences = meeting.absences.values_list(
        "member_id", "reason_kind", "reason", "member__name", "member__name_pinyin"
    )
    initial["absentee_reasons"], initial["absentee_names"] = {}, {}
    for member_id, kind, text, name, key in absences:
        initial["absentee_reasons"][member_id] = (kind, text)
        initial["absentee_names"][member_id] = (name, key)
    return initial


class MonthField(forms.CharField):
    """YYYY-MM → the first of the month."""

    widget = MonthInput

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(_("请按“年-月”填写月份，例如 2026-11。"))
        return month


class OrgLifeReviewForm(forms.Form):
    """The branch's review of a member absent from organizational life for months (the page of cases)."""

    member = id_field(widget=forms.HiddenInput)
    reviewed_on = forms.DateField(label=_("审查日期"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    through_month = MonthField(
        label=_("审查所涉截至月份"), help_text=_("该月及以前的缺席视为已审查；此后再连续缺席的，须再次审查。")
    )
    decision = forms.ChoiceField(label=_("结论"), choices=OrgLifeReviewDecision.choices)
    reason = forms.CharField(label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewed_on"].widget.attrs["max"] = dt.date.today().isoformat()
        for name, field in self.fields.items():
            if name == "member":
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"
