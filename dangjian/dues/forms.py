"""Forms of the 党费 pages. They parse input only; the rules (amounts, dates, scope) live in
dangjian.dues.services, whose errors the views put back on the form (or on the sheet's row)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from dangjian.core.formfields import id_field
from dangjian.dues.calculator import ZERO
from dangjian.dues.choices import DuesCategory, PaymentMethod, ReliefKind, ReviewDecision
from dangjian.dues.models import RELIEF_REASON_LENGTH
from dangjian.dues.rates import RatesError, Schedule, load_rates
from dangjian.dues.selectors import rate_label
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


# an amount paid, in the words of the sheet and the member's page (Django's own say 确认总共不超过 10 个数字.)
PAYMENT_AMOUNT_ERRORS = {
    "required": _("请填写金额。"),
    "invalid": _("金额格式不正确，请填写数字，如 25.50。"),
    "min_value": _("金额须大于 0。"),
    "max_digits": _("金额过大。"),
    "max_whole_digits": _("金额过大。"),
    "max_decimal_places": _("金额最多保留两位小数。"),
}

PAID_ON_ERRORS = {"required": _("请填写缴纳日期。"), "invalid": _("缴纳日期格式不正确。")}


class PaymentRowForm(forms.Form):
    """One row of the collection sheet's bulk entry (prefix: the member's id)."""

    pick = forms.BooleanField(label=_("登记"), required=False)
    # a text field (with the decimal keypad on phones): what was typed reaches the server, so "abc" is
    # answered with 金额格式不正确 on its row; a number field would send nothing and say 请填写金额
    amount = forms.DecimalField(
        label=_("金额"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages=PAYMENT_AMOUNT_ERRORS,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "inputmode": "decimal", "autocomplete": "off"}
        ),
    )
    method = forms.ChoiceField(
        label=_("缴纳方式"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.CASH,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    paid_on = forms.DateField(
        label=_("缴纳日期"),
        error_messages=PAID_ON_ERRORS,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )
    # set when the sheet was shown with part of the month already paid: the entry tops it up (同月再次缴纳);
    # two admins entering the same unpaid row record one payment, the second is refused as a duplicate
    additional = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def picked(self) -> bool:
        return self.is_bound and self.data.get(self.add_prefix("pick")) in ("on", "1", "true")


class PaymentForm(forms.Form):
    """A member's payment for a month or a span of months (预交, 补交), with the branch's consent when the
    span goes beyond what FEE-08 allows without it (党费规定 第九条: 一般不得超过6个月)."""

    first_month = MonthField(label=_("所属月份（起）"), error_messages={"required": _("请选择所属月份。")})
    last_month = MonthField(label=_("所属月份（止）"), required=False, help_text=_("只交一个月时可不填。"))
    amount = forms.DecimalField(
        label=_("金额（元）"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages=PAYMENT_AMOUNT_ERRORS,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "0.01"}),
    )
    paid_on = forms.DateField(
        label=_("缴纳日期"),
        error_messages=PAID_ON_ERRORS,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )
    method = forms.ChoiceField(
        label=_("缴纳方式"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.CASH,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    branch_consent = forms.BooleanField(
        label=_("经支部同意"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=_("预交或补交一般不超过 6 个月；超过的，须经支部同意并填写同意日期。"),
    )
    consent_on = forms.DateField(
        label=_("同意日期"),
        required=False,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
        help_text=_("支部作出同意决定的日期，不晚于缴纳日期。"),
    )
    note = forms.CharField(
        label=_("备注"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    additional = forms.BooleanField(
        label=_("同月再次缴纳"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=_("所属月份已登记过缴费、本次为再次缴纳（如补足差额）时勾选；否则视为重复登记。"),
    )

    is_extra = forms.BooleanField(
        label=_("自愿多交"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=_(
            "党员自愿多交的党费单独登记，不计入所属月份的应交；一次自愿多交 1000 元以上的，全额上缴中央。"
        ),
    )

    def clean(self):
        data = super().clean()
        first, last = data.get("first_month"), data.get("last_month")
        if first is not None:
            data["months"] = f"{first:%Y-%m}" if last is None else f"{first:%Y-%m}~{last:%Y-%m}"
        return data


class VoidPaymentForm(forms.Form):
    """撤销 a payment recorded by mistake (the member's 党费 page): which one, and why (kept in the audit trail)."""

    void = id_field(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=200,
        error_messages={"required": _("请填写撤销原因。")},
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("如：金额录错")}
        ),
    )


