"""Meeting pages (组织生活): the entry form with its roster, list, calendar, detail, edit, delete, the
attachment download and the 本月/本季度待办 panel. Views parse input, call one service and render;
reads start from the user's scope (a record outside it is a 404)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import edits, once
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.formfields import as_id
from dangjian.meetings import plans, selectors
from dangjian.meetings.attendance import last_complete_month, month_label, month_of
from dangjian.meetings.choices import MeetingType
from dangjian.meetings.forms import (
    MeetingFilterForm,
    MeetingForm,
    OrgLifeReviewForm,
    edit_initial,
    parse_month,
)
from dangjian.meetings.models import Meeting
from dangjian.meetings.services import (
    create_meeting,
    date_problems,
    delete_meeting,
    meeting_snapshot,
    record_orglife_review,
    update_meeting,
)
from dangjian.orgs.selectors import visible_org, wide_scope

TODO_ORG_LIMIT = 30  # a scope with more organisations to remind is first summarised per 单位
TODO_PAGE = 10  # organisations per page of the 待办 panel
TODO_COMPACT = 6  # entries in the panel on top of the list


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- entry form ---------------------------------------------------------------------------------


def _roster(
    form: MeetingForm,
    *,
    user,
    default_host: bool = False,
    keep: tuple[tuple[int, str] | None, ...] = (),
    editing: int | None = None,
    recorded: Meeting | None = None,
) -> selectors.RosterView:
    """Computes the roster for the form's current organisation, date and types and wires the
    dependent choices (types allowed for the organisation, host and lecturer options); names the records of the
    same organisation, day and type already kept (other than record `editing`), a possible double entry; for the
    record being edited (`recorded`), what saving would change in its attendance (`selectors.recount`). The ticks
    and choices of people this roster does not list are held on the page (`roster.held`, named to the user), and
    ticked or chosen again when a later roster lists them (`MeetingForm.hold`)."""
    org = form.current_org()
    absent, reasons = form.current_absentees()
    day = form.current_date()
    if day is None and form.is_bound and "refresh" not in form.data:
        # a form sent with its date cleared or mistyped: the roster of the date it had (the record's, else today)
        # keeps the ticked absentees, their reasons and the host, and the form asks for the date alone
        day = form.initial.get("date") or dt.date.today()
    view = selectors.roster_view(org, day, form.current_types(), absent=absent, reasons=reasons)
    if view.ready:
        view.same_day = selectors.same_day_records(org, view.date, view.types, exclude=editing)
    if recorded is not None:
        view.recount = selectors.recount(recorded, view)
    form.limit_types(org)
    people = list(view.people)
    for extra in keep:
        if extra and extra[0] not in dict(people):
            people.append(extra)
    form.set_people(people)
    if default_host and view.secretary_id and not form.is_bound and not form.initial.get("host"):
        form.initial["host"] = str(view.secretary_id)
    listed = {r.member_id for r in view.rows} if view.listed else set()
    held, host, lecturer = form.hold(listed, {pk for pk, _label in people})
    if held or host or lecturer:
        known = {
            **form.initial.get("absentee_names", {}),
            **{pk: (name, "") for pk, name in filter(None, keep)},
        }
        view.held = selectors.held_people(user, held, host, lecturer, known=known)
    return view


def _kept_people(meeting: Meeting) -> tuple[tuple[int, str] | None, ...]:
    """The edited record's host and lecturer, offered on its form whatever the roster (saved again as they are)."""
    return (
        (meeting.host_id, meeting.host.name) if meeting.host_id else None,
        (meeting.lecturer_id, meeting.lecturer.name) if meeting.lecturer_id else None,
    )


def _form_page(request, form: MeetingForm, roster, meeting: Meeting | None, plan=None):
    form.mark_invalid()
    return render(
        request,
        "meetings/form.html",
        {
            "nav": "meetings",
            "form": form,
            "roster": roster,
            "meeting": meeting,
            "plan": plan,
            "attachments": sorted(meeting.attachments.all(), key=lambda a: a.pk) if meeting else [],
            # the files ticked for deletion stay ticked when the page comes back with an error
            "removing": set(request.POST.getlist("remove_attachment")) if request.method == "POST" else set(),
        },
    )


