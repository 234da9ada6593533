"""党费 use cases: validate, check scope inside the transaction, write, record the audit event."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.accounts.scope import fresh_scope, require_org
from dangjian.core import audit, edits
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.dues import snapshots
from dangjian.dues.calculator import ZERO, monthly_due
from dangjian.dues.choices import (
    RELIEF_APPROVER_TYPES,
    DuesCategory,
    PaymentMethod,
    ReliefKind,
    ReviewDecision,
)
from dangjian.dues.kernel import member_lines, month_index, month_of
from dangjian.dues.models import (
    RELIEF_REASON_LENGTH,
    ArrearsReview,
    CollectionDay,
    DuesBase,
    DuesPayment,
    DuesRelief,
)
from dangjian.dues.rates import RatesError, load_rates
from dangjian.members.models import Member
from dangjian.members.services import require_members
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.orgs.services import require_higher

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
MAX_RANGE_MONTHS = 24


def _month(text: str) -> dt.date:
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ServiceError(
            _("月份“%(month)s”无效，应为 YYYY-MM（如 2026-03）。") % {"month": text.strip()}, field="months"
        )
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_months(text: str) -> tuple[dt.date, dt.date]:
    """“YYYY-MM” or “YYYY-MM~YYYY-MM” (also ～ or 至) → (first month, last month), each the 1st."""
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("请填写所属月份（YYYY-MM 或 YYYY-MM~YYYY-MM）。"), field="months")
    parts = re.split(r"\s*(?:~|～|至)\s*", text)
    if len(parts) > 2:
        raise ServiceError(
            _("所属月份“%(months)s”无效，应为 YYYY-MM 或 YYYY-MM~YYYY-MM。") % {"months": text},
            field="months",
        )
    first = _month(parts[0])
    last = _month(parts[1]) if len(parts) == 2 else first
    if last < first:
        raise ServiceError(
            _("所属月份“%(months)s”的截止月份早于起始月份。") % {"months": text}, field="months"
        )
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if span > MAX_RANGE_MONTHS:
        raise ServiceError(_("一笔缴费最多覆盖 %(n)s 个月。") % {"n": MAX_RANGE_MONTHS}, field="months")
    return first, last


def _setting_months(name: str) -> int | None:
    """A month limit from settings (default 6); None turns the limit off."""
    value = getattr(settings, name, 6)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(f"{name} 须为不小于 0 的整数（或 None）。")
    return value


def check_payment_window(first: dt.date, last: dt.date, paid_on: dt.date) -> None:
    """FEE-08 (党费规定: 预交或补交党费的时间一般不得超过6个月), counted in calendar months from the month
    the payment is made in: the covered months may begin at most DUES_MAX_ARREARS_MONTHS months before it
    (补交) and end at most DUES_MAX_ADVANCE_MONTHS months after it (预交). Paid in 2026-07, a payment may
    cover 2026-01 … 2027-01 with the defaults of 6."""
    paid = month_index(paid_on)
    back = _setting_months("DUES_MAX_ARREARS_MONTHS")
    if back is not None and paid - month_index(first) > back:
        raise ServiceError(
            _(
                "补交党费的时间一般不得超过 %(limit)s 个月：所属月份自 %(first)s 起，"
                "比缴纳月份 %(paid)s 早 %(n)s 个月；"
                "%(paid)s 缴纳的党费最早可补交到 %(earliest)s。"
            )
            % {
                "limit": back,
                "first": f"{first:%Y-%m}",
                "paid": f"{paid_on:%Y-%m}",
                "n": paid - month_index(first),
                "earliest": f"{month_of(paid - back):%Y-%m}",
            },
            field="months",
        )
    ahead = _setting_months("DUES_MAX_ADVANCE_MONTHS")
    if ahead is not None and month_index(last) - paid > ahead:
        raise ServiceError(
            _(
                "预交党费的时间一般不得超过 %(limit)s 个月：所属月份截至 %(last)s，"
                "比缴纳月份 %(paid)s 晚 %(n)s 个月；"
                "%(paid)s 缴纳的党费最多可预交到 %(latest)s。"
            )
            % {
                "limit": ahead,
                "last": f"{last:%Y-%m}",
                "paid": f"{paid_on:%Y-%m}",
                "n": month_index(last) - paid,
                "latest": f"{month_of(paid + ahead):%Y-%m}",
            },
            field="months",
        )


def _money(value, field: str, label: str, *, positive: bool = False, max_digits: int = 10) -> Decimal:
    """`label`: the amount's name as it reads inside a sentence, translated. `max_digits`: the column's (two of them
    decimals); a larger amount is refused here, not by the database (PostgreSQL's numeric overflow, SQLite's
    unreadable row: a server error either way)."""
    if isinstance(value, float):
        raise ServiceError(
            _("%(label)s须为精确金额（Decimal），不能为浮点数。") % {"label": label}, field=field
        )
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(
            _("%(label)s“%(value)s”不是有效金额。") % {"label": label, "value": value}, field=field
        ) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise ServiceError(
            _("%(label)s“%(value)s”最多两位小数。") % {"label": label, "value": value}, field=field
        )
    if amount < 0 or (positive and amount == 0):
        message = _("%(label)s须大于0。") if positive else _("%(label)s须不小于0。")
        raise ServiceError(message % {"label": label}, field=field)
    if amount >= Decimal(10) ** (max_digits - 2):
        raise ServiceError(
            _("%(label)s %(value)s 元过大，请核对。") % {"label": label, "value": f"{amount:.2f}"},
            field=field,
        )
    return amount


def _first_of_month(value: dt.date, field: str) -> dt.date:
    if not isinstance(value, dt.date):
        raise ServiceError(_("月份无效。"), field=field)
    return value.replace(day=1)


def _locked_member(member) -> Member:
    return Member.objects.select_for_update().select_related("org").get(pk=member.pk)


def _base_snapshot(b: DuesBase) -> dict:
    return {
        "year": b.year,
        "category": b.category,
        "monthly_base": b.monthly_base,
        "effective_month": b.effective_month,
        "fixed_amount": b.fixed_amount,
        "note": b.note,
    }


@transaction.atomic
def declare_base(
    *,
    actor,
    member,
    year: int,
    category: str,
    monthly_base: Decimal | None,
    effective_month: dt.date,
    fixed_amount: Decimal | None = None,
    note: str = "",
) -> DuesBase:
    """Declares (or corrects) the member's category and base from `effective_month` in `year` (FEE-09, FEE-12).
    Idempotent: one row per (member, effective_month)."""
    if category not in DuesCategory.values:
        raise ServiceError(_("缴费类别“%(category)s”无效。") % {"category": category}, field="category")
    effective_month = _first_of_month(effective_month, "effective_month")
    if effective_month.year != year:
        raise ServiceError(
            _("生效月份 %(month)s 不在 %(year)s 年度内。")
            % {"month": f"{effective_month:%Y-%m}", "year": year},
            field="effective_month",
        )
    try:
        schedule = load_rates().schedule_for(effective_month)
    except RatesError as exc:
        raise ServiceError(exc.message, field="effective_month") from exc
    if category in schedule.brackets:
        if monthly_base in (None, ""):
            raise ServiceError(_("在职、离退休党员须填写月缴费基数。"), field="monthly_base")
        monthly_base = _money(
            monthly_base, "monthly_base", pgettext("in a sentence", "月缴费基数"), max_digits=12
        )
        fixed_amount = None
    else:
        monthly_base = (
            None
            if monthly_base in (None, "")
            else _money(monthly_base, "monthly_base", pgettext("in a sentence", "月缴费基数"), max_digits=12)
        )
        if category in schedule.fixed:
            if fixed_amount in (None, ""):
                raise ServiceError(_("“其他”类别须填写月缴纳额。"), field="fixed_amount")
            fixed_amount = _money(fixed_amount, "fixed_amount", pgettext("in a sentence", "月缴纳额"))
        else:
            fixed_amount = None
    monthly_due(category, monthly_base, effective_month, fixed_amount=fixed_amount)  # sanity
    current = _locked_member(member)
    require_org(actor, current.org, _("该党员不在您的管理范围内，未登记党费基数。"))
    values = {
        "year": year,
        "category": category,
        "monthly_base": monthly_base,
        "fixed_amount": fixed_amount,
        "note": (note or "")[:200],
    }
    existing = (
        DuesBase.objects.select_for_update().filter(member=current, effective_month=effective_month).first()
    )
    if existing is None:
        row = DuesBase.objects.create(member=current, effective_month=effective_month, **values)
        audit.record(
            actor=actor, action="create", obj=row, org_path=current.org.path, after=_base_snapshot(row)
        )
        return row
    before = _base_snapshot(existing)
    for key, value in values.items():
        setattr(existing, key, value)
    after = _base_snapshot(existing)
    if after != before:
        existing.save()
        audit.record(
            actor=actor, action="update", obj=existing, org_path=current.org.path, before=before, after=after
        )
    return existing


def _payment_snapshot(p: DuesPayment) -> dict:
    return {
        "member": p.member_id,
        "months": f"{p.first_month:%Y-%m}~{p.last_month:%Y-%m}",
        "amount": p.amount,
        "paid_on": p.paid_on,
        "method": p.method,
        "payer": p.payer_id,
        "is_extra": p.is_extra,
        "additional": p.additional,
        "remit_to_central": p.remit_to_central,
        "branch_consent": p.branch_consent,
        "consent_on": p.consent_on,
        "note": p.note,
    }


@dataclass(frozen=True)
class PaymentEntry:
    """One payment to record (the arguments of `record_payment`, for `record_payments`)."""

    member: Member
    months: str
    amount: Decimal
    paid_on: dt.date
    method: str
    payer: Member | None = None
    is_extra: bool = False
    note: str = ""
    branch_consent: bool = False
    consent_on: dt.date | None = None
    additional: bool = False


class PaymentsRefused(ServiceError):
    """Some entries of `record_payments` were refused (nothing was recorded): `by_entry` maps an entry's
    position to its error."""

    def __init__(self, by_entry: dict[int, ServiceError]):
        first = by_entry[min(by_entry)]
        super().__init__(first.message, field=first.field)
        self.by_entry = by_entry


def record_payment(
    *,
    actor,
    member,
    months: str,
    amount: Decimal,
    paid_on: dt.date,
    method: str,
    payer=None,
    is_extra: bool = False,
    note: str = "",
    branch_consent: bool = False,
    consent_on: dt.date | None = None,
    additional: bool = False,
    place: str = "",
) -> DuesPayment:
    """A payment for a month or a range (allocated in order, each month up to its due), or a voluntary extra
    payment (`is_extra`; one of 1000 元 or more is marked for remittance to the 中央, FEE-10).
    `payer`: the member who paid on the member's behalf (代缴).

    FEE-08 limits 补交 and 预交 (see `check_payment_window`) for regular payments; voluntary extra payments
    belong to no month's due and are not limited. Settings (read at each call, not in settings.py):

    - ``DUES_MAX_ARREARS_MONTHS`` (default 6): the covered months may begin at most this many months
      before the month of `paid_on` (补交);
    - ``DUES_MAX_ADVANCE_MONTHS`` (default 6): they may end at most this many months after it (预交).

    ``None`` turns a limit off (the regulation says “一般”, so an installation may relax it). A refused
    payment raises ServiceError (field "months") and writes nothing; the import reports it on its row.

    `branch_consent` with `consent_on` (the date of the branch's decision): the payment was accepted 经支部同意
    (第九条), and a span beyond those limits is then accepted. The decision is dated on or before the
    payment (the branch agrees before the money is taken) and not after today; a date without consent, or
    consent without a date, is refused. Consent may be recorded for any payment (the branch's consent also
    covers paying quarterly or through someone else); the pages show it with the payment.

    One regular payment per member-month: a regular payment for months another regular payment of the member
    already covers is refused as a duplicate (two admins on one collection sheet, a form sent twice) unless it is
    marked `additional` (同月再次缴纳: a top-up of a partial payment). Voluntary extra payments are their own kind.
    The check runs with the member's row locked, so concurrent submissions are serialised.

    A regular payment for months in which the member has no declared base is refused unless the months of the
    span that have one take the whole amount: nothing says what is due in the others, so the ledger could not
    account for money paid for them (it would show on no month). `place`: where the payment is entered
    (`PLACE_MEMBER_PAGE`, `PLACE_IMPORT`, or "" for elsewhere): the refusals say what to do there."""
    entry = PaymentEntry(
        member, months, amount, paid_on, method, payer, is_extra, note, branch_consent, consent_on, additional
    )
    try:
        return record_payments(actor=actor, entries=[entry], place=place)[0]
    except PaymentsRefused as refused:
        raise refused.by_entry[0] from None


@dataclass(frozen=True)
class _Checked:
    """An entry's parsed values; a value that did not pass its check is None (its error is kept apart)."""

    entry: PaymentEntry
    first: dt.date | None
    last: dt.date | None
    amount: Decimal | None
    payer: Member | None


# where a payment is entered, for the refusals' advice: the member's 党费 page (its payment form has the 自愿多交 and
# 同月再次缴纳 boxes, the page has the 申报缴费基数 form), the import of payments (columns), or elsewhere (the sheet)
PLACE_MEMBER_PAGE = "member"
PLACE_IMPORT = "import"


def consent_hint() -> str:
    """What the FEE-08 refusal adds where the payment's form has the consent fields (the member's 党费 page, the
    import's columns)."""
    return _("如已经支部同意，请注明“经支部同意”并填写同意日期。")


def _add(errors: dict[str, list[str]], exc: ServiceError) -> None:
    for field, texts in (exc.errors or {None: [exc.message]}).items():
        errors.setdefault(field or "__all__", []).extend(texts)


def _check_entry(entry: PaymentEntry, *, hint: str | None = None, partial: bool = False):
    """The checks of one payment that need no database: months, amount, method, dates, consent, FEE-08. Every
    check runs (a refused entry names every field at fault, not only the first): (the parsed values, field →
    messages). `partial`: a value the caller could not parse (None) is left out, not refused (the collection
    sheet checks the rest of a row whose amount its form refused)."""
    errors: dict[str, list[str]] = {}
    first = last = amount = None
    try:
        first, last = parse_months(entry.months)
    except ServiceError as exc:
        _add(errors, exc)
    if not (partial and entry.amount is None):
        try:
            amount = _money(entry.amount, "amount", pgettext("in a sentence", "金额"), positive=True)
        except ServiceError as exc:
            _add(errors, exc)
    if entry.method not in PaymentMethod.values and not (partial and entry.method is None):
        _add(
            errors,
            ServiceError(
                _("缴纳方式“%(method)s”无效（现金、银行转账、线上）。") % {"method": entry.method},
                field="method",
            ),
        )
    paid_on, consent_on = entry.paid_on, entry.consent_on
    dated = isinstance(paid_on, dt.date)
    if not dated and not (partial and paid_on is None):
        _add(errors, ServiceError(_("缴纳日期无效。"), field="paid_on"))
    if dated and paid_on > dt.date.today():
        _add(errors, ServiceError(_("缴纳日期不能晚于今天。"), field="paid_on"))
        dated = False  # the FEE-08 window is counted from a real date of payment
    branch_consent = bool(entry.branch_consent)
    if branch_consent and not isinstance(consent_on, dt.date):
        _add(errors, ServiceError(_("经支部同意的，请填写支部同意日期。"), field="consent_on"))
    elif not branch_consent and consent_on is not None:
        _add(
            errors,
            ServiceError(
                _("填写了支部同意日期，但未注明经支部同意；请注明经支部同意，或删去同意日期。"),
                field="consent_on",
            ),
        )
    elif branch_consent and dated and consent_on > paid_on:
        _add(
            errors,
            ServiceError(
                _("支部同意日期 %(consent)s 晚于缴纳日期 %(paid)s：应先经支部同意，再预交或补交。")
                % {"consent": f"{consent_on:%Y-%m-%d}", "paid": f"{paid_on:%Y-%m-%d}"},
                field="consent_on",
            ),
        )
    if not entry.is_extra and not branch_consent and first is not None and dated:
        try:
            check_payment_window(first, last, paid_on)
        except ServiceError as exc:
            _add(
                errors,
                ServiceError(exc.message + (consent_hint() if hint is None else hint), field=exc.field),
            )
    payer = entry.payer
    if payer is not None and payer.pk == entry.member.pk:
        payer = None  # paying for oneself is not 代缴
    return _Checked(entry, first, last, amount, payer), errors


def _refusal(errors: dict[str, list[str]]) -> ServiceError:
    """One ServiceError naming every field at fault; `field` and `message` are the first."""
    field, texts = next(iter(errors.items()))
    fields = {k: v for k, v in errors.items() if k != "__all__"}
    return ServiceError(texts[0], field=None if field == "__all__" else field, errors=fields or None)


@transaction.atomic
def record_payments(
    *,
    actor,
    entries: list[PaymentEntry],
    hint: str | None = None,
    check_only: bool = False,
    place: str = "",
) -> list[DuesPayment]:
    """Records the entries (as `record_payment` does each) all or nothing: when any is refused, nothing is
    recorded and `PaymentsRefused` names every refused entry, each with every field at fault; a member outside
    the actor's scope refuses the whole call (`OutOfScope`). A collection sheet's 全选 in a fixed number of
    queries whatever the number of entries: the members locked in one statement, the scope checked once per
    organisation, the earlier payments read once, the ledger of the members read once (a regular payment may not
    exceed what is still owed on its months: the excess would be nobody's due, see `_refuse_excess`), the payments
    inserted in one statement, the ledger snapshots refreshed once and the audit events appended to the chain
    together.

    `hint`: what a FEE-08 refusal adds (default `consent_hint()`; the collection sheet, which has no consent
    fields, says where they are). `check_only`: every check, nothing written (returns []); an entry's value
    given as None is then left out of the checks (a value the caller's form refused). `place`: where the entries
    are made (see `record_payment`)."""
    errors: dict[int, dict[str, list[str]]] = {}
    checked: dict[int, _Checked] = {}
    for i, entry in enumerate(entries):
        checked[i], found = _check_entry(entry, hint=hint, partial=check_only)
        if found:
            errors[i] = found
    ids = {c.entry.member.pk for c in checked.values()}
    locked = Member.objects.select_for_update().select_related("org").in_bulk(sorted(ids))
    refused = _("该党员不在您的管理范围内，未登记缴费。")
    if len(locked) != len(ids):  # a member no longer on the roll
        raise OutOfScope(refused)
    for org in {m.org_id: m.org for m in locked.values()}.values():
        require_org(actor, org, refused)
    require_members(
        actor, [c.payer for c in checked.values()], "payer"
    )  # 代缴人 within the scope, like the member
    dated = {i: c for i, c in checked.items() if c.first is not None}
    regular = [c for c in dated.values() if not c.entry.is_extra]
    taken = _regular_payments(regular)
    owed = _owed(locked, regular)
    for i, c in dated.items():
        current = locked[c.entry.member.pk]
        found = errors.setdefault(i, {})
        try:
            if not c.entry.is_extra and not c.entry.additional:
                _refuse_duplicate(current, c.first, c.last, taken.get(current.pk, []), place)
        except ServiceError as exc:
            _add(found, exc)
        unknown = False  # some month of a regular payment has no amount due to allocate it to
        if current.joined_on.replace(day=1) > c.last:
            _add(
                found,
                ServiceError(
                    _("该党员 %(month)s 入党，所属月份早于入党月份。")
                    % {"month": f"{current.joined_on:%Y-%m}"},
                    field="months",
                ),
            )
        elif not c.entry.is_extra:
            try:
                _refuse_months_without_line(current, c, owed.get(current.pk) or {}, place)
            except ServiceError as exc:
                _add(found, exc)
                unknown = True
        if not c.entry.is_extra and c.amount is not None and "amount" not in found and not unknown:
            try:
                _refuse_excess(c, owed.get(current.pk), place)
            except ServiceError as exc:
                _add(found, exc)
        if not found:
            del errors[i]
        if not c.entry.is_extra:  # a second entry for the same member-month is a duplicate of this one
            taken.setdefault(current.pk, []).append((c.first, c.last, c.entry.paid_on, c.amount))
    if errors:
        raise PaymentsRefused({i: _refusal(found) for i, found in sorted(errors.items())})
    if check_only:
        return []
    threshold = load_rates().extra_remit_threshold
    created_by = actor if getattr(actor, "pk", None) else None
    payments = DuesPayment.objects.bulk_create(
        [
            DuesPayment(
                member=locked[c.entry.member.pk],
                first_month=c.first,
                last_month=c.last,
                amount=c.amount,
                paid_on=c.entry.paid_on,
                method=c.entry.method,
                payer=c.payer,
                is_extra=bool(c.entry.is_extra),
                additional=bool(c.entry.additional) and not c.entry.is_extra,
                remit_to_central=bool(c.entry.is_extra) and c.amount >= threshold,
                branch_consent=bool(c.entry.branch_consent),
                consent_on=c.entry.consent_on if c.entry.branch_consent else None,
                note=(c.entry.note or "")[:200],
                created_by=created_by,
            )
            for c in checked.values()
        ]
    )
    snapshots.changed(ids)  # bulk_create sends no post_save: the ledgers are refreshed here, in one pass
    audit.record_many(
        [
            audit.build(
                actor=actor,
                action="create",
                obj=payment,
                org_path=payment.member.org.path,
                after=_payment_snapshot(payment),
            )
            for payment in payments
        ]
    )
    return payments


def _owed(locked: dict[int, Member], regular: list[_Checked]) -> dict[int, dict[dt.date, Decimal]]:
    """Member id → month → what is still owed on it (due less what is allocated to it), for the months of the
    regular entries: from the members' ledgers (dues.ledger, three queries whatever the number of members). A
    month without a line (no base in force) is absent."""
    if not regular:
        return {}
    from dangjian.dues.ledger import ledger_span  # the ledger reads the models this module writes

    members = list({c.entry.member.pk: locked[c.entry.member.pk] for c in regular}.values())
    _, rows = ledger_span(members, min(c.first for c in regular), max(c.last for c in regular))
    return {
        pk: {month: max(r.due - r.paid, ZERO) for month, r in by_month.items()}
        for pk, by_month in rows.items()
    }


def _months_text(months: list[dt.date]) -> str:
    """2026-01, 2026-02, 2026-03, 2026-05 → "2026-01~2026-03、2026-05"."""
    runs: list[list[dt.date]] = []
    for m in months:
        if runs and month_index(m) == month_index(runs[-1][-1]) + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return _("、").join(f"{r[0]:%Y-%m}" if len(r) == 1 else f"{r[0]:%Y-%m}~{r[-1]:%Y-%m}" for r in runs)


def _refuse_months_without_line(
    member: Member, c: _Checked, lines: dict[dt.date, Decimal], place: str
) -> None:
    """Refuses a regular payment covering months, from the month the member joined, that have no line in their
    ledger (`lines`: month → still owed, as `_owed` gives them) — months without a declared base in force, or after
    the member left the roll — when what it pays cannot all be allocated to its other months: no amount is due in
    those months, so the money would be allocated to none and vanish from the ledger, the sheet and the compliance
    checks. A span whose months with a line take the whole amount (a 预交 into a year whose base is not declared
    yet) is accepted: the ledger accounts for all of it."""
    assert c.first is not None and c.last is not None  # an entry whose months were read
    joined = member.joined_on.replace(day=1)
    covered = [m for m in map(month_of, range(month_index(c.first), month_index(c.last) + 1)) if m >= joined]
    months = [m for m in covered if m not in lines]
    if not months:
        return
    with_line = [m for m in covered if m in lines]
    if with_line and (c.amount is None or c.amount <= sum((lines[m] for m in with_line), ZERO)):
        return  # allocated in full to the months with a line (an amount the form refused: not judged here)
    left = member.inactive_from
    gone = [
        m for m in months if left is not None and month_index(m) > month_index(left - dt.timedelta(days=1))
    ]
    if gone:
        raise ServiceError(
            _("%(name)s 已于 %(date)s 离开党员名册，%(months)s 没有应交党费，未登记。")
            % {"name": member.name, "date": f"{left:%Y-%m-%d}", "months": _months_text(gone)},
            field="months",
        )
    args = {"name": member.name, "months": _months_text(months)}
    if place == PLACE_MEMBER_PAGE:
        message = _(
            "%(name)s %(months)s 尚未申报缴费基数，无法确定应交金额：请先在本页“申报缴费基数”中申报，再登记缴费。"
        )
    elif place == PLACE_IMPORT:
        message = _(
            "%(name)s %(months)s 尚未申报缴费基数，无法确定应交金额："
            "请先申报缴费基数（数据导入 › 党费基数申报，或在该党员的党费页申报），再导入缴费。"
        )
    else:
        message = _("%(name)s %(months)s 尚未申报缴费基数，无法确定应交金额：请先申报缴费基数再登记缴费。")
    raise ServiceError(message % args, field="months")


def _refuse_excess(c: _Checked, owed: dict[dt.date, Decimal] | None, place: str = "") -> None:
    """A regular payment is allocated to its months up to their due (dues.kernel): an amount above what is still
    owed on them would be money no month's due accounts for (the ledger and the sheet would show less than the
    payment list and the 收缴公示). It is refused: a voluntary extra payment is its own kind (自愿多交). The entries
    of one call are counted as they are accepted. A payment covering a month without a declared base is refused
    before (`_refuse_months_without_line`); its other months are not judged then."""
    if not owed:
        return
    months = [m for m in owed if c.first <= m <= c.last]
    if not months:
        return
    remaining = sum((owed[m] for m in months), ZERO)
    if c.amount > remaining:
        label = f"{c.first:%Y-%m}" if c.first == c.last else f"{c.first:%Y-%m}~{c.last:%Y-%m}"
        args = {"amount": f"{c.amount:.2f}", "months": label, "owed": f"{remaining:.2f}"}
        if place == PLACE_MEMBER_PAGE:
            message = _(
                "金额 %(amount)s 元超过 %(months)s 尚未交纳的应交党费 %(owed)s 元，未登记。"
                "如属自愿多交，请勾选下方的“自愿多交”单独登记。"
            )
        elif place == PLACE_IMPORT:
            message = _(
                "金额 %(amount)s 元超过 %(months)s 尚未交纳的应交党费 %(owed)s 元，未登记。"
                "如属自愿多交，请将“自愿多交”列填为“是”单独登记。"
            )
        else:
            message = _(
                "金额 %(amount)s 元超过 %(months)s 尚未交纳的应交党费 %(owed)s 元，未登记。"
                "如属自愿多交，请在该党员的党费页勾选“自愿多交”单独登记。"
            )
        raise ServiceError(message % args, field="amount")
    left = c.amount  # the accepted entry takes what it pays from its months, in order
    for m in sorted(months):
        part = min(left, owed[m])
        owed[m] -= part
        left -= part


def _regular_payments(regular: list[_Checked]) -> dict[int, list[tuple]]:
    """Member id → (first month, last month, paid on, amount) of their regular payments overlapping the
    months of `regular`, in payment order (one query)."""
    if not regular:
        return {}
    rows = (
        DuesPayment.objects.filter(
            member__in={c.entry.member.pk for c in regular},
            is_extra=False,
            first_month__lte=max(c.last for c in regular),
            last_month__gte=min(c.first for c in regular),
        )
        .order_by("paid_on", "pk")
        .values_list("member_id", "first_month", "last_month", "paid_on", "amount")
    )
    taken: dict[int, list[tuple]] = {}
    for member_id, *payment in rows:
        taken.setdefault(member_id, []).append(tuple(payment))
    return taken


def _refuse_duplicate(member, first: dt.date, last: dt.date, taken: list[tuple], place: str = "") -> None:
    earlier = next((p for p in taken if p[0] <= last and p[1] >= first), None)
    if earlier is not None:
        if place == PLACE_MEMBER_PAGE:
            message = _(
                "%(name)s %(months)s 的党费已登记（%(paid)s 缴纳 %(amount)s 元），未重复登记。"
                "如确需同月再次缴纳（如补足差额），请勾选下方的“同月再次缴纳”；"
                "自愿多交的，请勾选“自愿多交”单独登记。"
            )
        elif place == PLACE_IMPORT:
            message = _(
                "%(name)s %(months)s 的党费已登记（%(paid)s 缴纳 %(amount)s 元），未重复登记。"
                "如确需同月再次缴纳（如补足差额），请将“同月再次缴纳”列填为“是”；"
                "自愿多交的，请将“自愿多交”列填为“是”单独登记。"
            )
        else:
            message = _(
                "%(name)s %(months)s 的党费已登记（%(paid)s 缴纳 %(amount)s 元），未重复登记。"
                "如确需同月再次缴纳（如补足差额），请在该党员的党费页勾选“同月再次缴纳”登记；"
                "自愿多交的，请勾选“自愿多交”单独登记。"
            )
        raise ServiceError(
            message
            % {
                "name": member.name,
                "months": f"{first:%Y-%m}" if first == last else f"{first:%Y-%m}~{last:%Y-%m}",
                "paid": f"{earlier[2]:%Y-%m-%d}",
                "amount": earlier[3],
            },
            field="months",
        )


@transaction.atomic
def delete_payment(*, actor, payment, reason: str) -> None:
    """Voids (撤销) a payment recorded by mistake: the row is removed, the audit event keeps it whole with the
    reason. Scope-checked like the recording; a reason is required (the audit trail says why money recorded
    as received is no longer on the ledger)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写撤销原因。"), field="reason")
    current = (
        DuesPayment.objects.select_for_update()
        .select_related("member__org")
        .filter(pk=getattr(payment, "pk", payment))
        .first()
    )
    if current is None:
        raise ServiceError(_("该缴费记录已不存在（可能已被撤销）。"))
    require_org(actor, current.member.org, _("该党员不在您的管理范围内，未撤销缴费记录。"))
    audit.record(
        actor=actor,
        action="delete",
        obj=current,
        org_path=current.member.org.path,
        before=_payment_snapshot(current),
        note=reason[:500],
    )
    current.delete()


@dataclass(frozen=True)
class _ReliefValues:
    """A relief's values once checked (what `record_relief` and `correct_relief` write)."""

    kind: str
    monthly_amount: Decimal | None
    start_month: dt.date
    end_month: dt.date
    approved_by: Org
    approved_on: dt.date
    approval_ref: str
    reason: str


def _relief_values(
    *,
    kind: str,
    start_month: dt.date,
    end_month: dt.date,
    approved_by,
    approved_on: dt.date,
    monthly_amount: Decimal | None,
    approval_ref: str,
    reason: str,
) -> _ReliefValues:
    """The checks of a relief's values that need no database (the same for recording and correcting one)."""
    if kind not in ReliefKind.values:
        raise ServiceError(_("减免类型“%(kind)s”无效。") % {"kind": kind}, field="kind")
    start_month = _first_of_month(start_month, "start_month")
    end_month = _first_of_month(end_month, "end_month")
    if end_month < start_month:
        raise ServiceError(_("截止月份早于起始月份。"), field="end_month")
    if kind == ReliefKind.REDUCE:
        if monthly_amount in (None, ""):
            raise ServiceError(_("减交须填写减交后月缴纳额。"), field="monthly_amount")
        monthly_amount = _money(monthly_amount, "monthly_amount", pgettext("in a sentence", "减交后月缴纳额"))
    else:
        monthly_amount = None
    if approved_by is None:
        raise ServiceError(_("须填写批准组织。"), field="approved_by")
    if not isinstance(approved_on, dt.date):
        raise ServiceError(_("批准日期无效。"), field="approved_on")
    if approved_on > dt.date.today():
        raise ServiceError(_("批准日期不能晚于今天。"), field="approved_on")
    return _ReliefValues(
        kind=kind,
        monthly_amount=monthly_amount,
        start_month=start_month,
        end_month=end_month,
        approved_by=approved_by,
        approved_on=approved_on,
        approval_ref=(approval_ref or "").strip()[:100],
        reason=(reason or "").strip()[:RELIEF_REASON_LENGTH],
    )


def _check_relief_approval(
    actor, member: Member, values: _ReliefValues, *, exclude: int | None = None
) -> None:
    """The checks of a relief that read the database, inside the write's transaction, with the member's row locked:
    the approving organisation is a 党委 (or the 工委) strictly above the member's 党支部 that the actor administers,
    and the period overlaps none of the member's other reliefs (`exclude`: the one being corrected)."""
    branch = relief_branch(member)
    approved_by = values.approved_by
    if (
        not branch.path.startswith(approved_by.path)
        or approved_by.pk == branch.pk
        or approved_by.type not in RELIEF_APPROVER_TYPES
    ):
        raise ServiceError(
            _("党费减免须经上级党委批准：批准组织应为%(org)s的上级党委。") % {"org": branch.name},
            field="approved_by",
        )
    try:  # the higher 党委's approval is recorded by its admins, never by the member's branch (no self-approval)
        require_higher(actor, branch, approved_by)
    except ServiceError as exc:
        raise ServiceError(exc.message, field="approved_by") from None
    others = DuesRelief.objects.filter(
        member=member, start_month__lte=values.end_month, end_month__gte=values.start_month
    )
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise ServiceError(_("该期间与已登记的党费减免重叠。"), field="start_month")
    if values.kind == ReliefKind.REDUCE and values.monthly_amount is not None:
        _check_reduction(member, values)


def _check_reduction(member: Member, values: _ReliefValues) -> None:
    """A 减交 lowers what is due: its monthly amount may not be above what the member's declared base makes due in a
    month of its period (a slip such as 500 for 5.00 would raise the month's 应交, and the sheet's and the summary's
    totals with it). Months without a declared base are not judged (the kernel never lets a reduction raise a due).
    Three queries."""
    from dangjian.dues.ledger import ledger_rows  # the ledger reads the models this module writes

    first, last = month_index(values.start_month), month_index(values.end_month)
    _payments, bases, _reliefs = ledger_rows(Member.objects.filter(pk=member.pk).values("pk"), first, last)
    lines = member_lines(
        joined_on=member.joined_on,
        inactive_from=member.inactive_from,
        bases=bases.get(member.pk, ()),
        reliefs=(),
        payments=(),
        first=first,
        last=last,
    )
    above = next(
        (
            (index, line.due)
            for index, line in sorted(lines.items())
            if line.declared and values.monthly_amount > line.due
        ),
        None,
    )
    if above is not None:
        index, due = above
        raise ServiceError(
            _(
                "减交后月缴纳额 %(amount)s 元高于该党员 %(month)s 按规定标准应交的 %(due)s 元，"
                "减交后的金额不能多于原应交金额，请核对批准的金额。"
            )
            % {
                "amount": f"{values.monthly_amount:.2f}",
                "month": f"{month_of(index):%Y-%m}",
                "due": f"{due:.2f}",
            },
            field="monthly_amount",
        )


def relief_snapshot(r: DuesRelief) -> dict:
    """A relief as its audit events keep it (the approving organisation by its 组织编码)."""
    return {
        "kind": r.kind,
        "monthly_amount": r.monthly_amount,
        "start_month": r.start_month,
        "end_month": r.end_month,
        "approved_by": r.approved_by.code,
        "approved_on": r.approved_on,
        "approval_ref": r.approval_ref,
        "reason": r.reason,
    }


def may_change_relief(actor, relief: DuesRelief, scope=None) -> bool:
    """Whether `actor` may correct or delete `relief` (besides administering its member): they administer the
    organisation that approved it — those who may record that approval (`record_relief`), never the member's branch.
    `scope`: the actor's (default: read afresh). No query when the approving organisation is loaded."""
    if actor is None:
        return True
    scope = scope if scope is not None else fresh_scope(actor)
    return scope.covers(relief.approved_by)


def _locked_relief(actor, relief, refusal: str) -> tuple[DuesRelief, Member]:
    """The relief and its member, both rows locked, once the actor is found to be one who may change it (`refusal`:
    the message when the approving organisation is not theirs, with %(org)s its name)."""
    pk = getattr(relief, "pk", relief)
    gone = _("该党费减免记录已不存在（可能已被删除）。")
    member_id = DuesRelief.objects.filter(pk=pk).values_list("member_id", flat=True).first()
    if member_id is None:
        raise ServiceError(gone)
    # the member's row first, as recording a relief locks it: the overlap check is serialised with theirs
    member = Member.objects.select_for_update(of=("self",)).select_related("org").get(pk=member_id)
    current = (
        DuesRelief.objects.select_for_update(of=("self",)).select_related("approved_by").filter(pk=pk).first()
    )
    if current is None or current.member_id != member.pk:
        raise ServiceError(gone)
    scope = fresh_scope(actor)
    if not scope.covers(member.org):
        raise OutOfScope(_("该党员不在您的管理范围内，未更改其党费减免。"))
    if not may_change_relief(actor, current, scope):
        raise ServiceError(refusal % {"org": current.approved_by.name})
    return current, member


@transaction.atomic
def record_relief(
    *,
    actor,
    member,
    kind: str,
    start_month: dt.date,
    end_month: dt.date,
    approved_by,
    approved_on: dt.date,
    monthly_amount: Decimal | None = None,
    approval_ref: str = "",
    reason: str = "",
) -> DuesRelief:
    """A hardship reduction (减交, `monthly_amount` a month) or exemption (免交) approved by the higher 党委
    (FEE-07) for start_month..end_month. `approved_by`: a 党委 (or the 工委) above the member's 党支部 — never the
    branch itself, for a member of one of its 党小组 either — which the actor administers (`relief_approvers`
    lists them): the branch does not approve its own members' relief. `reason` (the hardship) is kept with the
    relief (and as the note of its audit event); the page's form requires it."""
    values = _relief_values(
        kind=kind,
        start_month=start_month,
        end_month=end_month,
        approved_by=approved_by,
        approved_on=approved_on,
        monthly_amount=monthly_amount,
        approval_ref=approval_ref,
        reason=reason,
    )
    current = _locked_member(member)
    require_org(actor, current.org, _("该党员不在您的管理范围内，未登记党费减免。"))
    _check_relief_approval(actor, current, values)
    relief = DuesRelief.objects.create(member=current, **vars(values))
    audit.record(
        actor=actor,
        action="create",
        obj=relief,
        org_path=current.org.path,
        after=relief_snapshot(relief),
        note=values.reason,
    )
    return relief


@transaction.atomic
def correct_relief(
    *,
    actor,
    relief,
    kind: str,
    start_month: dt.date,
    end_month: dt.date,
    approved_by,
    approved_on: dt.date,
    monthly_amount: Decimal | None = None,
    approval_ref: str = "",
    reason: str = "",
    version: str | None = None,
) -> DuesRelief:
    """Corrects a relief recorded with a wrong type, amount, period, approval or reason (a relief recorded for the
    wrong member is deleted and recorded again on the right member's page). Whoever may record the relief may
    correct it: an administrator of the member and of the organisation that approved it, and the corrected values
    pass `record_relief`'s checks (a 党委 above the branch that the actor administers, no overlap with the member's
    other reliefs). A reason once recorded cannot be removed. The ledger snapshot is refreshed with the row
    (dues.snapshots) and the organisation's kept results after the commit (the audit event's path); unchanged values
    write nothing. `version`: the relief's version its correction page showed (core.edits, of `relief_snapshot`): a
    relief changed since is refused (core.edits.Stale), not saved over; None (no page) is not checked."""
    values = _relief_values(
        kind=kind,
        start_month=start_month,
        end_month=end_month,
        approved_by=approved_by,
        approved_on=approved_on,
        monthly_amount=monthly_amount,
        approval_ref=approval_ref,
        reason=reason,
    )
    current, member = _locked_relief(
        actor, relief, _("该党费减免经%(org)s批准，%(org)s不在您的管理范围内，不能更正。")
    )
    edits.check(version, relief_snapshot(current), current)
    if current.reason and not values.reason:
        raise ServiceError(_("请填写减免原因。"), field="reason")
    _check_relief_approval(actor, member, values, exclude=current.pk)
    before = relief_snapshot(current)
    for key, value in vars(values).items():
        setattr(current, key, value)
    after = relief_snapshot(current)
    if after == before:
        return current
    current.save()
    audit.record(
        actor=actor, action="update", obj=current, org_path=member.org.path, before=before, after=after
    )
    return current


@transaction.atomic
def delete_relief(*, actor, relief, reason: str) -> None:
    """Deletes a relief recorded by mistake (wrong member, or not approved after all): whoever may record it may
    delete it (see `correct_relief`), with a reason, which the audit event keeps with the relief whole. The member's
    months are due again in full: the ledger snapshot is refreshed with the row and the kept results after the
    commit."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写删除原因。"), field="reason")
    current, member = _locked_relief(
        actor, relief, _("该党费减免经%(org)s批准，%(org)s不在您的管理范围内，不能删除。")
    )
    audit.record(
        actor=actor,
        action="delete",
        obj=current,
        org_path=member.org.path,
        before=relief_snapshot(current),
        note=reason,
    )
    current.delete()


def relief_branch(member: Member):
    """The 党支部 a member's relief is the higher 党委's decision about: their organisation, or the 党支部 of their
    党小组 (its parent, read when it is one)."""
    org = member.org
    if org.type == OrgType.XIAOZU and org.parent_id:
        return org.parent
    return org


@transaction.atomic
def set_collection_day(*, actor, org, day: int | None) -> None:
    """Sets the branch's 党费集中交纳日 (1–28); None removes it (back to the month's last day)."""
    if org.type != OrgType.ZHIBU:
        raise ServiceError(_("只有党支部设置党费集中交纳日。"), field="day")
    if day is not None and (isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28):
        raise ServiceError(_("党费集中交纳日须为每月1日至28日之间的某一天。"), field="day")
    require_org(actor, org, _("该党支部不在您的管理范围内，未设置党费集中交纳日。"))
    existing = CollectionDay.objects.select_for_update().filter(org=org).first()
    before = existing.day if existing else None
    if before == day:
        return
    if day is None:
        existing.delete()
    elif existing is None:
        CollectionDay.objects.create(org=org, day=day)
    else:
        existing.day = day
        existing.save(update_fields=["day"])
    audit.record(
        actor=actor,
        action="update",
        object_type="dues.collectionday",
        object_id=str(org.pk),
        object_repr=f"{org} 党费集中交纳日",
        org_path=org.path,
        before={"day": before},
        after={"day": day},
    )


@transaction.atomic
def record_review(
    *, actor, member, reviewed_on: dt.date, through_month: dt.date, decision: str, reason: str
) -> ArrearsReview:
    """The branch's review of a member in arrears. Never changes the member's status (FEE-11)."""
    if decision not in ReviewDecision.values:
        raise ServiceError(_("结论“%(decision)s”无效。") % {"decision": decision}, field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写理由。"), field="reason")
    if not isinstance(reviewed_on, dt.date) or reviewed_on > dt.date.today():
        raise ServiceError(_("审查日期无效（不能晚于今天）。"), field="reviewed_on")
    through_month = _first_of_month(through_month, "through_month")
    if through_month > reviewed_on:
        raise ServiceError(_("审查所涉截至月份不能晚于审查日期。"), field="through_month")
    current = _locked_member(member)
    require_org(actor, current.org, _("该党员不在您的管理范围内，未登记欠缴审查。"))
    review = ArrearsReview.objects.create(
        member=current,
        reviewed_on=reviewed_on,
        through_month=through_month,
        decision=decision,
        reason=reason,
        reviewed_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=review,
        org_path=current.org.path,
        after={
            "reviewed_on": reviewed_on,
            "through_month": through_month,
            "decision": decision,
            "reason": reason,
        },
    )
    return review
