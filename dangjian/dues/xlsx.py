"""Excel import and export of 党费: declared bases (`dues-bases`) and payments (`dues-payments`).

Members are given by 身份证号 and found through the keyed hash (one query for the whole file); a payer
(代缴人) likewise. Every write goes through the dues services, which check the scope and audit.

A base matches an existing one on member + 生效月份 (the services upsert on that pair): the same
category, base, 月缴纳额 and year is unchanged, anything else an update. A payment has no natural
update: a row matches an existing payment on member + 所属月份 + 金额 + 缴纳日期 and is then unchanged
(each existing payment matches one row only, so two equal transfers stay two); any other row is a new
payment. Bank exports are the common source: amounts may be number cells and dates Excel dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from dangjian.core.errors import ServiceError
from dangjian.core.imports import ImportContext, Importer, bulk_filter
from dangjian.core.pii import mask_id_number
from dangjian.core.xlsx import CellError, Choice, Column, Date, IdNumber, Integer, ParsedRow, Text, YesNo
from dangjian.dues.choices import DuesCategory, PaymentMethod
from dangjian.dues.models import DuesBase, DuesPayment
from dangjian.members.models import Member
from dangjian.members.xlsx import members_by_number, unknown_member
from dangjian.orgs.choices import chinese_label
from dangjian.orgs.xlsx import EXAMPLE_ID_NUMBER

ID, YEAR, CATEGORY, BASE, EFFECTIVE, FIXED = (
    "身份证号",
    "年度",
    "缴费类别",
    "月缴费基数",
    "生效月份",
    "月缴纳额",
)
MONTHS, AMOUNT, PAID_ON, METHOD, PAYER = "所属月份", "金额", "缴纳日期", "缴纳方式", "代缴人身份证号"
CONSENT, CONSENT_ON = "经支部同意", "同意日期"
CENT = Decimal("0.01")
# Categories whose amount is a rate applied to the base: the base is required.
_RATED = (DuesCategory.ACTIVE, DuesCategory.RETIRED)


# --- cell types -------------------------------------------------------------------------------------------


class Money:
    """An amount in 元, read as Decimal (never float): a number cell goes through its shortest repr,
    text may carry thousands separators or a ¥ sign. At most two decimals."""

    number_format = "0.00"
    blank: Any = None
    hint = "单位：元，最多两位小数；可以是数字单元格。"

    def __init__(self, max_digits: int = 10, positive: bool = False):
        self.max_digits = max_digits
        self.positive = positive

    def parse(self, value: Any) -> Decimal:
        if isinstance(value, bool):
            raise CellError(_("“%(value)s”不是有效金额。") % {"value": value})
        from_number = isinstance(value, int | float | Decimal)
        text = str(value).strip()
        if not from_number:
            text = re.sub(r"^[¥￥]|元$|[,，\s]", "", text)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise CellError(
                _("“%(value)s”不是有效金额，应为数字（单位：元）。") % {"value": str(value).strip()}
            )
        rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        if rounded != amount:
            # A number cell computed in Excel (0.1 + 0.2) is off by a binary fraction: round it.
            if not (from_number and abs(rounded - amount) < Decimal("0.000001")):
                raise CellError(_("金额最多保留两位小数。"))
        if rounded < 0:
            raise CellError(_("金额不能为负数。"))
        if self.positive and rounded == 0:
            raise CellError(_("金额必须大于 0。"))
        if rounded >= Decimal(10) ** (self.max_digits - 2):
            raise CellError(_("金额过大，请核对。"))
        return rounded

    def render(self, value: Any) -> Any:
        return value


_MONTH_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def month_text(first: dt.date, last: dt.date | None = None) -> str:
    """2026-03, or 2026-01~2026-03 for a range."""
    if last is None or last == first:
        return f"{first:%Y-%m}"
    return f"{first:%Y-%m}~{last:%Y-%m}"


class Month:
    """生效月份: YYYY-MM (an Excel date or a full date stands for its month); the first of the month."""

    number_format = "@"
    blank: Any = None
    hint = "格式 YYYY-MM，如 2026-01；也可以是该月的 Excel 日期单元格。"

    def parse(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.replace(day=1)
        text = str(value).strip()
        match = _MONTH_TEXT.match(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12 and year >= 1900:
                return dt.date(year, month, 1)
        else:
            try:
                return Date().parse(text).replace(day=1)
            except CellError:
                pass
        raise CellError(_("“%(value)s”不是有效月份，格式应为 YYYY-MM（如 2026-01）。") % {"value": text})

    def render(self, value: Any) -> Any:
        return f"{value:%Y-%m}" if value else ""


class MonthRange:
    """所属月份: YYYY-MM or YYYY-MM~YYYY-MM (read by the services' parse_months); → (first, last)."""

    number_format = "@"
    blank: Any = None
    hint = "一个月份 YYYY-MM（如 2026-03），或一段月份 YYYY-MM~YYYY-MM（如 2026-01~2026-03）。"

    def parse(self, value: Any) -> tuple[dt.date, dt.date]:
        from dangjian.dues.services import parse_months

        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):  # Excel turned "2026-03" into a date
            month = value.replace(day=1)
            return month, month
        text = re.sub(r"\s", "", str(value)).replace("～", "~").replace("〜", "~")
        try:
            return parse_months(text)
        except ServiceError as exc:
            raise CellError(exc.message) from exc

    def render(self, value: Any) -> Any:
        return month_text(*value) if value else ""


