"""Pages of the movements domain: the index (summary of the scope, transfers awaiting acceptance and sent,
mobile members due a contact, 失联 suggestions), the summary per branch, a member's page with the forms to act,
the status-change form, a transfer's page with accept/return, and 组织关系转入. Views parse input, call one
service and render; reads start from the user's scope (a member or transfer outside it is a 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Model
from django.forms import ChoiceField
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import once
from dangjian.core.downloads import personal_data
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.members.choices import MemberStatus
from dangjian.members.forms import ETHNICITIES, OrgChoiceField
from dangjian.members.selectors import member_org_options
from dangjian.movements import selectors, services
from dangjian.movements.choices import Suggestion
from dangjian.movements.forms import (
    AcceptForm,
    ContactForm,
    FilterForm,
    LostForm,
    PurposeForm,
    RegainedForm,
    ReturnForm,
    ReturnTransferForm,
    StatusForm,
    StintDecisionForm,
    StintForm,
    TransferForm,
    TransferInForm,
    TransferOutForm,
    WithdrawTransferForm,
)
from dangjian.movements.models import LostContact, MobileStint
from dangjian.movements.params import load_params
from dangjian.movements.services import TRANSITIONS
from dangjian.orgs.selectors import wide_scope


def _filters(request):
    orgs = selectors.org_options(request.user)
    form = FilterForm(request.GET or None, orgs=orgs)
    f = form.filters()
    if request.GET.get("org") and "org" in form.errors:
        # an organisation outside the scope (or no id at all): not the whole scope instead, as on every list page
        raise Http404
    as_of = min(f.get("as_of") or dt.date.today(), dt.date.today())
    return form, f.get("org"), f.get("work_status"), as_of


@admin_required
@require_GET
def index(request):
    form, org, work_status, as_of = _filters(request)
    members = selectors.admin_members(request.user, org, work_status)
    away = selectors.mobile_items(members, as_of)
    mobile = [i for i in away if i.contact_due]
    study = [i for i in away if i.study_suggestion]
    lost = [i for i in selectors.lost_items(members, as_of) if i.suggestion]
    return render(
        request,
        "movements/index.html",
        {
            "nav": "movements",
            "tab": "index",
            "form": form,
            "org": org,
            "as_of": as_of,
            "total": selectors.summary_total(members, as_of),
            "awaiting": selectors.transfers_awaiting(request.user),
            "sent": selectors.transfers_sent(request.user),
            "mobile": mobile,
            "study": study,
            "study_years": load_params().abroad_study_years.value,
            "lost": lost,
        },
    )


@admin_required
@require_GET
def summary(request):
    form, org, work_status, as_of = _filters(request)
    # over a range too wide to list (the whole city at the 工委) neither the branches' counts nor the 流动 and 失联
    # members are read: a narrower organisation is asked for
    wide = wide_scope(request.user, org, request.GET)
    members = selectors.admin_members(request.user, org, work_status)
    return render(
        request,
        "movements/summary.html",
        {
            "nav": "movements",
            "tab": "summary",
            "form": form,
            "wide": wide,
            "org": org,
            "as_of": as_of,
            "lines": [] if wide else selectors.summary(members, as_of),
            "mobile": [] if wide else selectors.mobile_items(members, as_of),
            "unrecorded": (0, []) if wide else selectors.flagged_without_stint(members),
            "lost": [] if wide else selectors.lost_items(members, as_of),
        },
    )


def _member(request, pk):
    member = selectors.admin_member(request.user, pk)
    if member is None:
        raise Http404
    return member


def _purpose(data) -> str:
    return data.open_stint.abroad_purpose if data.open_stint is not None else ""


def _form(key: str, form_class, *args, **kwargs):
    """One of the member page's forms, its HTML ids prefixed by its key ("id_stint_destination"): the page holds
    several forms with a 备注 or a destination, and a label must point at its own form's field. The field names —
    what the services are given — stay as they are."""
    return form_class(*args, auto_id=f"id_{key}_%s", **kwargs)


def _receiving(member):
    """The organisations a transfer of `member` may go to: the 党支部 of the system but the member's own."""
    return selectors.receiving_orgs(exclude=member.org)


def _refused(form) -> dict | None:
    """A refused form the page no longer shows (another tab, or a colleague, recorded something first: the 外出 it
    would start is open, the transfer it would accept was accepted): its errors and what was typed, for the page's
    top, instead of a page that silently drops the submission. None for a form without errors."""
    if form is None or not form.errors:
        return None
    errors = list(form.non_field_errors())
    for name, texts in form.errors.items():
        if name in form.fields:
            errors.extend(texts)
    typed = []
    cleaned = getattr(form, "cleaned_data", {})
    for name, field in form.fields.items():
        if name == "action":
            continue
        value = cleaned.get(name, form.data.get(name))
        if value in (None, "", False):
            continue
        if value is True:
            value = _("是")
        elif isinstance(value, dt.date):
            value = f"{value:%Y-%m-%d}"
        elif isinstance(field, OrgChoiceField):
            if not isinstance(value, Model):
                continue  # an organisation the form refused: its error says so
        elif isinstance(field, ChoiceField):
            value = dict(field.choices).get(value, value)
        typed.append((field.label, str(value)))
    return {"errors": errors, "typed": typed}


