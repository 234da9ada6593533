"""换届选举 pages: the index (terms due, overdue and beyond a year in the user's scope; recent elections), the
election entry form (the numbers are checked by the service on submit and the checks shown), the election's
detail with its results, the approval of the result and of a 党员代表大会, the deletion of a record not yet
approved, and the postponement or advance of a 换届. The approvals are offered only to an admin of an organisation above the one approved
(`orgs.services.higher_in_scope`, the services' test); others read who records them. Views parse input, call one
service and render; reads start from the user's scope (outside it: 404)."""

from __future__ import annotations

import datetime as dt

from django import forms as djforms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import once
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.elections import selectors, services
from dangjian.elections.forms import (
    AdjustmentForm,
    ApprovalForm,
    CandidateRowForm,
    CongressApprovalForm,
    ElectionEntryForm,
    SetupForm,
)
from dangjian.elections.models import Election
from dangjian.elections.params import election_params
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.orgs.selectors import list_picker_orgs, visible_org, wide_scope
from dangjian.orgs.services import higher_in_scope

CANDIDATE_ROWS = 8


def _electing_orgs(user):
    """The organisations the user may record an election of, in tree order; not evaluated (the form's picker reads
    at most `settings.ORG_PICKER_ABOVE` + 1 of them)."""
    return Org.objects.visible_to(user).filter(type__in=selectors.ELECTING_TYPES).order_by("path")


def _parse_date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@never_cache
@admin_required
def index(request):
    as_of = _parse_date(request.GET.get("as_of")) or dt.date.today()
    params = election_params()
    orgs = Org.objects.visible_to(request.user)
    org = visible_org(request.user, request.GET["org"]) if request.GET.get("org") else None
    if request.GET.get("org") and org is None:
        raise Http404
    # over a range too wide to list (the whole city at the 工委) the terms are not read: a narrower organisation is
    # asked for
    wide = wide_scope(request.user, org, request.GET)
    rows = (
        []
        if wide
        else selectors.term_rows(orgs.filter(path__startswith=org.path) if org else orgs, as_of, params)
    )
    scope = scope_for(request.user)
    context = {
        # the postponement is the higher organisation's to record: offered only above the organisation
        "adjustable": {r.org.pk for r in rows if higher_in_scope(request.user, r.org, scope)},
        "nav": "elections",
        "as_of": as_of,
        "org": org,
        "orgs": list_picker_orgs(request.user),
        "wide": wide,
        "params": params,
        "attention": [r for r in rows if r.status != "ok"],
        "ok_count": sum(1 for r in rows if r.status == "ok"),
        "elections": selectors.recent_elections(request.user, within=org),
    }
    return render(request, "elections/index.html", context)


def _candidate_formset(roster, data=None, org=None):
    cls = djforms.formset_factory(CandidateRowForm, extra=0 if data is not None else CANDIDATE_ROWS)
    return cls(data, prefix="c", form_kwargs={"roster": roster, "org": org})


def _inputs(form, formset, members):
    d = form.cleaned_data
    exclusions = [
        {"member": members[int(pk)], "reason": d["exclusion_reason"], "approval": d["exclusion_approval"]}
        for pk in d["exclude"]
    ]
    candidates = [
        {
            "member": members[int(f.cleaned_data["member"])],
            "title": f.cleaned_data.get("title") or "weiyuan",
            "votes": f.cleaned_data.get("votes"),
            "prevotes": f.cleaned_data.get("prevotes"),
        }
        for f in formset
        if f.cleaned_data.get("member")
    ]
    return {
        "present": d["present"],
        "seats": d["seats"],
        "ballots_issued": d["ballots_issued"],
        "ballots_returned": d["ballots_returned"],
        "has_preselection": d["has_preselection"],
        "expected": d["expected"],
        "expected_reason": d["expected_reason"],
        "candidates": candidates,
        "exclusions": exclusions,
    }


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def create(request):
    """Step 1 (GET without org): the organisation and date. Step 2: the numbers, with the roster of the 正式党员 on
    that date; POST records the election through the service, or shows why it is refused with every check."""
    orgs = _electing_orgs(request.user)
    data = request.POST if request.method == "POST" else request.GET
    if data.get("org") and not data.get("held_on"):
        data = data.copy()
        data["held_on"] = dt.date.today().isoformat()
    setup = SetupForm(data if data.get("org") else None, orgs=orgs)
    context = {"nav": "elections", "setup": setup}
    if not data.get("org") or not setup.is_valid():
        if data.get("org") and "org" in setup.errors:
            raise Http404
        return render(request, "elections/new.html", context)
    org = setup.chosen_org()
    held_on = setup.cleaned_data["held_on"]
    roster = selectors.voters(org, held_on)
    members = {m.pk: m for m in Member.objects.filter(pk__in=[e.member_id for e in roster])}
    higher = higher_in_scope(
        request.user, org
    )  # the 党员代表大会's approval is the higher organisation's record
    context.update(org=org, held_on=held_on, roster=roster, params=election_params(), higher=higher)
    if request.method == "GET":
        context.update(
            form=ElectionEntryForm(roster=roster, higher=higher), formset=_candidate_formset(roster, org=org)
        )
        return render(request, "elections/new.html", context)
    form = ElectionEntryForm(request.POST, roster=roster, higher=higher)
    formset = _candidate_formset(roster, request.POST, org=org)
    context.update(form=form, formset=formset)
    if not (form.is_valid() and formset.is_valid()):
        return render(request, "elections/new.html", context, status=400)
    inputs = _inputs(form, formset, members)
    try:
        with once.guard(request) as claim:  # a second POST of the same form creates nothing
            election = services.record_election(
                actor=request.user,
                org=org,
                held_on=held_on,
                form=form.cleaned_data["form"],
                form_approval_ref=form.cleaned_data.get("form_approval_ref", ""),
                form_approved_on=form.cleaned_data.get("form_approved_on"),
                note=form.cleaned_data["note"],
                **inputs,
            )
            claim.created(reverse("elections:detail", args=[election.pk]))
    except ServiceError as exc:
        apply_service_error(form, exc)
        if isinstance(exc, services.RepeatRefused):  # the refusal links the record already there
            context["repeat_of"] = exc.election
        try:
            context["tally"] = services.prepare_election(
                org=org, held_on=held_on, form=form.cleaned_data["form"], **inputs
            ).tally
        except ServiceError:
            pass
        return render(request, "elections/new.html", context, status=400)
    messages.success(request, _("选举已登记。"))
    return redirect("elections:detail", pk=election.pk)


