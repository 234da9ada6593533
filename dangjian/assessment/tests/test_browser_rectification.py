"""After 审定, in the browser: a branch tiered 后进 finds its 整顿 item on its home page, writes the plan through it
and later marks it done; the 党委's administrator reads the published scheme from the assessment page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dangjian.assessment.models import FrozenBranch, Rectification, Round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lagging_branch_writes_and_completes_its_plan(live_server, browser_page, users, tree, login):
    page = browser_page
    base = live_server.url
    found = Round.objects.create(
        year=2026,
        scheme_version=1,
        scheme_checksum="x" * 64,
        stage="approved",
        opened_on=dt.date(2027, 1, 5),
        approved_on=dt.date.today(),
    )
    data = {
        "org": "A2",
        "name": "甲二支部",
        "unit": "甲委",
        "evaluated": True,
        "score": "61.20",
        "tier": "后进",
        "role": "lagging",
        "reasons": [],
    }
    FrozenBranch.objects.create(round=found, org=tree.a2, score="61.20", tier="后进", data=data)

    login("branch_a2")
    assert "2026年度考核定为后进：制定整顿计划" in page.content()  # first on the branch's work list
    page.locator(f'a[href="/assessment/2026/rectification/{tree.a2.pk}/"]').first.click()  # its 办理 button
    page.wait_for_url(re.compile(rf"/assessment/2026/rectification/{tree.a2.pk}/$"))
    assert "定为“后进”" in page.get_by_test_id("tier").inner_text()
    page.get_by_label("整顿措施").fill("每月按时召开支委会，书记讲一次专题党课")
    page.get_by_label("责任人").fill("王书记")
    page.get_by_label("完成期限").fill((dt.date.today() + dt.timedelta(days=90)).isoformat())
    page.get_by_role("button", name="保存整顿计划").click()
    page.wait_for_selector(".alert-success")
    page.get_by_label("整顿成效").fill("支委会已按月召开")
    page.get_by_role("button", name="登记整顿完成").click()
    page.wait_for_selector('[data-testid="done"]')
    assert Rectification.objects.get().done_on == dt.date.today()

    page.context.clear_cookies()
    login("dangwei_a")
    page.goto(f"{base}/assessment/")
    page.get_by_role("link", name="考核方案").click()
    page.wait_for_url(re.compile(r"/assessment/scheme/"))
    assert page.locator("[data-indicator]").count() == 22
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
