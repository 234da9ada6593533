"""党费 pages: the branch's monthly collection sheet with bulk entry (printable, exportable), its
党费集中交纳日, the reminder list, arrears with their reviews, the year's summary, the annual publication
(党费收缴情况公示), a member's own page and the 党费基数计算器 (for every signed-in user; writes nothing). Views parse input, call the services and render; reads
start from the user's scope (a branch or member outside it is a 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import edits, once, xlsx
from dangjian.core.dates import add_months
from dangjian.core.downloads import export_response, personal_data
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.dues import ledger as dues_ledger
from dangjian.dues import selectors
from dangjian.dues.calculator import ZERO, base_from_pay, monthly_due
from dangjian.dues.choices import ArrearsLevel, LedgerStatus
from dangjian.dues.forms import (
    BaseCalculatorForm,
    CollectionDayForm,
    DeclareBaseForm,
    DeleteReliefForm,
    PaymentForm,
    PaymentRowForm,
    ReliefForm,
    ReviewForm,
    VoidPaymentForm,
    explain_due,
    parse_month,
    parse_year,
)
from dangjian.dues.ledger import branch_id, due_on, member_ledger, month_start
from dangjian.dues.models import DuesPayment, DuesRelief
from dangjian.dues.services import (
    PLACE_MEMBER_PAGE,
    PaymentEntry,
    PaymentsRefused,
    correct_relief,
    declare_base,
    delete_payment,
    delete_relief,
    may_change_relief,
    record_payment,
    record_payments,
    record_relief,
    record_review,
    relief_snapshot,
    set_collection_day,
)
from dangjian.members.models import Member, personal_fields
from dangjian.members.timeline import months_label
from dangjian.orgs.selectors import visible_org, wide_scope


def _sheet_url(org, month: dt.date) -> str:
    return f"{reverse('dues:sheet')}?{urlencode({'org': org.pk, 'month': f'{month:%Y-%m}'})}"


def _sheet_target(request, data):
    """The branch and month asked for; default: the user's first visible 党支部, the current month."""
    branches = selectors.branches(request.user)
    wanted = data.get("org")
    if wanted:
        org = next((b for b in branches if str(b.pk) == wanted), None) or selectors.visible_branch(
            request.user, wanted
        )
        if org is None:
            raise Http404
    else:
        org = branches[0] if branches else None
    month = parse_month(data.get("month")) or dt.date.today().replace(day=1)
    return branches, org, month


def _row_forms(sheet, data=None, amounts=None) -> dict[int, PaymentRowForm]:
    """The open rows' entry forms; the amount offered is what is still due, or `amounts[member id]` (按上月:
    what the member paid the month before) for a row nothing of the month is paid yet."""
    today = dt.date.today()
    amounts = amounts or {}
    forms = {}
    for r in sheet.open_rows:
        amount = amounts.get(r.member.pk, r.outstanding) if r.row.paid == 0 else r.outstanding
        initial = {"amount": amount, "method": "cash", "paid_on": today, "additional": r.row.paid > 0}
        forms[r.member.pk] = PaymentRowForm(data, prefix=f"p{r.member.pk}", initial=initial)
    return forms


def _sheet_entry(member, month: dt.date, form: PaymentRowForm) -> PaymentEntry:
    """A ticked row as the service's entry; a value its form refused is None (left out of the service's checks)."""
    data = form.cleaned_data
    return PaymentEntry(
        member=member,
        months=f"{month:%Y-%m}",
        amount=data.get("amount"),
        paid_on=data.get("paid_on"),
        method=data.get("method"),
        additional=bool(data.get("additional")),
    )


def _apply_row_errors(form: PaymentRowForm, exc: ServiceError) -> None:
    """A refused row's errors on its fields (the FEE-08 window, about the month, on the date of payment: the row's
    month is the sheet's); a field its form already refused keeps its own message."""
    for field, texts in (exc.errors or {None: [exc.message]}).items():
        target = "paid_on" if field == "months" else field
        if target not in form.fields:
            target = None
        if target is not None and target in form.errors:
            continue
        for message in texts:
            if message not in form.errors.get(target or "__all__", []):
                form.add_error(target, message)


