"""The meeting form of a large scope in headless Chromium: the organisation is found with the picker's search
box (the roster and the types follow the search's choice), the 主持人 with the member picker's, and a member
ticked absent gets a 缺席原因 select (the roster renders one only for the absent rows)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.meetings.models import Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_meeting_of_a_large_scope_is_recorded_through_the_pickers(
    live_server, browser_page, users, tree, make_member, login, settings, monkeypatch
):
    from dangjian.members import widgets as member_widgets

    settings.ORG_PICKER_ABOVE = 2  # 甲委's four organisations that hold meetings: a search
    monkeypatch.setattr(member_widgets, "MEMBER_PICKER_ABOVE", 3)  # 甲二's five members: a search
    people = [make_member(tree.a2, name=f"甲二党员{i}") for i in range(4)]
    absent = make_member(tree.a2, name="甲二缺席者")
    page, base = browser_page, live_server.url
    login("dangwei_a")
    page.goto(f"{base}{reverse('meetings:create')}")
    form = page.get_by_test_id("meeting-form")
    assert form.locator("#id_org option").count() < 6  # the top of the scope, not every organisation

    form.get_by_test_id("org-search").fill("甲二")
    expect(form.locator("#id_org option:checked")).to_have_text(re.compile("^甲二支部"))
    form.locator("label[for=id_types_theme_day]").wait_for()  # the types followed the organisation
    form.locator("label[for=id_types_theme_day]").click()
    roster = page.get_by_test_id("roster")
    roster.get_by_text("甲二缺席者").wait_for()
    assert roster.locator("select").count() == 0  # nobody is absent yet: no reason select

    form.locator(f"#dj-absent-{absent.pk}").check()
    reason = form.locator(f'select[name="reason_kind_{absent.pk}"]')
    reason.select_option("sick")
    assert roster.locator("select").count() == 1

    host_search = form.locator('input[name="host_q"]')
    host_search.fill("甲二党员3")
    expect(form.locator("#id_host option:checked")).to_have_text(re.compile("^甲二党员3"))
    form.locator("#id_topic").fill("主题党日")
    form.get_by_test_id("save").click()
    page.wait_for_url(lambda url: "/meetings/new/" not in url)

    meeting = Meeting.objects.get(topic="主题党日")
    assert meeting.org == tree.a2 and meeting.host == people[3]
    assert list(meeting.absences.values_list("member__name", "reason_kind")) == [("甲二缺席者", "sick")]
