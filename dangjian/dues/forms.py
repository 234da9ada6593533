"""Forms of the 党费 pages. They parse input only; the rules (amounts, dates, scope) live in
dangjian.dues.services, whose errors the views put back on the form (or on the sheet's row)."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.dues.choices import PaymentMethod, ReviewDecision
from dangjian.members.forms import DateInput

MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(value: str | None) -> dt.date | None:
    """ "2026-03" → 1 March 2026; anything else → None."""
    match = MONTH_RE.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1900 <= year <= 2999 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def parse_year(value: str | None, default: int) -> int:
    try:
        year = int(value or "")
    except ValueError:
        return default
    return year if 1990 <= year <= 2999 else default


class MonthField(forms.CharField):
    """YYYY-MM → the first of the month."""

    widget = forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM。"))
        return month


class PaymentRowForm(forms.Form):
    """One row of the collection sheet's bulk entry (prefix: the member's id)."""

    pick = forms.BooleanField(label=_("登记"), required=False)
    amount = forms.DecimalField(
        label=_("金额"),
        max_digits=10,
        decimal_places=2,
        min_value=0.01,
        widget=forms.NumberInput(
            attrs={"class": "form-control form-control-sm", "step": "0.01", "min": "0.01"}
        ),
    )
    method = forms.ChoiceField(
        label=_("缴纳方式"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.CASH,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    paid_on = forms.DateField(
        label=_("缴纳日期"), widget=DateInput(attrs={"class": "form-control form-control-sm"})
    )

    def picked(self) -> bool:
        return self.is_bound and self.data.get(self.add_prefix("pick")) in ("on", "1", "true")


class CollectionDayForm(forms.Form):
    day = forms.TypedChoiceField(
        label=_("党费集中交纳日"),
        choices=[("", _("每月最后一天"))] + [(str(d), _("每月%(d)s日") % {"d": d}) for d in range(1, 29)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class ReviewForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    reviewed_on = forms.DateField(
        label=_("审查日期"), widget=DateInput(attrs={"class": "form-control form-control-sm"})
    )
    through_month = MonthField(label=_("审查所涉截至月份"))
    decision = forms.ChoiceField(
        label=_("结论"),
        choices=ReviewDecision.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    reason = forms.CharField(
        label=_("理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control form-control-sm", "rows": 2}),
    )
