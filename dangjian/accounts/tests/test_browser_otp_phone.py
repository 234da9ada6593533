"""The enrolment page on a phone (390 px, headless Chromium): the otpauth:// link that opens the authenticator app
is there and the page does not scroll sideways; the 安全管理员's reset form on the sign-in locks page fits too."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_enrolment_page_on_a_phone_links_the_authenticator_app(live_server, browser_page, users, login):
    page, base = browser_page, live_server.url
    login("member_a1")
    page.set_viewport_size(PHONE)
    page.goto(f"{base}{reverse('otp_setup')}")
    link = page.get_by_role("link", name="在本机的验证器应用中添加")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    secret = page.locator("[data-otp-secret]").inner_text().replace(" ", "")
    assert href.startswith("otpauth://totp/") and f"secret={secret}" in href
    assert fits(page)


def test_the_reset_form_fits_the_security_administrators_phone(
    live_server, browser_page, system_users, login
):
    page, base = browser_page, live_server.url
    login("anquan")
    page.set_viewport_size(PHONE)
    page.goto(f"{base}{reverse('locks')}")
    form = page.locator("[data-otp-reset]")
    expect(form.get_by_label("用户名")).to_be_visible()
    expect(form.get_by_role("button", name="重置双因素验证")).to_be_visible()
    assert fits(page)
