"""Pages of 谈心谈话, 新老结对 and 青年理论学习小组: the index (three sections for the user's scope and a year),
the entry forms, and a group's page with its activities. Views parse input, call one service and render;
reads start from the user's scope (an organisation or record outside it is a 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import edits, once
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.dues.forms import parse_year
from dangjian.meetings.roster import members_in_subtree
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.orgs.selectors import visible_org, wide_scope
from dangjian.talks import selectors, services
from dangjian.talks.categories import empty_counts
from dangjian.talks.choices import CATEGORY_ORDER, TalkCategory
from dangjian.talks.forms import (
    ActivityForm,
    GroupForm,
    GroupMembersForm,
    PairEndForm,
    PairForm,
    TalkEntryForm,
)
from dangjian.talks.models import Pair, Talk, YouthActivity, YouthGroup

CATEGORY_LABELS = [(c, TalkCategory(c).label) for c in CATEGORY_ORDER]


def _visible_org(request, pk, *, branch: bool = False) -> Org:
    """An organisation of the user's scope (with `branch`: a 党支部); else a 404."""
    org = visible_org(request.user, pk)
    if org is None or (branch and org.type != OrgType.ZHIBU):
        raise Http404
    return org


def _index_url(org: Org | None = None, year: int | None = None) -> str:
    query = {}
    if org is not None:
        query["org"] = org.pk
    if year is not None:
        query["year"] = year
    return reverse("talks:index") + (f"?{urlencode(query)}" if query else "")


def _people(org: Org, on: dt.date) -> list[tuple[int, str]]:
    return [(e.member_id, e.name) for e in members_in_subtree(org, on)]


def _members(ids) -> dict[int, Member]:
    return Member.objects.in_bulk(list(ids))


def _group_people(request, org: Org):
    """Members on the roll today of `org`'s subtree as the user may see it (the group pickers)."""
    return Member.objects.on_roll(dt.date.today()).filter(
        org__in=Org.objects.visible_subtree(request.user, org)
    )


@admin_required
def index(request):
    """The three sections for the user's scope (or one organisation's subtree) and year Y."""
    today = dt.date.today()
    year = parse_year(request.GET.get("year"), today.year)
    scope_orgs = Org.objects.visible_to(request.user).filter(dissolved_on__isnull=True)
    org = _visible_org(request, request.GET["org"]) if request.GET.get("org") else None
    orgs = (
        Org.objects.visible_subtree(request.user, org).filter(dissolved_on__isnull=True)
        if org
        else scope_orgs
    )
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    # Over a range too wide to list (the whole city at the 工委) the per-branch counts, the 新老结对 and the 学习小组
    # are not read: a narrower organisation is asked for; the latest talks (at most 100) are still shown.
    wide = wide_scope(request.user, org, request.GET)
    branch_rows: list = []
    totals = empty_counts()
    pairs: list = []
    groups: list = []
    if wide is None:
        summary = selectors.summary(orgs, year)
        branch_rows = [r for r in summary if r.org.type == OrgType.ZHIBU]
        for r in branch_rows:
            for key, n in r.by_category.items():
                totals[key] += n
    talks = selectors.talk_rows(
        Talk.objects.filter(org__in=orgs, date__gte=start, date__lte=end).order_by("-date", "-id")[:100]
    )
    if wide is None:
        pairs = list(
            Pair.objects.filter(org__in=orgs)
            .overlapping(start, end)
            .select_related("org", "mentor", "mentee")
            .order_by("org__path", "-started_on", "-id")
        )
        groups = selectors.youth_groups(YouthGroup.objects.filter(org__in=orgs), year)
        seen = set(
            Member.objects.visible_to(request.user)
            .filter(pk__in=[g.leader_id for g in groups])
            .values_list("pk", flat=True)
        )
        for g in groups:  # a leader outside the user's scope is not named
            g.leader_visible = g.leader_id in seen
    context = {
        "nav": "talks",
        "year": year,
        "org": org,
        "wide": wide,
        "org_options": scope_orgs.exclude(type=OrgType.XIAOZU).order_by("path"),
        "branch_rows": branch_rows,
        "totals": totals,
        "n_talks": sum(r.talks for r in branch_rows),
        "talks": talks,
        "pairs": pairs,
        "groups": groups,
        "categories": CATEGORY_LABELS,
        "today": today,
        "branches": selectors.has_branches(request.user),  # the buttons to record a talk or a pair
    }
    return render(request, "talks/index.html", context)


def _branch_from(request):
    """The branch asked for (?org= or POST org); default: the user's only branch, else a chooser."""
    wanted = request.POST.get("org") or request.GET.get("org")
    if wanted:
        return _visible_org(request, wanted, branch=True)
    branches = selectors.branches(request.user, limit=2)
    return branches[0] if len(branches) == 1 else None


