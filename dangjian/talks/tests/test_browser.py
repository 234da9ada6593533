"""A 支部管理员 records a 谈心谈话 between a 支委 and a member and sees the 支委与党员 count change; on a phone
width the form still works (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dangjian.talks.models import Talk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_admin_records_a_talk_and_sees_the_category_count(live_server, browser_page, users, a1, login):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    base = live_server.url
    login("branch_a1")
    page.goto(f"{base}/talks/")
    assert page.locator("[data-testid=n-committee_member]").inner_text() == "0"
    page.get_by_role("link", name="登记谈心谈话").click()
    page.wait_for_url(re.compile(r"/talks/talks/new/"))
    page.get_by_label("谈话日期").fill(dt.date.today().isoformat())
    page.get_by_label("书记甲").check()
    page.get_by_label("党员丁").check()
    page.get_by_label("形式").select_option(label="面谈")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-testid=n-committee_member]").inner_text() == "1"
    assert page.locator("[data-testid=n-member_member]").inner_text() == "0"
    row = page.locator("[data-testid=talks] li").first
    assert "书记甲" in row.inner_text() and "支委与党员" in row.inner_text()
    talk = Talk.objects.get()
    assert set(talk.participants.values_list("name", flat=True)) == {"书记甲", "党员丁"}
