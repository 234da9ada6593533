"""The 支部管理员 of 甲一 starts a transfer of a member to 甲二; the 甲二 admin finds it waiting, accepts it, and
the member now shows in 甲二 (headless Chromium)."""

from __future__ import annotations

import re

import pytest

from dangjian.members.models import Member
from dangjian.movements.models import Transfer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_admin_transfers_a_member_and_the_receiver_accepts(
    live_server, browser_page, users, tree, make_member, login
):
    mover = make_member(tree.a1, name="周调动")
    page = browser_page
    base = live_server.url

    login("branch_a1")
    page.goto(f"{base}/movements/member/{mover.pk}/")
    assert page.locator("[data-testid=member-org]").inner_text() == "甲一支部（甲委）"
    page.locator("[data-testid=open-transfer]").click()
    form = page.locator("[data-testid=transfer-form]")
    form.get_by_label("接收组织").select_option(label="甲二支部（甲委）")
    form.get_by_label("转接原因").fill("工作调动至甲二处室")
    form.get_by_role("button", name="发起转接").click()
    page.wait_for_selector(".alert-success")
    assert "待接收组织办理" in page.locator(".alert-success").inner_text()
    assert Member.objects.get(pk=mover.pk).org_id == tree.a1.pk  # stays with the sender until accepted

    page.context.clear_cookies()
    login("branch_a2")
    page.get_by_role("link", name="党员管理", exact=True).click()
    page.wait_for_url(re.compile(r"/movements/$"))
    page.locator("[data-testid=awaiting]").get_by_role("link", name="周调动").click()
    page.wait_for_url(re.compile(r"/movements/transfer/\d+/$"))
    assert page.locator("[data-testid=transfer-state]").inner_text() == "待接收"
    assert page.locator("[data-testid=dues-paid-through]").inner_text() == "无缴纳记录"
    page.locator("[data-testid=accept]").click()
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-testid=transfer-state]").inner_text() == "已接收"
    assert Transfer.objects.get().state == "accepted"

    page.goto(f"{base}/members/?org={tree.a2.pk}")
    assert "周调动" in page.locator("main").inner_text()
    page.goto(f"{base}/movements/member/{mover.pk}/")
    assert page.locator("[data-testid=member-org]").inner_text() == "甲二支部（甲委）"
