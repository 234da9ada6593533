"""A 党委管理员 walks from the organisation tree through the pages that other browser tests do not
reach (org detail, meeting detail and calendar, dues reminders, arrears, summary, publication), in
headless Chromium: each answers, renders its Chinese heading, and shows the data recorded."""

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.dues.services import declare_base
from dangjian.meetings.services import create_meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_party_committee_admin_reaches_every_page_from_the_navigation(
    live_server, browser_page, users, tree, make_member, login
):
    page, base = browser_page, live_server.url
    member = make_member(tree.a1, name="甲一党员")
    today = dt.date.today()
    declare_base(
        actor=None,
        member=member,
        year=today.year,
        category="active",
        monthly_base=Decimal("6500.00"),
        effective_month=dt.date(today.year, 1, 1),
    )
    meeting = create_meeting(
        actor=None, data={"org": tree.a1, "date": today, "topic": "本月主题党日"}, types=["theme_day"]
    )

    login("dangwei_a")

    page.get_by_role("link", name="组织", exact=True).click()
    page.get_by_role("link", name="甲一支部").first.click()
    assert page.locator("h1").inner_text().startswith("甲一支部")
    page.get_by_test_id("org-meetings").click()
    page.get_by_role("link", name="本月主题党日").click()
    assert page.locator("h1").inner_text() == "本月主题党日"
    assert page.url.endswith(f"/meetings/{meeting.pk}/")

    checks = [
        (f"/meetings/calendar/?org={tree.a1.pk}", "组织生活日历", "主题党日"),
        (f"/dues/reminders/?org={tree.a1.pk}", "", "甲一党员"),
        (f"/dues/arrears/?org={tree.a1.pk}", "党费欠缴", ""),
        (f"/dues/summary/?year={today.year}", f"{today.year} 年度党费收缴汇总", "甲一支部"),
        (f"/dues/publication/?org={tree.a1.pk}&year={today.year}", "年度党费收缴情况公示", "甲一支部"),
    ]
    for path, heading, text in checks:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert heading in page.locator("h1").first.inner_text(), path
        assert text in page.locator("main").inner_text(), path
