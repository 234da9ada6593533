"""Forms of the organisation pages. They only parse input: the rules (tree shape, unique codes, scope)
live in `dangjian.orgs.services`, whose errors the views put back on the form."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.db.models import Q
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from dangjian.orgs.choices import ALLOWED_PARENTS, OrgType
from dangjian.orgs.models import Org
from dangjian.orgs.services import higher_in_scope
from dangjian.orgs.widgets import OrgSearchSelect


class OrgPickField(forms.TypedChoiceField):
    """A form's required choice of one organisation of a queryset (in tree order), by name: every one of them while
    they are at most `settings.ORG_PICKER_ABOVE` (one query), else the search picker (`OrgSearchSelect`), which reads
    only the few it offers, and a submitted value checked with one query (a 工委管理员's are thousands). `coerce`
    as a TypedChoiceField's (the value stays a string by default); `chosen(value)` is the organisation of a valid
    value."""

    def set_orgs(self, orgs, *, kind: str) -> None:
        loaded = list(orgs[: settings.ORG_PICKER_ABOVE + 1])
        self.queryset = None
        self.found = {str(o.pk): o for o in loaded}
        if len(loaded) <= settings.ORG_PICKER_ABOVE:
            self.choices = [(str(o.pk), o.name) for o in loaded]
            return
        self.queryset, self.found, self.choices = orgs, {}, []
        label = _("请选择党支部") if kind == "branch" else _("请选择组织")
        self.widget = OrgSearchSelect(orgs, label, attrs=self.widget.attrs, kind=kind, required=True)

    def valid_value(self, value) -> bool:
        if self.queryset is None:
            return super().valid_value(value)
        key = str(value)
        if key not in self.found and key.isascii() and key.isdigit() and str(int(key)) == key:
            found = self.queryset.filter(pk=int(key)).first()
            if found is not None:
                self.found[key] = found
        return key in self.found

    def chosen(self, value) -> Org | None:
        return self.found.get(str(value))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label, required: bool = False) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput(), input_formats=["%Y-%m-%d"])


class BootstrapBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.form.is_bound and self.errors:
            base = attrs.get("class") or (widget or self.field.widget).attrs.get("class", "")
            attrs["class"] = f"{base} is-invalid".strip()
            attrs["aria-invalid"] = "true"
        return attrs


class BootstrapMixin:
    """Adds Bootstrap classes to every widget (and `is-invalid` to fields with errors)."""

    bound_field_class = BootstrapBoundField

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Org) -> str:
        return f"{'　' * max(obj.depth - 1, 0)}{obj.name}（{obj.code}）"


def allowed_child_types(parent_type: str) -> list[tuple[str, str]]:
    """Types that may hang under an organisation of `parent_type`, in OrgType order."""
    return [
        (value, label)
        for value, label in OrgType.choices
        if ALLOWED_PARENTS.get(value) and parent_type in ALLOWED_PARENTS[value]
    ]


# the fields of the organisation form that a 党小组's does not offer
GROUP_OMITS = (
    "term_started_on",
    "term_years",
    "is_retiree_branch",
    "setup_approval_ref",
    "setup_approved_on",
)


class OrgForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("组织编码"), max_length=50)
    name = forms.CharField(label=_("组织名称"), max_length=100)
    type = forms.ChoiceField(label=_("组织类型"), choices=OrgType.choices)
    parent = ParentChoiceField(
        label=_("上级组织"),
        queryset=Org.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("所选上级组织不存在或不在您的管理范围内。")},
    )
    unit = forms.CharField(label=_("所在单位"), max_length=100, required=False)
    founded_on = _date_field(_("成立日期"))
    dissolved_on = _date_field(_("撤销日期"))
    is_retiree_branch = forms.BooleanField(label=_("离退休党支部"), required=False)
    term_started_on = _date_field(_("本届开始日期"))
    term_years = forms.IntegerField(
        label=_("任期年限"),
        required=False,
        min_value=1,
        max_value=10,
        help_text=_("留空则按类型默认：党委5年，党总支、党支部3年。"),
    )
    setup_approval_ref = forms.CharField(
        label=_("组织设置批准文号"),
        max_length=100,
        required=False,
        help_text=_(
            "党员人数与组织形式不相符（党支部党员50名以上，党总支党员不足50名或100名以上）、"
            "经上级党组织批准保留或设立现有形式的，填写批准文号和批准日期。"
        ),
    )
    setup_approved_on = _date_field(_("组织设置批准日期"))
    # the edit page's: the version of the organisation it showed (core.edits), so that an organisation changed since
    # is not silently saved over
    version = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, user, instance: Org | None = None, parent: Org | None = None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": instance.code,
                    "name": instance.name,
                    "type": instance.type,
                    "parent": instance.parent_id,
                    "unit": instance.unit,
                    "founded_on": instance.founded_on,
                    "dissolved_on": instance.dissolved_on,
                    "is_retiree_branch": instance.is_retiree_branch,
                    "term_started_on": instance.term_started_on,
                    "term_years": instance.term_years,
                    "setup_approval_ref": instance.setup_approval_ref,
                    "setup_approved_on": instance.setup_approved_on,
                },
            )
        elif parent is not None:
            kwargs.setdefault("initial", {"parent": parent.pk, "unit": parent.unit})
        super().__init__(*args, **kwargs)
        # Visible, open organisations that can have children; on edit also the current parent (kept even
        # when it is above the user's scope: a 支部管理员 edits their branch without moving it), never
        # the org's own subtree.
        today = dt.date.today()
        parents = (
            Org.objects.visible_to(user)
            .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=today))
            .exclude(type=OrgType.XIAOZU)  # nothing hangs under a 党小组
        )
        if instance is not None and instance.parent_id:
            parents = parents | Org.objects.filter(pk=instance.parent_id)
        if instance is not None:
            parents = parents.exclude(path__startswith=instance.path)
        self.fields["parent"].queryset = parents.only("id", "code", "name", "depth", "path").order_by("path")
        if parents[: settings.ORG_PICKER_ABOVE + 1].count() > settings.ORG_PICKER_ABOVE:
            # a large scope: a search box over the open organisations (a page renders at most 100 options)
            self.fields["parent"].widget = OrgSearchSelect(
                self.fields["parent"].queryset, _("请选择组织"), kind="active", required=True
            )
        if instance is not None and not higher_in_scope(user, instance):
            # the setup approval and the 撤销 are the organisation above's (orgs.services.update_org refuses them)
            for name in ("setup_approval_ref", "setup_approved_on"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("组织设置的批准由上级党组织的管理员登记。")
            self.fields["dissolved_on"].disabled = True
            self.fields["dissolved_on"].help_text = _("组织的撤销由上级党组织的管理员办理。")
        else:
            self.fields["dissolved_on"].help_text = _(
                "撤销前，须先转出全部党员、撤销下级组织、办结待接收的组织关系转接；现任职务于撤销日期离任。"
            )
        if instance is None and parent is not None:
            types = allowed_child_types(parent.type)
            self.fields["type"].choices = types
            if len(types) == 1:
                self.initial.setdefault("type", types[0][0])
            elif OrgType.ZHIBU in dict(types):
                self.initial.setdefault(
                    "type", OrgType.ZHIBU
                )  # under a 党委 most new organisations are 党支部
        if (instance is not None and instance.type == OrgType.XIAOZU) or (
            instance is None and parent is not None and parent.type == OrgType.ZHIBU
        ):
            # a 党小组 has no term (no 届, no 换届), is no 离退休党支部 and has no 组织设置批准: the fields are not
            # offered (orgs.services refuses them for a 党小组)
            for name in GROUP_OMITS:
                del self.fields[name]
        else:
            self.fields["term_started_on"].widget.attrs["max"] = today.isoformat()
        if not self.fields["dissolved_on"].disabled:
            self.fields["dissolved_on"].widget.attrs["max"] = today.isoformat()
        # its help and its refusal are shown beside it, across the form's width (orgs/org_form.html)
        self.fields["dissolved_on"].widget.attrs["aria-describedby"] = "id_dissolved_on_note"
        if instance is None:
            del self.fields["version"]
        self._style()
        if "version" in self.fields:
            self.fields["version"].widget.attrs.pop("class", None)  # hidden: no style

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}