class PayDate(Date):
    """缴纳日期: as Date, and also the forms bank exports use (20260315, a time after the date)."""

    hint = "格式 YYYY-MM-DD（也接受 20260315、带时间的日期）；也可以是 Excel 日期单元格。"

    def parse(self, value: Any) -> dt.date:
        if isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value).strip()
            compact = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
            if compact:
                value = "-".join(compact.groups())
            else:
                value = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)
        return super().parse(value)


# --- shared -----------------------------------------------------------------------------------------------


def _member_label(member: Member) -> str:
    return f"{member.name}（{mask_id_number(member.id_number)}）"


def _resolve_member(row: ParsedRow, key: str, column: str, members: dict[str, Member], ctx: ImportContext):
    """The member a cell names, among those resolved within the actor's scope (`members_by_number(…, scope)`):
    a number outside it reads exactly as an unknown one."""
    number = row.get(key)
    if not number:
        return None
    member = members.get(number)
    if member is None:
        ctx.error(row.row, column, unknown_member(number))
    return member


# --- bases ------------------------------------------------------------------------------------------------

BASE_COLUMNS = (
    Column(ID, "member", IdNumber(), required=True, help="党员须已在党员名册中。", width=22),
    Column(YEAR, "year", Integer(), required=True, help="申报的年度，如 2026。", width=8),
    Column(CATEGORY, "category", Choice(DuesCategory), required=True, width=16),
    Column(
        BASE,
        "monthly_base",
        Money(max_digits=12),
        help="税后月收入（工资收入扣除个人所得税、社保、公积金、职业年金）。在职、离退休党员必填。",
    ),
    Column(
        EFFECTIVE,
        "effective_month",
        Month(),
        required=True,
        help="从该月起按本行计算，须在年度内；年中调资时填新工资发放的月份。再次导入时按党员和生效月份匹配。",
    ),
    Column(
        FIXED, "fixed_amount", Money(), help="仅缴费类别为“其他”时填写（且必填），即支部确定的每月缴纳额。"
    ),
    Column("备注", "note", Text(200), width=20),
)