def _saved_warnings(request, meeting: Meeting, types: list[str]) -> None:
    """What a saved record may lack or repeat, said once on its page (the record is kept either way): another
    record of the organisation on the day with one of its types, a 党课 without its 主讲人."""
    for other in selectors.same_day_records(meeting.org, meeting.date, types, exclude=meeting.pk):
        messages.warning(
            request,
            _(
                "%(org)s在%(date)s已有一条%(types)s记录“%(topic)s”，请核对是否重复录入；重复的一条可在其页面删除。"
            )
            % {
                "org": meeting.org.name,
                "date": f"{meeting.date:%Y-%m-%d}",
                "types": other.type_labels,
                "topic": other.topic,
            },
        )
    if MeetingType.LECTURE in types and not meeting.lecturer_id and not meeting.lecturer_name.strip():
        messages.warning(
            request,
            _("这条记录计入党课，但没有填写主讲人：书记、班子成员讲党课按主讲人统计，请点“编辑”补上。"),
        )


def _create_initial(request, form: MeetingForm) -> dict:
    initial: dict = {"date": dt.date.today()}
    org = plans.preselected_org(request, form.fields["org"])
    if org:
        initial["org"] = org
    wanted_types = [t for t in request.GET.getlist("type") if t in MeetingType.values]
    if wanted_types:
        initial["types"] = wanted_types
    day = request.GET.get("date")
    if day:
        try:
            initial["date"] = min(dt.date.fromisoformat(day), dt.date.today())
        except ValueError:
            pass
    return initial


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def meeting_create(request):
    orgs = selectors.recording_orgs(request.user)
    plan = plans.visible_plan(request.user, request.POST.get("plan") or request.GET.get("plan"))
    if request.method == "POST":
        form = MeetingForm(request.POST, request.FILES, orgs=orgs)
        roster = _roster(form, user=request.user)
        if "refresh" in request.POST:
            form.unvalidated()
        elif form.is_valid():
            try:
                with once.guard(request) as claim:  # a second POST of the same form creates nothing
                    meeting = create_meeting(
                        actor=request.user,
                        data=form.service_data(),
                        types=form.service_types(),
                        absentees=form.service_absentees(),
                        attachments=form.cleaned_data.get("attachments") or [],
                        plan=plan,
                    )
                    claim.created(reverse("meetings:detail", args=[meeting.pk]))
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已录入组织生活“%(topic)s”（%(date)s）。")
                    % {"topic": meeting.topic, "date": f"{meeting.date:%Y-%m-%d}"},
                )
                _saved_warnings(request, meeting, form.service_types())
                return redirect("meetings:detail", pk=meeting.pk)
    else:
        # the preselection asks the form's field (no query while it holds every organisation offered)
        form = MeetingForm(orgs=orgs)
        form.initial.update(
            plans.initial_from(plan, dt.date.today()) if plan else _create_initial(request, form)
        )
        roster = _roster(form, user=request.user, default_host=True)
    return _form_page(request, form, roster, None, plan=plan)


@admin_required
@require_GET
def roster_fragment(request):
    """htmx: the people part of the entry form (host, lecturer, the roster with the ticked absentees)
    for the organisation, date and types currently chosen; when the organisation changed, also the
    types it may record (out of band)."""
    org = selectors.recording_org(request.user, request.GET.get("org"))
    if request.GET.get("org") and org is None:
        raise Http404
    orgs = [org] if org is not None else []
    org_changed = request.GET.get("org_changed") == "1"
    data = request.GET.copy()
    if org_changed and org is not None:  # keep only the types the new organisation may record
        data.setlist("types", [t for t in data.getlist("types") if t in selectors.allowed_types(org)])
    form = MeetingForm(data, orgs=orgs).unvalidated()  # no errors on a half-filled form
    editing = as_id(request.GET.get("editing"))
    recorded = selectors.editable_meeting(request.user, editing) if editing is not None else None
    keep = _kept_people(recorded) if recorded is not None else ()
    roster = _roster(form, user=request.user, keep=keep, editing=editing, recorded=recorded)
    offered = {str(pk) for pk, _label in roster.people}
    if org_changed and roster.secretary_id and form.data.get("host") not in offered:
        form.put("host", str(roster.secretary_id))
    # the date as it is now, by the date field: a corrected date loses the message of the last save
    day, date_errors = form.typed_date()
    return render(
        request,
        "meetings/_people.html",
        {
            "form": form,
            "roster": roster,
            "oob_types": org_changed,
            "date_errors": date_errors or date_problems(org, day),
        },
    )


# --- list, calendar -----------------------------------------------------------------------------


