"""Forms of the member pages. They parse input only; the rules live in dangjian.members.services."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dangjian.core.widgets import FastSelect
from dangjian.members.choices import Category, Education, MemberStatus, WorkStatus
from dangjian.members.models import Member
from dangjian.members.services import EDITED_FIELDS
from dangjian.orgs.choices import OrgType, PostTitle, allowed_titles, chinese_label
from dangjian.orgs.forms import BootstrapMixin, _date_field
from dangjian.orgs.models import Org, Post
from dangjian.orgs.widgets import OrgSearchSelect

DATE_WIDGET_FORMAT = "%Y-%m-%d"

# The 56 民族 in the order of GB/T 3304, offered as suggestions on the 民族 input (free text is kept).
ETHNICITIES = (
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATE_WIDGET_FORMAT)


class OrgChoiceField(forms.ChoiceField):
    """A select over a list of organisations loaded once by the view; cleans to the Org itself.

    Options outside the list are refused like any invalid choice, so a user can only pick
    organisations the view offered (those in their scope). Over more than `settings.ORG_PICKER_ABOVE`
    organisations (a 工委管理员's, a large 党委's) the select offers the top of them and the chosen one under a
    search box (`orgs.widgets.OrgSearchSelect`, searching the picker's `kind`): a filter given a queryset
    loads none of them and checks a value with one query; a form given a list checks it against the list."""

    widget = FastSelect  # thousands of organisations for a 工委管理员

    def __init__(self, *, orgs: Iterable[Org] = (), grouped: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.set_orgs(orgs, grouped=grouped)

    def set_orgs(self, orgs: Iterable[Org], *, grouped: bool = False, kind: str = "") -> None:
        """`kind`: what the search box searches among the user's organisations (`orgs.widgets.KINDS`), the
        same organisations as `orgs` or more (a match outside `orgs` is refused when submitted)."""
        self.queryset: QuerySet[Org] | None = None
        if isinstance(orgs, QuerySet):
            queryset = orgs
            orgs = list(queryset[: settings.ORG_PICKER_ABOVE + 1])  # one query, however many there are
            if len(orgs) > settings.ORG_PICKER_ABOVE:
                self.queryset = queryset
                self.orgs = {}
                self.choices = []
                self.widget = OrgSearchSelect(
                    queryset, self.empty_label, attrs=self.widget.attrs, kind=kind, required=self.required
                )
                return
        else:
            orgs = list(orgs)
            if len(orgs) > settings.ORG_PICKER_ABOVE:
                self.orgs = {str(org.pk): org for org in orgs}
                self.choices = []
                shown = Org.objects.filter(pk__in=list(self.orgs)).order_by("path")
                self.widget = OrgSearchSelect(
                    shown, self.empty_label, attrs=self.widget.attrs, kind=kind, required=self.required
                )
                return
        self.orgs = {str(org.pk): org for org in orgs}
        blank = [("", self.empty_label)]
        if grouped:
            # Many units have a branch of the same name (办公室党支部): each option names its unit, as the other
            # pages do, so the chosen option is unambiguous once the select is closed.
            groups: dict[str, list[tuple[str, str]]] = {}
            for org in self.orgs.values():
                label = f"{org.name}（{org.unit or chinese_label(OrgType, org.type)}）"
                groups.setdefault(org.unit or str(_("其他")), []).append((str(org.pk), label))
            self.choices = blank + list(groups.items())
        else:
            base = min((org.depth for org in self.orgs.values()), default=1)
            self.choices = blank + [
                (key, "\u3000" * (org.depth - base) + org.name) for key, org in self.orgs.items()
            ]

    @property
    def empty_label(self) -> str:
        return str(_("全部组织")) if not self.required else str(_("请选择组织"))

    def to_python(self, value):
        return "" if value in self.empty_values else str(value)

    def validate(self, value) -> None:
        if value == "":
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return
        if self.queryset is not None:
            found = (
                self.queryset.filter(pk=int(value)).first() if value.isascii() and value.isdigit() else None
            )
            if found is not None:
                self.orgs[value] = found
        if value not in self.orgs:
            raise forms.ValidationError(_("请选择列表中的组织。"), code="invalid_choice")

    def clean(self, value):
        value = self.to_python(value)
        self.validate(value)
        return self.orgs.get(value)


YES_NO_CHOICES = [("", _("全部")), ("1", _("是")), ("0", _("否"))]


class MemberFilterForm(forms.Form):
    """GET filters of the member list (and of its Excel export)."""

    org = OrgChoiceField(label=_("组织"), required=False)
    category = forms.ChoiceField(
        label=_("人员类别"), required=False, choices=[("", _("全部")), *Category.choices]
    )
    work_status = forms.ChoiceField(
        label=_("工作状态"), required=False, choices=[("", _("全部")), *WorkStatus.choices]
    )
    is_mobile = forms.TypedChoiceField(
        label=_("流动党员"),
        required=False,
        choices=YES_NO_CHOICES,
        coerce=lambda v: v == "1",
        empty_value=None,
    )
    # 全部 first, as on the other filters; 正常 is selected when nothing is chosen (selectors.member_list's default)
    status = forms.ChoiceField(
        label=_("党籍状态"),
        required=False,
        initial=MemberStatus.NORMAL.value,
        choices=[("all", _("全部")), *MemberStatus.choices],
    )
    q = forms.CharField(label=_("姓名"), required=False, max_length=50)

    def __init__(self, data=None, *, orgs: Iterable[Org] = (), **kwargs):
        if data is not None and not data.get("status"):
            # a link without a status (?org=…) lists 正常: the select says so rather than showing 全部
            data = data.copy()
            data["status"] = MemberStatus.NORMAL.value
        super().__init__(data, **kwargs)
        self.fields["org"].set_orgs(orgs)
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("姓名或拼音，如 wf"), "class": "form-control form-control-sm"}
        )
        for name in ("org", "category", "work_status", "is_mobile", "status"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> dict:
        """Cleaned filters; invalid values are dropped rather than failing the whole page."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class MemberForm(forms.Form):
    """Create and edit a member. Field names match the service's data keys."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=30)
    ethnicity = forms.CharField(label=_("民族"), max_length=20, initial="汉族")
    education = forms.ChoiceField(
        label=_("学历"), required=False, choices=[("", "---------"), *Education.choices]
    )
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    category = forms.ChoiceField(label=_("人员类别"), choices=Category.choices)
    joined_on = forms.DateField(label=_("入党日期"), widget=DateInput())
    confirmed_on = forms.DateField(
        label=_("转正日期"), required=False, widget=DateInput(), help_text=_("正式党员必填；预备党员留空。")
    )
    org = OrgChoiceField(label=_("所在组织"))
    work_status = forms.ChoiceField(
        label=_("工作状态"), choices=WorkStatus.choices, initial=WorkStatus.ACTIVE
    )
    is_leader = forms.BooleanField(label=_("是否领导干部"), required=False)
    position = forms.CharField(label=_("工作岗位"), max_length=100, required=False)
    effective_on = forms.DateField(
        label=_("变更生效日期"),
        required=False,
        widget=DateInput(),
        help_text=_("所在组织、人员类别或工作状态变更时填写；留空则为今天（转正时为转正日期）。"),
    )
    # the edit page's: the version of the member it showed (core.edits), so that a member changed since is not
    # silently saved over
    version = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    # 流动党员 is not edited here: it follows the 外出记录 (movements: 登记外出 sets it, 登记返回 clears it), which the
    # page links to; the form shows it read-only
    SERVICE_FIELDS = EDITED_FIELDS

    def __init__(
        self,
        *args,
        orgs: Iterable[Org] = (),
        editing: bool = False,
        masked: dict[str, str] | None = None,
        **kwargs,
    ):
        """`masked` (field → masked value) hides the current 身份证号/手机号码 from an editor who may not
        see them in full: the inputs start empty, show the masked value as a hint, and blank keeps it."""
        super().__init__(*args, **kwargs)
        self.fields["org"].set_orgs(orgs, grouped=True, kind="member_org")
        if not editing:
            del self.fields["effective_on"]
            del self.fields["version"]
        else:
            self.fields["org"].help_text = _(
                "用于更正登记错误或在本支部的党小组之间调整。党员转到其他党组织，请在“党员管理”中发起组织关系转接"
                "（系统内转接）；转接待接收期间不能在此修改。在原组织担任职务的，须先填写职务的离任日期。"
            )
        self.masked = masked or {}
        for name, value in self.masked.items():
            self.fields[name].required = False
            self.fields[name].widget.attrs["placeholder"] = value
            self.fields[name].help_text = _("留空则保持不变。")
        attrs = {
            "name": {"autofocus": True, "autocomplete": "off"},
            "id_number": {
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
            },
            "phone": {"inputmode": "numeric", "autocomplete": "off"},
            "ethnicity": {"list": "dj-ethnicities"},
        }
        for name, extra in attrs.items():
            self.fields[name].widget.attrs.update(extra)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def mark_invalid(self) -> None:
        """Bootstrap's red border and aria-invalid on every field with an error (service errors included)."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}_error"

    def clean_id_number(self) -> str:
        return (self.cleaned_data.get("id_number") or "").strip().upper()

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in self.SERVICE_FIELDS if k in self.cleaned_data}
        for name in self.masked:
            if not data.get(name):
                data.pop(name, None)
        return data


