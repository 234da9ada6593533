"""A locked account as its holder and the 安全管理员 meet it, in headless Chromium: the refused sign-in says when
to try again, the 安全管理员 lifts the lock on the page of sign-in locks, and the holder signs in."""

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_locked_account_is_refused_until_the_security_admin_lifts_the_lock(
    live_server, browser_page, users, system_users, tree, login
):
    guesser = Client()
    for _ in range(5):  # someone elsewhere guesses the branch admin's password
        guesser.post(
            reverse("login"), {"username": "branch_a1", "password": "wrong-1"}, REMOTE_ADDR="10.9.9.9"
        )
    page = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("branch_a1")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    assert "之后再试" in page.locator("main").inner_text()  # the right password is refused while locked
    assert page.url.startswith(f"{base}/accounts/login/")

    login("anquan")
    page.get_by_role("link", name="登录锁定").first.click()  # the 安全管理员's menu
    row = page.locator("tr[data-lock='branch_a1']")
    assert "账号" in row.inner_text()
    row.get_by_role("button", name="解除锁定").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("tr[data-lock='branch_a1']").count() == 0

    page.context.clear_cookies()
    login("branch_a1")  # the holder signs in again
    assert "您的管理范围" in page.locator("main").inner_text()
