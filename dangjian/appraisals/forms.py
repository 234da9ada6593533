"""Forms of the 述职评议 pages. They parse input only; the rules (states, who may be a subject, who votes,
scope) live in dangjian.appraisals.services, whose errors the views put back on the form. The per-subject fields
are built from what the view gives: `r-<subject>-<item>` a rating, `c-<subject>-<item>-<rating>` a paper count,
`name-<n>`/`weight-<n>` an item."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.appraisals.choices import RATING_ORDER, ParticipantRole, Rating
from dangjian.core.formfields import count_field
from dangjian.members.forms import DateInput

SM = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}
ITEM_ROWS = 6  # the items page shows the items and empty rows up to this many


class CampaignForm(forms.Form):
    owner = forms.TypedChoiceField(label=_("组织单位"), coerce=int, widget=forms.Select(attrs=SELECT))
    year = forms.IntegerField(
        label=_("评议年度"), min_value=1990, max_value=2999, widget=forms.NumberInput(attrs=SM)
    )
    report_year = forms.IntegerField(
        label=_("述职年度"),
        min_value=1990,
        max_value=2999,
        required=False,
        help_text=_("述职报告所述工作的年度；不填时，1至3月开始的为上一年度，其他为当年。"),
        widget=forms.NumberInput(attrs=SM),
    )
    opened_on = forms.DateField(label=_("开始日期"), initial=dt.date.today, widget=DateInput(attrs=SM))
    voting_to = forms.DateField(label=_("测评截止日期"), required=False, widget=DateInput(attrs=SM))
    title = forms.CharField(
        label=_("名称"),
        required=False,
        max_length=100,
        help_text=_("不填时按组织和年度自动命名。"),
        widget=forms.TextInput(attrs=SM),
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.TypedChoiceField)
        owner_field.choices = [(o.pk, o.name) for o in owners]


class SubjectsForm(forms.Form):
    orgs = forms.TypedMultipleChoiceField(
        label=_("述职的组织"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请选择述职的组织。")},
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        orgs_field = self.fields["orgs"]
        assert isinstance(orgs_field, forms.TypedMultipleChoiceField)
        orgs_field.choices = [(o.pk, o.name) for o in candidates]


class ItemsForm(forms.Form):
    """The items in order, the first 综合评价; empty rows are ignored."""

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        items = list(items)
        for n in range(max(ITEM_ROWS, len(items) + 1)):
            item = items[n] if n < len(items) else None
            self.fields[f"name-{n}"] = forms.CharField(
                label=_("测评项目"),
                required=False,
                max_length=50,
                initial=item.name if item else "",
                widget=forms.TextInput(attrs=SM),
            )
            self.fields[f"weight-{n}"] = forms.CharField(
                label=_("权重"),
                required=False,
                max_length=10,
                initial=str(item.weight) if item else "",
                widget=forms.TextInput(attrs=SM | {"inputmode": "decimal", "style": "width:6em"}),
            )
        self.rows = max(ITEM_ROWS, len(items) + 1)

    def items(self) -> list[tuple[str, str]]:
        return [(self.cleaned_data[f"name-{n}"], self.cleaned_data[f"weight-{n}"]) for n in range(self.rows)]


class ParticipantsForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("按范围"),
        choices=ParticipantRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    members = forms.CharField(
        label=_("指定名单"),
        required=False,
        max_length=20000,
        help_text=_("每行一人，填写姓名；重名时填写身份证号。"),
        widget=forms.Textarea(attrs=SM | {"rows": 6}),
    )

    def lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["members"].splitlines() if line.strip()]


class ReportForm(forms.Form):
    report = forms.FileField(
        label=_("述职报告定稿"),
        help_text=_("Word（.docx）或 PDF 文件，不超过 20 MB。"),
        error_messages={"required": _("请选择述职报告文件。")},
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control form-control-sm", "accept": ".docx,.pdf"}
        ),
    )


class ReportedForm(forms.Form):
    reported_on = forms.DateField(label=_("述职日期"), initial=dt.date.today, widget=DateInput(attrs=SM))


class VoteForm(forms.Form):
    """One 测评票: a rating of each subject given (every subject but the voter's own) on each item."""

    def __init__(self, *args, subjects=(), items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = [(s.pk, i.pk) for s in subjects for i in items]
        for s in subjects:
            for i in items:
                self.fields[f"r-{s.pk}-{i.pk}"] = forms.ChoiceField(
                    label=f"{s.secretary.name} {i.name}",
                    choices=Rating.choices,
                    widget=forms.RadioSelect,
                    error_messages={
                        "required": _("请为%(name)s的“%(item)s”选择等次。")
                        % {"name": s.secretary.name, "item": i.name}
                    },
                )

    def ratings(self) -> dict[tuple[int, int], str]:
        return {(s, i): self.cleaned_data[f"r-{s}-{i}"] for s, i in self.keys}


class TalliesForm(forms.Form):
    paper_ballots = count_field(label=_("收回纸质测评票"), min_value=0, widget=forms.NumberInput(attrs=SM))

    def __init__(self, *args, subjects=(), items=(), paper=None, **kwargs):
        super().__init__(*args, **kwargs)
        paper = paper or {}
        self.keys = [(s.pk, i.pk) for s in subjects for i in items]
        for s in subjects:
            for i in items:
                for r in RATING_ORDER:
                    self.fields[f"c-{s.pk}-{i.pk}-{r}"] = count_field(
                        label=f"{s.secretary.name} {i.name} {Rating(r).label}",
                        min_value=0,
                        required=False,
                        initial=paper.get((s.pk, i.pk, r), 0),
                        widget=forms.NumberInput(attrs=SM | {"style": "width:5em"}),
                    )

    def counts(self) -> dict[tuple[int, int], dict[str, int]]:
        return {
            (s, i): {r: self.cleaned_data.get(f"c-{s}-{i}-{r}") or 0 for r in RATING_ORDER}
            for s, i in self.keys
        }
