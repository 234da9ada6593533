"""Pages of 民主评议党员: the list of the scope's branches for a year, opening an evaluation, an evaluation's page
(steps, participants and their self-assessments, the turnout, the results once the 测评 is closed), the paper
tallies, the 组织评定, and the member's 测评票 (a page for a phone). Views parse input, call one service and
render; an evaluation outside the user's scope is a 404, and so is a ballot page for someone who has none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error, ballot_post
from dangjian.core import once
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.i18n import enumeration
from dangjian.dues.forms import parse_year
from dangjian.evaluations import selectors, services
from dangjian.evaluations.choices import RATING_ORDER, STEP_ORDER, Rating, Step
from dangjian.evaluations.departures import departures, grading, has_left
from dangjian.evaluations.forms import (
    FollowUpForm,
    GradesForm,
    GroupingForm,
    OpenBranchForm,
    OpenForBranchesForm,
    SelfAssessmentForm,
    TalliesForm,
    VoteForm,
    own_self_form,
)
from dangjian.evaluations.models import Evaluation, Participant
from dangjian.evaluations.params import excellent_cap, load_params, publicity_ends, voters_of
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.orgs.selectors import list_picker_orgs, visible_org, wide_scope

RATINGS = [(r, Rating(r).label) for r in RATING_ORDER]


def _visible_org(request, pk) -> Org:
    """An organisation of the user's scope (?org= of the list, ?within= of the chooser); else a 404."""
    org = visible_org(request.user, pk)
    if org is None:
        raise Http404
    return org


def _evaluation(request, pk) -> Evaluation:
    return get_object_or_404(Evaluation.objects.visible_to(request.user).select_related("org"), pk=pk)


def _detail(ev: Evaluation):
    return redirect("evaluations:detail", ev.pk)


