"""Planned meetings (计划活动): a branch may plan a meeting ahead — date, types, topic, place. Planning is
optional (no rule asks for a plan); members see the next plans of their branch on their page and in their
calendar, and recording the meeting starts from the plan (`meetings:create?plan=<pk>` prefills the form and
links the plan to the record). Until it is recorded, its branch's administrators may edit it
(`meetings:plan_edit`) or cancel it (`meetings:plan_cancel`, with an optional reason): a cancelled plan leaves the
members' pages and the plans ahead, and the calendar feed marks it cancelled until its day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import once
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.meetings.choices import TYPES_FOR_ORG, MeetingType
from dangjian.meetings.models import PlannedMeeting
from dangjian.meetings.selectors import recording_orgs
from dangjian.meetings.services import cancel_plan, plan_meeting, update_plan
from dangjian.members.forms import DateInput, OrgChoiceField
from dangjian.orgs.choices import OrgType
from dangjian.orgs.forms import BootstrapMixin
from dangjian.orgs.models import Org

RECENT_DAYS = 30  # the plans page keeps a plan whose day has passed this long, until it is recorded

# --- reads ------------------------------------------------------------------------------------------------


def upcoming(
    orgs, on: dt.date, limit: int | None = None, with_cancelled: bool = False
) -> list[PlannedMeeting]:
    """The plans not yet recorded of `orgs` (a queryset of organisations), from `on` on, soonest first (one
    query): those cancelled left out, unless `with_cancelled` (the plans page and the calendar feed show them
    as cancelled)."""
    qs = PlannedMeeting.objects.filter(
        org__in=orgs.order_by().values("pk"), date__gte=on, meeting__isnull=True
    )
    if not with_cancelled:
        qs = qs.filter(cancelled_at__isnull=True)
    qs = qs.select_related("org").order_by("date", "id")
    return list(qs[:limit] if limit else qs)


def administered_plan(user, pk: Any) -> PlannedMeeting | None:
    """A plan (recorded, cancelled or neither) of an organisation the user administers; None otherwise."""
    try:
        found = int(pk)
    except (TypeError, ValueError):
        return None
    orgs = Org.objects.visible_to(user).order_by().values("pk")
    return PlannedMeeting.objects.filter(pk=found, org__in=orgs).select_related("org").first()


def visible_plan(user, pk: Any) -> PlannedMeeting | None:
    """A plan neither recorded nor cancelled of an organisation the user administers (one a meeting may be
    recorded from); None otherwise."""
    plan = administered_plan(user, pk)
    return plan if plan is not None and plan.meeting_id is None and not plan.cancelled else None


def initial_from(plan: PlannedMeeting, today: dt.date) -> dict:
    """The entry form's first values from the plan (a recorded meeting is not in the future: the plan's date,
    or today when the plan's day is still ahead)."""
    return {
        "org": str(plan.org_id),
        "date": min(plan.date, today),
        "types": list(plan.types),
        "topic": plan.topic,
        "place": plan.place,
    }


# --- the page ---------------------------------------------------------------------------------------------


