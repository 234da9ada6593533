"""培训学习 pages: trainings in scope with the new-training form, a training with its participants and
printable roster, study hours per member (alphabetical, 达标/未达标 against the rulebook's parameter, never a
ranking), the 党委 roll-up per branch, and the secretary's own page (我的任期与培训). Views parse input,
call one service and render; reads start from the user's scope (outside it: 404)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import edits, once
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.formfields import as_id
from dangjian.dues.forms import parse_year
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.orgs.selectors import wide_scope
from dangjian.training import selectors
from dangjian.training.forms import TrainingForm
from dangjian.training.models import Participant, StudyRecord, Training
from dangjian.training.params import StudyParamsError, load_params
from dangjian.training.services import (
    add_participants,
    create_training,
    delete_training,
    has_ended,
    remove_participant,
    training_snapshot,
    update_training,
)

LIST_LIMIT = 200
ROLLUP_TYPES = (OrgType.GONGWEI, OrgType.DANGWEI, OrgType.ZONGZHI)  # the organisations with a roll-up


def _as_of(value: str | None, year: int) -> dt.date:
    today = dt.date.today()
    try:
        day = dt.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return max(min(day, dt.date(year, 12, 31)), dt.date(year, 1, 1))


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def index(request):
    year = parse_year(request.GET.get("year"), dt.date.today().year)
    if request.method == "POST":
        form = TrainingForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    training = create_training(actor=request.user, data=form.cleaned_data)
                    claim.created(reverse("training:detail", args=[training.pk]))
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("培训已登记，请添加参训人员。"))
                return redirect("training:detail", training.pk)
    else:
        org = request.GET.get("org", "")  # from the 工作台's item of an organisation: chosen already
        form = TrainingForm(
            user=request.user, initial={"org": org} if org.isascii() and org.isdigit() else {}
        )
    trainings = list(
        Training.objects.visible_to(request.user)
        .filter(started_on__year=year)
        .select_related("org")
        .order_by("-started_on", "-id")[:LIST_LIMIT]
    )
    context = {"nav": "training", "tab": "index", "form": form, "trainings": trainings, "year": year}
    return render(request, "training/index.html", context, status=400 if form.errors else 200)


def _visible_training(request, pk: int) -> Training:
    training = Training.objects.visible_to(request.user).select_related("org").filter(pk=pk).first()
    if training is None:
        raise Http404
    return training


def _participants(request, training: Training):
    qs = Participant.objects.filter(training=training).select_related("member", "member__org")
    scope = scope_for(request.user)
    if not scope.covers(training.org):  # seen through a participant: only the participants in scope
        qs = qs.filter(member__in=Member.objects.visible_to(request.user))
    return list(qs.order_by("member__name_pinyin", "member__name", "member_id"))


@admin_required
@require_GET
def detail(request, pk: int):
    training = _visible_training(request, pk)
    participants = _participants(request, training)
    can_edit = scope_for(request.user).covers(training.org)
    branches = list(Org.objects.visible_to(request.user).filter(type=OrgType.ZHIBU).active().order_by("path"))
    wanted = as_id(request.GET.get("branch"))
    branch = next((b for b in branches if b.pk == wanted), None)
    candidates = []
    ended = has_ended(training)
    if branch is not None and can_edit:
        # once the training is over, a participant recorded 未完成 is offered again, to be recorded 已完成
        taken = {p.member_id for p in participants if p.completed or not ended}
        candidates = [
            m
            for m in Member.objects.visible_to(request.user)
            .on_roll(training.started_on)
            .filter(org__path__startswith=branch.path)
            .order_by("name_pinyin", "name", "id")
            if m.pk not in taken
        ]
    context = {
        "nav": "training",
        "training": training,
        "participants": participants,
        "can_edit": can_edit,
        "branches": branches,
        "branch": branch,
        "candidates": candidates,
        "unfinished": {p.member_id for p in participants if not p.completed},
        "ended": ended,
        "pick_all": request.GET.get("pick") == "all",  # 全选 without script: the list again, every box ticked
    }
    return render(request, "training/detail.html", context)


@admin_required
@require_POST
def add(request, pk: int):
    training = _visible_training(request, pk)
    ids = [i for i in (as_id(v) for v in request.POST.getlist("member")) if i is not None]
    members = list(Member.objects.visible_to(request.user).select_related("org").filter(pk__in=ids))
    if len(members) != len(set(ids)):
        raise Http404
    certificates = {m.pk: request.POST.get(f"cert_{m.pk}", "") for m in members}
    try:
        added, updated = add_participants(
            actor=request.user,
            training=training,
            members=members,
            completed=request.POST.get("completed") == "on",
            certificates=certificates,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if updated:
            message = _("已登记 %(n)d 名参训人员（新增 %(added)d 名，更新 %(updated)d 名）。") % {
                "n": added + updated,
                "added": added,
                "updated": updated,
            }
        else:
            message = _("已添加 %(added)d 名参训人员。") % {"added": added}
        messages.success(request, message)
    url = reverse("training:detail", args=[training.pk])
    branch = as_id(request.POST.get("branch"))
    return redirect(f"{url}?branch={branch}" if branch else url)


@admin_required
@require_POST
def remove(request, pk: int, participant_pk: int):
    training = _visible_training(request, pk)
    participant = get_object_or_404(
        Participant.objects.select_related("member", "training__org"), pk=participant_pk, training=training
    )
    try:
        remove_participant(actor=request.user, participant=participant)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已移除参训人员。"))
    return redirect("training:detail", training.pk)


def _editable_training(request, pk: int) -> Training:
    """A training the user may change: recorded by an organisation in their scope (one seen only through a
    participant is not theirs to change: 404)."""
    training = _visible_training(request, pk)
    if not scope_for(request.user).covers(training.org):
        raise Http404
    return training


EDIT_FIELDS = ("title", "organiser", "level", "started_on", "ended_on", "hours", "note")


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    """Corrects a recorded training (its organisation stays): the form of the new training, filled in."""
    training = _editable_training(request, pk)
    if request.method == "POST":
        form = TrainingForm(request.POST, user=request.user, fixed_org=training.org)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != edits.FIELD}
            try:
                update_training(
                    actor=request.user,
                    training=training,
                    data=data,
                    version=form.cleaned_data.get(edits.FIELD),
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("培训信息已保存，各参训人员的学时按修改后的计算。"))
                return redirect("training:detail", training.pk)
    else:
        initial = {name: getattr(training, name) for name in EDIT_FIELDS}
        initial[edits.FIELD] = edits.version(training_snapshot(training))
        form = TrainingForm(initial=initial, user=request.user, fixed_org=training.org)
    context = {"nav": "training", "training": training, "form": form}
    return render(request, "training/edit.html", context, status=400 if form.errors else 200)


@admin_required
@require_POST
def delete(request, pk: int):
    training = _editable_training(request, pk)
    title = training.title
    try:
        delete_training(actor=request.user, training=training)
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("training:detail", training.pk)
    messages.success(request, _("已删除培训记录“%(title)s”。") % {"title": title})
    return redirect(f"{reverse('training:index')}?year={training.started_on.year}")


@admin_required
@require_GET
def roster(request, pk: int):
    training = _visible_training(request, pk)
    context = {"nav": "training", "training": training, "participants": _participants(request, training)}
    return render(request, "training/roster.html", context)


def _org_choice(request, *, types, fallback=()) -> tuple[QuerySet[Org], Org | None]:
    """The organisations of the page's picker (not evaluated: the picker reads at most ORG_PICKER_ABOVE + 1 of
    them; a 工委管理员's are the city's 3,000) and the chosen one, by default the first (one query); a 404 for an
    organisation outside them. `fallback`: the types offered instead to a user with none of `types` in scope (a
    支部管理员 on the roll-up sees their own 党支部; one more query, for them only)."""
    visible = Org.objects.visible_to(request.user).active().order_by("path")
    orgs = visible.filter(type__in=types)
    wanted = as_id(request.GET.get("org"))
    org = orgs.filter(pk=wanted).first() if wanted else orgs.first()
    if org is None and fallback and (not wanted or not orgs.exists()):
        orgs = visible.filter(type__in=fallback)
        org = orgs.filter(pk=wanted).first() if wanted else orgs.first()
    if wanted and org is None:
        raise Http404
    return orgs, org


@admin_required
@require_GET
def hours(request):
    """Study hours per member of a branch (or of every branch under an organisation), alphabetical."""
    year = parse_year(request.GET.get("year"), dt.date.today().year)
    as_of = _as_of(request.GET.get("as_of"), year)
    orgs, org = _org_choice(request, types=(OrgType.ZHIBU, OrgType.ZONGZHI, OrgType.DANGWEI, OrgType.GONGWEI))
    wide = wide_scope(request.user, org, request.GET) if org is not None else None
    rules = selectors.train_rules()
    rule = selectors.hours_rule(rules)
    lines, error = [], ""
    if org is not None and rule is not None and wide is None:
        try:
            items = selectors.evaluate(
                selectors.branches_under(org, request.user), year=year, as_of=as_of, rules=[]
            )
            lines = selectors.hours_lines(items, year, rule)
        except StudyParamsError as exc:
            error = exc.message
    context = {
        "nav": "training",
        "tab": "hours",
        "orgs": orgs,
        "org": org,
        "wide": wide,
        "year": year,
        "as_of": as_of,
        "rule": rule,
        "lines": lines,
        "met": sum(1 for line in lines if line.met),
        "year_over": as_of >= dt.date(year, 12, 31),
        "error": error,
        "platforms": load_params().platforms if not error and wide is None else {},
    }
    return render(request, "training/hours.html", context)


@admin_required
@require_GET
def rollup(request):
    """The 党委's view: per organisation under it, the TRAIN-* results and the members' hours (set-based)."""
    year = parse_year(request.GET.get("year"), dt.date.today().year)
    as_of = _as_of(request.GET.get("as_of"), year)
    orgs, org = _org_choice(request, types=ROLLUP_TYPES, fallback=(OrgType.ZHIBU,))
    # one row per organisation, not per member: a 党委's whole range fits on a page up to its own, higher limit
    wide = (
        wide_scope(request.user, org, request.GET, limit=settings.WIDE_ROLLUP_BRANCHES)
        if org is not None
        else None
    )
    if wide is not None:  # a 党支部 one level down has no roll-up of its own: its members' hours instead
        for child in wide.children:
            if child.org.type == OrgType.ZHIBU:
                child.href = reverse("training:hours") + child.href
    rules = selectors.train_rules()
    member_rule = selectors.hours_rule(rules)
    lines = []
    if org is not None and wide is None:
        qs = Org.objects.visible_subtree(request.user, org).exclude(
            type__in=(OrgType.XIAOZU, OrgType.GONGWEI, OrgType.DANGZU)
        )
        for item in selectors.evaluate(qs, year=year, as_of=as_of, rules=rules):
            hours = selectors.hours_lines([item], year, member_rule) if member_rule else []
            lines.append(
                {
                    "org": item.org,
                    "secretaries": sorted(
                        {
                            p.name
                            for p in item.facts.secretaries
                            if p.ended_on is None or p.ended_on > item.as_of
                        }
                    ),
                    "results": [(r, item.results.get(r.id)) for r in rules],
                    "members": len(hours),
                    "met": sum(1 for h in hours if h.met),
                }
            )
    context = {
        "nav": "training",
        "tab": "rollup",
        # the picker of the 党委 and 党总支, or of a 支部管理员's own 党支部
        "org_kind": "branch" if org is not None and org.type == OrgType.ZHIBU else "committee",
        "orgs": orgs,
        "org": org,
        "wide": wide,
        "year": year,
        "as_of": as_of,
        "rules": rules,
        "lines": lines,
    }
    return render(request, "training/rollup.html", context)


def _own_years(member: Member, year: int, this_year: int) -> list[int]:
    """The years of 我的培训's switch, latest first: this year, the shown one, last year (the one just over: a member
    who joined before it), and every earlier year with a training of the member or a study platform record of
    theirs (two queries)."""
    found = {this_year, year}
    if member.joined_on is None or member.joined_on.year < this_year:
        found.add(this_year - 1)
    found.update(
        d.year for d in Training.objects.filter(participants__member=member).dates("started_on", "year")
    )
    found.update(
        StudyRecord.objects.filter(member=member).order_by().values_list("year", flat=True).distinct()
    )
    return sorted((y for y in found if y <= max(this_year, year)), reverse=True)


@login_required
@require_GET
def secretary(request):
    """我的任期与培训: for each organisation where the user's member is 书记 today, its term, my training this
    year and what is missing, the branch's hours; for any member, their own training and hours."""
    if not request.user.member_id:
        raise Http404
    member = Member.objects.select_related("org").filter(pk=request.user.member_id).first()
    if member is None:
        raise Http404
    this_year = dt.date.today().year
    year = min(
        parse_year(request.GET.get("year"), this_year), this_year
    )  # a year to come has no training yet
    as_of = _as_of(request.GET.get("as_of"), year)
    views = selectors.secretary_views(member, year=year, as_of=as_of)
    own = None
    if not views:
        own = selectors.own_hours(member, year=year, as_of=as_of)
    context = {
        "nav": "training_me",
        "member": member,
        "year": year,
        "this_year": this_year,
        "years": _own_years(member, year, this_year),
        "as_of": as_of,
        "views": views,
        "own": own,
        "year_over": as_of >= dt.date(year, 12, 31),
        "user_is_admin": scope_for(request.user).is_admin,
    }
    return render(request, "training/secretary.html", context)