class MonthField(forms.DateField):
    """A month as YYYY-MM (the <input type="month"> value), cleaned to its first day."""

    input_formats = ["%Y-%m"]

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


class BirthdayFilterForm(forms.Form):
    """GET filters of the 政治生日 page: the month (default this month) and an organisation (its subtree)."""

    month = MonthField(label=_("月份"), required=False)
    org = OrgChoiceField(label=_("组织"), required=False)

    def __init__(self, data=None, *, orgs: Iterable[Org] = (), **kwargs):
        super().__init__(data, **kwargs)
        self.fields["org"].set_orgs(orgs)
        self.fields["org"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["month"].widget.attrs["class"] = "form-control form-control-sm"

    def filters(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


# --- party posts (the Post model is the organisation's; the form picks a member) -----------------------


class PostForm(BootstrapMixin, forms.Form):
    member = forms.ModelChoiceField(
        label=_("党员"),
        queryset=Member.objects.none(),
        error_messages={"invalid_choice": _("所选党员不存在或不在您的管理范围内。")},
    )
    title = forms.ChoiceField(label=_("党内职务"))
    started_on = _date_field(_("任职日期"), required=True)
    ended_on = _date_field(_("离任日期"))

    def __init__(self, *args, user, org: Org, instance: Post | None = None, **kwargs):
        self.org = org
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "member": instance.member_id,
                    "title": instance.title,
                    "started_on": instance.started_on,
                    "ended_on": instance.ended_on,
                },
            )
        super().__init__(*args, **kwargs)
        members = Member.objects.visible_to(user)
        if instance is not None:  # the holder may belong to a branch outside the scope (a 党组 member)
            members = members | Member.objects.filter(pk=instance.member_id)
        self.fields["member"].queryset = members.select_related("org")
        titles = allowed_titles(org.type)
        self.fields["title"].choices = [(v, label) for v, label in PostTitle.choices if v in titles]
        self._style()
        if instance is not None:
            # the edit page's: the version of the post it showed (core.edits), so that a post changed since is not
            # silently saved over
            self.fields["version"] = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def service_data(self) -> dict:
        return {**{k: v for k, v in self.cleaned_data.items() if k != "version"}, "org": self.org}