OPEN_STATUSES = (LedgerStatus.UNPAID.value, LedgerStatus.PARTIAL.value)
PENDING = "pending"  # an unpaid month whose 党费集中交纳日 has not passed: 待交, not 未交 (dues_tags)


# ?fill= of the sheet (links, so that they work without script): "all" ticks every open row (全选), "last" ticks
# the rows of the members who paid the month before and offers last month's amount (按上月)
FILL_ALL, FILL_LAST = "all", "last"


def _sheet_page(request, branches, org, month, sheet=None, row_forms=None, status=200, fill=""):
    context = {"nav": "dues", "tab": "sheet", "branches": branches, "org": org, "month": month}
    if org is not None:
        sheet = sheet or selectors.sheet(request.user, org, month)
        ticked: set[int] = set()
        if row_forms is None:
            last = selectors.paid_last_month(request.user, org, month) if fill == FILL_LAST else None
            row_forms = _row_forms(sheet, amounts=last)
            if fill == FILL_ALL:
                ticked = set(row_forms)
            elif last:
                ticked = {r.member.pk for r in sheet.open_rows if r.row.paid == 0} & set(last)
        for r in sheet.rows:
            r.form = row_forms.get(r.member.pk)
        context.update(
            sheet=sheet,
            ticked=ticked,
            fill=fill,
            day_form=CollectionDayForm(initial={"day": sheet.collection_day}),
            prev_month=add_months(month, -1),
            next_month=add_months(month, 1),
            this_month=dt.date.today().replace(day=1),
            today=dt.date.today(),
        )
    return render(request, "dues/sheet.html", context, status=status)


@personal_data
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def collection_sheet(request):
    """The branch's sheet for a month: who paid what, who has not, totals; POST records the ticked rows,
    all or nothing (one refused row writes nothing and is shown on its row)."""
    data = request.POST if request.method == "POST" else request.GET
    branches, org, month = _sheet_target(request, data)
    if request.method == "GET" or org is None:
        return _sheet_page(request, branches, org, month, fill=request.GET.get("fill", ""))
    sheet = selectors.sheet(request.user, org, month)
    row_forms = _row_forms(sheet, request.POST)
    picked = {pk: f for pk, f in row_forms.items() if f.picked()}
    if not picked:
        messages.warning(request, _("请勾选要登记缴费的党员。"))
        return _sheet_page(request, branches, org, month, sheet, row_forms)
    valid = all([f.is_valid() for f in picked.values()])
    members = {r.member.pk: r.member for r in sheet.open_rows}
    rows = list(picked.values())
    entries = [_sheet_entry(members[pk], month, form) for pk, form in picked.items()]
    # the sheet has no consent fields: a 补交 beyond 6 months with the branch's consent is the member's page's
    hint = _("如已经支部同意，请点该党员姓名，在其党费页登记，注明“经支部同意”并填写同意日期。")
    try:
        if valid:
            with once.guard(request) as claim, transaction.atomic():
                record_payments(actor=request.user, entries=entries, hint=hint)
                claim.created(_sheet_url(org, month))
        else:  # every row's other checks too, in the same pass: the rows' dates, duplicates (nothing written)
            record_payments(actor=request.user, entries=entries, hint=hint, check_only=True)
    except PaymentsRefused as refused:  # nothing recorded: each refused row says why, every field at fault
        for i, exc in refused.by_entry.items():
            _apply_row_errors(rows[i], exc)
        valid = False
    except ServiceError as exc:  # the whole sheet refused (a member no longer in the actor's scope)
        for form in rows:
            apply_service_error(form, exc)
        valid = False
    if not valid:
        messages.error(
            request,
            _("有 %(n)s 行未通过校验，本次未登记任何缴费，请修改后重新提交。")
            % {"n": sum(1 for f in picked.values() if f.errors)},
        )
        return _sheet_page(request, branches, org, month, sheet, row_forms, status=400)
    messages.success(
        request, _("已登记 %(n)s 名党员 %(month)s 的党费。") % {"n": len(picked), "month": f"{month:%Y-%m}"}
    )
    return redirect(_sheet_url(org, month))


