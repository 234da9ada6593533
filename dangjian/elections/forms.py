"""Forms of the 换届选举 pages. They parse input only; the numbers are checked by dangjian.elections.services,
whose errors the views put back on the form."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dangjian.core.formfields import count_field
from dangjian.elections.choices import AdjustmentKind, ElectionForm, ExclusionReason
from dangjian.members.forms import DateInput
from dangjian.members.widgets import search_members_when_many
from dangjian.orgs.choices import COMMITTEE_TITLES, PostTitle
from dangjian.orgs.forms import OrgPickField
from dangjian.orgs.models import Org

SM = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}
CHECK = {"class": "form-check-input"}
NUM = {"class": "form-control form-control-sm", "inputmode": "numeric", "min": "0"}


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=DateInput(attrs=SM), **kwargs)


def _no_later_than_today(form: forms.Form, *names: str) -> None:
    """The date inputs offer no day after today (the services refuse one)."""
    today = dt.date.today().isoformat()
    for name in names:
        if name in form.fields:
            form.fields[name].widget.attrs["max"] = today


def _count(label, required=True, **kwargs):
    return count_field(label=label, required=required, widget=forms.NumberInput(attrs=NUM), **kwargs)


def _text(label, max_length=100, required=True):
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.TextInput(attrs=SM)
    )


class SetupForm(forms.Form):
    """Which organisation and date (the roster of voters depends on both)."""

    org = OrgPickField(label=_("选举单位"), widget=forms.Select(attrs=SELECT))
    held_on = _date(_("选举日期"), initial=dt.date.today)

    def __init__(self, *args, orgs: QuerySet[Org], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].set_orgs(orgs, kind="active")
        _no_later_than_today(self, "held_on")

    def clean_held_on(self) -> dt.date:
        held_on = self.cleaned_data["held_on"]
        if held_on > dt.date.today():
            raise forms.ValidationError(_("选举日期不能晚于今天：登记的是已经进行的选举。"))
        return held_on

    def chosen_org(self) -> Org:
        """The organisation of a valid form."""
        return self.fields["org"].chosen(self.cleaned_data["org"])


class ElectionEntryForm(forms.Form):
    form = forms.ChoiceField(
        label=_("会议形式"),
        choices=ElectionForm.choices,
        initial=ElectionForm.ASSEMBLY,
        widget=forms.Select(attrs=SELECT),
    )
    expected = _count(
        _("应到会有选举权人数"),
        required=False,
        help_text=_(
            "留空则按选举日的正式党员名册计算（减去下列经批准不计入的党员）；填写的人数与之不同时须说明理由。"
        ),
    )
    expected_reason = _text(
        _("应到会人数与名册计算不同的理由"),
        max_length=255,
        required=False,
    )
    form_approval_ref = _text(_("召开党员代表大会的批准文号"), required=False)
    form_approved_on = _date(
        _("召开党员代表大会的批准日期"),
        required=False,
        help_text=_("党员500名以上或所辖党组织驻地分散，经上级党组织批准召开党员代表大会的填写。"),
    )
    present = _count(_("实到会有选举权人数"))
    seats = count_field(
        label=_("应选名额"),
        min_value=1,
        widget=forms.NumberInput(attrs=NUM),
        error_messages={"min_value": _("应选名额至少为1名。")},
    )
    ballots_issued = _count(_("发出选票"))
    ballots_returned = _count(_("收回选票"))
    has_preselection = forms.BooleanField(
        label=_("进行了预选"), required=False, widget=forms.CheckboxInput(attrs=CHECK)
    )
    exclude = forms.MultipleChoiceField(
        label=_("经批准不计入应到会人数的党员"), required=False, widget=forms.CheckboxSelectMultiple
    )
    exclusion_reason = forms.ChoiceField(
        label=_("不计入的情形"),
        required=False,
        choices=[("", "—"), *ExclusionReason.choices],
        widget=forms.Select(attrs=SELECT),
    )
    exclusion_approval = _text(_("批准情况（上级党组织批准、党员大会同意）"), max_length=255, required=False)
    note = _text(_("备注"), max_length=255, required=False)

    # at a 党员代表大会 the 应到会 and 实到会 are its 代表 (the page shows these labels when it is chosen)
    CONGRESS_LABELS = {
        "expected": _("应到会代表人数"),
        "present": _("实到会代表人数"),
    }
    CONGRESS_EXPECTED_HELP = _(
        "召开党员代表大会的，填写应出席会议的代表人数（不含列席人员），不按党员名册计算；到会人数检查按代表计算。"
    )

    def __init__(self, *args, roster=(), higher=True, **kwargs):
        """`higher`: whether the user administers an organisation above the electing one, who alone records
        the approval to hold a 党员代表大会 (without it, the form has no approval fields)."""
        super().__init__(*args, **kwargs)
        self.fields["exclude"].choices = [(str(e.member_id), e.name) for e in roster]
        if not higher:
            del self.fields["form_approval_ref"], self.fields["form_approved_on"]
        _no_later_than_today(self, "form_approved_on")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("form") == ElectionForm.CONGRESS:
            # the delegates are asked for, never counted from the roll; the roll's reason and exclusions
            # (EL-12: who is left out of a 党员大会's count) do not apply to them
            if data.get("expected") is None and "expected" not in self.errors:
                self.add_error(
                    "expected",
                    _("召开党员代表大会的，请填写应到会代表人数（应出席会议的代表，不按党员名册计算）。"),
                )
            data["expected_reason"] = ""
            data["exclude"] = []
        return data


class CandidateRowForm(forms.Form):
    member = forms.ChoiceField(label=_("候选人"), required=False, widget=forms.Select(attrs=SELECT))
    title = forms.ChoiceField(
        label=_("拟任职务"),
        required=False,
        choices=[(v, label) for v, label in PostTitle.choices if v in COMMITTEE_TITLES],
        initial=PostTitle.COMMITTEE,
        widget=forms.Select(attrs=SELECT),
    )
    prevotes = _count(_("预选得票"), required=False)
    votes = _count(_("得票"), required=False)

    def __init__(self, *args, roster=(), org=None, **kwargs):
        """`org`: the electing organisation (a roster of many is searched within it)."""
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "—"), *((str(e.member_id), e.name) for e in roster)]
        if org is not None:
            # one select per candidate row: each offers its chosen member only, the rest by a search
            search_members_when_many(self, org, names=("member",), shown=0)


CandidateFormSet = forms.formset_factory(CandidateRowForm, extra=0)


class ApprovalForm(forms.Form):
    approved_on = _date(_("上级党组织批准日期"))
    approving_body = _text(_("批准机关"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _no_later_than_today(self, "approved_on")


class CongressApprovalForm(forms.Form):
    approval_ref = _text(_("召开党员代表大会的批准文号"))
    approved_on = _date(_("召开党员代表大会的批准日期"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _no_later_than_today(self, "approved_on")


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类别"), choices=AdjustmentKind.choices, widget=forms.Select(attrs=SELECT)
    )
    new_due_on = _date(_("批准的换届日期"))
    approved_on = _date(_("批准日期"))
    approving_body = _text(_("批准机关"))
    reason = _text(_("理由"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _no_later_than_today(self, "approved_on")
