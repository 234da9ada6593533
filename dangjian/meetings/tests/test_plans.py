"""Planned meetings: a branch plans a meeting (scope-checked, audited, optional); its members see the next
plans on their page and in their calendar; recording the meeting starts from the plan, which is then linked to
the record and no longer listed as ahead."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine
from django.urls import reverse

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.meetings.models import Meeting, PlannedMeeting
from dangjian.meetings.services import plan_meeting

TODAY = dt.date(2026, 6, 15)
FROZEN = time_machine.travel(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), tick=False)


def plan(actor, org, day=dt.date(2026, 6, 25), **extra) -> PlannedMeeting:
    values = {"types": ["theme_day"], "topic": "六月主题党日", "place": "三楼会议室"} | extra
    return plan_meeting(actor=actor, org=org, date=day, on=TODAY, **values)


def test_a_branch_admin_plans_a_meeting_of_their_branch_audited(users, tree):
    found = plan(users["branch_a1"], tree.a1)
    assert (found.org, found.types, found.topic, found.meeting) == (
        tree.a1,
        ["theme_day"],
        "六月主题党日",
        None,
    )
    event = AuditEvent.objects.get(action="plan")
    assert event.actor == users["branch_a1"] and event.org_path == tree.a1.path
    assert event.after["topic"] == "六月主题党日"


def test_a_plan_outside_the_scope_or_in_the_past_or_without_type_or_topic_is_refused(users, tree):
    with pytest.raises(OutOfScope):
        plan(users["branch_a2"], tree.a1)
    with pytest.raises(ServiceError, match="计划日期不能早于今天"):
        plan(users["branch_a1"], tree.a1, day=TODAY - dt.timedelta(days=1))
    with pytest.raises(ServiceError, match="活动类型"):
        plan(users["branch_a1"], tree.a1, types=[])
    with pytest.raises(ServiceError, match="活动类型"):
        plan(users["branch_a1"], tree.a1, types=["no_such_type"])
    with pytest.raises(ServiceError, match="主题"):
        plan(users["branch_a1"], tree.a1, topic="  ")
    assert not PlannedMeeting.objects.exists()
    assert not AuditEvent.objects.filter(action="plan").exists()


@FROZEN
def test_the_plans_page_plans_one_and_lists_it_with_a_button_to_record_it(client, users, tree):
    client.force_login(users["branch_a1"])
    data = {"org": tree.a1.pk, "date": "2026-06-25", "types": ["theme_day", "lecture"], "topic": "专题党课"}
    response = client.post(reverse("meetings:plans"), data)
    assert response.status_code == 302
    found = PlannedMeeting.objects.get()
    assert found.types == ["lecture", "theme_day"] and found.place == ""  # in the canonical order
    html = client.get(reverse("meetings:plans")).content.decode()
    assert "专题党课" in html and f"{reverse('meetings:create')}?plan={found.pk}" in html


@FROZEN
def test_recording_starts_from_the_plan_and_links_it(client, users, tree, make_member):
    make_member(tree.a1, name="王一")
    planned = plan(users["branch_a1"], tree.a1, day=dt.date(2026, 6, 15))
    client.force_login(users["branch_a1"])
    form = client.get(reverse("meetings:create"), {"plan": planned.pk})
    initial = form.context["form"].initial
    assert (initial["org"], initial["date"], initial["types"], initial["topic"], initial["place"]) == (
        str(tree.a1.pk),
        dt.date(2026, 6, 15),
        ["theme_day"],
        "六月主题党日",
        "三楼会议室",
    )
    assert 'data-testid="from-plan"' in form.content.decode()

    data = {"plan": planned.pk, "org": tree.a1.pk, "date": "2026-06-15", "types": ["theme_day"]}
    data |= {"topic": "六月主题党日", "place": "三楼会议室", "host": "", "lecturer": ""}
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 302, response.context["form"].errors
    meeting = Meeting.objects.get()
    planned.refresh_from_db()
    assert planned.meeting == meeting
    assert f"{reverse('meetings:create')}?plan=" not in client.get(reverse("meetings:plans")).content.decode()


def test_another_branchs_plan_does_not_prefill_the_form(client, users, tree):
    theirs = plan(users["branch_a2"], tree.a2)
    client.force_login(users["branch_a1"])
    form = client.get(reverse("meetings:create"), {"plan": theirs.pk})
    assert form.context["plan"] is None and form.context["form"].initial.get("topic") is None


@FROZEN
def test_members_see_the_next_plans_on_their_page_and_in_their_calendar(client, users, tree):
    plan(users["branch_a1"], tree.a1)
    plan(users["branch_a2"], tree.a2, topic="甲二的活动")
    client.force_login(users["member_a1"])
    page = client.get(reverse("dashboard")).content.decode()
    assert "六月主题党日" in page and "甲二的活动" not in page

    client.post(reverse("reminders:calendar_new"))
    url = client.get(reverse("reminders:calendar")).context["new_url"]
    events = icalendar.Calendar.from_ical(client.get(url).content).walk("VEVENT")
    planned = [e for e in events if str(e["UID"]).startswith("plan-")]
    assert [(str(e["SUMMARY"]), e["DTSTART"].dt, str(e["LOCATION"])) for e in planned] == [
        ("计划活动：六月主题党日", dt.date(2026, 6, 25), "三楼会议室")
    ]


def test_a_plan_whose_day_has_passed_stays_on_the_plans_page_until_it_is_recorded(client, users, tree):
    with time_machine.travel(dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        planned = plan_meeting(
            actor=users["branch_a1"],
            org=tree.a1,
            date=dt.date(2026, 6, 12),
            types=["theme_day"],
            topic="六月主题党日",
        )
    client.force_login(users["branch_a1"])
    with FROZEN:  # 2026-06-15: held three days ago, not yet recorded
        html = client.get(reverse("meetings:plans")).content.decode()
        assert f"?plan={planned.pk}" in html and 'data-testid="plan-held"' in html
        # the member's page lists only the plans ahead
        client.force_login(users["member_a1"])
        assert "六月主题党日" not in client.get(reverse("dashboard")).content.decode()
