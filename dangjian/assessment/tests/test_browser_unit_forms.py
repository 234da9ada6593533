"""On a phone, a 自评 or a score the server refuses comes back at its indicator, with what was typed and why: a
claimed score without the contest ticked, a reason of blanks (both pass the browser's own checks)."""

from __future__ import annotations

import re

import pytest

from dangjian.assessment import services
from dangjian.assessment.models import ManualScore, SelfReview
from dangjian.assessment.tests.test_selectors import YEAR, stamp
from dangjian.compliance.models import KeptResult, KeptStamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_view(page, selector: str) -> bool:
    page.wait_for_load_state("load")
    page.wait_for_function(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
                    return r.top < window.innerHeight && r.bottom > 0; }""",
        arg=selector,
        timeout=5_000,
    )
    return True


def test_a_refused_form_comes_back_at_its_indicator_with_what_was_typed(
    live_server, browser_page, users, tree, login
):
    page = browser_page
    base = live_server.url
    KeptResult.objects.all().delete()
    KeptStamp.objects.all().delete()
    stamp()
    found = services.open_round(actor=users["gongwei"], year=YEAR)
    page.set_viewport_size({"width": 390, "height": 844})

    login("dangwei_a")
    page.goto(f"{base}/assessment/{YEAR}/units/{tree.a.pk}/")
    org08 = page.locator('[data-indicator="ORG-08"]')
    org08.get_by_text("说明或提出异议").click()
    org08.get_by_label("说明").fill("三月党费已交，记录漏登。")
    org08.get_by_label("认为应得分").fill("4.5")  # the contest not ticked
    org08.get_by_role("button", name="保存").click()
    page.wait_for_selector('[data-testid="not-saved"]')
    assert page.url.endswith("#ind-ORG-08") and in_view(
        page, '[data-indicator="ORG-08"] [data-testid="self-form"]'
    )
    assert "须同时勾选“对本项得分提出异议”" in org08.inner_text()
    assert org08.get_by_label("说明").input_value() == "三月党费已交，记录漏登。"
    assert org08.get_by_label("认为应得分").input_value() == "4.5"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not SelfReview.objects.exists()
    org08.get_by_label("对本项得分提出异议").check()
    org08.get_by_role("button", name="保存").click()
    page.wait_for_selector(".alert-success")
    assert SelfReview.objects.get().claimed == 4.5

    services.advance(actor=users["gongwei"], round=found, expected="self")
    page.context.clear_cookies()
    login("gongwei")
    page.goto(f"{base}/assessment/{YEAR}/units/{tree.a.pk}/")
    pen = page.locator('[data-indicator="PEN-01"] [data-testid="score-form"]')
    pen.get_by_label("扣分").fill("2")
    pen.get_by_label("评分理由").fill("   ")
    pen.get_by_role("button", name="评分").click()
    page.wait_for_selector('[data-testid="not-saved"]')
    assert page.url.endswith("#ind-PEN-01") and in_view(
        page, '[data-indicator="PEN-01"] [data-testid="score-form"]'
    )
    assert "请写明评分理由。" in pen.inner_text() and pen.get_by_label("扣分").input_value() == "2"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not ManualScore.objects.exists()
    pen.get_by_label("评分理由").fill("两个问题未整改")
    pen.get_by_role("button", name="评分").click()
    page.wait_for_url(re.compile(r"#ind-PEN-01$"))
    page.wait_for_selector(".alert-success")
    assert ManualScore.objects.get().points == 2
