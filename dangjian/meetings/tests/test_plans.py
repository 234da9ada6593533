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
from dangjian.meetings.services import cancel_plan, create_meeting, plan_meeting, update_plan

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


def _selected_org(html: str) -> str | None:
    import re

    select = re.search(r'<select name="org".*?</select>', html, re.S)
    assert select
    chosen = re.search(r'<option value="(\d+)"[^>]*selected', select.group(0))
    return chosen.group(1) if chosen else None


@FROZEN
def test_the_plan_form_starts_with_the_branch_as_the_record_form_does(client, users, tree):
    """A branch administrator's form starts with their branch; a 党委 administrator's with the one the link
    names (?org=) when it is theirs, else with nothing chosen."""
    client.force_login(users["branch_a1"])
    assert _selected_org(client.get(reverse("meetings:plans")).content.decode()) == str(tree.a1.pk)
    client.force_login(users["dangwei_a"])
    url = reverse("meetings:plans")
    assert _selected_org(client.get(url).content.decode()) is None
    assert _selected_org(client.get(f"{url}?org={tree.a2.pk}").content.decode()) == str(tree.a2.pk)
    assert _selected_org(client.get(f"{url}?org={tree.b1.pk}").content.decode()) is None


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


# --- editing and cancelling a plan ------------------------------------------------------------------------


def snapshot(found: PlannedMeeting) -> tuple:
    found.refresh_from_db()
    return (found.date, found.types, found.topic, found.place, found.cancelled_at, found.revision)


def edit(actor, found, **changes):
    values = {"date": found.date, "types": found.types, "topic": found.topic, "place": found.place}
    return update_plan(actor=actor, plan=found, on=TODAY, **(values | changes))


def test_a_branch_admin_edits_a_plan_audited_with_before_and_after(users, tree):
    planned = plan(users["branch_a1"], tree.a1)
    edited = edit(
        users["branch_a1"],
        planned,
        date=dt.date(2026, 6, 28),
        types=["theme_day", "lecture"],
        topic=" 七一专题党课 ",
        place="",
    )
    assert snapshot(planned) == (dt.date(2026, 6, 28), ["lecture", "theme_day"], "七一专题党课", "", None, 1)
    assert edited.org == tree.a1  # the organisation stays
    event = AuditEvent.objects.get(action="update", object_id=str(planned.pk))
    assert event.actor == users["branch_a1"] and event.org_path == tree.a1.path
    assert (event.before["topic"], event.after["topic"]) == ("六月主题党日", "七一专题党课")
    assert (event.before["date"], event.after["date"]) == ("2026-06-25", "2026-06-28")


def test_editing_nothing_records_nothing(users, tree):
    planned = plan(users["branch_a1"], tree.a1)
    edit(users["branch_a1"], planned)
    assert snapshot(planned)[-1] == 0
    assert not AuditEvent.objects.filter(action="update").exists()


def test_a_passed_plan_keeps_its_date_when_edited_but_cannot_be_moved_into_the_past(users, tree):
    planned = plan(users["branch_a1"], tree.a1, day=dt.date(2026, 6, 20))
    later = dt.date(2026, 6, 22)  # two days after its day: held, not recorded
    update_plan(
        actor=users["branch_a1"],
        plan=planned,
        date=planned.date,
        types=["theme_day"],
        topic="改了主题",
        on=later,
    )
    assert snapshot(planned)[:3] == (dt.date(2026, 6, 20), ["theme_day"], "改了主题")
    with pytest.raises(ServiceError, match="计划日期不能早于今天"):
        update_plan(
            actor=users["branch_a1"],
            plan=planned,
            date=dt.date(2026, 6, 21),
            types=["theme_day"],
            topic="x",
            on=later,
        )


