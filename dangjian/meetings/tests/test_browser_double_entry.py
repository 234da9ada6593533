"""A possible double entry in headless Chromium: ticking a type the branch already recorded that day names the
kept record above the roster at once (the roster's refresh), and saving anyway keeps the record and says so on
its page."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.meetings.models import Meeting
from dangjian.meetings.services import create_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_form_names_the_record_of_the_same_day_and_type_before_it_is_saved_again(
    live_server, browser_page, users, tree, make_member, login
):
    make_member(tree.a1, name="甲一党员")
    today = dt.date.today()
    kept = create_meeting(
        actor=None, data={"org": tree.a1, "date": today, "topic": "本月主题党日"}, types=["theme_day"]
    )
    page, base = browser_page, live_server.url
    login("branch_a1")
    page.goto(f"{base}{reverse('meetings:create')}?org={tree.a1.pk}")
    form = page.get_by_test_id("meeting-form")
    form.locator("label[for=id_types_assembly]").click()
    form.get_by_test_id("roster").get_by_text("甲一党员").wait_for()
    assert form.get_by_test_id("same-day").count() == 0  # an assembly: nothing recorded today

    form.locator("label[for=id_types_theme_day]").click()
    notice = form.get_by_test_id("same-day")
    expect(notice).to_contain_text("本月主题党日（主题党日）")
    assert notice.get_by_role("link").get_attribute("href") == reverse("meetings:detail", args=[kept.pk])

    form.locator("#id_topic").fill("本月主题党日")
    form.get_by_test_id("save").click()
    page.wait_for_url(lambda url: "/meetings/new/" not in url)
    assert Meeting.objects.filter(org=tree.a1, date=today).count() == 2
    expect(page.locator(".alert-warning")).to_contain_text("请核对是否重复录入")