class DuesBaseImporter(Importer):
    kind = "dues-bases"
    title = "党费基数"
    columns = BASE_COLUMNS
    fallback_column = ID

    def write_context(self):
        from dangjian.dues import snapshots

        return snapshots.deferred()  # one set-based refresh of the ledger snapshots for the whole file

    def check_row(self, row: ParsedRow, ctx: ImportContext) -> None:
        year, month = row.get("year"), row.get("effective_month")
        if year is not None and not 1990 <= year <= 2100:
            ctx.error(row.row, YEAR, _("“%(year)s”不是有效年度，应为四位年份（如 2026）。") % {"year": year})
        elif year is not None and month is not None and month.year != year:
            ctx.error(
                row.row,
                EFFECTIVE,
                _("生效月份 %(month)s 不在 %(year)s 年度内。") % {"month": f"{month:%Y-%m}", "year": year},
            )
        category = row.get("category")
        has_fixed = row.get("fixed_amount") is not None or "fixed_amount" in row.invalid
        other = chinese_label(DuesCategory, DuesCategory.OTHER)  # as the file writes it
        if category and category != DuesCategory.OTHER and has_fixed:
            ctx.error(row.row, FIXED, _("只有缴费类别为“%(label)s”时才填写月缴纳额。") % {"label": other})
        if category == DuesCategory.OTHER and not has_fixed:
            ctx.error(
                row.row, FIXED, _("缴费类别为“%(label)s”时，必须填写支部确定的月缴纳额。") % {"label": other}
            )
        has_base = row.get("monthly_base") is not None or "monthly_base" in row.invalid
        if category in _RATED and not has_base:
            ctx.error(row.row, BASE, _("在职、离退休党员必须填写月缴费基数（税后月收入）。"))

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        members = members_by_number((r.get("member") for r in rows), ctx.scope)
        existing = self._existing(members.values())
        seen: dict[tuple, int] = {}
        for row in rows:  # references are checked on every row, even one that already has errors
            member = _resolve_member(row, "member", ID, members, ctx)
            key = None
            if member is not None and row.get("effective_month"):
                key = (member.pk, row.get("effective_month"))
                if key in seen:
                    ctx.error(
                        row.row,
                        EFFECTIVE,
                        _("与第 %(row)s 行重复（同一党员、同一生效月份）。") % {"row": seen[key]},
                    )
                seen.setdefault(key, row.row)
            if not ctx.fails(row.row):
                ctx.attempt(row.row, self._write, row, member, existing.get(key), ctx)

    @staticmethod
    def _existing(members: Iterable[Member]) -> dict[tuple, DuesBase]:
        bases = bulk_filter(DuesBase.objects.all(), "member_id", [m.pk for m in members])
        return {(b.member_id, b.effective_month): b for b in bases}

    def _write(self, row: ParsedRow, member: Member, base: DuesBase | None, ctx: ImportContext):
        from dangjian.dues.services import declare_base

        data = {
            "year": row.get("year"),
            "category": row.get("category"),
            "monthly_base": row.get("monthly_base"),
            "fixed_amount": row.get("fixed_amount"),
            "note": (row.get("note") or "").strip() if ctx.has("note") else (base.note if base else ""),
        }
        if base is not None and not any(getattr(base, k) != v for k, v in data.items()):
            action = "unchanged"
        else:
            declare_base(actor=ctx.actor, member=member, effective_month=row.get("effective_month"), **data)
            action = "create" if base is None else "update"
        amount = data["monthly_base"] if data["fixed_amount"] is None else data["fixed_amount"]
        summary = (
            f"{_member_label(member)} {data['year']} 年度 {chinese_label(DuesCategory, data['category'])}"
            f"{f' {amount} 元' if amount is not None else ''}，自 {row.get('effective_month'):%Y-%m} 起"
        )
        return action, summary, member.org.path

    def example(self) -> dict[str, Any]:
        return {
            "member": EXAMPLE_ID_NUMBER,
            "year": 2026,
            "category": DuesCategory.ACTIVE,
            "monthly_base": Decimal("6500.00"),
            "effective_month": dt.date(2026, 1, 1),
            "fixed_amount": None,
            "note": "",
        }

    def export_rows(self, queryset) -> Iterable[dict[str, Any]]:
        bases = queryset.select_related("member", "member__org").order_by(
            "member__org__path", "member__name_pinyin", "member__name", "member_id", "effective_month"
        )
        for base in bases.iterator(chunk_size=2000):
            yield {
                "member": base.member.id_number,
                "year": base.year,
                "category": base.category,
                "monthly_base": base.monthly_base,
                "effective_month": base.effective_month,
                "fixed_amount": base.fixed_amount,
                "note": base.note,
            }