def test_editing_or_cancelling_outside_the_scope_is_refused_and_changes_nothing(users, tree):
    planned = plan(users["branch_a1"], tree.a1)
    before = snapshot(planned)
    events = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        edit(users["branch_a2"], planned, topic="甲二改的")
    with pytest.raises(OutOfScope):
        cancel_plan(actor=users["branch_a2"], plan=planned, reason="甲二取消")
    with pytest.raises(OutOfScope):
        cancel_plan(actor=users["member_a1"], plan=planned)
    assert snapshot(planned) == before
    assert AuditEvent.objects.count() == events
    # the 党委管理员 above the branch may
    cancel_plan(actor=users["dangwei_a"], plan=planned)
    assert snapshot(planned)[4] is not None


def test_invalid_values_of_an_edit_change_nothing(users, tree):
    planned = plan(users["branch_a1"], tree.a1)
    before = snapshot(planned)
    for changes, message in (
        ({"types": []}, "活动类型"),
        ({"types": ["no_such_type"]}, "活动类型"),
        ({"topic": " "}, "主题"),
        ({"date": TODAY - dt.timedelta(days=1)}, "计划日期不能早于今天"),
    ):
        with pytest.raises(ServiceError, match=message):
            edit(users["branch_a1"], planned, **changes)
    assert snapshot(planned) == before
    assert not AuditEvent.objects.filter(action="update").exists()


@FROZEN
def test_cancelling_a_plan_records_who_why_and_when(users, tree):
    planned = plan(users["branch_a1"], tree.a1)
    cancel_plan(actor=users["branch_a1"], plan=planned, reason="  与上级专题会议冲突 ")
    planned.refresh_from_db()
    assert planned.cancelled and planned.cancelled_by == users["branch_a1"]
    assert (planned.cancel_reason, planned.revision) == ("与上级专题会议冲突", 1)
    event = AuditEvent.objects.get(action="cancel")
    assert event.actor == users["branch_a1"] and event.org_path == tree.a1.path
    assert event.before["topic"] == "六月主题党日" and event.after == {"reason": "与上级专题会议冲突"}


def test_a_recorded_or_cancelled_plan_can_be_neither_edited_nor_cancelled(users, tree, hold):
    recorded = plan(users["branch_a1"], tree.a1, topic="已召开的")
    recorded.meeting = hold(tree.a1, TODAY, "theme_day")
    recorded.save()
    gone = plan(users["branch_a1"], tree.a1, topic="已取消的")
    cancel_plan(actor=users["branch_a1"], plan=gone, reason="改期")
    before = (snapshot(recorded), snapshot(gone))
    events = AuditEvent.objects.count()
    for found, message in ((recorded, "已录入为组织生活记录"), (gone, "已取消")):
        with pytest.raises(ServiceError, match=message):
            edit(users["branch_a1"], found, topic="再改")
        with pytest.raises(ServiceError, match=message):
            cancel_plan(actor=users["branch_a1"], plan=found, reason="再取消")
    assert (snapshot(recorded), snapshot(gone)) == before
    assert AuditEvent.objects.count() == events


def test_no_meeting_is_recorded_from_a_cancelled_plan(users, tree):
    planned = plan(users["branch_a1"], tree.a1, day=TODAY)
    stale = PlannedMeeting.objects.get(pk=planned.pk)  # read before it was cancelled (an open form)
    cancel_plan(actor=users["branch_a1"], plan=planned)
    with pytest.raises(ServiceError, match="已取消"):
        create_meeting(
            actor=users["branch_a1"],
            data={"org": tree.a1, "date": TODAY, "topic": "六月主题党日"},
            types=["theme_day"],
            plan=stale,
        )
    assert not Meeting.objects.exists()
    assert snapshot(planned)[4] is not None and PlannedMeeting.objects.get().meeting is None


# --- the pages --------------------------------------------------------------------------------------------