@admin_required
@require_POST
def collection_day(request):
    org = selectors.visible_branch(request.user, request.POST.get("org"))
    if org is None:
        raise Http404
    month = parse_month(request.POST.get("month")) or dt.date.today().replace(day=1)
    form = CollectionDayForm(request.POST)
    if form.is_valid():
        try:
            set_collection_day(actor=request.user, org=org, day=form.cleaned_data["day"])
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已保存%(org)s的党费集中交纳日。") % {"org": org.name})
    else:
        messages.error(request, _("党费集中交纳日须为每月1日至28日之间的某一天。"))
    return redirect(_sheet_url(org, month))


SHEET_HEADERS = ("姓名", "所在组织", "缴费类别", "月缴费基数", "比例", "应交", "实交", "状态", "缴纳说明")


@personal_data
@admin_required
@require_GET
def sheet_export(request):
    _branches, org, month = _sheet_target(request, request.GET)
    if org is None:
        raise Http404
    sheet = selectors.sheet(request.user, org, month)
    rows = [
        (
            r.member.name,
            r.member.org.name,
            r.category_label,
            r.row.base if r.row else None,
            r.rate_label,
            r.row.due if r.row else None,
            r.row.paid if r.row else None,
            str(LedgerStatus(r.row.status).label) if r.row else "未申报缴费基数",
            "；".join(r.notes),
        )
        for r in sheet.rows
    ]
    # the members without a declared base, as the sheet names them, in the total row's last column (缴纳说明)
    nobase = (
        f"未申报缴费基数 {sheet.n_nobase} 人：{sheet.nobase_text()}。"
        "应交金额无法计算，不计入应交合计和未交人数；合规检查按未交清计。"
        if sheet.n_nobase
        else ""
    )
    table = xlsx.Table(
        "党费收缴表",
        above=(f"{org.name} {month:%Y年%m月}党费收缴表（集中交纳日 {sheet.due_date:%Y-%m-%d}）",),
        header=SHEET_HEADERS,
        rows=rows,
        below=(
            (
                "合计",
                "",
                "",
                None,
                "",
                sheet.total_due,
                sheet.total_paid,
                f"未交 {sheet.n_open} 人",
                nobase or None,
            ),
        ),
        widths=(12, 20, 10, 12, 8, 10, 10, 10, 28),
        formats={3: "0.00", 5: "0.00", 6: "0.00"},
    )
    return export_response(
        xlsx.tables_bytes([table]),
        f"党费收缴表-{org.code}-{month:%Y-%m}.xlsx",
        actor=request.user,
        what=_("党费收缴表"),
        object_type="dues.ledger",
        org_path=org.path,
        scope=f"{org.name}，{month:%Y-%m}",
        rows=len(rows),
    )


@admin_required
@require_GET
def reminder_list(request):
    today = dt.date.today()
    org = None
    if request.GET.get("org"):
        org = visible_org(request.user, request.GET.get("org"))
        if org is None:
            raise Http404
    wide = wide_scope(request.user, org, request.GET)
    items = [] if wide else selectors.reminders(request.user, today, org)
    return render(
        request,
        "dues/reminders.html",
        {
            "nav": "dues",
            "tab": "reminders",
            "wide": wide,
            "items": items,
            "org": org,
            "orgs": selectors.org_options(request.user),
            "today": today,
            "month": today.replace(day=1),
        },
    )


