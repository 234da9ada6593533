"""The whole assessment cycle in the browser (headless Chromium), with the sample scheme: the 工委 opens the year;
the 机关党委's administrator reads the automatic scores with their arithmetic and contests one on a phone-sized
page; the 工委 moves to 考评, accepts the contest, scores the items no record shows, and approves — the unit's
score is then frozen and graded."""

from __future__ import annotations

import re

import pytest

from dangjian.assessment.models import Round
from dangjian.assessment.scheme import load_scheme
from dangjian.assessment.services import MANUAL_METHODS
from dangjian.assessment.tests.test_selectors import YEAR, fail, stamp
from dangjian.compliance.models import KeptResult, KeptStamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_whole_cycle(live_server, browser_page, users, tree, login):
    page = browser_page
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    # the organisations' creation committed and refreshed their kept results: replaced here by known ones
    KeptResult.objects.all().delete()
    KeptStamp.objects.all().delete()
    stamp()
    fail(tree.a1, "MTG-COMMITTEE-MONTHLY", ["2026-03", "2026-04"])

    login("gongwei")
    page.get_by_test_id("nav-reviews").click()  # 评议考核: 民主评议, 述职评议, 党建考核
    page.get_by_role("link", name="党建考核").click()
    page.get_by_label("考核年度").fill(str(YEAR))
    page.get_by_role("button", name="开始年度考核").click()
    page.wait_for_url(re.compile(rf"/assessment/{YEAR}/$"))
    assert "单位自评" in page.locator('[data-testid="stages"] .fw-bold').inner_text()

    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    login("dangwei_a")
    page.goto(f"{base}/assessment/{YEAR}/units/{tree.a.pk}/")
    org01 = page.locator('[data-indicator="ORG-01"]')
    assert "2 个缺项 × 0.5 = 1.00；6 − 1.00 = 5.00。" in org01.inner_text()
    org01.get_by_text("说明或提出异议").click()
    org01.get_by_label("说明").fill("四月的支委会已召开，记录漏登，已补录。")
    org01.get_by_label("对本项得分提出异议").check()
    org01.get_by_label("认为应得分").fill("5.5")
    org01.get_by_role("button", name="保存").click()
    page.wait_for_selector(".alert-success")
    assert "认为应得 5.50 分" in page.locator('[data-indicator="ORG-01"] [data-testid="review"]').inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    login("gongwei")
    page.goto(f"{base}/assessment/{YEAR}/")
    page.get_by_role("button", name="进入“工委考评”").click()
    page.wait_for_selector(".alert-success")
    page.goto(f"{base}/assessment/{YEAR}/units/{tree.a.pk}/")
    ruling = page.locator('[data-indicator="ORG-01"] [data-testid="ruling-form"]')
    ruling.get_by_label("考评意见").select_option(label="采纳")
    ruling.get_by_label("调整后得分").fill("5.5")
    ruling.get_by_label("理由").fill("核实会议记录属实")
    ruling.get_by_role("button", name="作出意见").click()
    page.wait_for_selector(".alert-success")
    scheme = load_scheme(YEAR).scheme
    for unit in (tree.a, tree.b):
        page.goto(f"{base}/assessment/{YEAR}/units/{unit.pk}/")
        for i in scheme.indicators:
            if i.method not in MANUAL_METHODS:
                continue
            form = page.locator(f'[data-indicator="{i.id}"] [data-testid="score-form"]')
            form.locator('input[name="points"]').fill(  # labelled 得分, 加分 or 扣分 by the method
                "0" if i.method == "penalty" else str(i.points - 1 if i.points > 1 else i.points)
            )
            form.get_by_label("评分理由").fill("按工委掌握的情况")
            form.get_by_role("button", name="评分").click()
            page.wait_for_selector(".alert-success")
    page.goto(f"{base}/assessment/{YEAR}/")
    if page.get_by_test_id("early-approval").count():  # before 31 December: 审定 only with the box ticked
        page.get_by_test_id("confirm-early").check()
    page.get_by_role("button", name="进入“审定”").click()
    page.wait_for_selector(".alert-success")
    assert Round.objects.get(year=YEAR).stage == "approved"
    assert "以下得分固定" in page.locator('[data-testid="basis"]').inner_text()
    row = page.locator('[data-unit="甲委"]').inner_text()
    assert re.search(r"\d+\.\d\d\s+(好|较好|一般|差)", row), row
    page.goto(f"{base}/assessment/{YEAR}/units/{tree.a.pk}/")
    assert (
        "考评采纳（核实会议记录属实），由 5.00 调整为 5.50"
        in page.locator('[data-indicator="ORG-01"]').inner_text()
    )