@FROZEN
def test_the_edit_page_changes_the_plan(client, users, tree):
    planned = plan(users["branch_a1"], tree.a1)
    client.force_login(users["branch_a1"])
    page = client.get(reverse("meetings:plan_edit", args=[planned.pk]))
    assert page.status_code == 200 and page.context["form"].initial["topic"] == "六月主题党日"
    data = {"date": "2026-06-26", "types": ["theme_day"], "topic": "改期的主题党日", "place": "二楼"}
    response = client.post(reverse("meetings:plan_edit", args=[planned.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("meetings:plans")
    assert snapshot(planned)[:4] == (dt.date(2026, 6, 26), ["theme_day"], "改期的主题党日", "二楼")


@FROZEN
def test_the_edit_page_shows_a_refusal_on_the_form(client, users, tree):
    planned = plan(users["branch_a1"], tree.a1)
    client.force_login(users["branch_a1"])
    data = {"date": "2026-06-10", "types": ["theme_day"], "topic": "改到过去"}
    response = client.post(reverse("meetings:plan_edit", args=[planned.pk]), data)
    assert response.status_code == 200
    assert "计划日期不能早于今天" in str(response.context["form"].errors["date"])
    assert snapshot(planned)[2] == "六月主题党日"


@FROZEN
def test_cancelling_through_the_page_removes_the_plan_from_the_members_page_and_the_plans_ahead(
    client, users, tree
):
    planned = plan(users["branch_a1"], tree.a1)
    client.force_login(users["member_a1"])
    assert "六月主题党日" in client.get(reverse("dashboard")).content.decode()

    client.force_login(users["branch_a1"])
    confirm = client.get(reverse("meetings:plan_cancel", args=[planned.pk])).content.decode()
    assert "取消原因" in confirm and "六月主题党日" in confirm
    response = client.post(reverse("meetings:plan_cancel", args=[planned.pk]), {"reason": "改期另行通知"})
    assert response.status_code == 302
    page = client.get(reverse("meetings:plans"))
    assert page.context["ahead"] == [] and page.context["cancelled"] == [planned]
    html = page.content.decode()
    assert 'data-testid="plan-cancelled"' in html and "改期另行通知" in html
    assert f"?plan={planned.pk}" not in html  # no button to record it
    assert reverse("meetings:plan_edit", args=[planned.pk]) not in html

    # recording can no longer start from it
    form = client.get(reverse("meetings:create"), {"plan": planned.pk})
    assert form.context["plan"] is None and form.context["form"].initial.get("topic") is None

    client.force_login(users["member_a1"])
    assert "六月主题党日" not in client.get(reverse("dashboard")).content.decode()


@FROZEN
def test_the_pages_of_a_cancelled_or_recorded_plan_send_back_to_the_plans_with_a_message(
    client, users, tree, hold
):
    gone = plan(users["branch_a1"], tree.a1, topic="已取消的")
    cancel_plan(actor=users["branch_a1"], plan=gone)
    recorded = plan(users["branch_a1"], tree.a1, topic="已召开的")
    recorded.meeting = hold(tree.a1, TODAY, "theme_day")
    recorded.save()
    client.force_login(users["branch_a1"])
    events = AuditEvent.objects.count()
    for found, message in ((gone, "该计划活动已取消"), (recorded, "已录入为组织生活记录")):
        for name in ("meetings:plan_edit", "meetings:plan_cancel"):
            url = reverse(name, args=[found.pk])
            response = client.post(
                url, {"date": "2026-06-26", "types": ["theme_day"], "topic": "再改"}, follow=True
            )
            assert response.redirect_chain == [(reverse("meetings:plans"), 302)], name
            assert message in response.content.decode()
    assert AuditEvent.objects.count() == events
    assert snapshot(gone)[2] == "已取消的" and snapshot(recorded)[2] == "已召开的"


def test_a_plan_of_another_branch_is_not_found(client, users, tree):
    theirs = plan(users["branch_a2"], tree.a2)
    client.force_login(users["branch_a1"])
    for name in ("meetings:plan_edit", "meetings:plan_cancel"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.post(reverse(name, args=[theirs.pk]), {"reason": "x"}).status_code == 404
    assert not snapshot(theirs)[4]


@FROZEN
def test_the_plans_page_sets_apart_the_plans_whose_day_passed(client, users, tree):
    ahead = plan(users["branch_a1"], tree.a1, topic="下周的")
    with time_machine.travel(dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        held = plan_meeting(
            actor=users["branch_a1"],
            org=tree.a1,
            date=dt.date(2026, 6, 5),
            types=["theme_day"],
            topic="上周的",
        )
    client.force_login(users["branch_a1"])
    page = client.get(reverse("meetings:plans"))
    assert (page.context["ahead"], page.context["held"]) == ([ahead], [held])
    html = page.content.decode()
    assert (
        html.index('data-testid="plans-ahead"')
        < html.index("下周的")
        < html.index('data-testid="plans-held"')
    )
    assert html.index('data-testid="plans-held"') < html.index("上周的")


# --- the calendar feed ------------------------------------------------------------------------------------


@FROZEN
def test_the_feed_marks_a_cancelled_plan_cancelled_until_its_day_and_an_edit_raises_its_sequence(
    client, users, tree
):
    kept_plan = plan(users["branch_a1"], tree.a1, topic="照常的")
    edit(users["branch_a1"], kept_plan, place="五楼")
    gone = plan(users["branch_a1"], tree.a1, day=dt.date(2026, 6, 20), topic="取消的")
    cancel_plan(actor=users["branch_a1"], plan=gone, reason="改期")
    client.force_login(users["member_a1"])
    client.post(reverse("reminders:calendar_new"))
    url = client.get(reverse("reminders:calendar")).context["new_url"]

    def planned() -> dict:
        feed = icalendar.Calendar.from_ical(client.get(url).content)
        return {str(e["UID"]): e for e in feed.walk("VEVENT") if str(e["UID"]).startswith("plan-")}

    found = planned()
    assert set(found) == {f"plan-{kept_plan.pk}@dangjian", f"plan-{gone.pk}@dangjian"}
    shown = found[f"plan-{kept_plan.pk}@dangjian"]
    assert (str(shown["LOCATION"]), int(shown["SEQUENCE"]), shown.get("STATUS")) == ("五楼", 1, None)
    cancelled = found[f"plan-{gone.pk}@dangjian"]
    assert (str(cancelled["STATUS"]), int(cancelled["SEQUENCE"])) == ("CANCELLED", 1)
    assert str(cancelled["SUMMARY"]) == "【已取消】计划活动：取消的"
    assert "取消原因：改期" in str(cancelled["DESCRIPTION"])
    assert tree.a1.name not in str(cancelled["DESCRIPTION"]) + str(
        shown["DESCRIPTION"]
    )  # a 党员's feed names none
    with time_machine.travel(dt.datetime(2026, 6, 21, 2, 0, tzinfo=dt.UTC), tick=False):
        assert set(planned()) == {f"plan-{kept_plan.pk}@dangjian"}  # its day passed: no longer carried


@FROZEN
def test_a_type_of_the_branch_s_party_group_planned_for_the_branch_is_named_in_the_refusal(
    client, users, tree
):
    """The plans form offers the types of every organisation it plans for (the branch's and its 党小组's): a
    党小组会 planned for the 党支部 is refused naming the type and what the branch may plan; nothing is saved."""
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("meetings:plans"),
        {"org": tree.a1.pk, "date": "2026-06-25", "types": ["group", "theme_day"], "topic": "六月党小组会"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["types"] == [
        "甲一支部不开展党小组会；该组织可计划的活动类型：支部党员大会、支部委员会、党课、主题党日、组织生活会、"
        "民主评议党员、谈心谈话。"
    ]
    assert 'value="六月党小组会"' in response.content.decode()
    assert not PlannedMeeting.objects.exists()


def test_the_forms_offer_only_the_types_the_organisations_hold(client, users, tree):
    client.force_login(users["branch_a1"])
    offered = dict(client.get(reverse("meetings:plans")).context["form"].fields["types"].choices)
    assert "theme_day" in offered and "group" in offered  # the branch's and its 党小组's
    assert "democratic_life" not in offered and "central_group" not in offered
    planned = plan(users["branch_a1"], tree.a1)
    page = client.get(reverse("meetings:plan_edit", args=[planned.pk]))
    offered = dict(page.context["form"].fields["types"].choices)
    assert "theme_day" in offered and "group" not in offered  # a 党支部's plan: no 党小组会