@personal_data
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def arrears_list(request):
    today = dt.date.today()
    data = request.POST if request.method == "POST" else request.GET
    org = None
    if data.get("org"):
        org = visible_org(request.user, data.get("org"))
        if org is None:
            raise Http404
    try:
        as_of = min(dt.date.fromisoformat(request.GET.get("as_of", "")), today)
    except ValueError:
        as_of = today
    review_form, review_member = None, None
    if request.method == "POST":
        review_form = ReviewForm(request.POST)
        review_member = selectors.arrears_member(request.user, request.POST.get("member"))
        if review_member is None:
            raise Http404
        if review_form.is_valid():
            try:
                with once.guard(request) as claim:  # a second POST of the same form records nothing
                    record_review(
                        actor=request.user,
                        member=review_member,
                        reviewed_on=review_form.cleaned_data["reviewed_on"],
                        through_month=review_form.cleaned_data["through_month"],
                        decision=review_form.cleaned_data["decision"],
                        reason=review_form.cleaned_data["reason"],
                    )
                    claim.created(reverse("dues:arrears"))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(review_form, exc)
            else:
                messages.success(request, _("已登记对%(name)s的欠缴审查。") % {"name": review_member.name})
                query = urlencode({"org": org.pk} if org else {})
                return redirect(f"{reverse('dues:arrears')}{'?' + query if query else ''}")
    wide = wide_scope(request.user, org, request.GET)
    if wide and review_form is not None and review_form.errors:
        # a review posted from a page whose range is too wide to list (a stale page, or a hand-made request): the
        # reviewed member's own branch is listed, so that the form comes back with its errors and what was typed
        org = review_member.org
        wide = wide_scope(request.user, org, request.GET)
    items = [] if wide else selectors.arrears_items(request.user, as_of, org)
    last_overdue = f"{add_months(month_start(as_of), -1):%Y-%m}"
    for item in items:
        if item.row.level == ArrearsLevel.CASE:
            if review_form is not None and review_member and review_member.pk == item.row.member_id:
                item.form = review_form
            else:
                item.form = ReviewForm(
                    initial={
                        "member": item.row.member_id,
                        "reviewed_on": today,
                        "through_month": item.row.unpaid_months[-1]
                        if item.row.unpaid_months
                        else last_overdue,
                    },
                    auto_id=f"id_r{item.row.member_id}_%s",
                )
    return render(
        request,
        "dues/arrears.html",
        {
            "nav": "dues",
            "tab": "arrears",
            "wide": wide,
            "items": items,
            "org": org,
            "orgs": selectors.org_options(request.user),
            "as_of": as_of,
            "n_case": sum(1 for i in items if i.row.level == ArrearsLevel.CASE),
            "n_warning": sum(1 for i in items if i.row.level == ArrearsLevel.WARNING),
        },
        status=400 if review_form is not None and review_form.errors else 200,
    )


@admin_required
@require_GET
def year_summary(request):
    today = dt.date.today()
    year = parse_year(request.GET.get("year"), today.year)
    org = None
    if request.GET.get("org"):
        org = visible_org(request.user, request.GET.get("org"))
        if org is None:
            raise Http404
    lines = selectors.year_summary(request.user, year, org)
    units = selectors.units_only(request.user, lines)
    return render(
        request,
        "dues/summary.html",
        {
            "nav": "dues",
            "tab": "summary",
            "year": year,
            "org": org,
            "orgs": selectors.org_options(request.user),
            "lines": units or lines,
            "by_unit": units is not None,
            "month_numbers": range(1, 13),
        },
    )


@admin_required
@require_GET
def publication(request):
    today = dt.date.today()
    year = parse_year(request.GET.get("year"), today.year)
    orgs = selectors.org_options(request.user)
    wanted = request.GET.get("org")
    if wanted:
        org = visible_org(request.user, wanted)
        if org is None:
            raise Http404
    else:
        branches = selectors.branches(request.user)
        org = branches[0] if branches else orgs.first()
    context = {"nav": "dues", "tab": "publication", "year": year, "org": org, "orgs": orgs, "today": today}
    if org is not None:
        months, total, extras = selectors.publication(request.user, org, year)
        context.update(months=months, total=total, extras=extras)
    return render(request, "dues/publication.html", context)


def _reliefs(user, member, may_record: bool) -> list:
    """The member's reliefs, each marked with what the user may do with it (`may_delete`: they administer the
    organisation that approved it; `may_correct`: that, and they may record a relief of the member). No query beyond
    the list's own."""
    scope = scope_for(user)
    reliefs = selectors.member_reliefs(member)
    for r in reliefs:
        r.may_delete = may_change_relief(user, r, scope)
        r.may_correct = r.may_delete and may_record
    return reliefs


def _ledger_rows(member, year: int, payments, today: dt.date):
    """The member's ledger rows of `year` with what each month's payments say, and each month marked `pending`
    (待交) while its 党费集中交纳日 has not passed (the home page's arrears count a month only from the day after it)
    or `overdue`. One query for the collection day."""
    rows = member_ledger(member, year)
    notes = selectors.month_notes(payments)
    day = dues_ledger.collection_day(branch_id(member.org))
    for r in rows:
        r.notes = list(notes.get(r.month, []))
        r.overdue = today > due_on(r.month, day)
        r.pending = r.status in OPEN_STATUSES and not r.overdue
        r.shown_status = PENDING if r.pending and r.status == LedgerStatus.UNPAID else r.status
    return rows, day