class PlanDetailsForm(BootstrapMixin, forms.Form):
    """What a plan says: date, types, topic, place (editing a plan changes these; its organisation stays)."""

    date = forms.DateField(label=_l("计划日期"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    types = forms.MultipleChoiceField(
        label=_l("活动类型"), choices=MeetingType.choices, widget=forms.CheckboxSelectMultiple
    )
    topic = forms.CharField(label=_l("主题"), max_length=200)
    place = forms.CharField(label=_l("地点"), max_length=200, required=False)

    def __init__(self, *args, earliest: dt.date | None = None, org_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["date"].widget.attrs["min"] = (earliest or dt.date.today()).isoformat()
        # offer the types these organisations hold (the service refuses the others)
        held = set().union(*(TYPES_FOR_ORG.get(t, frozenset()) for t in org_types))
        choices = self.fields["types"].choices
        self.fields["types"].choices = [(value, label) for value, label in choices if value in held]


class PlanForm(PlanDetailsForm):
    org = OrgChoiceField(label=_l("组织"))
    field_order = ["org", "date", "types", "topic", "place"]

    def __init__(self, *args, orgs=(), **kwargs):
        if isinstance(orgs, QuerySet):  # the types of the organisations offered, however many (one query)
            org_types = set(orgs.order_by().values_list("type", flat=True).distinct())
        else:
            org_types = {o.type for o in orgs}
        super().__init__(*args, org_types=org_types, **kwargs)
        self.fields["org"].set_orgs(orgs, kind="active")  # keeps the styled widget's attributes


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_l("取消原因"),
        max_length=200,
        required=False,
        help_text=_l("选填，如“与上级专题会议时间冲突，改期另行通知”。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


def preselected_org(request, field: OrgChoiceField) -> str | None:
    """The organisation a new record's form starts with: the one the link names (`?org=`) if the user may
    record for it, else the only one (or the only 党支部) the user records for. `field`: the form's organisation
    field, given the organisations it offers: while they are few it holds them all (no query); above the picker's
    threshold its queryset is asked (at most three queries, each reading at most two organisations)."""
    wanted = request.GET.get("org", "")
    if field.queryset is None:
        orgs = list(field.orgs.values())
        if wanted in field.orgs:
            return wanted
        branches = [org for org in orgs if org.type == OrgType.ZHIBU]
        if len(orgs) == 1 or len(branches) == 1:
            return str((orgs[0] if len(orgs) == 1 else branches[0]).pk)
        return None
    if wanted.isascii() and wanted.isdigit() and str(int(wanted)) == wanted:
        if field.queryset.filter(pk=int(wanted)).exists():
            return wanted
    for candidates in (field.queryset, field.queryset.filter(type=OrgType.ZHIBU)):
        first_two = list(candidates.values_list("pk", flat=True)[:2])
        if len(first_two) == 1:
            return str(first_two[0])
    return None


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def plans(request):
    """The plans of the organisations the user administers, soonest first, each with a button to record it;
    and the form to plan one more."""
    orgs = recording_orgs(request.user)
    form = PlanForm(request.POST or None, orgs=orgs, initial={"date": dt.date.today()})
    if not form.is_bound:
        form.initial["org"] = preselected_org(request, form.fields["org"])
    if request.method == "POST" and form.is_valid():
        try:
            with once.guard(request) as claim:
                plan = plan_meeting(actor=request.user, **form.cleaned_data)
                claim.created(reverse("meetings:plans"))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("已计划活动“%(topic)s”（%(date)s）。")
                % {"topic": plan.topic, "date": f"{plan.date:%Y-%m-%d}"},
            )
            return redirect("meetings:plans")
    today = dt.date.today()
    # a meeting is recorded after it is held: the plans of the last weeks not yet recorded stay listed
    since = today - dt.timedelta(days=RECENT_DAYS)
    listed = upcoming(orgs, since, with_cancelled=True)
    return render(
        request,
        "meetings/plans.html",
        {
            "nav": "meetings",
            "form": form,
            "held": [p for p in listed if p.date < today and not p.cancelled],
            "ahead": [p for p in listed if p.date >= today and not p.cancelled],
            "cancelled": [p for p in listed if p.cancelled],
            "today": today,
            "recent_days": RECENT_DAYS,
        },
    )


def _open_plan(request, pk: int) -> PlannedMeeting | None:
    """The plan to edit or cancel (404 outside the user's organisations), or None — with a message saying
    why — once it is recorded or cancelled."""
    plan = administered_plan(request.user, pk)
    if plan is None:
        raise Http404
    if plan.meeting_id is not None:
        messages.error(request, _("该计划活动已录入为组织生活记录，不能再修改或取消。"))
    elif plan.cancelled:
        messages.error(request, _("该计划活动已取消。"))
    else:
        return plan
    return None


def _plan_page(request, pk: int, template: str, make_form, write, done: str):
    """The page of an edit of a plan not yet recorded: `make_form(plan)` its form, `write(plan, cleaned_data)`
    the service call (scope refused: a 404), `done` the message once written (with the plan's topic and
    date)."""
    plan = _open_plan(request, pk)
    if plan is None:
        return redirect("meetings:plans")
    form = make_form(plan)
    if request.method == "POST" and form.is_valid():
        try:
            plan = write(plan, form.cleaned_data)
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, done % {"topic": plan.topic, "date": f"{plan.date:%Y-%m-%d}"})
            return redirect("meetings:plans")
    context = {"nav": "meetings", "form": form, "plan": plan, "today": dt.date.today()}
    return render(request, template, context)


@admin_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk: int):
    """Edits a plan not yet recorded: date, types, topic, place."""

    def make_form(plan: PlannedMeeting) -> PlanDetailsForm:
        initial = {"date": plan.date, "types": list(plan.types), "topic": plan.topic, "place": plan.place}
        earliest = min(plan.date, dt.date.today())
        return PlanDetailsForm(
            request.POST or None, initial=initial, earliest=earliest, org_types=[plan.org.type]
        )

    return _plan_page(
        request,
        pk,
        "meetings/plan_edit.html",
        make_form,
        lambda plan, data: update_plan(actor=request.user, plan=plan, **data),
        _("已保存计划活动“%(topic)s”（%(date)s）。"),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def plan_cancel(request, pk: int):
    """Cancels a plan not yet recorded, with an optional reason (asked on the page first)."""
    return _plan_page(
        request,
        pk,
        "meetings/plan_cancel.html",
        lambda plan: CancelForm(request.POST or None),
        lambda plan, data: cancel_plan(actor=request.user, plan=plan, reason=data["reason"]),
        _("已取消计划活动“%(topic)s”（%(date)s），党员首页和日历中不再显示。"),
    )
