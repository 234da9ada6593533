"""Forms of the assessment's pages: they parse the posts (the services check everything again); the pages
write their small inline forms themselves."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.assessment.services import TEXT_MAX, claimed_without_contest


class OpenRoundForm(forms.Form):
    year = forms.IntegerField(
        label=_l("考核年度"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )


def points_field(label: str, top: Decimal | None, *, required: bool = True) -> forms.DecimalField:
    """A score typed on the unit's page, from 0 to the indicator's points `top`, at most two decimals: each way
    it can be wrong said with the field's name and, when out of range, the points allowed."""
    out_of_range = (
        _("%(label)s应在 0 到 %(top)s 分之间。") % {"label": label, "top": top}
        if top is not None
        else _("%(label)s不能小于 0。") % {"label": label}
    )
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=0,
        max_value=top,
        max_digits=6,
        decimal_places=2,
        error_messages={
            "required": _("请填写%(label)s。") % {"label": label},
            "invalid": _("%(label)s应为数字。") % {"label": label},
            "min_value": out_of_range,
            "max_value": out_of_range,
            "max_digits": out_of_range,
            "max_whole_digits": out_of_range,
            "max_decimal_places": _("%(label)s最多保留两位小数。") % {"label": label},
        },
    )


def text_field(label: str, required: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=TEXT_MAX,
        error_messages={
            "required": required,
            "max_length": _("%(label)s不能超过 %(n)s 字。") % {"label": label, "n": TEXT_MAX},
        },
    )


class SelfReviewForm(forms.Form):
    """A unit's explanation of an indicator, or its contest with the points it claims (`top`: the indicator's
    points). A claimed score without the contest ticked is refused rather than dropped."""

    contest = forms.BooleanField(label=_l("对本项得分提出异议"), required=False)

    def __init__(self, *args, top: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"] = text_field(_("说明"), _("请填写说明。"))
        self.fields["claimed"] = points_field(_("认为应得的分数"), top, required=False)

    def clean(self):
        data = super().clean() or {}
        claimed = data.get("claimed")
        if "claimed" not in self.errors:
            if data.get("contest") and claimed is None:
                self.add_error("claimed", _("提出异议时请填写认为应得的分数。"))
            elif not data.get("contest") and claimed is not None:
                self.add_error("claimed", claimed_without_contest())
        return data


class ScoreForm(forms.Form):
    """An assessor's score of an item no record shows: the points (what is deducted for a penalty, added for a
    bonus; `top`: the indicator's points) and the reason."""

    def __init__(self, *args, top: Decimal | None = None, method: str = "assessor", **kwargs):
        super().__init__(*args, **kwargs)
        label = {"penalty": _("扣分"), "bonus": _("加分")}.get(method, _("得分"))
        self.fields["points"] = points_field(label, top)
        self.fields["reason"] = text_field(_("评分理由"), _("请写明评分理由。"))


class RulingForm(forms.Form):
    """The assessors' ruling on a contest: accepted with the adjusted points (`top`: the indicator's points), or
    not; the reason either way."""

    accept = forms.TypedChoiceField(
        label=_l("考评意见"),
        choices=[("1", _l("采纳")), ("0", _l("不采纳"))],
        coerce=lambda v: v == "1",
        error_messages={"required": _l("请选择考评意见。"), "invalid_choice": _l("请选择考评意见。")},
    )

    def __init__(self, *args, top: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adjusted"] = points_field(_("调整后得分"), top, required=False)
        self.fields["text"] = text_field(_("理由"), _("请写明考评意见的理由。"))

    def clean(self):
        data = super().clean() or {}
        if data.get("accept") and data.get("adjusted") is None and "adjusted" not in self.errors:
            self.add_error("adjusted", _("采纳异议时请填写调整后得分。"))
        return data


class RectificationForm(forms.Form):
    measures = forms.CharField(
        label=_l("整顿措施"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text=_l("如：每月按时召开支委会和党小组会，书记讲一次专题党课，补齐党费交纳台账。"),
    )
    responsible = forms.CharField(
        label=_l("责任人"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    due = forms.DateField(
        label=_l("完成期限"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )


class RectificationDoneForm(forms.Form):
    outcome = forms.CharField(
        label=_l("整顿成效"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
