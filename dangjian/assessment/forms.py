"""Forms of the assessment's pages: they parse the posts (the services check everything again); the pages
write their small inline forms themselves."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _l

from dangjian.assessment.services import TEXT_MAX


class OpenRoundForm(forms.Form):
    year = forms.IntegerField(
        label=_l("考核年度"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )


class SelfReviewForm(forms.Form):
    text = forms.CharField(label=_l("说明"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    contest = forms.BooleanField(label=_l("对本项得分提出异议"), required=False)
    claimed = forms.DecimalField(
        label=_l("认为应得分"), required=False, min_value=0, decimal_places=2, max_digits=6
    )


class ScoreForm(forms.Form):
    points = forms.DecimalField(label=_l("得分"), min_value=0, decimal_places=2, max_digits=6)
    reason = forms.CharField(
        label=_l("评分理由"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class RulingForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_l("考评意见"),
        choices=[("1", _l("采纳")), ("0", _l("不采纳"))],
        coerce=lambda v: v == "1",
    )
    adjusted = forms.DecimalField(
        label=_l("调整后得分"), required=False, min_value=0, decimal_places=2, max_digits=6
    )
    text = forms.CharField(label=_l("理由"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))


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