def _detail(request, election, approval_form=None, congress_form=None, status=200, correcting=False):
    """The election's page; `correcting`: `congress_form` is a refused correction of the recorded approval to hold
    the 党员代表大会 (shown open with what was entered)."""
    org = election.org
    org.refresh_from_db()
    if congress_form is None and election.form_approved_on is not None:
        # the correction form starts from what is recorded
        congress_form = CongressApprovalForm(
            initial={"approval_ref": election.form_approval_ref, "approved_on": election.form_approved_on}
        )
    context = {
        # approvals are the higher organisation's to record: their forms only for an admin above the organisation
        "higher": higher_in_scope(request.user, org),
        "congress_form": congress_form or CongressApprovalForm(),
        "correcting": correcting,
        "delegates": services.counts_delegates(election),
        "nav": "elections",
        "election": election,
        "org": org,
        "tally": services.election_tally(election),
        "candidates": list(election.candidates.select_related("member").order_by("-elected", "-votes", "pk")),
        "exclusions": list(election.exclusions.select_related("member")),
        "approval_form": approval_form or ApprovalForm(),
    }
    return render(request, "elections/detail.html", context, status=status)


@never_cache
@admin_required
def detail(request, pk: int):
    election = get_object_or_404(Election.objects.visible_to(request.user).select_related("org"), pk=pk)
    return _detail(request, election)


def _record_approval(request, pk: int, form_class, record, success: str, form_key: str, **shown):
    """An approval posted from the election's page: recorded once (the form's token), back to the page; refused,
    the page with the form's errors (`shown`: more of how the page shows it)."""
    election = get_object_or_404(Election.objects.visible_to(request.user).select_related("org"), pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            with once.guard(request) as claim:  # a second POST of the same form records nothing
                record(actor=request.user, election=election, **form.cleaned_data)
                claim.created(reverse("elections:detail", args=[election.pk]))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("elections:detail", pk=election.pk)
    return _detail(request, election, status=400, **{form_key: form}, **shown)


@admin_required
@require_POST
@once.guarded
def approve(request, pk: int):
    return _record_approval(
        request,
        pk,
        ApprovalForm,
        services.approve_result,
        _("已登记选举结果的批准，新一届任期开始。"),
        "approval_form",
    )


@admin_required
@require_POST
@once.guarded
def congress_approval(request, pk: int):
    """Records the approval to hold the 党员代表大会; with `action=correct`, corrects its recorded 文号 or date (by the
    same higher organisation, while the result is not approved)."""
    if request.POST.get("action") == "correct":
        return _record_approval(
            request,
            pk,
            CongressApprovalForm,
            services.correct_congress_approval,
            _("已更正召开党员代表大会的批准文号和日期。"),
            "congress_form",
            correcting=True,
        )
    return _record_approval(
        request,
        pk,
        CongressApprovalForm,
        services.record_congress_approval,
        _("已登记召开党员代表大会的批准。"),
        "congress_form",
    )


@admin_required
@require_POST
def delete(request, pk: int):
    """Deletes an election recorded by mistake or twice (not yet approved), from its page's button."""
    election = get_object_or_404(Election.objects.visible_to(request.user).select_related("org"), pk=pk)
    try:
        services.delete_election(actor=request.user, election=election)
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("elections:detail", pk=election.pk)
    messages.success(request, _("已删除该选举记录。"))
    return redirect("elections:index")


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def adjust(request, org_pk: int):
    org = get_object_or_404(
        Org.objects.visible_to(request.user).filter(type__in=selectors.ELECTING_TYPES), pk=org_pk
    )
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with once.guard(request) as claim:  # a second POST of the same form records nothing
                services.record_term_adjustment(actor=request.user, org=org, **form.cleaned_data)
                claim.created(reverse("elections:index"))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已登记延期或提前换届的批准。"))
            return redirect(reverse("elections:index"))
    context = {
        "nav": "elections",
        "org": org,
        "form": form,
        "params": election_params(),
        "higher": higher_in_scope(request.user, org),  # else the page says who records it, and has no form
    }
    return render(request, "elections/adjust.html", context, status=400 if request.method == "POST" else 200)
