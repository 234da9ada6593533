"""Forms of the pipeline pages. They parse input only; the rules (order, delays, required data, scope) live in
dangjian.pipeline.services, whose refusals the views put back on the form."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dangjian.core.formfields import count_field
from dangjian.members.forms import DateInput
from dangjian.orgs.forms import OrgPickField
from dangjian.orgs.models import Org
from dangjian.pipeline.services import UNDO_REASON_MIN
from dangjian.pipeline.workflow import StepDef

INPUT = {"class": "form-control"}
NUMBER = {"class": "form-control", "inputmode": "numeric", "min": "0"}


class CaseForm(forms.Form):
    org = OrgPickField(label=_("党支部"), coerce=int, widget=forms.Select(attrs={"class": "form-select"}))
    name = forms.CharField(label=_("姓名"), max_length=50, widget=forms.TextInput(attrs=INPUT))
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={**INPUT, "inputmode": "tel"}),
    )
    applied_on = forms.DateField(label=_("递交入党申请书日期"), widget=DateInput(attrs=INPUT))
    note = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={**INPUT, "rows": 2}), max_length=2000
    )

    def __init__(self, *args, branches: QuerySet[Org], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].set_orgs(branches, kind="branch")

    def chosen_branch(self) -> Org | None:
        """The 党支部 of a valid form."""
        return self.fields["org"].chosen(self.cleaned_data["org"])


class PeopleField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class StepForm(forms.Form):
    """The form of one step: a date and a note, plus the fields the step's definition asks for."""

    date = forms.DateField(label=_("日期"), widget=DateInput(attrs=INPUT))
    note = forms.CharField(
        label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={**INPUT, "rows": 2})
    )

    def __init__(self, *args, step: StepDef, people=(), approvers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        self.approvers = list(approvers)
        choices = [(m.pk, m.name) for m in people]
        if step.note_required:
            self.fields["note"].required = True
            self.fields["note"].label = _("原因")
        if step.contacts is not None:
            self.fields["contacts"] = PeopleField(
                label=_("培养联系人"),
                choices=choices,
                coerce=int,
                required=False,
                help_text=_("1至2名正式党员。"),
            )
        if step.sponsors is not None:
            self.fields["sponsors"] = PeopleField(
                label=_("入党介绍人"),
                choices=choices,
                coerce=int,
                required=False,
                help_text=_("2名正式党员。"),
            )
        if step.training is not None:
            self.fields["training_days"] = count_field(
                label=_("培训天数"), required=False, min_value=0, widget=forms.NumberInput(attrs=NUMBER)
            )
            self.fields["training_hours"] = count_field(
                label=_("培训学时"), required=False, min_value=0, widget=forms.NumberInput(attrs=NUMBER)
            )
        if step.vote is not None:
            self.fields["expected_voters"] = count_field(
                label=_("应到会有表决权党员"), min_value=0, widget=forms.NumberInput(attrs=NUMBER)
            )
            self.fields["present_voters"] = count_field(
                label=_("实到会有表决权党员"), min_value=0, widget=forms.NumberInput(attrs=NUMBER)
            )
            self.fields["yes_votes"] = count_field(
                label=_("赞成票（含未到会党员书面意见）"), min_value=0, widget=forms.NumberInput(attrs=NUMBER)
            )
        if step.extension is not None:
            self.fields["extension_months"] = count_field(
                label=_("延长月数"),
                min_value=1,
                widget=forms.NumberInput(
                    attrs={
                        **NUMBER,
                        "min": str(step.extension.min_months),
                        "max": str(step.extension.max_months),
                    }
                ),
            )

        if step.approver is not None:
            self.fields["approver_org"] = forms.TypedChoiceField(
                label=_("审批党组织"),
                coerce=int,
                choices=[
                    ("", _("请选择")),
                    *((o.pk, f"{o.name}（{o.get_type_display()}）") for o in approvers),
                ],
                widget=forms.Select(attrs={"class": "form-select"}),
                help_text=_(
                    "预备党员须由具有审批权的上级党委（或工委）审批，党总支、党支部无权审批（DEV-16）。"
                ),
            )

    def extra_fields(self):
        return [self[name] for name in self.fields if name not in ("date", "note")]


class ApproverForm(forms.Form):
    """The organisation that approved a recorded step (审批党组织), chosen among those above the branch."""

    approver_org = forms.TypedChoiceField(
        label=_("审批党组织"), coerce=int, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )

    def __init__(self, *args, approvers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.approvers = list(approvers)
        self.fields["approver_org"].choices = [
            ("", _("请选择")),
            *((o.pk, f"{o.name}（{o.get_type_display()}）") for o in self.approvers),
        ]

    def chosen(self):
        return next((o for o in self.approvers if o.pk == self.cleaned_data.get("approver_org")), None)


class UndoStepForm(forms.Form):
    """The reason a recorded step is undone (撤销误录); the service checks it again."""

    reason = forms.CharField(
        label=_("撤销原因"),
        min_length=UNDO_REASON_MIN,
        max_length=200,
        widget=forms.TextInput(
            attrs={**INPUT, "class": "form-control form-control-sm", "placeholder": _("如：日期填错")}
        ),
        error_messages={
            "required": _("请写明撤销原因。"),
            "min_length": _("撤销原因不少于%(limit_value)d个字。"),
        },
    )

    def first_error(self) -> str:
        return str(next(iter(self.errors.get("reason") or self.non_field_errors() or [""])))


class ApplicantForm(forms.Form):
    """Corrects the applicant's 姓名 and 身份证号. The current number is never filled in: the input shows it masked
    as a hint, and left blank keeps it."""

    name = forms.CharField(
        label=_("姓名"), max_length=50, widget=forms.TextInput(attrs={**INPUT, "autocomplete": "off"})
    )
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=18,
        required=False,
        help_text=_("只在身份证号有误时填写正确的号码；留空则保持不变。"),
        widget=forms.TextInput(
            attrs={**INPUT, "autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def __init__(self, *args, masked: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if masked:
            self.fields["id_number"].widget.attrs["placeholder"] = masked

    def clean_id_number(self) -> str:
        return (self.cleaned_data.get("id_number") or "").strip().upper()