# --- payments ---------------------------------------------------------------------------------------------

PAYMENT_COLUMNS = (
    Column(ID, "member", IdNumber(), required=True, help="交纳党费的党员，须已在党员名册中。", width=22),
    Column(
        MONTHS,
        "months",
        MonthRange(),
        required=True,
        help="这笔党费所属的月份，按月份先后分配到各月。",
        width=18,
    ),
    Column(AMOUNT, "amount", Money(positive=True), required=True),
    Column(PAID_ON, "paid_on", PayDate(), required=True, help="不能晚于今天。"),
    Column(METHOD, "method", Choice(PaymentMethod), required=True),
    Column(PAYER, "payer", IdNumber(), help="他人代缴时填写代缴人的身份证号（须为已登记的党员）。", width=22),
    Column("自愿多交", "is_extra", YesNo(), help="自愿多交的党费单独记录，一次 1000 元以上的上缴中央。"),
    Column(
        "同月再次缴纳",
        "additional",
        YesNo(),
        help="所属月份已登记过缴费、本行为再次缴纳（如补足差额）时填“是”；否则同一党员同一月份视为重复。",
        width=12,
    ),
    Column(
        CONSENT,
        "branch_consent",
        YesNo(),
        help="预交或补交一般不超过 6 个月（党费规定第九条）；超过的，经支部同意填“是”，并填写同意日期。",
        width=12,
    ),
    Column(
        CONSENT_ON,
        "consent_on",
        Date(),
        help="支部作出同意决定的日期，不晚于缴纳日期；经支部同意为“是”时必填。",
    ),
    Column("备注", "note", Text(200), width=20),
)


def payment_key(member_id: int, first: dt.date, last: dt.date, amount: Decimal, paid_on: dt.date) -> tuple:
    return (member_id, first, last, amount.quantize(CENT), paid_on)