def _choose(request, title, options, *, target=None, pick_within=False):
    """The page choosing the organisation to record for: `options(within)`, those of the user's scope or, with
    ?within=, of that organisation's subtree (one of the user's: a 404 otherwise). Over more 党支部 than
    `settings.WIDE_LIST_BRANCHES` (the whole city at the 工委) they are not read: the organisations one level down
    narrow the range first (?within=), but a 党支部 among them is chosen at once (?org=); with `pick_within` the
    organisation narrowed to is offered too, when it may be chosen (a 党委's own 学习小组)."""
    within = _visible_org(request, request.GET["within"]) if request.GET.get("within") else None
    wide = wide_scope(request.user, within)
    context = {"nav": "talks", "title": title, "target": target, "within": within, "wide": wide}
    if wide is None:
        context["branches"] = options(within)
    else:
        choices = []  # (the organisation, whether it is chosen at once, its link)
        for c in wide.children:
            branch = c.org.type == OrgType.ZHIBU
            choices.append((c, branch, f"?org={c.org.pk}" if branch else f"?within={c.org.pk}"))
        context["choices"] = choices
        if pick_within and within is not None and within.dissolved_on is None:
            context["here"] = within if within.type not in selectors.GROUPLESS_TYPES else None
    return render(request, "talks/choose_branch.html", context)


def _choose_branch(request, title):
    return _choose(request, title, lambda within: selectors.branches(request.user, within))


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def talk_new(request):
    org = _branch_from(request)
    if org is None:
        return _choose_branch(request, _("登记谈心谈话"))
    people = _people(org, dt.date.today())
    form = TalkEntryForm(request.POST or None, people=people)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    services.record_talk(
                        actor=request.user,
                        org=org,
                        date=form.cleaned_data["date"],
                        participants=form.cleaned_data["participants"],
                        form=form.cleaned_data["form"],
                    )
                    claim.created(_index_url(org, form.cleaned_data["date"].year))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已登记谈心谈话。"))
                return redirect(_index_url(org, form.cleaned_data["date"].year))
        status = 400
    return render(request, "talks/talk_form.html", {"nav": "talks", "org": org, "form": form}, status=status)


@admin_required
@require_POST
def talk_delete(request, pk):
    talk = get_object_or_404(Talk.objects.visible_to(request.user).select_related("org"), pk=pk)
    try:
        services.delete_talk(actor=request.user, talk=talk)
    except OutOfScope:
        raise Http404 from None
    messages.success(request, _("已删除该谈心谈话记录。"))
    return redirect(_index_url(talk.org, talk.date.year))


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def pair_new(request):
    org = _branch_from(request)
    if org is None:
        return _choose_branch(request, _("登记新老结对"))
    people = _people(org, dt.date.today())
    form = PairForm(request.POST or None, people=people, org=org)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            found = _members([data["mentor"], data["mentee"]])
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    services.create_pair(
                        actor=request.user,
                        org=org,
                        mentor=found.get(data["mentor"]),
                        mentee=found.get(data["mentee"]),
                        started_on=data["started_on"],
                        ended_on=data["ended_on"],
                        goal=data["goal"],
                    )
                    claim.created(_index_url(org, data["started_on"].year))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已登记新老结对。"))
                return redirect(_index_url(org, data["started_on"].year))
        status = 400
    return render(request, "talks/pair_form.html", {"nav": "talks", "org": org, "form": form}, status=status)


@admin_required
@require_POST
def pair_end(request, pk):
    pair = get_object_or_404(Pair.objects.visible_to(request.user).select_related("org"), pk=pk)
    form = PairEndForm(request.POST)
    if form.is_valid():
        try:
            services.end_pair(actor=request.user, pair=pair, ended_on=form.cleaned_data["ended_on"])
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已记录结对结束日期。"))
    else:
        messages.error(request, _("请填写有效的结束日期。"))
    return redirect(_index_url(pair.org))


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def group_new(request):
    wanted = request.POST.get("org") or request.GET.get("org")
    org = selectors.group_org(request.user, wanted) if wanted else None
    if wanted and org is None:
        raise Http404
    if org is None:
        return _choose(
            request,
            _("成立青年理论学习小组"),
            lambda within: selectors.group_orgs(request.user, within),
            target="group",
            pick_within=True,
        )
    people = [(m.pk, m.name) for m in _group_people(request, org).order_by("name_pinyin", "name", "id")]
    form = GroupForm(request.POST or None, people=people, org=org)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            found = _members([data["leader"], *data["members"]])
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    group = services.create_youth_group(
                        actor=request.user,
                        org=org,
                        name=data["name"],
                        leader=found.get(data["leader"]),
                        members=data["members"],
                        founded_on=data["founded_on"],
                    )
                    claim.created(reverse("talks:group", args=[group.pk]))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已成立青年理论学习小组。"))
                return redirect("talks:group", group.pk)
        status = 400
    return render(request, "talks/group_form.html", {"nav": "talks", "org": org, "form": form}, status=status)


