"""三员分立 in headless Chromium: the 系统管理员 creates an account and asks for a 支部管理员 grant, the grant does
nothing until the 安全管理员 approves it, and then the new 支部管理员 signs in (changing the temporary password
first, then enrolling an authenticator) and works within the branch."""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from dangjian.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_branch_admin_grant_requested_approved_and_used(
    live_server, browser_page, system_users, tree, login
):
    page = browser_page
    base = live_server.url

    login("xitong")
    page.get_by_role("link", name="账号管理").first.click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill("wangwu")
    page.get_by_label("姓名").fill("王五")
    page.get_by_role("button", name="创建").click()
    temporary = page.get_by_test_id("temporary-password").inner_text().strip()
    assert len(temporary) >= 12
    page.get_by_role("link", name="我已记下，返回账号").click()

    form = page.get_by_test_id("party-grant-form")
    form.get_by_label("党组织角色").select_option("branch_admin")
    form.get_by_label("查找组织").fill("甲一")  # the organisation by name: the search offers it, chosen
    expect(form.get_by_role("combobox", name="组织", exact=True)).to_have_value(str(tree.a1.pk))
    form.get_by_label("申请事由").fill("任甲一支部组织委员")
    form.get_by_role("button", name="提交授权申请").click()
    assert "待安全管理员审批后生效" in page.locator("main").inner_text()
    assert "授予党组织角色：支部管理员" in page.get_by_test_id("pending").inner_text()

    page.context.clear_cookies()
    login("anquan")
    page.get_by_role("link", name="授权审批").first.click()
    row = page.locator("tr[data-account='wangwu']")
    assert "甲一支部" in row.inner_text() and "任甲一支部组织委员" in row.inner_text()
    row.get_by_label("审批意见").fill("同意")
    row.get_by_role("button", name="批准").click()
    assert "已批准" in page.locator("main").inner_text()
    assert page.locator("tr[data-account='wangwu']").count() == 0  # no longer pending

    page.context.clear_cookies()
    login_url = f"{base}/accounts/login/"
    page.goto(login_url)
    page.get_by_label("用户名").fill("wangwu")
    page.get_by_label("密码").fill(temporary)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/accounts/password/**")  # the temporary password must change first
    page.get_by_label("旧密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill(TEST_PASSWORD + "!")
    page.get_by_label("新密码确认").fill(TEST_PASSWORD + "!")
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url(f"{base}/accounts/security/setup/**")  # an administrator enrols an authenticator next
    secret = page.locator("[data-otp-secret]").inner_text().replace(" ", "")
    page.get_by_label("验证码").fill(str(totp(b32decode(secret + "=" * (-len(secret) % 8)))).zfill(6))
    page.get_by_role("button", name="完成绑定").click()
    assert page.locator("[data-recovery-code]").count() == 10
    page.goto(f"{base}/orgs/")
    main = page.locator("main").inner_text()
    assert "甲一支部" in main and "乙一支部" not in main  # the branch, not the other 党委's