_day_of_month = lazy(lambda d: _g("每月%(d)s日") % {"d": d}, str)


class CollectionDayForm(forms.Form):
    day = forms.TypedChoiceField(
        label=_("党费集中交纳日"),
        # labels translated when shown (the choices are built once, at import, in no particular language)
        choices=[("", _("每月最后一天"))] + [(str(d), _day_of_month(d)) for d in range(1, 29)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class ReviewForm(forms.Form):
    member = id_field(widget=forms.HiddenInput)
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


# --- 党费基数计算器 -------------------------------------------------------------------------------------

AMOUNT_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")
MAX_AMOUNT = Decimal("9999999999.99")
PAY_ROWS = 8
_FULLWIDTH = str.maketrans("０１２３４５６７８９，．－", "0123456789,.-")


def parse_amount(text: str) -> Decimal:
    """ "8,000.50", "8000.5", "８０００" → Decimal (never float); ValueError with a Chinese message otherwise.
    Thousands separators must group by three; at most two decimals; not negative."""
    value = (text or "").strip().translate(_FULLWIDTH).replace(" ", "")
    if value.endswith("元"):
        value = value[:-1]
    if value.startswith("-") and AMOUNT_RE.match(value[1:]):
        raise ValueError(_g("金额不能为负数。"))
    if not AMOUNT_RE.match(value):
        if re.fullmatch(r"[\d,]*\.\d{3,}", value):
            raise ValueError(_g("金额最多两位小数。"))
        raise ValueError(
            _g("“%(v)s”不是有效金额，请填写如 8000、8000.50 或 8,000.50。") % {"v": text.strip()}
        )
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(_g("“%(v)s”不是有效金额。") % {"v": text.strip()}) from None
    if amount > MAX_AMOUNT:
        raise ValueError(_g("金额过大。"))
    return amount


class AmountField(forms.CharField):
    """An amount in 元 typed as text (so "8,000.50" is accepted and phones show a decimal keypad)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "class": "form-control",
                    "inputmode": "decimal",
                    "autocomplete": "off",
                    "maxlength": "30",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        if len(value) > 30:
            raise forms.ValidationError(_("金额过长。"))
        try:
            return parse_amount(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def bracket_categories() -> list[tuple[str, str]]:
    """The categories with brackets in any schedule of the rate table (在职, 离退休), in DuesCategory order."""
    names = {c for s in load_rates().schedules for c in s.brackets}
    return [(value, label) for value, label in DuesCategory.choices if value in names]


PAY_PLACEHOLDERS = (
    _("如：职务（岗位）工资"),
    _("如：级别（薪级）工资"),
    _("如：津贴补贴"),
    _("如：绩效工资"),
)


class BaseCalculatorForm(forms.Form):
    """工资项目 (name + amount lines, blank lines ignored), the deductions, the 缴费类别 and the month.
    Cleans to Decimals; `pay_items()` gives the non-blank lines. The base itself is computed by
    dangjian.dues.calculator.base_from_pay in the view."""

    income_tax = AmountField(label=_("个人所得税"))
    social_insurance = AmountField(label=_("社保（个人缴纳部分）"))
    housing_fund = AmountField(label=_("公积金（个人缴纳部分）"))
    occupational_annuity = AmountField(label=_("职业年金（个人缴纳部分）"))
    category = forms.ChoiceField(
        label=_("缴费类别"), widget=forms.Select(attrs={"class": "form-select"}), initial=DuesCategory.ACTIVE
    )
    month = MonthField(label=_("所属月份"), required=True)

    DEDUCTIONS = ("income_tax", "social_insurance", "housing_fund", "occupational_annuity")

    def __init__(self, *args, rows: int = PAY_ROWS, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("month", f"{dt.date.today():%Y-%m}")
        super().__init__(*args, **kwargs)
        self.rows = rows
        for i in range(rows):
            attrs = {"class": "form-control", "autocomplete": "off"}
            if i < len(PAY_PLACEHOLDERS):
                attrs["placeholder"] = PAY_PLACEHOLDERS[i]
            self.fields[f"pay_name_{i}"] = forms.CharField(
                label=_("工资项目 %(n)s 名称") % {"n": i + 1},
                required=False,
                max_length=50,
                widget=forms.TextInput(attrs=attrs),
            )
            self.fields[f"pay_amount_{i}"] = AmountField(label=_("工资项目 %(n)s 金额（元）") % {"n": i + 1})
        self.fields["month"].widget = forms.TextInput(
            attrs={"type": "month", "class": "form-control", "placeholder": "YYYY-MM"}
        )
        self.fields["category"].choices = bracket_categories()

    def pay_rows(self):
        """(name field, amount field) pairs for the template."""
        return [(self[f"pay_name_{i}"], self[f"pay_amount_{i}"]) for i in range(self.rows)]

    def clean(self):
        data = super().clean()
        items = []
        for i in range(self.rows):
            name = (data.get(f"pay_name_{i}") or "").strip()
            amount = data.get(f"pay_amount_{i}")
            if f"pay_amount_{i}" in self.errors:
                continue
            if amount is None:
                if name:
                    self.add_error(f"pay_amount_{i}", _("请填写“%(name)s”的金额。") % {"name": name})
                continue
            items.append((name or _g("工资项目 %(n)s") % {"n": i + 1}, amount))
        if not items and not any(f"pay_amount_{i}" in self.errors for i in range(self.rows)):
            self.add_error("pay_amount_0", _("请至少填写一项工资项目的金额。"))
        self.items = items
        month, category = data.get("month"), data.get("category")
        if month is not None and category:
            try:
                schedule = load_rates().schedule_for(month)
            except RatesError as exc:
                self.add_error("month", exc.message)
            else:
                if category not in schedule.brackets:
                    self.add_error("category", _("该月份的党费标准没有这一缴费类别的比例档次。"))
                data["schedule"] = schedule
        for name in self.DEDUCTIONS:
            if data.get(name) is None and name not in self.errors:
                data[name] = ZERO
        return data

    def mark_invalid(self) -> None:
        """Bootstrap's red border, aria-invalid and the error's id on every field with an error."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"


def _amount_text(value: Decimal) -> str:
    """5000 → "5000", 5000.5 → "5000.50" (bounds of the rate table)."""
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


def bracket_label(schedule: Schedule, category: str, base: Decimal) -> str:
    """The bracket of `base` in words, from the rate table: "5000 元以上至 10000 元（含）档"."""
    lower = None
    for bracket in schedule.brackets[category]:
        if bracket.upto is None or base <= bracket.upto:
            break
        lower = bracket.upto
    upper = bracket.upto
    if lower is None and upper is None:
        return _g("统一比例档")
    if lower is None:
        return _g("%(u)s 元（含）以下档") % {"u": _amount_text(upper)}
    if upper is None:
        return _g("%(l)s 元以上档") % {"l": _amount_text(lower)}
    return _g("%(l)s 元以上至 %(u)s 元（含）档") % {"l": _amount_text(lower), "u": _amount_text(upper)}


def explain_due(schedule: Schedule, category: str, base: Decimal, rate: Decimal, due: Decimal) -> str:
    """ "月缴费基数 7300.50 元，在 5000 元以上至 10000 元（含）档，按 1.5% 计，每月应交 109.51 元。" """
    return _g("月缴费基数 %(base)s 元，在 %(bracket)s，按 %(rate)s 计，每月应交 %(due)s 元。") % {
        "base": f"{base:.2f}",
        "bracket": bracket_label(schedule, category, base),
        "rate": rate_label(rate),
        "due": f"{due:.2f}",
    }


# --- a member's 党费 page: 申报缴费基数 and 党费减免 ------------------------------------------------------------

SMALL = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_AMOUNT = {**SMALL, "inputmode": "decimal", "autocomplete": "off", "maxlength": "30"}


class DeclareBaseForm(forms.Form):
    """申报缴费基数 on a member's 党费 page (prefix "base"): the year, the 缴费类别, the monthly base (在职, 离退休) or
    the amount the branch sets (其他), and the month it applies from. The service checks them against the rate
    table (dangjian.dues.services.declare_base) and its refusals go back on the fields."""

    year = forms.TypedChoiceField(label=_("年度"), coerce=int, widget=forms.Select(attrs=SMALL_SELECT))
    category = forms.ChoiceField(
        label=_("缴费类别"),
        choices=DuesCategory.choices,
        initial=DuesCategory.ACTIVE,
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    monthly_base = AmountField(
        label=_("月缴费基数（元）"),
        help_text=_("在职党员填税后月工资收入，离退休党员填月基本离退休费；按固定标准交纳的类别不填。"),
        widget=forms.TextInput(attrs=SMALL_AMOUNT),
    )
    fixed_amount = AmountField(
        label=_("月缴纳额（元）"),
        help_text=_("仅“其他”类别填写，由党支部确定。"),
        widget=forms.TextInput(attrs=SMALL_AMOUNT),
    )
    effective_month = MonthField(
        label=_("生效月份"),
        help_text=_("自该月起按此申报计算，须在所选年度内；年中调整工资的，填新工资开始的月份。"),
    )
    note = forms.CharField(
        label=_("备注"), required=False, max_length=200, widget=forms.TextInput(attrs=SMALL)
    )

    def __init__(self, *args, years: list[int], **kwargs):
        kwargs.setdefault("prefix", "base")
        super().__init__(*args, **kwargs)
        year = self.fields["year"]
        assert isinstance(year, forms.ChoiceField)
        year.choices = [(y, _g("%(year)s 年度") % {"year": y}) for y in years]


class ReliefForm(forms.Form):
    """党费减免 approved by the higher 党委, on a member's 党费 page (prefix "relief"), shown only to whoever may record
    it (`approvers`: the 党委 above the member's 党支部 that the user administers); also its correction (the relief's
    own page). The reason is required, but on the correction of a relief recorded before reasons were kept and found
    without one (`reason_required=False`: it may be added then, or left blank). The correction's form (`editing`)
    carries the version of the relief it showed (core.edits), so that a relief changed since is not silently saved
    over."""

    kind = forms.ChoiceField(
        label=_("减免类型"),
        choices=ReliefKind.choices,
        initial=ReliefKind.EXEMPT,
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    monthly_amount = AmountField(
        label=_("减交后月缴纳额（元）"),
        help_text=_("减交时填写；免交不填。"),
        widget=forms.TextInput(attrs=SMALL_AMOUNT),
    )
    start_month = MonthField(label=_("起始月份"))
    end_month = MonthField(label=_("截止月份"))
    approved_by = forms.TypedChoiceField(
        label=_("批准组织"), coerce=int, widget=forms.Select(attrs=SMALL_SELECT)
    )
    approved_on = forms.DateField(label=_("批准日期"), widget=DateInput(attrs=SMALL))
    approval_ref = forms.CharField(
        label=_("批准文号"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={**SMALL, "placeholder": _("如：×党委〔2026〕5号")}),
    )
    reason = forms.CharField(
        label=_("减免原因"),
        max_length=RELIEF_REASON_LENGTH,
        error_messages={"required": _("请填写减免原因。")},
        widget=forms.TextInput(attrs={**SMALL, "placeholder": _("如：长期患病，生活困难")}),
    )

    def __init__(self, *args, approvers, reason_required: bool = True, editing: bool = False, **kwargs):
        kwargs.setdefault("prefix", "relief")
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["version"] = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
        if not reason_required:
            self.fields["reason"].required = False
            self.fields["reason"].help_text = _("原记录未写明减免原因，可在此补充。")
        self.approvers = list(approvers)
        field = self.fields["approved_by"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", _("请选择")),
            *((o.pk, f"{o.name}（{o.get_type_display()}）") for o in self.approvers),
        ]

    def chosen(self):
        """The approving organisation chosen (one of `approvers`), or None."""
        return next((o for o in self.approvers if o.pk == self.cleaned_data.get("approved_by")), None)


class DeleteReliefForm(forms.Form):
    """删除 a 党费减免 recorded by mistake (its own confirmation page): why (kept in the audit trail)."""

    reason = forms.CharField(
        label=_("删除原因"),
        max_length=200,
        error_messages={"required": _("请填写删除原因。")},
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("如：误登记到其他党员名下")}),
    )
