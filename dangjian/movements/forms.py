"""Forms of the movements pages. They parse input only; the rules live in dangjian.movements.services, whose
errors the views put back on the form."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.members.choices import MemberStatus, WorkStatus
from dangjian.members.forms import DateInput, MemberForm, OrgChoiceField
from dangjian.movements.choices import AbroadPurpose, ContactWay, ExitOutcome

SM = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=DateInput(attrs=SM), **kwargs)


def _text(label, max_length=200, required=True, **kwargs):
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.TextInput(attrs=SM), **kwargs
    )


class PastDatesForm(forms.Form):
    """A form recording what has happened: its date inputs offer no day after today (the services refuse one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = dt.date.today().isoformat()
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget.attrs["max"] = today


class FilterForm(forms.Form):
    """GET filters of the index and the summary."""

    org = OrgChoiceField(label=_("组织"), required=False)
    work_status = forms.ChoiceField(
        label=_("工作状态"), required=False, choices=[("", _("全部")), *WorkStatus.choices]
    )
    as_of = forms.DateField(
        label=_("截至日期"), required=False, initial=dt.date.today, widget=DateInput(attrs=SM)
    )

    def __init__(self, data=None, *, orgs=(), **kwargs):
        if data is not None and not data.get("as_of"):
            # the pages count as of today when no date is given: the input says so (as the heading does)
            data = data.copy()
            data["as_of"] = dt.date.today().isoformat()
        super().__init__(data, **kwargs)
        self.fields["org"].set_orgs(orgs)
        self.fields["org"].widget.attrs.update(SELECT)
        self.fields["work_status"].widget.attrs.update(SELECT)

    def filters(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class StatusForm(PastDatesForm):
    status = forms.ChoiceField(label=_("新的党籍状态"), widget=forms.Select(attrs=SELECT))
    outcome = forms.ChoiceField(
        label=_("出党方式"),
        required=False,
        choices=[("", "---------"), *ExitOutcome.choices],
        widget=forms.Select(attrs=SELECT),
        help_text=_("仅出党时选择。"),
    )
    effective_on = _date(
        _("生效日期"), help_text=_("自该日起不再计入党员名册（恢复为正常时自该日起重新计入）。")
    )
    decided_on = _date(_("决定日期（死亡时填死亡日期）"))
    decision_body = _text(
        _("决定机关"), 100, required=False, help_text=_("如：××党支部党员大会、××机关党委。")
    )
    note = _text(_("备注"), required=False)

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        # no status is chosen for the user: an empty first choice, refused as required when submitted
        self.fields["status"].choices = [
            ("", _("请选择")),
            *[(v, label) for v, label in MemberStatus.choices if v in allowed],
        ]


class StintForm(PastDatesForm):
    destination = _text(_("流向地点或单位"))
    abroad = forms.BooleanField(
        label=_("出国（境）"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    abroad_purpose = forms.ChoiceField(
        label=_("出国（境）事由"),
        required=False,
        choices=[("", "---------"), *AbroadPurpose.choices],
        widget=forms.Select(attrs=SELECT),
        help_text=_("出国（境）时必选；学习含进修、研究。"),
    )
    fixed_place = forms.BooleanField(
        label=_("在固定地点"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    left_on = _date(_("外出日期"))
    note = _text(_("备注"), required=False)


class PurposeForm(forms.Form):
    abroad_purpose = forms.ChoiceField(
        label=_("出国（境）事由"), choices=AbroadPurpose.choices, widget=forms.Select(attrs=SELECT)
    )


class StintDecisionForm(PastDatesForm):
    decided_on = _date(_("决定日期"))
    decision = _text(
        _("决定内容"),
        500,
        help_text=_("如：经支部党员大会研究，保留党籍；或停止党籍（停止党籍另行变更党籍状态）。"),
    )


class ReturnForm(PastDatesForm):
    returned_on = _date(_("返回日期"))


class ContactForm(PastDatesForm):
    contacted_on = _date(_("联系日期"))
    way = forms.ChoiceField(
        label=_("联系方式"), choices=ContactWay.choices, widget=forms.Select(attrs=SELECT)
    )
    note = _text(_("联系情况"), required=False)


class LostForm(PastDatesForm):
    lost_on = _date(_("失联日期"))
    note = _text(_("备注"), required=False)


class RegainedForm(PastDatesForm):
    regained_on = _date(_("恢复联系日期"))
    note = _text(_("备注"), required=False)


class TransferForm(PastDatesForm):
    to_org = OrgChoiceField(label=_("接收组织"))
    started_on = _date(_("转接日期"))
    reason = _text(_("转接原因"))

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].set_orgs(orgs, grouped=True, kind="receiving")
        self.fields["to_org"].widget.attrs.update(SELECT)


class AcceptForm(PastDatesForm):
    accepted_on = _date(_("接收日期"))


class ReturnTransferForm(PastDatesForm):
    returned_on = _date(_("退回日期"))
    return_reason = _text(_("退回原因"))


class WithdrawTransferForm(PastDatesForm):
    withdrawn_on = _date(_("撤回日期"))
    withdraw_reason = _text(_("撤回原因"), help_text=_("如：误发起；该党员已调整到其他组织。"))


class TransferOutForm(PastDatesForm):
    letter_no = _text(_("介绍信编号"), 50)
    destination = _text(_("转往单位（党组织）"))
    transferred_on = _date(_("转出日期"))
    note = _text(_("备注"), required=False)


class TransferInForm(MemberForm):
    """The member's data (as on the member form) and the 介绍信."""

    letter_no = forms.CharField(label=_("介绍信编号"), max_length=50)
    origin = forms.CharField(label=_("转出单位（党组织）"), max_length=200)
    transferred_on = forms.DateField(label=_("转入日期"), widget=DateInput())

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, orgs=orgs, **kwargs)
        self.fields["org"].label = _("接收组织")
        self.fields["transferred_on"].widget.attrs["max"] = dt.date.today().isoformat()
        self.fields.pop(
            "is_mobile", None
        )  # kept by the 流动 records (the member form may no longer offer it)

    def member_data(self) -> dict:
        return self.service_data()