@admin_required
@require_GET
def meeting_list(request):
    form = MeetingFilterForm(request.GET or None, orgs=selectors.filter_org_options(request.user))
    filters = form.filters()
    paginator = Paginator(selectors.meeting_list(request.user, filters), settings.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    selectors.decorate(page.object_list)
    org = filters.get("org")
    return render(
        request,
        "meetings/list.html",
        {
            "nav": "meetings",
            "form": form,
            "page": page,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "filtered": bool(filters),
            "org": org,
            "todo_query": urlencode({"compact": 1, **({"org": org.pk} if org else {})}),
        },
    )


def _month_link(first: dt.date, org) -> str:
    params = {"month": f"{first:%Y-%m}"}
    if org is not None:
        params["org"] = org.pk
    return f"{reverse('meetings:calendar')}?{urlencode(params)}"


@admin_required
@require_GET
def meeting_calendar(request):
    today = dt.date.today()
    form = MeetingFilterForm(request.GET or None, orgs=selectors.filter_org_options(request.user))
    org = form.filters().get("org")
    first = parse_month(request.GET.get("month")) or today.replace(day=1)
    weeks, total = selectors.month_calendar(request.user, first, org)
    prev_first = (first - dt.timedelta(days=1)).replace(day=1)
    next_first = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "meetings/calendar.html",
        {
            "nav": "meetings",
            "form": form,
            "org": org,
            "first": first,
            "weeks": weeks,
            "days": [d for week in weeks for d in week if d.in_month and d.total],
            "total": total,
            "today": today,
            "weekdays": selectors.WEEKDAYS,
            "prev_url": _month_link(prev_first, org),
            "next_url": _month_link(next_first, org),
            "this_url": _month_link(today.replace(day=1), org),
            "list_query": urlencode({"org": org.pk} if org else {}),
        },
    )


# --- detail, edit, delete -----------------------------------------------------------------------


@never_cache
@admin_required
@require_GET
def meeting_detail(request, pk: int):
    meeting = selectors.visible_meeting(request.user, pk)
    scope = scope_for(request.user)
    return render(
        request,
        "meetings/detail.html",
        {
            "nav": "meetings",
            "meeting": meeting,
            "can_edit": scope.covers(meeting.org),
            **selectors.meeting_detail(meeting, scope),
        },
    )


