"""发展党员 pages: a branch's cases by stage with what is due next and by when; the 党委's roll-up; a new case
(the application); a case's steps and the form to record the next one (only the steps the workflow allows now
are offered; a refusal comes back as a form error naming the rule). Reads start from the user's scope (a case
or branch outside it is a 404); views parse input, call one service and render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
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
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.formfields import as_id
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.orgs.selectors import visible_org, wide_scope
from dangjian.orgs.widgets import OrgSearchSelect
from dangjian.pipeline import selectors
from dangjian.pipeline.admission import admission_records
from dangjian.pipeline.approvers import approver_problem
from dangjian.pipeline.forms import ApplicantForm, ApproverForm, CaseForm, StepForm, UndoStepForm
from dangjian.pipeline.progress import (
    available,
    next_steps,
    order_refusal,
    primary,
    state_of,
    step_label,
)
from dangjian.pipeline.services import (
    StepData,
    admission_refusal,
    correct_applicant,
    may_record,
    open_case,
    record_step,
    set_approver,
    undo_refusal,
    undo_step,
    undoable,
)
from dangjian.pipeline.workflow import load_workflow


@admin_required
@require_GET
def branch_cases(request):
    """The cases of one 党支部 (default: the user's first), by stage, with the next step and its deadline."""
    today = dt.date.today()
    wf = load_workflow()
    found = selectors.branch_queryset(request.user)
    count = found.count()
    wanted = request.GET.get("org")
    if wanted:
        pk = as_id(wanted)
        org = found.filter(pk=pk).first() if pk is not None else None
        if org is None:
            raise Http404
    else:
        org = found.order_by("path").first()
    context = {"nav": "pipeline", "tab": "branch", "org": org, "today": today, "n_branches": count}
    if count > settings.ORG_PICKER_ABOVE:  # a search box and a short select instead of every branch
        context["picker"] = OrgSearchSelect(
            found,
            _("请选择党支部"),
            attrs={"class": "form-select form-select-sm", "id": "dj-org"},
            kind="branch",
        ).render("org", org.pk if org else "")
    else:
        context["branches"] = list(found.order_by("path"))
    if org is not None:
        rows = selectors.case_rows(selectors.cases_for(request.user, org), today, wf)
        # the closed cases (转正, 终止发展, 取消预备党员资格): this year's, or every year's with ?closed=1
        every_year = request.GET.get("closed") == "1"
        closed = list(selectors.closed_cases(request.user, org, today, every_year=every_year))
        context.update(
            groups=selectors.by_stage(rows, wf),
            n_cases=len(rows),
            n_overdue=sum(1 for r in rows if r.overdue),
            closed=[(case, selectors.outcome(case, wf)) for case in closed],
            every_year=every_year,
            n_closed_all=len(closed) if every_year else selectors.closed_count(request.user, org, today),
        )
    return render(request, "pipeline/branch.html", context)


@admin_required
@require_GET
def rollup(request):
    today = dt.date.today()
    wf = load_workflow()
    org = None
    if request.GET.get("org"):
        org = visible_org(request.user, request.GET.get("org"))
        if org is None:
            raise Http404
    # over a range too wide to list (the whole city at the 工委) the cases are not read: a narrower one is asked for
    wide = wide_scope(request.user, org, request.GET)
    lines, totals, overdue = ([], {}, 0) if wide else selectors.rollup(request.user, today, org)
    stages = selectors.open_stages(wf)
    return render(
        request,
        "pipeline/rollup.html",
        {
            "nav": "pipeline",
            "tab": "rollup",
            "wide": wide,
            "stages": stages,
            "lines": lines,
            "totals": [totals.get(s.key, 0) for s in stages],
            "total": sum(totals.values()),
            "overdue": overdue,
            "converted": sum(line.converted for line in lines),
            "cancelled": sum(line.cancelled for line in lines),
            "org": org,
            "orgs": Org.objects.visible_to(request.user)
            .exclude(type=OrgType.XIAOZU)
            .active()
            .order_by("path")
            .only("id", "name", "depth", "path", "type"),
            "today": today,
        },
    )


@never_cache
@sensitive_post_parameters("id_number", "phone")
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def case_create(request):
    branches = selectors.branch_queryset(request.user).order_by("path")  # the picker reads the few it offers
    if request.method == "POST":
        form = CaseForm(request.POST, branches=branches)
        if form.is_valid():
            cd = form.cleaned_data
            org = form.chosen_branch()
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    case = open_case(
                        actor=request.user,
                        org=org,
                        name=cd["name"],
                        id_number=cd["id_number"],
                        applied_on=cd["applied_on"],
                        phone=cd["phone"],
                        note=cd["note"],
                    )
                    claim.created(reverse("pipeline:detail", args=[case.pk]))
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已登记%(name)s的入党申请。") % {"name": case.name})
                return redirect("pipeline:detail", case.pk)
    else:
        form = CaseForm(initial={"applied_on": dt.date.today()}, branches=branches)
        wanted = request.GET.get("org")
        if wanted and form.fields["org"].valid_value(wanted):  # one query above the picker's threshold
            form.initial["org"] = int(wanted)
    return render(
        request,
        "pipeline/new.html",
        {"nav": "pipeline", "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


def _step_form(request, case, step, data=None):
    people = selectors.formal_members(case.org, dt.date.today()) if (step.contacts or step.sponsors) else []
    initial: dict = {"date": dt.date.today()}
    approvers = selectors.approver_options(case.org) if step.approver else []
    default = selectors.default_approver(approvers)
    if default is not None:
        initial["approver_org"] = default.pk
    return StepForm(data, step=step, people=people, approvers=approvers, initial=initial)


def _approver_warning(request, case, approver) -> None:
    """The approval is recorded as it happened; an approver without the authority is said at once (DEV-16), as
    PIPE-APPROVER-AUTHORISED will list it."""
    if approver is not None and approver_problem(case.org.path, approver.type, approver.path):
        messages.warning(
            request,
            _("“%(org)s”不是本支部的上级党委（或工委），无权审批预备党员（DEV-16），合规检查将列为未满足。")
            % {"org": approver.name},
        )


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def case_detail(request, pk: int):
    case = selectors.visible_case(request.user, pk)
    if case is None:
        raise Http404
    today = dt.date.today()
    wf = load_workflow()
    steps = list(
        case.steps.prefetch_related("contacts", "sponsors").select_related("recorded_by", "approver_org")
    )
    state = state_of(case, steps, wf)
    scope = scope_for(request.user)

    def permitted(s) -> bool:  # the service's test: no button that leads to a refusal
        return may_record(request.user, case.org, s, scope)

    offered = [s for s in available(wf, state) if permitted(s)]
    upcoming_all = next_steps(wf, state, today, optional=True)
    upcoming = [n for n in upcoming_all if permitted(n.step)]
    by_higher = [n for n in upcoming_all if not permitted(n.step)]  # said, not offered
    main = primary([n for n in upcoming if not n.step.optional])
    wanted = request.POST.get("step") if request.method == "POST" else request.GET.get("step")
    step = next((s for s in offered if s.key == wanted), None)
    if wanted and step is None:
        higher_step = next((n.step for n in by_higher if n.step.key == wanted), None)
        if higher_step is not None:
            messages.error(
                request, _("“%(step)s”由上级党委审批，并由上级党委管理员登记。") % {"step": higher_step.name}
            )
        else:
            # why (recorded already, an earlier step first, the case ended …), not only that it cannot: the page
            # is often reached again by the browser's back button after the step was recorded
            refusal = order_refusal(wf, wf.step(wanted), state, today) if wf.has(wanted) else None
            messages.error(request, refusal or _("该步骤现在不能登记。"))
        if request.method == "POST":
            return redirect("pipeline:detail", case.pk)
    if step is None and main is not None:
        step = main.step
    elif step is None and not by_higher:
        step = offered[0] if offered else None
    form = None
    status = 200
    if step is not None:
        if request.method == "POST":
            form = _step_form(request, case, step, request.POST)
            if form.is_valid():
                cd = form.cleaned_data
                chosen = {
                    m.pk: m
                    for m in selectors.people_of(
                        request.user, [*cd.get("contacts", []), *cd.get("sponsors", [])]
                    )
                }
                data = StepData(
                    note=cd.get("note") or "",
                    contacts=[chosen[p] for p in cd.get("contacts", []) if p in chosen],
                    sponsors=[chosen[p] for p in cd.get("sponsors", []) if p in chosen],
                    training_days=cd.get("training_days"),
                    training_hours=cd.get("training_hours"),
                    expected_voters=cd.get("expected_voters"),
                    present_voters=cd.get("present_voters"),
                    yes_votes=cd.get("yes_votes"),
                    extension_months=cd.get("extension_months"),
                    approver_org=next((o for o in form.approvers if o.pk == cd.get("approver_org")), None),
                )
                try:
                    with once.guard(request) as claim:  # a second POST of the same form records nothing
                        record_step(
                            actor=request.user, case=case, key=step.key, on=cd["date"], data=data, workflow=wf
                        )
                        claim.created(reverse("pipeline:detail", args=[case.pk]))
                except OutOfScope:
                    raise Http404 from None
                except ServiceError as exc:
                    # the refusal (too early, missing data; it names the rule) is shown once, in the box above
                    # the form, not a second time under the field it concerns
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("已登记“%(step)s”。") % {"step": step.name})
                    _approver_warning(request, case, data.approver_org)
                    return redirect("pipeline:detail", case.pk)
            status = 400
        else:
            form = _step_form(request, case, step)
    names = {s.key: s.name for s in wf.steps}
    with_approver = {s.key for s in wf.steps if s.approver is not None}
    # 撤销本步记录: on the last step by date and the last entered, when the service would undo it; the admission's
    # refusal says what to do instead
    undo: dict[int, dict[str, Any]] = {}
    for last in [] if case.is_closed else undoable(steps):
        refusal = undo_refusal(wf, case, steps, last, request.user, scope)
        admission = wf.has(last.key) and wf.step(last.key).effect == "create_member"
        undo_removes = None
        if refusal is None and admission and case.member_id is not None:
            # undoing it takes the 预备党员 off the roll: what stops that is said, what goes with them is shown
            records = admission_records(case.member)
            refusal = admission_refusal(request.user, case, last, wf.step(last.key).name, records)
            if refusal is None:
                undo_removes = {"name": case.member.name, "absences": records.absences}
        if refusal is None:
            undo[last.pk] = {"form": UndoStepForm(), "removes": undo_removes}
        elif admission and permitted(wf.step(last.key)):
            undo[last.pk] = {"hint": refusal}
    approver_form = None
    approved = next((s for s in steps if s.key in with_approver), None)
    if approved is not None and permitted(wf.step(approved.key)):
        options = selectors.approver_options(case.org)
        default = selectors.default_approver(options)
        chosen = approved.approver_org_id or (default.pk if default else None)
        approver_form = ApproverForm(approvers=options, initial={"approver_org": chosen})
    return render(
        request,
        "pipeline/detail.html",
        {
            "nav": "pipeline",
            "case": case,
            "stage_name": wf.stage_name(case.stage),
            "stages": wf.stages,
            "stage_index": wf.stage_index(case.stage),
            "records": [(s, names.get(s.key, s.key), undo.get(s.pk)) for s in steps],
            "with_approver": with_approver,
            "approver_form": approver_form,
            "implied": [s.name for s in wf.steps if s.key in state.implied],
            "offered": offered,
            "upcoming": upcoming,
            "by_higher": by_higher,
            "step": step,
            "form": form,
            "today": today,
            "branch_url": f"{reverse('pipeline:index')}?org={case.org_id}",
            "moves": selectors.case_moves(case),
        },
        status=status,
    )


@admin_required
@require_POST
def step_approver(request, pk: int, step: int):
    """Records (or corrects) the approving organisation of a recorded step (a step recorded or imported without
    it); back to the case page, with the refusal or the DEV-16 warning as a message."""
    case = selectors.visible_case(request.user, pk)
    row = case.steps.filter(pk=step).first() if case is not None else None
    if row is None:
        raise Http404
    form = ApproverForm(request.POST, approvers=selectors.approver_options(case.org))
    if not form.is_valid():
        messages.error(request, _("请选择审批党组织。"))
        return redirect("pipeline:detail", case.pk)
    try:
        set_approver(actor=request.user, step=row, approver_org=form.chosen())
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记审批党组织。"))
        _approver_warning(request, case, form.chosen())
    return redirect("pipeline:detail", case.pk)


@admin_required
@require_POST
def step_undo(request, pk: int, step: int):
    """Undoes the case's last recorded step (撤销误录), with the reason the form asks for; back to the case page,
    with the refusal (not the last step, the case ended, a step that cannot be undone) as a message."""
    case = selectors.visible_case(request.user, pk)
    if case is None:
        raise Http404
    row = case.steps.filter(pk=step).first()
    if row is None:  # undone already (a second click): nothing to do
        messages.info(request, _("该步骤记录已不存在，可能已被撤销。"))
        return redirect("pipeline:detail", case.pk)
    form = UndoStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect("pipeline:detail", case.pk)
    name = step_label(load_workflow(), row.key)
    member = case.member.name if case.member_id is not None else None
    try:
        undone = undo_step(actor=request.user, step=row, reason=form.cleaned_data["reason"])
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        values = {"step": name, "date": f"{row.date:%Y-%m-%d}", "name": member}
        removed = member is not None and undone.member_id is None  # the admission: its 预备党员 left the roll
        if removed:
            done = _(
                "已撤销“%(step)s”（%(date)s）的记录，%(name)s的预备党员记录已从党员名册中删除，"
                "可按正确的信息重新登记。"
            )
        else:
            done = _("已撤销“%(step)s”（%(date)s）的记录，可按正确的信息重新登记。")
        messages.success(request, done % values)
    return redirect("pipeline:detail", case.pk)


@never_cache
@sensitive_post_parameters("id_number")
@admin_required
@require_http_methods(["GET", "POST"])
def applicant(request, pk: int):
    """Corrects the applicant's 姓名 and 身份证号 typed wrong (the case not ended); the 身份证号 is shown masked and
    a blank input keeps it."""
    case = selectors.visible_case(request.user, pk)
    if case is None:
        raise Http404
    if case.is_closed:
        messages.error(request, _("该案例已结束，不能更正申请人信息。"))
        return redirect("pipeline:detail", case.pk)
    masked = case.id_number_masked
    status = 200
    if request.method == "POST":
        form = ApplicantForm(request.POST, masked=masked)
        if form.is_valid():
            try:
                changed = correct_applicant(
                    actor=request.user,
                    case=case,
                    name=form.cleaned_data["name"],
                    id_number=form.cleaned_data["id_number"],
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                if changed:
                    messages.success(request, _("已更正申请人信息。"))
                else:
                    messages.info(request, _("信息未作改动。"))
                return redirect("pipeline:detail", case.pk)
        status = 400
    else:
        form = ApplicantForm(initial={"name": case.name}, masked=masked)
    return render(
        request,
        "pipeline/applicant.html",
        {
            "nav": "pipeline",
            "case": case,
            "form": form,
            "branch_url": f"{reverse('pipeline:index')}?org={case.org_id}",
        },
        status=status,
    )