def _totals(rows) -> dict:
    """The total row: what the months whose 交纳日 has passed asked for, what was paid on them, and what is still
    owed on them (the shortfall: the home page's arrears of the year); a month not yet due counts in none."""
    due_rows = [r for r in rows if r.overdue]
    total_due = sum((r.due for r in due_rows), ZERO)
    total_paid = sum((min(r.paid, r.due) for r in due_rows), ZERO)
    return {
        "total_due": total_due,
        "total_paid": total_paid,
        "shortfall": sum((max(r.due - r.paid, ZERO) for r in due_rows if r.status in OPEN_STATUSES), ZERO),
        "pending_rows": [r for r in rows if r.pending],
    }


def _void(request, member):
    """POST of a payment's 撤销 on the member's page: (the redirect, or None with the form to show again)."""
    form = VoidPaymentForm(request.POST)
    payment = None
    if form.is_valid():
        payment = DuesPayment.objects.filter(member=member, pk=form.cleaned_data["void"]).first()
        if payment is None:
            raise Http404
        try:
            with once.guard(request):  # a second POST of the same form voids nothing more
                delete_payment(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            label = months_label(payment.first_month, payment.last_month)
            messages.success(
                request,
                _("已撤销%(name)s %(months)s 的缴费记录（%(amount)s 元）。")
                % {"name": member.name, "months": label, "amount": f"{payment.amount:.2f}"},
            )
            year = parse_year(request.GET.get("year"), dt.date.today().year)
            return redirect(f"{reverse('dues:member', args=[member.pk])}?year={year}"), None
    return None, form


def _apply_payment_errors(form: PaymentForm, exc: ServiceError) -> None:
    """A refused payment on the member's page: each message next to its field, those about the months (the
    service's "months": both month fields) and the rest on top — every one of them (a duplicate month and an amount
    above what is owed are said together)."""
    if not exc.errors:
        form.add_error(None, exc.message)
    for field, texts in (exc.errors or {}).items():
        for message in texts:
            form.add_error(field if field in form.fields else None, message)


def _member_url(member, year: int, anchor: str = "") -> str:
    return f"{reverse('dues:member', args=[member.pk])}?year={year}{'#' + anchor if anchor else ''}"


def _base_years(year: int, today: dt.date) -> list[int]:
    """The years a base may be declared for on the member's page: last year, this year, next year, and the year
    shown."""
    return sorted({today.year - 1, today.year, today.year + 1, year})


def _base_initial(member, year: int) -> dict:
    """The declaration form's first values: the year shown, from its January (or the month the member joined)."""
    first = max(dt.date(year, 1, 1), member.joined_on.replace(day=1))
    return {"year": year, "effective_month": f"{first:%Y-%m}" if first.year == year else f"{year}-01"}


def _declare(request, member, form: DeclareBaseForm):
    """POST of 申报缴费基数 on the member's page: the redirect, or None (the refusal is on the form)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        with once.guard(request) as claim:  # a second POST of the same form records nothing more
            base = declare_base(
                actor=request.user,
                member=member,
                year=data["year"],
                category=data["category"],
                monthly_base=data["monthly_base"],
                fixed_amount=data["fixed_amount"],
                effective_month=data["effective_month"],
                note=data["note"],
            )
            claim.created(_member_url(member, base.year))
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        apply_service_error(form, exc)
        return None
    amount = base.monthly_base if base.fixed_amount is None else base.fixed_amount
    messages.success(
        request,
        _("已申报%(name)s %(year)s 年度的缴费基数：%(category)s%(amount)s，自 %(month)s 起。")
        % {
            "name": member.name,
            "year": base.year,
            "category": base.get_category_display(),
            "amount": _("，%(amount)s 元") % {"amount": f"{amount:.2f}"} if amount is not None else "",
            "month": f"{base.effective_month:%Y-%m}",
        },
    )
    return redirect(_member_url(member, base.year))


def _relieve(request, member, form: ReliefForm):
    """POST of 党费减免 on the member's page: the redirect, or None (the refusal is on the form)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        with once.guard(request) as claim:  # a second POST of the same form records nothing more
            relief = record_relief(
                actor=request.user,
                member=member,
                kind=data["kind"],
                monthly_amount=data["monthly_amount"],
                start_month=data["start_month"],
                end_month=data["end_month"],
                approved_by=form.chosen(),
                approved_on=data["approved_on"],
                approval_ref=data["approval_ref"],
                reason=data["reason"],
            )
            claim.created(_member_url(member, relief.start_month.year, "reliefs"))
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        apply_service_error(form, exc)
        return None
    messages.success(
        request,
        _("已登记%(name)s %(months)s 的党费%(kind)s（%(org)s批准）。")
        % {
            "name": member.name,
            "months": months_label(relief.start_month, relief.end_month),
            "kind": relief.get_kind_display(),
            "org": relief.approved_by.name,
        },
    )
    return redirect(_member_url(member, relief.start_month.year, "reliefs"))


# --- a 党费减免 put right: corrected or deleted on its own pages ----------------------------------------------------


def _changeable_relief(request, pk: int) -> DuesRelief:
    """The relief `pk` of a member the user administers (404 otherwise), when the user administers the organisation
    that approved it: who may record it (services.may_change_relief); the others (the member's branch) get 403 with
    who records it. The pages offer no link that leads there."""
    relief = (
        DuesRelief.objects.administered_by(request.user)
        .select_related("member__org__parent", "approved_by")
        .defer(*personal_fields("member"))  # the pages name the member: nothing of theirs is decrypted
        .filter(pk=pk)
        .first()
    )
    if relief is None:
        raise Http404
    if not may_change_relief(request.user, relief, scope_for(request.user)):
        raise PermissionDenied(_("党费减免由上级党委审批，并由上级党委管理员登记、更正或删除。"))
    return relief


def _relief_initial(relief: DuesRelief) -> dict:
    return {
        "kind": relief.kind,
        "monthly_amount": relief.monthly_amount,
        "start_month": f"{relief.start_month:%Y-%m}",
        "end_month": f"{relief.end_month:%Y-%m}",
        "approved_by": relief.approved_by_id,
        "approved_on": relief.approved_on,
        "approval_ref": relief.approval_ref,
        "reason": relief.reason,
    }


@personal_data
@admin_required
@require_http_methods(["GET", "POST"])
def relief_edit(request, pk: int):
    """更正 a 党费减免 recorded with a wrong type, amount, period or approval: the recording form again, with the
    relief's values; the same checks as recording it (services.correct_relief). A relief recorded for the wrong member
    is deleted (the page links there) and recorded on the right member's page."""
    relief = _changeable_relief(request, pk)
    member = relief.member
    approvers = selectors.relief_approvers(request.user, member)
    # no 党委 above the member's branch is the user's: the member moved since the relief was approved
    if not approvers:
        raise PermissionDenied(_("党费减免由上级党委审批，并由上级党委管理员登记、更正或删除。"))
    form = ReliefForm(
        request.POST if request.method == "POST" else None,
        approvers=approvers,
        initial={**_relief_initial(relief), edits.FIELD: edits.version(relief_snapshot(relief))},
        reason_required=bool(relief.reason),
        editing=True,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                corrected = correct_relief(
                    actor=request.user,
                    relief=relief,
                    kind=data["kind"],
                    monthly_amount=data["monthly_amount"],
                    start_month=data["start_month"],
                    end_month=data["end_month"],
                    approved_by=form.chosen(),
                    approved_on=data["approved_on"],
                    approval_ref=data["approval_ref"],
                    reason=data["reason"],
                    version=data.get(edits.FIELD),
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已保存%(name)s党费减免的更正：%(months)s %(kind)s（%(org)s批准）。")
                    % {
                        "name": member.name,
                        "months": months_label(corrected.start_month, corrected.end_month),
                        "kind": corrected.get_kind_display(),
                        "org": corrected.approved_by.name,
                    },
                )
                return redirect(_member_url(member, corrected.start_month.year, "reliefs"))
        status = 400
    context = {"nav": "dues", "member": member, "relief": relief, "form": form}
    return render(request, "dues/relief_edit.html", context, status=status)


@personal_data
@admin_required
@require_http_methods(["GET", "POST"])
def relief_delete(request, pk: int):
    """删除 a 党费减免 recorded by mistake, confirmed on its own page with a reason (services.delete_relief): the months
    are due in full again."""
    relief = _changeable_relief(request, pk)
    member = relief.member
    form = DeleteReliefForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                delete_relief(actor=request.user, relief=relief, reason=form.cleaned_data["reason"])
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已删除%(name)s %(months)s 的党费%(kind)s，这些月份恢复按规定标准计算应交党费。")
                    % {
                        "name": member.name,
                        "months": months_label(relief.start_month, relief.end_month),
                        "kind": relief.get_kind_display(),
                    },
                )
                return redirect(_member_url(member, relief.start_month.year, "reliefs"))
        status = 400
    context = {
        "nav": "dues",
        "member": member,
        "relief": relief,
        "form": form,
        "may_correct": bool(selectors.relief_approvers(request.user, member)),
    }
    return render(request, "dues/relief_delete.html", context, status=status)


@personal_data
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def member_dues(request, pk: int):
    """A member's 党费 for a year as the branch keeps it: the months (应交, 已交, 状态, and what the payments
    covering each say: 预交/补交, 经支部同意), the payments (each with its 备注 and a 撤销 for a payment recorded by
    mistake), and the form for a payment over a span of months — 预交 or 补交 beyond 6 months only with the
    branch's consent and its date (FEE-08) — or a voluntary extra payment (自愿多交). Also the member's declared
    bases with the form to declare one (`action=base`), and their 党费减免, each with its reason, with the form to record
    one (`action=relief`), shown only to the administrators of a 党委 above the branch (the others are told who records
    it); whoever may record a relief is offered its 更正 and 删除 (their own pages, `relief_edit`, `relief_delete`).
    Each form posts to this page; a refused one comes back with what was typed."""
    member = selectors.member_page(request.user, pk)
    if member is None:
        raise Http404
    today = dt.date.today()
    year = parse_year(request.GET.get("year"), today.year)
    status = 200
    form = void_form = base_form = relief_form = None
    approvers = selectors.relief_approvers(request.user, member)
    action = request.POST.get("action") if request.method == "POST" else None
    if request.method == "POST" and "void" in request.POST:
        done, void_form = _void(request, member)
        if done is not None:
            return done
        status = 400
    elif action == "base":
        base_form = DeclareBaseForm(request.POST, years=_base_years(year, today))
        done = _declare(request, member, base_form)
        if done is not None:
            return done
        status = 400
    elif action == "relief":
        if not approvers:  # the page offers no form: the branch does not approve its own members' relief
            raise PermissionDenied(_("党费减免由上级党委审批，并由上级党委管理员登记。"))
        relief_form = ReliefForm(request.POST, approvers=approvers)
        done = _relieve(request, member, relief_form)
        if done is not None:
            return done
        status = 400
    elif request.method == "POST":
        form = PaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with once.guard(request) as claim:  # a second POST of the same form records nothing
                    payment = record_payment(
                        actor=request.user,
                        member=member,
                        months=data["months"],
                        amount=data["amount"],
                        paid_on=data["paid_on"],
                        method=data["method"],
                        note=data["note"],
                        is_extra=data["is_extra"],
                        branch_consent=data["branch_consent"],
                        consent_on=data["consent_on"],
                        additional=data["additional"],
                        place=PLACE_MEMBER_PAGE,
                    )
                    claim.created(_member_url(member, payment.first_month.year))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                _apply_payment_errors(form, exc)
            else:
                label = payment.consent_label
                if payment.is_extra:
                    label = _("自愿多交")
                messages.success(
                    request,
                    _("已登记%(name)s %(months)s 的党费 %(amount)s 元%(label)s。")
                    % {
                        "name": member.name,
                        "months": data["months"],
                        "amount": f"{payment.amount:.2f}",
                        "label": f"（{label}）" if label else "",
                    },
                )
                return redirect(_member_url(member, payment.first_month.year))
        status = 400
    if form is None:
        form = PaymentForm(initial={"paid_on": today, "first_month": f"{today:%Y-%m}"})
    if base_form is None:
        base_form = DeclareBaseForm(years=_base_years(year, today), initial=_base_initial(member, year))
    if relief_form is None and approvers:
        relief_form = ReliefForm(
            approvers=approvers,
            initial={
                "approved_by": approvers[0].pk,
                "approved_on": today,
                "start_month": f"{today:%Y-%m}",
                "end_month": f"{today.year}-12",
            },
        )
    payments = selectors.own_payments(member, year)
    rows, _day = _ledger_rows(member, year, payments, today)
    return render(
        request,
        "dues/member.html",
        {
            "nav": "dues",
            "member": member,
            "year": year,
            "last_year": today.year + 1,  # 预交 reaches into next year
            "rows": rows,
            "payments": payments,
            "form": form,
            "void_form": void_form,
            "base_form": base_form,
            "bases": selectors.member_bases(member, year),
            "relief_form": relief_form,
            "reliefs": _reliefs(request.user, member, bool(approvers)),
            "today": today,
            "can_void": True,
            **_totals(rows),
        },
        status=status,
    )


@personal_data
@login_required
@require_GET
def mine(request):
    if not request.user.member_id:
        raise Http404
    # the page names the member: their 身份证号 and phone are neither read nor decrypted
    member = (
        Member.objects.select_related("org")
        .defer(*personal_fields(""))
        .filter(pk=request.user.member_id)
        .first()
    )
    if member is None:
        raise Http404
    request.user.member = member  # the navbar shows the member's name: no second read
    today = dt.date.today()
    year = parse_year(request.GET.get("year"), today.year)
    context = {"nav": "dues_mine", "member": member, "year": year, "today": today, "last_year": today.year}
    # a year that has not begun: nothing is due in it yet, nothing to say about its base
    if year > today.year:
        return render(request, "dues/mine.html", {**context, "future": True})
    payments = selectors.own_payments(member, year)
    rows, day = _ledger_rows(member, year, payments, today)
    current = next((r for r in reversed(rows) if r.month <= today), rows[-1] if rows else None)
    return render(
        request,
        "dues/mine.html",
        {
            **context,
            "rows": rows,
            "current": current,
            "category": selectors.category_label(current.category) if current else "",
            "payments": payments,
            "due_date": due_on(month_start(today), day),
            **_totals(rows),
        },
    )


def _calculate(form: BaseCalculatorForm) -> dict | None:
    """The base, rate and due of a valid form; None (with the error on the form) when the deductions exceed
    the pay."""
    data = form.cleaned_data
    pay_total = sum((amount for _name, amount in form.items), ZERO)
    deductions = {name: data[name] for name in form.DEDUCTIONS}
    deduction_total = sum(deductions.values(), ZERO)
    try:
        base = base_from_pay([amount for _name, amount in form.items], **deductions)
    except ValueError:
        form.add_error(
            None,
            _("扣除项合计 %(d)s 元超过工资项目合计 %(p)s 元，月缴费基数不能为负数，请核对各项金额。")
            % {"d": f"{deduction_total:.2f}", "p": f"{pay_total:.2f}"},
        )
        return None
    due, rate = monthly_due(data["category"], base, data["month"])
    return {
        "items": form.items,
        "pay_total": pay_total,
        "deductions": [(form[name].label, amount) for name, amount in deductions.items()],
        "deduction_total": deduction_total,
        "base": base,
        "rate": rate,
        "rate_label": selectors.rate_label(rate),
        "due": due,
        "category_label": selectors.category_label(data["category"]),
        "month": data["month"],
        "sentence": explain_due(data["schedule"], data["category"], base, rate, due),
    }


@personal_data
@login_required
@require_http_methods(["GET", "POST"])
def base_calculator(request):
    """党费基数计算器: 工资项目 minus 个人所得税, 社保, 公积金 and 职业年金 gives the 月缴费基数 (FEE-01); the
    rate table gives the rate and the monthly 党费. A calculator only: it writes nothing (the base is
    declared by the branch). POST so that pay figures stay out of URLs and logs."""
    is_admin = scope_for(request.user).is_admin
    result = None
    if request.method == "POST":
        form = BaseCalculatorForm(request.POST)
        if form.is_valid():
            result = _calculate(form)
        form.mark_invalid()
    else:
        form = BaseCalculatorForm()
    return render(
        request,
        "dues/calculator.html",
        {
            "nav": "dues" if is_admin else "dues_mine",
            "tab": "calculator",
            "is_admin": is_admin,
            "form": form,
            "result": result,
        },
        status=400 if form.errors else 200,
    )