def _editable_meeting(request, pk: int) -> Meeting:
    meeting = selectors.visible_meeting(request.user, pk)
    if not scope_for(request.user).covers(meeting.org):
        raise Http404
    return meeting


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk: int):
    meeting = _editable_meeting(request, pk)
    # read by the initial values, the recount, the record's version and the page's list of files
    prefetch_related_objects([meeting], "kinds", "attachments")
    orgs = selectors.recording_orgs(request.user, include=meeting.org)
    keep = _kept_people(meeting)
    if request.method == "POST":
        form = MeetingForm(request.POST, request.FILES, orgs=orgs)
        roster = _roster(form, user=request.user, keep=keep, editing=meeting.pk, recorded=meeting)
        if "refresh" in request.POST:
            form.unvalidated()
        elif form.is_valid():
            try:
                saved = update_meeting(
                    actor=request.user,
                    meeting=meeting,
                    data=form.service_data(),
                    types=form.service_types(),
                    absentees=form.service_absentees(),
                    attachments=form.cleaned_data.get("attachments") or [],
                    remove_attachments=[
                        i for i in map(as_id, request.POST.getlist("remove_attachment")) if i is not None
                    ],
                    version=form.cleaned_data.get("version"),
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已保存组织生活记录。"))
                _saved_warnings(request, saved, form.service_types())
                return redirect("meetings:detail", pk=meeting.pk)
    else:
        initial = {**edit_initial(meeting), edits.FIELD: edits.version(meeting_snapshot(meeting))}
        form = MeetingForm(initial=initial, orgs=orgs)
        roster = _roster(form, user=request.user, keep=keep, editing=meeting.pk, recorded=meeting)
    return _form_page(request, form, roster, meeting)


@admin_required
@require_POST
def meeting_delete(request, pk: int):
    meeting = _editable_meeting(request, pk)
    topic = meeting.topic
    try:
        delete_meeting(actor=request.user, meeting=meeting)
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("meetings:detail", pk=meeting.pk)
    messages.success(request, _("已删除组织生活记录“%(topic)s”。") % {"topic": topic})
    return redirect("meetings:list")


@admin_required
@require_GET
def attachment_download(request, pk: int):
    attachment = selectors.visible_attachment(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- 待办 ---------------------------------------------------------------------------------------


@admin_required
@require_GET
def todo_panel(request):
    """What each visible organisation still has to hold in the current period. The full page groups
    the items by organisation (paginated); a large scope is first summarised per 单位 with a
    drill-down. `?compact=1` (htmx, on top of the list) shows only the soonest items."""
    today = dt.date.today()
    compact = request.GET.get("compact") == "1"
    org = visible_org(request.user, request.GET.get("org"))
    unit = request.GET.get("unit")
    context = {
        "nav": "meetings",
        "today": today,
        "org": org,
        "unit": unit,
        "compact": compact,
    }
    soonest = selectors.todo_soonest(request.user, today, org=org, limit=TODO_COMPACT) if compact else None
    if soonest is not None:  # the kept 待办 of today, counted and cut in SQL
        context["n_orgs"], context["n_items"], context["soonest"] = soonest
        return render(request, "meetings/_todo.html", context)
    if (
        not compact and unit is None
    ):  # a large scope is summarised per 单位, counted in SQL from the kept 待办
        summary = selectors.todo_unit_summary(request.user, today, org=org)
        if summary is not None and summary[0] > TODO_ORG_LIMIT:
            context["n_orgs"], context["n_items"], context["units"] = summary
            template = "meetings/_todo.html" if _is_htmx(request) else "meetings/todo.html"
            return render(request, template, context)
    groups = selectors.todo_groups(request.user, today, org=org, unit=unit)
    context["n_orgs"] = len(groups)
    context["n_items"] = sum(len(g.entries) for g in groups)
    if compact:
        entries = sorted(
            ((g, e) for g in groups for e in g.entries), key=lambda ge: (ge[1].item.due_by, ge[0].org.path)
        )
        context["soonest"] = entries[:TODO_COMPACT]
    elif unit is None and len(groups) > TODO_ORG_LIMIT:
        context["units"] = selectors.todo_units(groups)
    else:
        paginator = Paginator(groups, TODO_PAGE)
        context["page"] = paginator.get_page(request.GET.get("page"))
    template = "meetings/_todo.html" if _is_htmx(request) or compact else "meetings/todo.html"
    return render(request, template, context)


# --- 连续未参加组织生活 (MEM-ORGLIFE-ABSENT-6M) -------------------------------------------------------


@never_cache
@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def absence_cases(request):
    """Members of the user's branches who took no part in organizational life for months without a recorded
    reason, as MEM-ORGLIFE-ABSENT-6M finds them, each case with the form recording the branch's review (POST).
    Nothing here changes a member's status."""
    today = dt.date.today()
    data = request.POST if request.method == "POST" else request.GET
    org = None
    if data.get("org"):
        org = visible_org(request.user, data.get("org"))
        if org is None:
            raise Http404
    review_form, review_member = None, None
    if request.method == "POST":
        review_form = OrgLifeReviewForm(request.POST)
        review_member = selectors.orglife_member(request.user, request.POST.get("member"))
        if review_member is None:
            raise Http404
        if review_form.is_valid():
            try:
                with once.guard(request) as claim:  # a second POST of the same form records nothing
                    record_orglife_review(
                        actor=request.user,
                        member=review_member,
                        reviewed_on=review_form.cleaned_data["reviewed_on"],
                        through_month=review_form.cleaned_data["through_month"],
                        decision=review_form.cleaned_data["decision"],
                        reason=review_form.cleaned_data["reason"],
                    )
                    claim.created(reverse("meetings:absences"))
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                apply_service_error(review_form, exc)
            else:
                messages.success(
                    request, _("已登记对%(name)s的组织生活缺席审查。") % {"name": review_member.name}
                )
                query = urlencode({"org": org.pk} if org else {})
                return redirect(f"{reverse('meetings:absences')}{'?' + query if query else ''}")
    wide = wide_scope(request.user, org, request.GET)
    if wide and review_form is not None and review_form.errors:
        # a review posted from a page whose range is too wide to list (a stale page, or a hand-made request): the
        # reviewed member's own branch is listed, so that the form comes back with its errors and what was typed
        org = review_member.org
        wide = wide_scope(request.user, org, request.GET)
    items = [] if wide else selectors.absence_items(request.user, today, org)
    for item in items:
        if item.level != selectors.CASE:
            continue
        if review_form is not None and review_member and review_member.pk == item.run.member.id:
            item.form = review_form
        else:
            item.form = OrgLifeReviewForm(
                initial={
                    "member": item.run.member.id,
                    "reviewed_on": today,
                    "through_month": month_label(item.run.last),
                },
                auto_id=f"id_r{item.run.member.id}_%s",
            )
    rule = selectors.orglife_rule()
    return render(
        request,
        "meetings/absences.html",
        {
            "nav": "meetings",
            "wide": wide,
            "items": items,
            "org": org,
            "orgs": selectors.filter_org_options(request.user),
            "today": today,
            "through": month_of(last_complete_month(today)),
            "months": rule.typed_params.absent_months if rule else None,
            "n_case": sum(1 for i in items if i.level == selectors.CASE),
            "n_warning": sum(1 for i in items if i.level == selectors.WARNING),
        },
        status=400 if review_form is not None and review_form.errors else 200,
    )
