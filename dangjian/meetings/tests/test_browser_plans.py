"""Planned activities in headless Chromium: a 支部管理员 plans an activity, a member of the branch sees it on their
home page; the administrator edits it and the member sees the change, cancels it and the member no longer sees
it; recording a meeting starts from another plan, the entry form prefilled. The plans page fits a phone's width
(screenshots at 1366 px and 390 px are written to the test's temporary directory, for a person to look at)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.conftest import TEST_PASSWORD
from dangjian.core.models import AuditEvent
from dangjian.meetings.models import Meeting, PlannedMeeting
from dangjian.meetings.services import plan_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def member_page(browser_page, base: str, username: str):
    """A second browser (its own cookies) signed in as a 党员, who needs no authenticator."""
    context = browser_page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    return page


def planned_on_home(page, base: str) -> list[str]:
    page.goto(f"{base}/")
    return page.get_by_test_id("planned").all_inner_texts()


def test_a_plan_is_made_edited_and_cancelled_and_the_members_page_follows(
    live_server, browser_page, users, tree, make_member, login
):
    make_member(tree.a1, name="王一")
    page, base = browser_page, live_server.url
    day = dt.date.today() + dt.timedelta(days=7)
    login("branch_a1")
    member = member_page(browser_page, base, "member_a1")
    assert planned_on_home(member, base) == []

    # plan an activity
    page.goto(f"{base}{reverse('meetings:plans')}")
    form = page.get_by_test_id("plan-form")
    form.locator("#id_org").select_option(str(tree.a1.pk))
    form.locator("#id_date").fill(day.isoformat())
    form.locator("label[for=id_plan_types_theme_day]").click()
    form.locator("#id_topic").fill("学习新修订的党章")
    form.locator("#id_place").fill("三楼会议室")
    form.get_by_role("button", name="保存计划").click()
    page.wait_for_url(f"{base}{reverse('meetings:plans')}")
    planned = PlannedMeeting.objects.get()
    ahead = page.get_by_test_id("plans-ahead")
    expect(ahead.locator(f"[data-plan='{planned.pk}']")).to_contain_text("学习新修订的党章")

    shown = planned_on_home(member, base)
    assert len(shown) == 1 and "学习新修订的党章" in shown[0] and day.isoformat() in shown[0]

    # edit it: another day, another topic
    later = day + dt.timedelta(days=2)
    ahead.locator(f"[data-plan='{planned.pk}']").get_by_role("link", name="编辑").click()
    edit = page.get_by_test_id("plan-edit-form")
    expect(edit.locator("#id_topic")).to_have_value("学习新修订的党章")
    edit.locator("#id_date").fill(later.isoformat())
    edit.locator("#id_topic").fill("学习新修订的党章（第二次）")
    edit.get_by_role("button", name="保存修改").click()
    page.wait_for_url(f"{base}{reverse('meetings:plans')}")
    expect(page.get_by_role("alert").first).to_contain_text("已保存计划活动")
    shown = planned_on_home(member, base)
    assert len(shown) == 1 and "（第二次）" in shown[0] and later.isoformat() in shown[0]

    # cancel it, with a reason
    page.get_by_test_id("plans-ahead").locator(f"[data-plan='{planned.pk}']").get_by_role(
        "link", name="取消计划"
    ).click()
    cancel = page.get_by_test_id("plan-cancel-form")
    cancel.get_by_label("取消原因").fill("与上级专题会议时间冲突")
    cancel.get_by_test_id("confirm-cancel").click()
    page.wait_for_url(f"{base}{reverse('meetings:plans')}")
    expect(page.get_by_test_id("plans-ahead")).to_contain_text("暂无待召开的计划活动")
    gone = page.get_by_test_id("plans-cancelled").locator(f"[data-plan='{planned.pk}']")
    expect(gone.get_by_test_id("plan-cancelled")).to_have_text("已取消")
    expect(gone).to_contain_text("与上级专题会议时间冲突")
    assert gone.get_by_role("link").count() == 0  # neither recorded, edited nor cancelled again
    assert planned_on_home(member, base) == []
    assert list(
        AuditEvent.objects.filter(object_type="meetings.plannedmeeting", object_id=str(planned.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["plan", "update", "cancel"]
    member.context.close()


def test_recording_starts_from_a_plan_with_the_form_prefilled(
    live_server, browser_page, users, tree, make_member, login
):
    make_member(tree.a1, name="王一")
    today = dt.date.today()
    planned = plan_meeting(
        actor=users["branch_a1"],
        org=tree.a1,
        date=today,
        types=["theme_day"],
        topic="主题党日：重温入党誓词",
        place="党员活动室",
    )
    page, base = browser_page, live_server.url
    login("branch_a1")
    page.goto(f"{base}{reverse('meetings:plans')}")
    page.get_by_test_id("plans-ahead").locator(f"[data-plan='{planned.pk}']").get_by_role(
        "link", name="按计划录入"
    ).click()
    page.wait_for_url(re.compile(rf"/meetings/new/\?plan={planned.pk}$"))
    form = page.get_by_test_id("meeting-form")
    expect(page.get_by_test_id("from-plan")).to_contain_text("主题党日：重温入党誓词")
    expect(form.locator("#id_org")).to_have_value(str(tree.a1.pk))
    expect(form.locator("#id_date")).to_have_value(today.isoformat())
    expect(form.locator("#id_topic")).to_have_value("主题党日：重温入党誓词")
    expect(form.locator("#id_place")).to_have_value("党员活动室")
    expect(form.locator("#id_types_theme_day")).to_be_checked()
    page.get_by_test_id("roster").get_by_text("王一").wait_for()
    form.get_by_test_id("save").click()
    page.wait_for_url(lambda url: "/meetings/new/" not in url)

    planned.refresh_from_db()
    assert planned.meeting == Meeting.objects.get(topic="主题党日：重温入党誓词")
    page.goto(f"{base}{reverse('meetings:plans')}")
    expect(page.get_by_test_id("plans-ahead")).to_contain_text("暂无待召开的计划活动")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_plans_page_fits_the_screen(live_server, browser_page, users, tree, login, tmp_path, width):
    today = dt.date.today()
    for days, topic in ((3, "七一专题党课：学习贯彻党的创新理论"), (10, "主题党日")):
        plan_meeting(
            actor=users["branch_a1"],
            org=tree.a1,
            date=today + dt.timedelta(days=days),
            types=["theme_day", "lecture"],
            topic=topic,
            place="机关大楼三楼第二会议室",
        )
    page, base = browser_page, live_server.url
    login("branch_a1")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}{reverse('meetings:plans')}")
    page.get_by_test_id("plan-form").wait_for()
    page.screenshot(path=str(tmp_path / f"plans-{width}.png"), full_page=True)
    # nothing wider than the window: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for button in page.get_by_test_id("plans-ahead").get_by_role("link").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
