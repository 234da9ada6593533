"""A member's home page and calendar list the meetings of their branch that concern them: the branch-wide ones
of the members' roster and their own 党小组's (named with it), not the 支部委员会 unless they sit on it, nor
another 党小组's."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.meetings.models import Meeting, MeetingKind, PlannedMeeting
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_org
from dangjian.portal import workbench

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)
FROZEN = time_machine.travel(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), tick=False)


@pytest.fixture
def setting(tree, make_member, make_user):
    g2 = create_org(
        actor=None,
        data={
            "code": "A1G2",
            "name": "甲一第二党小组",
            "type": "xiaozu",
            "parent": tree.a1,
            "founded_on": dt.date(2018, 3, 1),
            "unit": "甲委",
        },
    )
    member = make_member(tree.a1g1, name="张晶燕")
    user = make_user("zhang", "member", tree.a1g1, member=member)

    def plan(org: Org, day: int, types: list[str], topic: str) -> None:
        PlannedMeeting.objects.create(org=org, date=dt.date(2026, 6, day), types=types, topic=topic)

    def held(org: Org, day: int, types: list[str], topic: str) -> None:
        m = Meeting.objects.create(org=org, date=dt.date(2026, 6, day), topic=topic)
        for t in types:
            MeetingKind.objects.create(meeting=m, type=t, org=org, date=m.date)

    # the three soonest plans of the branch's subtree concern others; hers come after them
    plan(tree.a1, 16, ["committee"], "六月支委会")
    plan(g2, 17, ["group"], "第二小组学习")
    plan(g2, 18, ["group"], "第二小组讨论")
    plan(tree.a1, 20, ["theme_day"], "六月主题党日")
    plan(tree.a1g1, 22, ["group"], "第一小组学习")
    plan(tree.a2, 19, ["theme_day"], "甲二的主题党日")
    held(tree.a1, 1, ["assembly"], "五月党员大会")
    held(tree.a1g1, 2, ["group"], "第一小组会")
    held(g2, 10, ["group"], "第二小组会")
    held(tree.a1, 12, ["committee"], "支委会研究发展党员")
    return member, user


def topics(lines) -> list[str]:
    return [line.topic for line in lines]


def test_the_home_page_lists_her_plans_and_meetings_only(setting):
    member, _user = setting
    home = workbench.member_home(member, on=TODAY)
    assert topics(home.planned) == ["六月主题党日", "第一小组学习"]
    assert [p.type_labels for p in home.planned] == ["主题党日", "党小组会（甲一第一党小组）"]
    assert topics(home.activities) == ["第一小组会", "五月党员大会"]
    assert home.activities[0].type_labels == "党小组会（甲一第一党小组）"


def test_a_committee_member_also_sees_the_committee(setting, tree):
    member, _user = setting
    Post.objects.create(member=member, org=tree.a1, title="zuzhi", started_on=dt.date(2020, 1, 1))
    home = workbench.member_home(member, on=TODAY)
    assert topics(home.planned) == ["六月支委会", "六月主题党日", "第一小组学习"]
    assert topics(home.activities) == ["支委会研究发展党员", "第一小组会", "五月党员大会"]


def test_the_reads_do_not_grow_with_the_branch(setting, tree):
    member, _user = setting
    with CaptureQueriesContext(connection) as before:
        workbench.member_home(member, on=TODAY)
    for day in range(23, 29):
        PlannedMeeting.objects.create(
            org=tree.a1, date=dt.date(2026, 6, day), types=["lecture"], topic="党课"
        )
    with CaptureQueriesContext(connection) as after:
        workbench.member_home(member, on=TODAY)
    assert len(after.captured_queries) == len(before.captured_queries)
    meeting_reads = [
        q for q in after.captured_queries if '"meetings_' in q["sql"] or '"orgs_post"' in q["sql"]
    ]
    assert len(meeting_reads) == 4  # her posts, the meetings with their kinds, the plans


@FROZEN
def test_her_calendar_has_her_plans_only(client, setting):
    _member, user = setting
    client.force_login(user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "六月主题党日" in page and "党小组会（甲一第一党小组）" in page and "第二小组" not in page
    assert "六月支委会" not in page
    client.post(reverse("reminders:calendar_new"))
    url = client.get(reverse("reminders:calendar")).context["new_url"]
    events = icalendar.Calendar.from_ical(client.get(url).content).walk("VEVENT")
    planned = [str(e["SUMMARY"]) for e in events if str(e["UID"]).startswith("plan-")]
    assert planned == ["计划活动：六月主题党日", "计划活动：第一小组学习"]