def _group_members(request, group: YouthGroup) -> tuple[list[Member], int]:
    """The group's members the user may see (named), and how many others it has (counted): a grant without
    descendants over the group's organisation does not reveal its branches' members."""
    visible = Member.objects.visible_to(request.user)
    members = list(visible.filter(youth_groups=group).order_by("name_pinyin", "name", "id"))
    return members, group.members.count() - len(members)


def _group_page(
    request,
    group: YouthGroup,
    members: list[Member],
    hidden: int,
    form: ActivityForm,
    members_form: GroupMembersForm | None = None,
    status: int = 200,
):
    """The group's page: its members, this year's activities, the activity form `form`, and the members' form
    (`members_form`, bound after a refused save; else the group's members now, with its version)."""
    year = parse_year(request.GET.get("year"), dt.date.today().year)
    activities = selectors.activity_rows(
        YouthActivity.objects.filter(group=group, date__year=year),
        members=Member.objects.visible_to(request.user),
    )
    if members_form is None:
        members_form = GroupMembersForm(
            initial={
                "leader": group.leader_id,
                "members": [m.pk for m in members],
                edits.FIELD: edits.version(services.group_members_snapshot(group)),
            },
            people=[
                (m.pk, m.name)
                for m in _group_people(request, group.org).order_by("name_pinyin", "name", "id")
            ],
            org=group.org,
        )
    context = {
        "nav": "talks",
        "group": group,
        "members": members,
        "hidden": hidden,
        "leader_visible": any(m.pk == group.leader_id for m in members),
        "year": year,
        "activities": activities,
        "form": form,
        "members_form": members_form,
    }
    return render(request, "talks/group.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def group_detail(request, pk):
    """A group: members, leader, this year's activities; records an activity (POST)."""
    group = get_object_or_404(
        YouthGroup.objects.visible_to(request.user).select_related("org", "leader"), pk=pk
    )
    members, hidden = _group_members(request, group)
    form = ActivityForm(request.POST or None, people=[(m.pk, m.name) for m in members])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    services.record_youth_activity(
                        actor=request.user,
                        group=group,
                        date=data["date"],
                        topic=data["topic"],
                        participants=data["participants"],
                    )
                    claim.created(reverse("talks:group", args=[group.pk]))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已登记学习小组活动。"))
                return redirect(f"{reverse('talks:group', args=[group.pk])}?year={data['date'].year}")
        status = 400
    return _group_page(request, group, members, hidden, form, status=status)


@admin_required
@require_POST
def group_members(request, pk):
    """Saves the group's leader and members from its page. Members changed since the page was opened
    (core.edits.Stale) come back on the page with what was chosen kept; other refusals are told on the page."""
    group = get_object_or_404(YouthGroup.objects.visible_to(request.user).select_related("org"), pk=pk)
    pickable = _group_people(request, group.org)
    people = [(m.pk, m.name) for m in pickable]
    form = GroupMembersForm(request.POST, people=people, org=group.org)
    if form.is_valid():
        found = _members([form.cleaned_data["leader"]])
        # Members the user cannot see were not offered: they stay in the group.
        kept = (
            Member.objects.on_roll(dt.date.today())
            .filter(youth_groups=group, org__path__startswith=group.org.path)
            .exclude(pk__in=pickable.values("pk"))
            .values_list("pk", flat=True)
        )
        try:
            services.update_youth_group_members(
                actor=request.user,
                group=group,
                leader=found.get(form.cleaned_data["leader"]),
                members=[*form.cleaned_data["members"], *kept],
                version=form.cleaned_data.get(edits.FIELD),
            )
        except OutOfScope:
            raise Http404 from None
        except edits.Stale as exc:
            apply_service_error(form, exc)
            group = YouthGroup.objects.select_related("org", "leader").get(pk=group.pk)  # as it is now
            members, hidden = _group_members(request, group)
            activity_form = ActivityForm(people=[(m.pk, m.name) for m in members])
            return _group_page(request, group, members, hidden, activity_form, form, status=400)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已更新小组成员。"))
    else:
        messages.error(request, _("请选择组长和小组成员。"))
    return redirect("talks:group", group.pk)
