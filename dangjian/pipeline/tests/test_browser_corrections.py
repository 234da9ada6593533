"""A 组织委员 on a phone (390 px, headless Chromium) undoes a step recorded with the wrong date from the case page,
records it again, and corrects the applicant's name on the correction page; neither page scrolls sideways, on a
phone or a laptop."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from dangjian.core import idcard
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.services import open_case, record_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
SHOTS = os.environ.get("DANGJIAN_SCREENSHOTS")  # a directory: the pages are saved there to be looked at


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"pipeline-{name}.png"), full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_undo_a_wrong_date_and_correct_the_name_on_a_phone(live_server, browser_page, users, tree, login):
    applied = dt.date.today() - dt.timedelta(days=60)
    number = idcard.make("310230", dt.date(1998, 8, 8), 41, True)
    case = open_case(actor=None, org=tree.a1, name="赵申请", id_number=number, applied_on=applied)
    wrong = applied + dt.timedelta(days=3)
    record_step(actor=None, case=case, key="talk", on=wrong)

    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # the undo asks first
    page.set_viewport_size(PHONE)
    login("branch_a1")
    page.goto(f"{live_server.url}/pipeline/{case.pk}/")
    undo = page.locator("[data-testid=undo]")
    undo.locator("summary").click()
    page.get_by_label("撤销原因").fill("谈话日期填错")
    shot(page, "undo-phone")
    assert fits(page)
    undo.locator("[data-testid=undo-submit]").click()
    page.wait_for_selector(".alert-success")
    assert "已撤销“党组织派人谈话”" in page.locator(".alert-success").inner_text()
    assert page.locator("[data-testid=steps] li").count() == 1

    right = applied + dt.timedelta(days=10)
    form = page.locator("[data-testid=step-form]")
    form.locator("[name=date]").fill(right.isoformat())
    form.locator("[data-testid=record]").click()
    page.wait_for_selector(".alert-success")
    assert list(case.steps.values_list("key", "date")) == [("application", applied), ("talk", right)]

    page.locator("[data-testid=correct-applicant]").click()
    assert page.get_by_label("身份证号").input_value() == ""  # the number is never filled in
    page.get_by_label("姓名").fill("赵申清")
    shot(page, "applicant-phone")
    assert fits(page)
    page.locator("[data-testid=save]").click()
    page.wait_for_selector(".alert-success")
    assert DevelopmentCase.objects.get(pk=case.pk).name == "赵申清"
    assert fits(page)

    page.set_viewport_size(LAPTOP)
    page.locator("[data-testid=undo] summary").click()
    shot(page, "case-laptop")
    assert fits(page)
    page.goto(f"{live_server.url}/pipeline/{case.pk}/applicant/")
    assert fits(page)