class DuesPaymentImporter(Importer):
    kind = "dues-payments"
    title = "党费缴纳"
    columns = PAYMENT_COLUMNS
    fallback_column = MONTHS
    aliases = {"first_month": MONTHS, "last_month": MONTHS}

    def write_context(self):
        from dangjian.dues import snapshots

        return snapshots.deferred()  # one set-based refresh of the ledger snapshots for the whole file

    def check_row(self, row: ParsedRow, ctx: ImportContext) -> None:
        paid_on = row.get("paid_on")
        if paid_on is not None and paid_on > dt.date.today():
            ctx.error(row.row, PAID_ON, _("缴纳日期不能晚于今天。"))
        has_date = row.get("consent_on") is not None or "consent_on" in row.invalid
        if row.get("branch_consent") and not has_date:
            ctx.error(row.row, CONSENT_ON, _("经支部同意为“是”时，须填写支部同意的日期。"))
        elif has_date and not row.get("branch_consent") and "branch_consent" not in row.invalid:
            ctx.error(row.row, CONSENT, _("填写了同意日期，经支部同意应为“是”。"))

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        members = members_by_number((n for r in rows for n in (r.get("member"), r.get("payer"))), ctx.scope)
        existing = self._existing(members.values())
        for row in rows:  # references are checked on every row, even one that already has errors
            member = _resolve_member(row, "member", ID, members, ctx)
            payer = _resolve_member(row, "payer", PAYER, members, ctx)
            if member is not None and payer is not None and payer.pk == member.pk:
                payer = None  # paying for oneself is not 代缴 (as in the services)
            if not ctx.fails(row.row):
                ctx.attempt(row.row, self._write, row, member, payer, existing, ctx)

    @staticmethod
    def _existing(members: Iterable[Member]) -> dict[tuple, list[DuesPayment]]:
        payments = bulk_filter(DuesPayment.objects.all(), "member_id", [m.pk for m in members])
        found: dict[tuple, list[DuesPayment]] = defaultdict(list)
        for p in sorted(payments, key=lambda p: p.pk):
            found[payment_key(p.member_id, p.first_month, p.last_month, p.amount, p.paid_on)].append(p)
        return found

    def _write(self, row: ParsedRow, member: Member, payer: Member | None, existing, ctx: ImportContext):
        from dangjian.dues.services import PLACE_IMPORT, record_payment

        first, last = row.get("months")
        amount, paid_on = row.get("amount"), row.get("paid_on")
        consent, consent_on = bool(row.get("branch_consent")), row.get("consent_on")
        matches = existing.get(payment_key(member.pk, first, last, amount, paid_on))
        if matches:  # each existing payment accounts for one row of the file
            match = matches.pop(0)
            if ctx.has("branch_consent") and (match.branch_consent, match.consent_on) != (
                consent,
                consent_on,
            ):
                raise ServiceError(
                    _(
                        "与已登记的同一笔缴费（党员、所属月份、金额、缴纳日期相同）的经支部同意情况不一致"
                        "（已登记：%(recorded)s）；已登记的缴费不能通过导入修改。"
                    )
                    % {"recorded": match.consent_label if match.branch_consent else _("未经支部同意")},
                    field="branch_consent",
                )
            action = "unchanged"
        else:
            record_payment(
                place=PLACE_IMPORT,
                actor=ctx.actor,
                member=member,
                months=month_text(first, last),
                amount=amount,
                paid_on=paid_on,
                method=row.get("method"),
                payer=payer,
                is_extra=bool(row.get("is_extra")),
                additional=bool(row.get("additional")),
                note=(row.get("note") or "").strip(),
                branch_consent=consent,
                consent_on=consent_on,
            )
            action = "create"
        summary = (
            f"{_member_label(member)} {month_text(first, last)} {amount} 元，"
            f"{paid_on:%Y-%m-%d} {chinese_label(PaymentMethod, row.get('method'))}"
            f"{f'，{payer.name}代缴' if payer else ''}"
            f"{f'，经支部同意（{consent_on:%Y-%m-%d}）' if consent and consent_on else ''}"
        )
        return action, summary, member.org.path

    def example(self) -> dict[str, Any]:
        return {
            "member": EXAMPLE_ID_NUMBER,
            "months": (dt.date(2026, 1, 1), dt.date(2026, 3, 1)),
            "amount": Decimal("292.50"),
            "paid_on": dt.date(2026, 3, 20),
            "method": PaymentMethod.TRANSFER,
            "payer": "",
            "is_extra": False,
            "additional": False,
            "branch_consent": False,
            "consent_on": None,
            "note": "",
        }

    def export_rows(self, queryset) -> Iterable[dict[str, Any]]:
        payments = queryset.select_related("member", "member__org", "payer").order_by(
            "member__org__path",
            "member__name_pinyin",
            "member__name",
            "member_id",
            "first_month",
            "paid_on",
            "pk",
        )
        for payment in payments.iterator(chunk_size=2000):
            yield {
                "member": payment.member.id_number,
                "months": (payment.first_month, payment.last_month),
                "amount": payment.amount,
                "paid_on": payment.paid_on,
                "method": payment.method,
                "payer": payment.payer.id_number if payment.payer_id else "",
                "is_extra": payment.is_extra,
                "additional": payment.additional,
                "branch_consent": payment.branch_consent,
                "consent_on": payment.consent_on,
                "note": payment.note,
            }
