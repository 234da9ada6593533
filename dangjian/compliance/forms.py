"""The query parameters of the compliance pages: year Y, as of D, and the part of the scope to look at
(`org`: one visible organisation's subtree; `unit`: one 单位 of the roll-up). Invalid values fall back
to the defaults and are reported on the form, so a mistyped URL still shows a page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.formfields import id_field

FIRST_YEAR = 2015


class DateInput(forms.DateInput):
    input_type = "date"


def default_year() -> int:
    return dt.date.today().year


class EvaluationForm(forms.Form):
    year = forms.TypedChoiceField(label=_("评估年度"), coerce=int, required=False, choices=())
    as_of = forms.DateField(
        label=_("评估日期"),
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        help_text=_("默认今天；晚于年底按12月31日计算。"),
    )
    org = id_field(required=False, widget=forms.HiddenInput())
    unit = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput())

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        this_year = default_year()
        year_field = self.fields["year"]
        assert isinstance(year_field, forms.TypedChoiceField)
        year_field.choices = [
            (y, _("%(year)d年") % {"year": y}) for y in range(this_year, FIRST_YEAR - 1, -1)
        ]
        self.fields["year"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["as_of"].widget.attrs["class"] = "form-control form-control-sm"
        if not self.is_bound or not (data or {}).get("year"):
            self.initial.setdefault("year", this_year)
        self.is_valid()

    def clean(self):
        data = super().clean() or {}
        year, as_of = data.get("year"), data.get("as_of")
        if year and as_of and as_of < dt.date(year, 1, 1):
            self.add_error("as_of", _("评估日期早于所选年度，已按今天计算。"))
        return data

    def _value(self, name: str):
        return self.cleaned_data.get(name) if name not in self.errors else None

    @property
    def the_year(self) -> int:
        return self._value("year") or default_year()

    @property
    def the_as_of(self) -> dt.date:
        """D as asked (the evaluator clamps a D after 31 December Y to that day)."""
        value = self._value("as_of")
        if value is None or value < dt.date(self.the_year, 1, 1):
            value = dt.date.today()
        return max(value, dt.date(self.the_year, 1, 1))

    @property
    def org_pk(self) -> int | None:
        return self._value("org")

    @property
    def the_unit(self) -> str:
        return (self._value("unit") or "").strip()

    def query(self, **overrides) -> dict[str, str]:
        """The parameters to repeat in links (only those that were given, as given)."""
        params = {}
        if self.data.get("year") and "year" not in self.errors:
            params["year"] = str(self.the_year)
        if self.data.get("as_of") and "as_of" not in self.errors:
            params["as_of"] = self.the_as_of.isoformat()
        if self.org_pk:
            params["org"] = str(self.org_pk)
        if self.the_unit:
            params["unit"] = self.the_unit
        for key, value in overrides.items():
            if value in (None, ""):
                params.pop(key, None)
            else:
                params[key] = str(value)
        return params
