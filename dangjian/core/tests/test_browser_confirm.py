"""data-confirm in headless Chromium (static/js/dangjian.js): a submit button carrying the question asks it before
its form is sent — several actions of one page (重置密码, 停用账号, 申请撤销) share no form-level question — and a
question answered 取消 sends nothing."""

import pytest

from dangjian.accounts.models import User
from dangjian.accounts.services import create_user
from dangjian.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_button_asks_its_question_and_cancel_sends_nothing(live_server, browser_page, system_users, login):
    page = browser_page
    account = create_user(actor=None, username="zhaoliu", password=TEST_PASSWORD, display_name="赵六")
    asked: list[str] = []
    answer = {"accept": False}

    def on_dialog(dialog):
        asked.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    login("xitong")
    page.goto(f"{live_server.url}/system/users/{account.pk}/")
    page.get_by_role("button", name="停用账号").click()
    page.wait_for_timeout(300)  # a dismissed question leaves the page where it is: nothing to wait for
    assert asked == ["确定停用该账号？停用后不能登录。"]
    assert User.objects.get(pk=account.pk).is_active  # 取消: the account is untouched

    answer["accept"] = True
    page.get_by_role("button", name="停用账号").click()
    page.wait_for_selector(".alert-success")
    assert asked[-1] == "确定停用该账号？停用后不能登录。" and len(asked) == 2
    assert not User.objects.get(pk=account.pk).is_active

    asked.clear()
    answer["accept"] = False
    password = User.objects.get(pk=account.pk).password
    page.get_by_role("button", name="重置密码").click()
    page.wait_for_timeout(300)
    assert asked == ["确定为该账号重置密码？原密码将立即失效。"]
    assert User.objects.get(pk=account.pk).password == password
