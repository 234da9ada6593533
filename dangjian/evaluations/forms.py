"""Forms of the 民主评议 pages. They parse input only; the rules (steps, the 优秀 cap, who votes, scope) live in
dangjian.evaluations.services, whose errors the views put back on the form. The per-participant fields are
built from the participants the view gives: `r-<id>` a rating, `g-<id>` a grade, `d-<id>` a 限期改正 due date,
`c-<id>-<rating>` a paper count."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.formfields import count_field
from dangjian.evaluations.choices import RATING_ORDER, FollowUpOutcome, Organ, Rating
from dangjian.members.forms import DateInput

SM = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


class OpenForm(forms.Form):
    year = forms.IntegerField(
        label=_("年度"), min_value=1990, max_value=2999, widget=forms.NumberInput(attrs=SM)
    )
    opened_on = forms.DateField(label=_("开始日期"), initial=dt.date.today, widget=DateInput(attrs=SM))
    organ = forms.ChoiceField(
        label=_("评定机构"), choices=Organ.choices, initial=Organ.ASSEMBLY, widget=forms.Select(attrs=SELECT)
    )


class OpenBranchForm(OpenForm):
    """Opening one 党支部's evaluation: with 按党小组测评 when the branch has 党小组 (the view says)."""

    by_group = forms.BooleanField(
        label=_("按党小组测评"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=_("党员人数较多的支部可分党小组测评：每名党员只测评本党小组的党员，测评结果按党小组统计。"),
    )

    def __init__(self, *args, groups: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not groups:
            del self.fields["by_group"]


class GroupingForm(forms.Form):
    by_group = forms.BooleanField(label=_("按党小组测评"), required=False)


class LineTextField(forms.CharField):
    """A text box's text with each line break as one character: a browser sends CR LF, which would count two
    against `max_length` although the box's own maxlength counts one."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return super().to_python(value)


class OwnSelfAssessmentForm(forms.Form):
    """A member's own 个人自评, written online."""

    text = LineTextField(
        label=_("我的个人自评"),
        max_length=2000,
        widget=forms.Textarea(attrs=SM | {"rows": 5, "maxlength": 2000}),
        error_messages={
            "required": _("请填写自评内容。"),
            "max_length": _("自评内容不超过%(limit_value)s字。"),
        },
    )


def own_self_form(participant, data=None) -> OwnSelfAssessmentForm:
    """The form of one participant's own 个人自评 (prefixed: a page may show several)."""
    return OwnSelfAssessmentForm(data, initial={"text": participant.self_text}, prefix=f"s{participant.pk}")


class OpenForBranchesForm(OpenForm):
    """Opening for every 党支部 of a 党委 or 党总支: which one, among those the view offers."""

    org = forms.TypedChoiceField(label=_("党委或党总支"), coerce=int, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        org_field = self.fields["org"]
        assert isinstance(org_field, forms.TypedChoiceField)
        org_field.choices = [(o.pk, o.name) for o in parents]
        self.order_fields(["org", "year", "opened_on", "organ"])


class SelfAssessmentForm(forms.Form):
    text = LineTextField(
        label=_("个人自评"), required=False, max_length=2000, widget=forms.Textarea(attrs=SM | {"rows": 3})
    )
    paper = forms.BooleanField(label=_("已交书面自评"), required=False)


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("限期改正结果"), choices=FollowUpOutcome.choices, widget=forms.Select(attrs=SELECT)
    )
    decided_on = forms.DateField(label=_("决定日期"), initial=dt.date.today, widget=DateInput(attrs=SM))


class VoteForm(forms.Form):
    """One 测评票: a rating of each participant given (every participant but the voter)."""

    def __init__(self, *args, others=(), **kwargs):
        super().__init__(*args, **kwargs)
        for p in others:
            self.fields[f"r-{p.pk}"] = forms.ChoiceField(
                label=p.member.name,
                choices=Rating.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("请为%(name)s选择测评等次。") % {"name": p.member.name}},
            )
        self.others = list(others)

    def ratings(self) -> dict[int, str]:
        return {p.pk: self.cleaned_data[f"r-{p.pk}"] for p in self.others}


class TalliesForm(forms.Form):
    """The paper 测评票: how many were collected, and each participant's count of each rating."""

    paper_ballots = count_field(label=_("收回纸质测评票"), min_value=0, widget=forms.NumberInput(attrs=SM))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(people)
        for p in self.people:
            paper = p.paper_counts()
            for r in RATING_ORDER:
                self.fields[f"c-{p.pk}-{r}"] = count_field(
                    label=f"{p.member.name} {Rating(r).label}",
                    min_value=0,
                    required=False,
                    initial=paper[r],
                    widget=forms.NumberInput(attrs=SM | {"style": "width:5em"}),
                )

    def counts(self) -> dict[int, dict[str, int]]:
        return {
            p.pk: {r: self.cleaned_data.get(f"c-{p.pk}-{r}") or 0 for r in RATING_ORDER} for p in self.people
        }


class GradesForm(forms.Form):
    """The 组织评定: a grade for each graded participant, a due date for a 不合格 one (empty: the default)."""

    def __init__(self, *args, graded=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.graded = list(graded)
        for p in self.graded:
            self.fields[f"g-{p.pk}"] = forms.ChoiceField(  # radios: a large branch renders no long selects
                label=p.member.name,
                choices=Rating.choices,
                initial=p.grade,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"d-{p.pk}"] = forms.DateField(
                label=_("限期改正期满日期"),
                required=False,
                initial=p.followup_due,
                widget=DateInput(attrs=SM),
            )

    def grades(self) -> dict[int, str]:
        return {p.pk: self.cleaned_data.get(f"g-{p.pk}") or "" for p in self.graded}

    def due_dates(self) -> dict[int, dt.date | None]:
        return {p.pk: self.cleaned_data.get(f"d-{p.pk}") for p in self.graded}
