"""Forms of the training pages: they parse input only; the rules live in dangjian.training.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.members.forms import DateInput, OrgChoiceField
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.training.choices import TrainingLevel


class TrainingForm(forms.Form):
    title = forms.CharField(
        label=_("培训名称"), max_length=200, error_messages={"required": _("请填写培训名称。")}
    )
    organiser = forms.CharField(
        label=_("主办单位"),
        max_length=100,
        help_text=_("如：中共上海市委党校、市级机关工作党委"),
        error_messages={"required": _("请填写主办单位。")},
    )
    # no category chosen in advance: a branch's own training taken for a 县级以上党委集中轮训 would count toward the
    # 书记轮训 rules (TRAIN-SECRETARY-*)
    level = forms.ChoiceField(
        label=_("培训类别"),
        choices=[("", _("请选择")), *TrainingLevel.choices],
        error_messages={"required": _("请选择培训类别。")},
    )
    org = OrgChoiceField(label=_("登记组织"), error_messages={"required": _("请选择登记组织。")})
    started_on = forms.DateField(
        label=_("开始日期"), widget=DateInput(), error_messages={"required": _("请填写开始日期。")}
    )
    ended_on = forms.DateField(label=_("结束日期"), widget=DateInput(), required=False)
    hours = forms.DecimalField(
        label=_("学时"),
        max_digits=6,
        decimal_places=1,
        min_value=0,
        # Django's own wording ("确认小数不超过 1 位.") reads as a machine's: the service's sentence instead
        error_messages={
            "required": _("请填写学时。"),
            "min_value": _("学时不能为负数。"),
            "max_decimal_places": _("学时最多保留一位小数，且不超过 1000。"),
            "max_digits": _("学时最多保留一位小数，且不超过 1000。"),
            "max_whole_digits": _("学时最多保留一位小数，且不超过 1000。"),
        },
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, user=None, fixed_org=None, **kwargs):
        """`fixed_org`: correcting a recorded training, whose organisation stays (the page names it)."""
        super().__init__(*args, **kwargs)
        if fixed_org is not None:
            del self.fields["org"]
            # the version of the training the page showed (core.edits): one changed since is not saved over
            self.fields["version"] = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
        else:
            self.fields[
                "org"
            ].set_orgs(  # a search box over a large scope (a page renders at most 100 options)
                Org.objects.visible_to(user).exclude(type=OrgType.XIAOZU).active().order_by("path"),
                kind="active",
            )
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"id_{name}")
