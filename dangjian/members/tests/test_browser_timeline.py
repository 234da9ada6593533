"""A 支部管理员 opens the month's 政治生日, downloads a greeting card, and follows a member to their
timeline, where the meetings and posts are (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dangjian.meetings.services import create_meeting
from dangjian.orgs.services import create_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_admin_prints_a_card_and_reads_a_timeline(
    live_server, browser_page, users, tree, make_member, login
):
    member = make_member(
        tree.a1, name="周年党员", joined_on=dt.date(2005, 4, 18), confirmed_on=dt.date(2006, 4, 18)
    )
    make_member(tree.a2, name="甲二四月", joined_on=dt.date(2008, 4, 2), confirmed_on=dt.date(2009, 4, 2))
    create_post(
        actor=None,
        data={"member": member, "org": tree.a1, "title": "zuzhi", "started_on": dt.date(2021, 5, 1)},
    )
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(2025, 4, 8), "topic": "四月支部党员大会"},
        types=["assembly"],
    )
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(2025, 5, 9), "topic": "五月主题党日"},
        types=["theme_day"],
        absentees={member.pk: "外出培训"},
    )

    page = browser_page
    base = live_server.url
    login("branch_a1")
    page.get_by_role("link", name="党员", exact=True).click()
    page.wait_for_url(re.compile(r"/members/"))
    page.locator("[data-testid=birthdays-link]").click()
    page.wait_for_url(re.compile(r"/members/birthdays/"))
    page.locator("input[name=month]").fill("2026-04")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r"month=2026-04"))
    assert "2026 年 4 月政治生日" in page.locator("h1").inner_text()
    rows = page.locator("[data-testid=birthday]")
    assert rows.count() == 1  # 甲二四月 is outside the branch admin's scope
    row = rows.first
    assert (
        "周年党员" in row.inner_text() and "入党 21 周年" in row.inner_text() and "20 年" in row.inner_text()
    )

    href = row.locator("[data-testid=birthday-card]").get_attribute("href")
    card = page.request.get(f"{base}{href}")
    assert card.status == 200
    assert card.headers["content-type"] == "application/pdf"
    assert card.body().startswith(b"%PDF-")

    row.get_by_role("link", name="时间轴").click()
    page.wait_for_url(re.compile(rf"/members/{member.pk}/timeline/"))
    events = page.locator("[data-testid=timeline-event]")
    texts = events.all_inner_texts()
    assert any("任甲一支部组织委员" in t for t in texts)
    assert any("参加支部党员大会" in t and "四月支部党员大会" in t for t in texts)
    assert any("缺席主题党日" in t and "外出培训" in t for t in texts)
    assert texts[0].startswith("2005-04-18") and "入党" in texts[0]

    page.locator("[data-testid=timeline-groups]").get_by_role("link", name=re.compile("组织生活")).click()
    page.wait_for_url(re.compile(r"group=meetings"))
    texts = page.locator("[data-testid=timeline-event]").all_inner_texts()
    assert len(texts) == 2 and all("党" in t for t in texts)
    assert not any("组织委员" in t for t in texts)
