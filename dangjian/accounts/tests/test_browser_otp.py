"""The first sign-in of a demo administrator, in headless Chromium, as a newcomer after `make demo` meets it:
the published password, the forced change, the enrolment of an authenticator (the code computed here from the
secret shown on the page, as an authenticator app would), the recovery codes shown once, then the home page."""

import re
from base64 import b32decode
from io import StringIO

import pytest
from django.core.management import call_command
from django_otp.oath import totp

from dangjian.core.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_first_sign_in_of_a_demo_administrator(live_server, browser_page):
    call_command("seed", "--scale", "small", "--seed", "1", stdout=StringIO())
    call_command("demo_users", stdout=StringIO())
    page = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("zhibu")
    page.get_by_label("密码").fill("Dangjian@2026")
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(f"{base}/accounts/password/")
    assert "您的密码由管理员设置，请先修改密码。" in page.locator("main").inner_text()
    page.get_by_label("旧密码").fill("Dangjian@2026")
    page.get_by_label("新密码", exact=True).fill("Zb-new-pass-2026")
    page.get_by_label("新密码确认").fill("Zb-new-pass-2026")
    page.get_by_role("button", name="保存新密码").click()

    page.wait_for_url(f"{base}/accounts/security/setup/")
    assert page.locator("[data-otp-qr] svg").count() == 1  # the QR code, drawn by the server
    secret = page.locator("[data-otp-secret]").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("验证码").fill(str(totp(key)).zfill(6))
    page.get_by_role("button", name="完成绑定").click()

    codes = page.locator("[data-recovery-code]")
    codes.first.wait_for()
    assert codes.count() == 10
    assert all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", text) for text in codes.all_inner_texts())
    page.get_by_role("link", name="我已保存，继续").click()

    page.wait_for_url(f"{base}/")
    assert "您的管理范围" in page.locator("main").inner_text()
    actions = list(
        AuditEvent.objects.filter(object_repr="zhibu").order_by("id").values_list("action", flat=True)
    )
    assert actions[-3:] == ["login", "password_change", "otp_enable"]
