"""The reminder settings and the calendar subscription in headless Chromium: a 支部管理员 changes their channels
and frequency and finds them kept after a reload, and a 党员 (told nothing) is offered none; a 党员 makes a
calendar URL, whose feed (fetched as a calendar client would, without the session) parses with `icalendar` and
holds the branch's planned activity; makes a new URL, which turns the former into a 404, and revokes it."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request

import icalendar
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.meetings.services import plan_meeting
from dangjian.reminders.models import Preference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_changes_the_channels_and_finds_them_kept(
    live_server, browser_page, users, tree, make_member, login
):
    page, base = browser_page, live_server.url
    admin = users["branch_a1"]
    admin.member = make_member(tree.a1, name="李书记")  # the SMS goes to the phone of the member record
    admin.save(update_fields=["member"])
    login("branch_a1")
    page.goto(f"{base}{reverse('reminders:preferences')}")
    form = page.get_by_test_id("preferences")
    expect(form.get_by_label("站内提醒（页面右上角的铃铛）")).to_be_checked()  # the default
    expect(form).to_contain_text("138****5678")  # the SMS goes to the registered phone, shown masked

    form.get_by_label("站内提醒（页面右上角的铃铛）").uncheck()
    form.get_by_label("邮件摘要").check()
    form.get_by_label("短信提醒").check()
    form.get_by_label("邮件和短信的频率").select_option("weekly")
    form.get_by_role("button", name="保存").click()
    # an e-mail digest needs an address: refused, nothing kept, the choices still on the form
    expect(form.locator("#id_address_error")).to_contain_text("接收邮件摘要须填写邮箱地址")
    assert not Preference.objects.filter(user=admin).exists()
    expect(form.get_by_label("邮件摘要")).to_be_checked()

    form.get_by_label("邮箱地址").fill("li@example.gov.cn")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_contain_text("已保存提醒设置")

    page.reload()
    form = page.get_by_test_id("preferences")
    expect(form.get_by_label("站内提醒（页面右上角的铃铛）")).not_to_be_checked()
    expect(form.get_by_label("邮件摘要")).to_be_checked()
    expect(form.get_by_label("短信提醒")).to_be_checked()
    expect(form.get_by_label("邮件和短信的频率")).to_have_value("weekly")
    expect(form.get_by_label("邮箱地址")).to_have_value("li@example.gov.cn")
    kept = Preference.objects.get(user=admin)
    assert (kept.in_app, kept.email, kept.sms, kept.frequency) == (False, True, True, "weekly")


def test_a_member_is_offered_no_channel_and_finds_her_own_dates(live_server, browser_page, users, login):
    page, base = browser_page, live_server.url
    login("member_a1")
    page.goto(f"{base}{reverse('reminders:preferences')}")
    card = page.get_by_test_id("preferences")
    expect(card).to_contain_text("不会收到站内、邮件或短信提醒")
    expect(card.get_by_role("checkbox")).to_have_count(0)
    expect(card.get_by_role("button", name="保存")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    card.get_by_role("link", name="日历订阅").click()
    expect(page).to_have_url(f"{base}{reverse('reminders:calendar')}")


def fetch(url: str) -> tuple[int, str, bytes]:
    """The URL as a calendar client fetches it: no session, no cookie (and no proxy: the live server is local)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=15) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, "", b""


def planned_events(url: str) -> list:
    """The planned activities of the feed at `url`, parsed as a calendar client would."""
    status, content_type, body = fetch(url)
    assert status == 200 and content_type.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(body)
    return [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("plan-")]


def test_a_member_subscribes_renews_and_revokes_the_calendar_url(
    live_server, browser_page, users, tree, login
):
    day = dt.date.today() + dt.timedelta(days=5)
    plan_meeting(
        actor=None, org=tree.a1, date=day, types=["theme_day"], topic="参观党史教育基地", place="市党史馆"
    )
    page, base = browser_page, live_server.url
    login("member_a1")
    page.goto(f"{base}{reverse('reminders:calendar')}")
    expect(page.get_by_test_id("feed-none")).to_be_visible()
    page.get_by_role("button", name="生成订阅地址").click()
    first = page.get_by_test_id("feed-url").input_value()
    assert first.startswith(f"{base}{reverse('reminders:feed')}?token=")
    [event] = planned_events(first)
    assert (str(event["SUMMARY"]), event["DTSTART"].dt, str(event["LOCATION"])) == (
        "计划活动：参观党史教育基地",
        day,
        "市党史馆",
    )

    # the URL is shown once: after a reload the page only says one is in use
    page.reload()
    expect(page.get_by_test_id("feed-url")).to_have_count(0)
    expect(page.get_by_test_id("feed-active")).to_be_visible()

    # a new URL, once confirmed: the former one answers 404
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="重新生成地址").click()
    expect(page.get_by_test_id("feed-active")).to_be_visible()  # dismissed: nothing changed
    assert "原地址将立即失效" in asked[0] and len(planned_events(first)) == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="重新生成地址").click()
    second = page.get_by_test_id("feed-url").input_value()
    assert second != first
    assert fetch(first)[0] == 404
    assert len(planned_events(second)) == 1

    # the address copied with one tap
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.get_by_role("button", name="复制地址").click()
    expect(page.locator('[data-copy-status="dj-feed-url"]')).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == second
    assert page.get_by_test_id("feed-webcal").get_attribute("href") == "webcal://" + second.split("://", 1)[1]

    # revoked, once confirmed: no URL answers
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销订阅地址").click()
    expect(page.get_by_test_id("feed-none")).to_be_visible()
    assert fetch(second)[0] == 404