def _on_roll(member) -> bool:
    return member.inactive_from is None or member.inactive_from > dt.date.today()


def _member_forms_shown(member, data) -> dict[str, bool]:
    """Which of the member page's forms the page shows (member.html reads it: one decision for the page and for a
    refused form the page no longer shows)."""
    normal = member.status == MemberStatus.NORMAL
    # a member off the roll (去世, 出党, 停止党籍 …) while away is no longer a 流动党员 to contact: their 外出 record
    # stays as recorded, without the forms that carry it on
    away = data.open_stint if _on_roll(member) else None
    return {
        "transfer": normal and data.pending_transfer is None,
        "out": normal and data.pending_transfer is None,
        "stint": normal and data.open_stint is None,
        "return": away is not None,
        "contact": away is not None,
        "purpose": away is not None and away.abroad,
        "decision": away is not None and away.abroad,
        "lost": data.open_lost is None and member.status in (MemberStatus.NORMAL, MemberStatus.SUSPENDED),
        "regained": data.open_lost is not None,
    }


def _member_page(request, member, forms=None, status=200):
    today = dt.date.today()
    data = selectors.member_movements(member)
    forms = forms or {}
    shown = _member_forms_shown(member, data)
    refused = next((_refused(f) for key, f in forms.items() if not shown.get(key, True)), None)
    context = {
        "nav": "movements",
        "member": member,
        "data": data,
        "today": today,
        "status_url": reverse("movements:status", args=[member.pk]),
        "can_change_status": bool(TRANSITIONS[member.status] - {MemberStatus.TRANSFERRED_OUT}),
        "is_normal": member.status == MemberStatus.NORMAL,
        "stint_form": forms.get("stint") or _form("stint", StintForm, initial={"left_on": today}),
        "return_form": forms.get("return") or _form("return", ReturnForm, initial={"returned_on": today}),
        "contact_form": forms.get("contact")
        or _form("contact", ContactForm, initial={"contacted_on": today}),
        "lost_form": forms.get("lost") or _form("lost", LostForm, initial={"lost_on": today}),
        "regained_form": forms.get("regained")
        or _form("regained", RegainedForm, initial={"regained_on": today}),
        "purpose_form": forms.get("purpose")
        or _form("purpose", PurposeForm, initial={"abroad_purpose": _purpose(data)}),
        "decision_form": forms.get("decision")
        or _form("decision", StintDecisionForm, initial={"decided_on": today}),
        "transfer_form": forms.get("transfer")
        or _form("transfer", TransferForm, initial={"started_on": today}, orgs=_receiving(member)),
        "out_form": forms.get("out") or _form("out", TransferOutForm, initial={"transferred_on": today}),
        "open_form": next(iter(forms), ""),
        "refused": refused,
        "shown": shown,
        "on_roll": _on_roll(member),
    }
    return render(request, "movements/member.html", context, status=status)


@personal_data
@admin_required
@require_GET
def member_page(request, pk: int):
    return _member_page(request, _member(request, pk))


def _act(request, member, key, form, call, success):
    """Validates `form`, calls the service (once per form: a repeated submission raises `once.AlreadySubmitted`,
    shown by the views' `once.guarded`); on success back to the member page, else the page with errors."""
    if form.is_valid():
        try:
            with once.guard(request) as claim:  # a second POST of the same form records nothing
                call(form.cleaned_data)
                claim.created(reverse("movements:member", args=[member.pk]))
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("movements:member", pk=member.pk)
    return _member_page(request, member, {key: form}, status=400)


@admin_required
@require_POST
@once.guarded
def stint_start(request, pk: int):
    member = _member(request, pk)
    return _act(
        request,
        member,
        "stint",
        _form("stint", StintForm, request.POST),
        lambda d: services.start_stint(actor=request.user, member=member, **d),
        _("已登记%(name)s外出。") % {"name": member.name},
    )


def _stint(request, pk) -> MobileStint:
    stint = (
        MobileStint.objects.administered_by(request.user)
        .select_related("member", "member__org")
        .filter(pk=pk)
        .first()
    )
    if stint is None:
        raise Http404
    return stint


