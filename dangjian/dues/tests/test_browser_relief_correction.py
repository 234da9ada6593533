"""On a phone (390 px): the 党委's administrator corrects a 党费减免 from the member's 党费 page, then deletes it after
the confirmation page; the reason is shown beside the relief. No page scrolls sideways (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal

import pytest

from dangjian.core.dates import add_months
from dangjian.dues.models import DuesRelief
from dangjian.dues.services import declare_base, record_relief

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("DANGJIAN_SCREENSHOTS")  # a directory: the pages are saved there to be looked at


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"dues-{name}.png"), full_page=True)


def width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_relief_is_corrected_and_deleted_on_a_phone(live_server, browser_page, users, tree, login):
    month = dt.date.today().replace(day=1)
    first, last = add_months(month, -3), add_months(month, -1)
    member = users["own_member"]
    for year in {first.year, month.year}:
        declare_base(
            actor=None,
            member=member,
            year=year,
            category="active",
            monthly_base=Decimal("6000"),
            effective_month=dt.date(year, 1, 1),
        )
    relief = record_relief(
        actor=None,
        member=member,
        kind="exempt",
        start_month=first,
        end_month=last,
        approved_by=tree.a,
        approved_on=dt.date.today(),
        reason="长期患病，生活困难",
    )
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login("dangwei_a")
    page.goto(f"{live_server.url}/dues/member/{member.pk}/?year={first.year}#reliefs")
    item = page.locator(f"[data-relief='{relief.pk}']")
    assert "减免原因：长期患病，生活困难" in item.inner_text()
    assert width(page) <= 390, f"the member's page is {width(page)} px wide on a 390 px phone"
    shot(page, "relief-list-390")

    item.get_by_test_id("relief-edit").click()
    page.wait_for_url(re.compile(rf"/dues/relief/{relief.pk}/edit/"))
    form = page.get_by_test_id("relief-edit-form")
    assert width(page) <= 390, f"the correction page is {width(page)} px wide on a 390 px phone"
    shot(page, "relief-edit-390")
    form.get_by_label("截止月份").fill(f"{first:%Y-%m}")
    form.get_by_test_id("save-relief").click()
    page.wait_for_selector("[data-testid=member-reliefs]")
    assert "已保存李党员党费减免的更正" in page.locator(".alert").first.inner_text()
    assert DuesRelief.objects.get().end_month == first

    page.locator(f"[data-relief='{relief.pk}']").get_by_test_id("relief-delete").click()
    page.wait_for_url(re.compile(rf"/dues/relief/{relief.pk}/delete/"))
    assert width(page) <= 390, f"the deletion page is {width(page)} px wide on a 390 px phone"
    shot(page, "relief-delete-390")
    page.get_by_label("删除原因").fill("未经上级党委批准")
    page.get_by_test_id("confirm-delete").click()
    page.wait_for_selector("[data-testid=member-ledger]")
    assert "已删除李党员" in page.locator(".alert").first.inner_text()
    assert not DuesRelief.objects.exists()
