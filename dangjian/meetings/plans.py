"""Planned meetings (计划活动): a branch may plan a meeting ahead — date, types, topic, place. Planning is
optional (no rule asks for a plan); members see the next plans of their branch on their page and in their
calendar, and recording the meeting starts from the plan (`meetings:create?plan=<pk>` prefills the form and
links the plan to the record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.core import once
from dangjian.core.errors import ServiceError
from dangjian.meetings.choices import MeetingType
from dangjian.meetings.models import PlannedMeeting
from dangjian.meetings.selectors import recording_orgs
from dangjian.meetings.services import plan_meeting
from dangjian.members.forms import DateInput, OrgChoiceField
from dangjian.orgs.forms import BootstrapMixin
from dangjian.orgs.models import Org

RECENT_DAYS = 30  # the plans page keeps a plan whose day has passed this long, until it is recorded

# --- reads ------------------------------------------------------------------------------------------------


def upcoming(orgs, on: dt.date, limit: int | None = None) -> list[PlannedMeeting]:
    """The plans not yet recorded of `orgs` (a queryset of organisations), from `on` on, soonest first (one
    query)."""
    qs = (
        PlannedMeeting.objects.filter(
            org__in=orgs.order_by().values("pk"), date__gte=on, meeting__isnull=True
        )
        .select_related("org")
        .order_by("date", "id")
    )
    return list(qs[:limit] if limit else qs)


def visible_plan(user, pk: Any) -> PlannedMeeting | None:
    """A plan not yet recorded of an organisation the user administers; None otherwise."""
    try:
        found = int(pk)
    except (TypeError, ValueError):
        return None
    orgs = Org.objects.visible_to(user).order_by().values("pk")
    return (
        PlannedMeeting.objects.filter(pk=found, org__in=orgs, meeting__isnull=True)
        .select_related("org")
        .first()
    )


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


class PlanForm(BootstrapMixin, forms.Form):
    org = OrgChoiceField(label=_l("组织"))
    date = forms.DateField(label=_l("计划日期"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    types = forms.MultipleChoiceField(
        label=_l("活动类型"), choices=MeetingType.choices, widget=forms.CheckboxSelectMultiple
    )
    topic = forms.CharField(label=_l("主题"), max_length=200)
    place = forms.CharField(label=_l("地点"), max_length=200, required=False)

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].set_orgs(orgs, kind="active")
        self._style()
        self.fields["date"].widget.attrs["min"] = dt.date.today().isoformat()


@admin_required
@require_http_methods(["GET", "POST"])
@once.guarded
def plans(request):
    """The plans of the organisations the user administers, soonest first, each with a button to record it;
    and the form to plan one more."""
    orgs = recording_orgs(request.user)
    form = PlanForm(request.POST or None, orgs=orgs, initial={"date": dt.date.today()})
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
    listed = upcoming(Org.objects.filter(pk__in=[o.pk for o in orgs]), since)
    return render(
        request, "meetings/plans.html", {"nav": "meetings", "form": form, "plans": listed, "today": today}
    )