@admin_required
@require_POST
@once.guarded
def stint_return(request, pk: int):
    stint = _stint(request, pk)
    return _act(
        request,
        stint.member,
        "return",
        _form("return", ReturnForm, request.POST),
        lambda d: services.end_stint(actor=request.user, stint=stint, **d),
        _("已登记%(name)s返回。") % {"name": stint.member.name},
    )


@admin_required
@require_POST
@once.guarded
def stint_contact(request, pk: int):
    stint = _stint(request, pk)
    return _act(
        request,
        stint.member,
        "contact",
        _form("contact", ContactForm, request.POST),
        lambda d: services.record_contact(actor=request.user, stint=stint, **d),
        _("已登记与%(name)s的联系。") % {"name": stint.member.name},
    )


@admin_required
@require_POST
@once.guarded
def stint_purpose(request, pk: int):
    stint = _stint(request, pk)
    return _act(
        request,
        stint.member,
        "purpose",
        _form("purpose", PurposeForm, request.POST),
        lambda d: services.set_abroad_purpose(actor=request.user, stint=stint, **d),
        _("已登记%(name)s的出国（境）事由。") % {"name": stint.member.name},
    )


@admin_required
@require_POST
@once.guarded
def stint_decision(request, pk: int):
    stint = _stint(request, pk)
    return _act(
        request,
        stint.member,
        "decision",
        _form("decision", StintDecisionForm, request.POST),
        lambda d: services.record_stint_decision(actor=request.user, stint=stint, **d),
        _("已登记对%(name)s的处理决定。") % {"name": stint.member.name},
    )


@admin_required
@require_POST
@once.guarded
def lost_record(request, pk: int):
    member = _member(request, pk)
    return _act(
        request,
        member,
        "lost",
        _form("lost", LostForm, request.POST),
        lambda d: services.record_lost_contact(actor=request.user, member=member, **d),
        _("已登记%(name)s失联。") % {"name": member.name},
    )


@admin_required
@require_POST
@once.guarded
def lost_regained(request, pk: int):
    lost = (
        LostContact.objects.administered_by(request.user)
        .select_related("member", "member__org")
        .filter(pk=pk)
        .first()
    )
    if lost is None:
        raise Http404
    return _act(
        request,
        lost.member,
        "regained",
        _form("regained", RegainedForm, request.POST),
        lambda d: services.record_regained(actor=request.user, lost=lost, **d),
        _("已登记%(name)s恢复联系。") % {"name": lost.member.name},
    )


@admin_required
@require_POST
@once.guarded
def transfer_start(request, pk: int):
    member = _member(request, pk)
    form = _form("transfer", TransferForm, request.POST, orgs=_receiving(member))
    return _act(
        request,
        member,
        "transfer",
        form,
        lambda d: services.start_transfer(actor=request.user, member=member, **d),
        _("已发起%(name)s的组织关系转接，待接收组织办理。") % {"name": member.name},
    )


@admin_required
@require_POST
@once.guarded
def transfer_out(request, pk: int):
    member = _member(request, pk)
    return _act(
        request,
        member,
        "out",
        _form("out", TransferOutForm, request.POST),
        lambda d: services.transfer_out(actor=request.user, member=member, **d),
        _("已办理%(name)s的组织关系转出。") % {"name": member.name},
    )


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def status_change(request, pk: int):
    """The status-change form, with no status chosen; a 失联 suggestion links here with
    ?status=…&suggestion=… and only then are the status, dates and 决定机关 preset (a person submits it)."""
    member = _member(request, pk)
    allowed = TRANSITIONS[member.status] - {MemberStatus.TRANSFERRED_OUT}
    suggestion = request.GET.get("suggestion", "")
    suggestion = suggestion if suggestion in Suggestion.values else ""
    if request.method == "POST":
        form = StatusForm(request.POST, allowed=allowed)
        if form.is_valid():
            d = form.cleaned_data
            try:
                with once.guard(request) as claim:  # a second POST of the same form records nothing
                    services.change_status(actor=request.user, member=member, **d)
                    claim.created(reverse("movements:member", args=[member.pk]))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已将%(name)s的党籍状态变更为“%(status)s”。")
                    % {"name": member.name, "status": MemberStatus(d["status"]).label},
                )
                return redirect("movements:member", pk=member.pk)
    else:
        initial = {}
        if suggestion:
            # opened from a 失联 suggestion: its status (and 出党方式), today and the branch's 党员大会 preset
            today = dt.date.today()
            initial = {
                "effective_on": today,
                "decided_on": today,
                "decision_body": f"{member.org.name}党员大会",
            }
            for key in ("status", "outcome"):
                if request.GET.get(key):
                    initial[key] = request.GET[key]
        form = StatusForm(initial=initial, allowed=allowed)
    return render(
        request,
        "movements/status_form.html",
        {
            "nav": "movements",
            "member": member,
            "form": form,
            "final": not allowed,
            "suggestion": suggestion,
        },
        status=400 if form.errors else 200,
    )


