"""Forms of the talks pages. They parse input only; the rules (who belongs where, dates, scope) live in
dangjian.talks.services, whose errors the views put back on the form. Member choices are given by the view
(the branch's or the group's members)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.members.forms import DateInput
from dangjian.members.widgets import search_members_when_many
from dangjian.talks.choices import TalkForm as TalkFormChoice

SM = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}
CHECKS = {"class": "form-check-input"}


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=DateInput(attrs=SM), **kwargs)


class _MemberChoices(forms.Form):
    """`people`: (pk, name) of the members offered; `org`: theirs (a select of many of them is searched)."""

    def __init__(self, *args, people=(), org=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(pk), name) for pk, name in people]
        for name, field in self.fields.items():
            if isinstance(field, forms.TypedMultipleChoiceField | forms.TypedChoiceField) and name != "form":
                field.choices = ([] if field.widget.allow_multiple_selected else [("", "—")]) + choices
        if org is not None:
            search_members_when_many(self, org)


class TalkEntryForm(_MemberChoices):
    date = _date(_("谈话日期"), initial=dt.date.today)
    participants = forms.TypedMultipleChoiceField(
        label=_("谈话人员（至少两人）"), coerce=int, widget=forms.CheckboxSelectMultiple(attrs=CHECKS)
    )
    form = forms.ChoiceField(
        label=_("形式"),
        required=False,
        choices=[("", _("不填写")), *TalkFormChoice.choices],
        widget=forms.Select(attrs=SELECT),
    )


class PairForm(_MemberChoices):
    mentor = forms.TypedChoiceField(label=_("老党员"), coerce=int, widget=forms.Select(attrs=SELECT))
    mentee = forms.TypedChoiceField(label=_("结对党员"), coerce=int, widget=forms.Select(attrs=SELECT))
    started_on = _date(_("开始日期"), initial=dt.date.today)
    ended_on = _date(_("结束日期"), required=False, help_text=_("结对期限的最后一天；不填写表示长期结对。"))
    goal = forms.CharField(label=_("结对目标"), max_length=200, widget=forms.TextInput(attrs=SM))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a pairing is recorded once begun: the date input offers no day after today (the service refuses one)
        self.fields["started_on"].widget.attrs["max"] = dt.date.today().isoformat()


class PairEndForm(forms.Form):
    ended_on = _date(_("结束日期"), initial=dt.date.today)


class GroupForm(_MemberChoices):
    name = forms.CharField(label=_("小组名称"), max_length=100, widget=forms.TextInput(attrs=SM))
    founded_on = _date(_("成立日期"), initial=dt.date.today)
    leader = forms.TypedChoiceField(label=_("组长"), coerce=int, widget=forms.Select(attrs=SELECT))
    members = forms.TypedMultipleChoiceField(
        label=_("小组成员"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple(attrs=CHECKS)
    )


class GroupMembersForm(_MemberChoices):
    leader = forms.TypedChoiceField(label=_("组长"), coerce=int, widget=forms.Select(attrs=SELECT))
    members = forms.TypedMultipleChoiceField(
        label=_("小组成员"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple(attrs=CHECKS)
    )
    # the version of the group the page showed (core.edits), so that members changed since are not silently undone
    version = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ActivityForm(_MemberChoices):
    date = _date(_("活动日期"), initial=dt.date.today)
    topic = forms.CharField(label=_("学习主题"), max_length=200, widget=forms.TextInput(attrs=SM))
    participants = forms.TypedMultipleChoiceField(
        label=_("参加人员"), coerce=int, widget=forms.CheckboxSelectMultiple(attrs=CHECKS)
    )