@admin_required
def index(request):
    """The branches of the user's scope with their evaluation of the year (or a button to open one)."""
    year = parse_year(request.GET.get("year"), dt.date.today().year)
    orgs = Org.objects.visible_to(request.user)
    org = _visible_org(request, request.GET["org"]) if request.GET.get("org") else None
    # over a range too wide to list (the whole city at the 工委) the evaluations are not read: a narrower
    # organisation is asked for
    wide = wide_scope(request.user, org, request.GET)
    rows = [] if wide else selectors.status(orgs.filter(path__startswith=org.path) if org else orgs, year)
    context = {
        "nav": "evaluations",
        "year": year,
        "org": org,
        "orgs": list_picker_orgs(request.user),
        "wide": wide,
        "rows": rows,
        "may_open_for_branches": bool(selectors.parents(request.user)),
    }
    return render(request, "evaluations/index.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def open_new(request):
    wanted = request.POST.get("org") or request.GET.get("org")
    org = selectors.branch(request.user, wanted) if wanted else None
    if wanted and org is None:
        raise Http404
    if org is None:
        only = selectors.branches(request.user, limit=2)
        org = only[0] if len(only) == 1 else None
    if org is None:
        return _choose_branch(request)
    today = dt.date.today()
    groups = selectors.has_groups(org)
    form = OpenBranchForm(
        request.POST or None, initial={"year": today.year, "opened_on": today}, groups=groups
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                with once.guard(request) as claim:  # a second POST of the same form opens nothing
                    ev = services.open_evaluation(
                        actor=request.user,
                        org=org,
                        year=data["year"],
                        opened_on=data["opened_on"],
                        organ=data["organ"],
                        by_group=bool(data.get("by_group")),
                    )
                    claim.created(reverse("evaluations:detail", args=[ev.pk]))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已开展民主评议党员，参评党员按开始日期的党员名册确定。"))
                return _detail(ev)
        status = 400
    return render(
        request, "evaluations/open.html", {"nav": "evaluations", "org": org, "form": form}, status=status
    )


def _choose_branch(request):
    """The page choosing the 党支部 to open an evaluation for: those of the user's scope or, with ?within=, of that
    organisation's subtree (one of the user's: a 404 otherwise). Over more 党支部 than
    `settings.WIDE_LIST_BRANCHES` (the whole city at the 工委) they are not read: the organisations one level down
    narrow the range first (?within=), a 党支部 among them is chosen at once (?org=)."""
    within = _visible_org(request, request.GET["within"]) if request.GET.get("within") else None
    wide = wide_scope(request.user, within)
    context: dict[str, Any] = {"nav": "evaluations", "within": within, "wide": wide}
    if wide is None:
        context["branches"] = selectors.branches(request.user, within)
    else:
        choices = []  # (the organisation, whether it is chosen at once, its link)
        for c in wide.children:
            branch = c.org.type == OrgType.ZHIBU
            choices.append((c, branch, f"?org={c.org.pk}" if branch else f"?within={c.org.pk}"))
        context["choices"] = choices
    return render(request, "evaluations/choose_branch.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def open_for_branches(request):
    """A 党委 or 党总支 opens the year's 民主评议 for all its 党支部 that have none (`services.open_for_branches`).
    Only for the 党委 and 党总支 the user administers: anyone else gets a 404."""
    parents = selectors.parents(request.user)
    if not parents:
        raise Http404
    today = dt.date.today()
    initial = {"year": today.year, "opened_on": today, "org": request.GET.get("org")}
    form = OpenForBranchesForm(request.POST or None, initial=initial, parents=parents)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            org = next(o for o in parents if o.pk == data["org"])
            try:
                with once.guard(request) as claim:
                    done = services.open_for_branches(
                        actor=request.user,
                        org=org,
                        year=data["year"],
                        opened_on=data["opened_on"],
                        organ=data["organ"],
                    )
                    target = f"{reverse('evaluations:index')}?year={data['year']}"
                    claim.created(target)
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "已为%(opened)s个党支部开展%(year)s年度民主评议党员；"
                        "%(existing)s个此前已开展，%(empty)s个没有在册党员，未开展。"
                    )
                    % {
                        "opened": len(done.opened),
                        "year": data["year"],
                        "existing": len(done.existing),
                        "empty": len(done.empty),
                    },
                )
                return redirect(target)
        status = 400
    return render(
        request,
        "evaluations/open.html",
        {"nav": "evaluations", "form": form, "for_branches": True},
        status=status,
    )


@admin_required
def detail(request, pk):
    ev = _evaluation(request, pk)
    params = load_params()
    people = selectors.participants(ev)
    # those who left the branch since the opening: marked, and nothing more is asked of them
    left = departures(ev, people)
    voted = set(ev.participations.values_list("voter_id", flat=True))
    voters = {p.pk for p in voters_of(people, params)}
    results = selectors.results(ev, people, params)
    tallies = results.tallies()
    graded, kept = grading(people, left, params)
    index = STEP_ORDER.index(ev.step)
    ends = publicity_ends(ev.published_on, params) if ev.published_on else None
    today = dt.date.today()
    # before the 测评 and before the 公示 the page names who has no 个人自评 (the 公示 then needs the "仍然公示" box)
    no_self = (
        services.without_self_assessment([p for p in people if p.pk not in left])
        if ev.step in (Step.SELF, Step.GRADING)
        else []
    )
    context = {
        "nav": "evaluations",
        "no_self": enumeration(p.member.name for p in no_self),
        "no_self_count": len(no_self),
        # closing the 测评 ends the voting for good: the page says how many ballots are still out
        "not_voted": len(voters - voted - set(left)) if ev.step == Step.VOTING else 0,
        "ev": ev,
        "people": people,
        "rows": [(p, tallies.get(p.pk), left.get(p.pk)) for p in people],
        "n_left": len(left),
        "has_groups": any(p.group_id for p in people),
        "voted": voted,
        "voters": voters,
        "n_voters": len(voters),
        "results": results,
        "ratings": RATINGS,
        "steps": [(s, Step(s).label, i < index, i == index) for i, s in enumerate(STEP_ORDER)],
        "next_step": Step(STEP_ORDER[index + 1]).label if index + 1 < len(STEP_ORDER) else None,
        "self_form": SelfAssessmentForm(),
        "followup_form": FollowUpForm(),
        "n_graded": len(graded) + len(kept),
        "n_kept": len(kept),
        "cap": excellent_cap(len(graded) + len(kept), params.excellent_share.fraction),
        "params": params,
        "publicity_ends": ends,  # the first day the 公示 may end
        # why the next step is not offered yet (the service refuses it): no ballot at all, or the 公示 not over
        "advance_wait": (
            "ballots"
            if ev.step == Step.VOTING and not voted and not ev.paper_ballots
            else "publicity"
            if ev.step == Step.PUBLICITY and ends is not None and today < ends
            else ""
        ),
    }
    return render(request, "evaluations/detail.html", context)


@admin_required
@require_POST
def grouping(request, pk):
    """按党小组测评 or not, until the 测评 begins (`services.set_by_group`)."""
    ev = _evaluation(request, pk)
    form = GroupingForm(request.POST)
    form.is_valid()  # a checkbox: always valid

    def write():
        done = services.set_by_group(
            actor=request.user, evaluation=ev, by_group=form.cleaned_data["by_group"]
        )
        return _("民主测评将按党小组进行。") if done.by_group else _("民主测评将在全支部进行。")

    _say(request, write)
    return _detail(ev)


def _say(request, write) -> None:
    """Calls `write()` (a service; it returns the success message) and says how it went: out of scope is a 404,
    a refusal the service's message."""
    try:
        done = write()
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


@admin_required
@require_POST
def advance(request, pk):
    ev = _evaluation(request, pk)
    try:
        services.advance_step(
            actor=request.user,
            evaluation=ev,
            expected=request.POST.get("step") or None,
            confirm_gaps=request.POST.get("confirm_gaps") == "1",
        )
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已进入下一步骤。"))
    return _detail(ev)


def _participant(request, pk) -> Participant:
    found = Participant.objects.filter(evaluation__in=Evaluation.objects.visible_to(request.user))
    return get_object_or_404(found.select_related("evaluation", "member"), pk=pk)


def _on_participant(request, pk, form_class, write, invalid: str):
    """A small POST about one participant from the evaluation's page: parse, call `write(participant, data)`
    (a service; it returns the success message), say how it went, back to the page."""
    participant = _participant(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, invalid)
        return _detail(participant.evaluation)
    _say(request, lambda: write(participant, form.cleaned_data))
    return _detail(participant.evaluation)


@admin_required
@require_POST
def self_assessment(request, pk):
    def write(participant, data):
        services.record_self_assessment(
            actor=request.user, participant=participant, text=data["text"], paper=data["paper"]
        )
        return _("已登记%(name)s的个人自评。") % {"name": participant.member.name}

    return _on_participant(request, pk, SelfAssessmentForm, write, _("自评内容不超过2000字。"))


@admin_required
@require_POST
def followup(request, pk):
    def write(participant, data):
        services.record_followup(
            actor=request.user,
            participant=participant,
            outcome=data["outcome"],
            decided_on=data["decided_on"],
        )
        return _("已登记限期改正结果。")

    return _on_participant(request, pk, FollowUpForm, write, _("请选择限期改正结果并填写决定日期。"))


@admin_required
@require_http_methods(["GET", "POST"])
def tallies(request, pk):
    ev = _evaluation(request, pk)
    people = selectors.participants(ev)
    form = TalliesForm(request.POST or None, people=people, initial={"paper_ballots": ev.paper_ballots})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_paper_tallies(
                    actor=request.user,
                    evaluation=ev,
                    paper_ballots=form.cleaned_data["paper_ballots"],
                    counts=form.counts(),
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已登记纸质测评票。"))
                return _detail(ev)
        status = 400
    # those who left the branch are marked; their paper counts are entered as anyone's (the ballots rated them)
    left = departures(ev, people)
    rows = [(p, [form[f"c-{p.pk}-{r}"] for r in RATING_ORDER], left.get(p.pk)) for p in people]
    return render(
        request,
        "evaluations/tallies.html",
        {"nav": "evaluations", "ev": ev, "form": form, "rows": rows, "ratings": RATINGS},
        status=status,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def grades(request, pk):
    """The 组织评定 with the 测评 tallies beside each name (when there are enough ballots to show them). Those who
    left the branch since the opening are listed apart, with the grade they were given before, if any: not graded."""
    ev = _evaluation(request, pk)
    params = load_params()
    people = selectors.participants(ev)
    left = departures(ev, people)
    graded, kept = grading(people, left, params)
    form = GradesForm(request.POST or None, graded=graded)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_grades(
                    actor=request.user, evaluation=ev, grades=form.grades(), followup_due=form.due_dates()
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已保存组织评定结果。"))
                return _detail(ev)
        status = 400
    results = selectors.results(ev, people, params)
    tallies = results.tallies()
    rows = [(p, form[f"g-{p.pk}"], form[f"d-{p.pk}"], tallies.get(p.pk)) for p in graded]
    ungraded = [p for p in people if p not in graded and p.pk not in left]
    context = {
        "nav": "evaluations",
        "ev": ev,
        "form": form,
        "rows": rows,
        "ungraded": [(p, tallies.get(p.pk)) for p in ungraded],
        "departed": [(p, tallies.get(p.pk), left[p.pk]) for p in people if p.pk in left],
        "results": results,
        "ratings": RATINGS,
        # the 优秀 cap is a share of the grades given now and those kept (services.record_grades)
        "n_counted": len(graded) + len(kept),
        "n_kept": len(kept),
        "cap": excellent_cap(len(graded) + len(kept), params.excellent_share.fraction),
        "share": params.excellent_share,
        "months": params.rectify_months.value,
        "months_max": params.rectify_months_max.value,
    }
    return render(request, "evaluations/grades.html", context, status=status)


@login_required
def mine(request):
    """The member's own evaluations: a ballot to cast, and the grades once published (never a tally)."""
    member_id = scope_for(request.user).member_id
    if not member_id:
        raise Http404
    return _mine_page(request, member_id)


def _mine_page(request, member_id: int, refused=None):
    """The member's evaluations page; `refused` a bound 个人自评 form the view refused, shown with its text
    and errors in place of its participant's form (status 400)."""
    rows = selectors.own_evaluations(member_id)
    forms = {r.participant.pk: own_self_form(r.participant) for r in rows if r.may_write_self}
    refused_pk = int(refused.prefix[1:]) if refused is not None else None
    if refused_pk in forms:
        widget = refused.fields["text"].widget  # the form's own copy
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        forms[refused_pk] = refused
    context = {"nav": "evaluations_mine", "rows": [(r, forms.get(r.participant.pk)) for r in rows]}
    return render(request, "evaluations/mine.html", context, status=200 if refused is None else 400)


SELF_BACK = {"home": "dashboard", "mine": "evaluations:mine"}


@login_required
@require_POST
def own_self_assessment(request, pk):
    """The member writes their own 个人自评 of evaluation `pk` (`services.write_own_self_assessment`), from their
    evaluations page or their home page (`back`). Anyone who is not a participant of it gets a 404."""
    member_id = scope_for(request.user).member_id
    if not member_id:
        raise Http404
    participant = get_object_or_404(
        Participant.objects.select_related("evaluation"), evaluation_id=pk, member_id=member_id
    )
    back = redirect(SELF_BACK.get(request.POST.get("back", ""), "evaluations:mine"))
    form = own_self_form(participant, request.POST)
    if form.is_valid():
        try:
            services.write_own_self_assessment(
                actor=request.user, participant=participant, text=form.cleaned_data["text"]
            )
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            form.add_error("text", exc.message)
        else:
            messages.success(request, _("已保存您的个人自评。"))
            return back
    # refused: the page again with the text as posted and the error beside it (from the home page too)
    messages.error(request, " ".join(str(e) for e in form.errors.get("text", [])))
    return _mine_page(request, member_id, refused=form)


@login_required
@require_http_methods(["GET", "POST"])
def vote(request, pk):
    """The member's own 测评票: every other participant with four choices. Only the member's own ballot, during
    the 测评; anyone without a ballot in this evaluation gets a 404."""
    member_id = scope_for(request.user).member_id
    if not member_id:
        raise Http404
    ev = get_object_or_404(
        Evaluation.objects.filter(participants__member_id=member_id).select_related("org"), pk=pk
    )
    people = selectors.participants(ev)
    me = next(p for p in people if p.member_id == member_id)
    if me not in voters_of(people, load_params()):
        raise Http404
    others = services.rated_by(me, people, ev)
    done = selectors.has_voted(ev, member_id)
    # one who left the branch since the opening votes no more (the service refuses it): the page says so
    left = ev.step != Step.DONE and has_left(me.member, ev.org.path, dt.date.today())
    # bound on any POST: the ballot of a voter alone in a 党小组 has no field
    form = VoteForm(request.POST if request.method == "POST" else None, others=others)
    response, status = ballot_post(
        request,
        form,
        voted=done,
        cast=lambda ratings: services.cast_vote(actor=request.user, evaluation=ev, ratings=ratings),
        thanks=_("投票成功，感谢您参加民主测评。"),
        repeat=_("您已参加本次民主测评，不能重复投票。"),
        back=reverse("evaluations:vote", args=[ev.pk]),
    )
    if response is not None:
        return response
    rows = [(p, form[f"r-{p.pk}"]) for p in others]
    context = {
        "nav": "evaluations_mine",
        "ev": ev,
        "form": form,
        "rows": rows,
        # those left without a choice on a refused ballot: listed at the top of the form, linking to their rows
        "missing": [p for p, field in rows if field.errors],
        "done": done,
        "left": left,
        "open": ev.step == Step.VOTING,
        "group": me.group if ev.by_group else None,
    }
    return render(request, "evaluations/vote.html", context, status=status)