def _transfer(request, pk):
    transfer = selectors.visible_transfer(request.user, pk)
    if transfer is None:
        raise Http404
    return transfer


def _transfer_page(request, transfer, accept_form=None, return_form=None, withdraw_form=None, status=200):
    today = dt.date.today()
    scope = scope_for(request.user)
    sender = transfer.from_org_id is not None and scope.covers(transfer.from_org)
    can_decide = bool(transfer.is_pending and transfer.to_org_id and scope.covers(transfer.to_org))
    # the sender may withdraw (撤回) a transfer inside the system while it waits
    can_withdraw = bool(sender and transfer.is_pending and transfer.to_org_id is not None)
    hidden = ([] if can_decide else [accept_form, return_form]) + ([] if can_withdraw else [withdraw_form])
    return render(
        request,
        "movements/transfer.html",
        {
            "nav": "movements",
            "transfer": transfer,
            "can_decide": can_decide,
            "sender": sender,
            "can_withdraw": can_withdraw,
            "refused": next((r for f in hidden if (r := _refused(f)) is not None), None),
            "accept_form": accept_form or AcceptForm(initial={"accepted_on": today}),
            "return_form": return_form or ReturnTransferForm(initial={"returned_on": today}),
            "withdraw_form": withdraw_form or WithdrawTransferForm(initial={"withdrawn_on": today}),
        },
        status=status,
    )


@never_cache
@admin_required
@require_GET
def transfer_detail(request, pk: int):
    return _transfer_page(request, _transfer(request, pk))


@admin_required
@require_POST
@once.guarded
def transfer_accept(request, pk: int):
    transfer = _transfer(request, pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            with once.guard(request) as claim:  # a second POST of the same form records nothing
                services.accept_transfer(actor=request.user, transfer=transfer, **form.cleaned_data)
                claim.created(reverse("movements:transfer", args=[transfer.pk]))
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已接收%(name)s的组织关系。") % {"name": transfer.member.name})
            return redirect("movements:transfer", pk=transfer.pk)
    return _transfer_page(request, transfer, accept_form=form, status=400)


@admin_required
@require_POST
@once.guarded
def transfer_return(request, pk: int):
    """退回 by the receiving side; with action=withdraw, 撤回 by the sending side (the same page's other form)."""
    transfer = _transfer(request, pk)
    if request.POST.get("action") == "withdraw":
        return _transfer_withdraw(request, transfer)
    form = ReturnTransferForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            with once.guard(request) as claim:  # a second POST of the same form records nothing
                services.return_transfer(
                    actor=request.user,
                    transfer=transfer,
                    returned_on=d["returned_on"],
                    reason=d["return_reason"],
                )
                claim.created(reverse("movements:transfer", args=[transfer.pk]))
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已退回%(name)s的组织关系转接。") % {"name": transfer.member.name})
            return redirect("movements:transfer", pk=transfer.pk)
    return _transfer_page(request, transfer, return_form=form, status=400)


def _transfer_withdraw(request, transfer):
    form = WithdrawTransferForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            with once.guard(request) as claim:  # a second POST of the same form records nothing
                services.withdraw_transfer(
                    actor=request.user,
                    transfer=transfer,
                    withdrawn_on=d["withdrawn_on"],
                    reason=d["withdraw_reason"],
                )
                claim.created(reverse("movements:transfer", args=[transfer.pk]))
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已撤回%(name)s的组织关系转接。") % {"name": transfer.member.name})
            return redirect("movements:transfer", pk=transfer.pk)
    return _transfer_page(request, transfer, withdraw_form=form, status=400)


@never_cache
@sensitive_post_parameters("id_number", "phone")
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def transfer_in(request):
    orgs = member_org_options(request.user)
    if request.method == "POST":
        form = TransferInForm(request.POST, orgs=orgs)
        if form.is_valid():
            d = form.cleaned_data
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    transfer = services.transfer_in(
                        actor=request.user,
                        data=form.member_data(),
                        letter_no=d["letter_no"],
                        origin=d["origin"],
                        transferred_on=d["transferred_on"],
                    )
                    claim.created(reverse("movements:member", args=[transfer.member_id]))
            except OutOfScope:
                form.add_error("org", _("所选组织不在您的管理范围内。"))
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request, _("已办理%(name)s的组织关系转入。") % {"name": transfer.member.name}
                )
                return redirect("movements:member", pk=transfer.member_id)
    else:
        form = TransferInForm(initial={"transferred_on": dt.date.today()}, orgs=orgs)
    form.mark_invalid()
    return render(
        request,
        "movements/transfer_in.html",
        {"nav": "movements", "tab": "transfer_in", "form": form, "ethnicities": ETHNICITIES},
        status=400 if form.errors else 200,
    )
