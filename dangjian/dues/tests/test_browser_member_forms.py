"""On a phone (390 px): a branch secretary follows the collection sheet's warning to a member without a declared
base, declares it on the member's 党费 page and sees the ledger; the 党委's administrator records a 党费减免 there.
No page scrolls sideways (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from dangjian.dues.models import DuesBase, DuesRelief

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


SHOTS = os.environ.get("DANGJIAN_SCREENSHOTS")  # a directory: the pages are saved there to be looked at


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"dues-{name}.png"), full_page=True)


def width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_base_and_a_relief_are_recorded_on_a_phone(live_server, browser_page, users, tree, login):
    today = dt.date.today()
    member = users["own_member"]  # 李党员: no base declared
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login("branch_a1")
    page.goto(f"{live_server.url}/dues/?org={tree.a1.pk}&month={today:%Y-%m}")
    warning = page.get_by_test_id("nobase-warning")
    assert "1 名党员本月未申报缴费基数" in warning.inner_text()
    assert width(page) <= 390, f"the sheet is {width(page)} px wide on a 390 px phone"
    shot(page, "sheet-nobase-390")
    warning.get_by_role("link", name="李党员").click()
    page.wait_for_url(re.compile(rf"/dues/member/{member.pk}/"))
    form = page.get_by_test_id("base-form")
    assert form.is_visible()
    assert width(page) <= 390, f"the member's page is {width(page)} px wide on a 390 px phone"
    shot(page, "member-390")
    form.get_by_label("月缴费基数（元）").fill("6500")
    form.get_by_test_id("declare").click()
    page.wait_for_selector("[data-testid=member-ledger]")
    assert "已申报李党员" in page.locator(".alert-success, [role=status], .alert").first.inner_text()
    assert DuesBase.objects.get(member=member).monthly_base == 6500
    assert "党费减免由上级党委审批，并由上级党委管理员登记。" in page.get_by_test_id("by-higher").inner_text()
    assert width(page) <= 390

    page.context.clear_cookies()
    login("dangwei_a")
    page.goto(f"{live_server.url}/dues/member/{member.pk}/#reliefs")
    relief = page.get_by_test_id("relief-form")
    relief.get_by_label("减免类型").select_option("exempt")
    relief.get_by_label("减免原因").fill("长期患病，生活困难")
    assert width(page) <= 390, f"the relief form is {width(page)} px wide on a 390 px phone"
    shot(page, "relief-390")
    relief.get_by_test_id("record-relief").click()
    page.wait_for_selector("[data-testid=member-reliefs]")
    assert width(page) <= 390
    page.set_viewport_size({"width": 1366, "height": 900})
    shot(page, "member-1366")
    assert DuesRelief.objects.get(member=member).kind == "exempt"
