"""The home pages in headless Chromium: a 支部管理员 reaches an overdue item's page in one click from the home
page, and a member's home page shows their own 党费, hours and branch activities with working links."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dangjian.compliance import kept
from dangjian.meetings.services import create_meeting
from dangjian.orgs.models import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_branch_admin_reaches_an_overdue_item_in_one_click(live_server, browser_page, users, tree, login):
    kept.refresh(Org.objects.all())  # 甲一 has no 书记: ORG-SECRETARY-IN-POST fails, whatever the date
    page = browser_page
    login("branch_a1")
    items = page.locator("[data-testid=work-item]")
    assert items.first.get_attribute("data-overdue") == "1"  # overdue first
    overdue = page.locator("[data-testid=work-item][data-overdue='1']")
    assert overdue.count() >= 1
    for i in range(overdue.count()):  # every overdue item has its one button
        assert overdue.nth(i).locator("a.btn").count() == 1
    item = page.locator("[data-testid=work-item][data-rule='ORG-SECRETARY-IN-POST']")
    assert "书记在任" in item.inner_text()
    item.locator("a.btn").click()
    page.wait_for_url(re.compile(rf"/orgs/{tree.a1.pk}/posts/new/"))
    assert page.locator("h1").count() == 1


def test_a_members_home_page(live_server, browser_page, users, tree, login):
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date.today(), "topic": "本月主题党日"},
        types=["theme_day"],
    )
    page = browser_page
    login("member_a1")
    assert page.locator("[data-testid=my-dues]").is_visible()
    assert page.locator("[data-testid=my-hours]").is_visible()
    assert "本月主题党日" in page.locator("[data-testid=my-activities]").inner_text()
    page.get_by_role("link", name="我的时间轴").click()
    page.wait_for_url(re.compile(rf"/members/{users['own_member'].pk}/timeline/"))
    assert page.locator("h1").count() == 1
