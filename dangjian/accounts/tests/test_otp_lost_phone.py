"""Enrolling on the phone itself (the otpauth:// link), and a lost phone: replacing the authenticator after a sign-in
with a recovery code, and the 安全管理员's reset when the recovery codes are lost too. Through the real sign-in form
and pages, never force_login (except for the 安全管理员's own page)."""

from __future__ import annotations

import html
import logging
import re
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts import otp
from dangjian.accounts.models import RecoveryCode
from dangjian.accounts.tests.test_otp import ADDRESS, code, enrol, events, password, traveller  # noqa: F401  (autouse: test_otp's frozen clock)
from dangjian.conftest import next_code, totp_device
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent


def secret_of(page: str) -> str:
    return re.search(r"data-otp-secret>([A-Z2-7 ]+)<", page).group(1).replace(" ", "")


def key_of(page: str) -> bytes:
    secret = secret_of(page)
    return b32decode(secret + "=" * (-len(secret) % 8))


def otpauth_link(page: str) -> str:
    anchors = re.findall(r"<a [^>]*data-otp-link[^>]*>", page)
    assert len(anchors) == 1, anchors
    return html.unescape(re.search(r'href="([^"]+)"', anchors[0]).group(1))


def recovery_sign_in(client, username: str, recovery: str):
    password(client, username)
    return code(client, recovery)


# --- the otpauth:// link ----------------------------------------------------------------------------------------


def test_the_enrolment_page_links_the_same_address_as_its_qr_code_and_logs_nothing_of_it(
    client, users, caplog
):
    password(client, "branch_a1")
    with caplog.at_level(logging.DEBUG):
        response = client.get(reverse("otp_setup"))
    page = response.content.decode()
    link = otpauth_link(page)
    device = TOTPDevice.objects.get(user=users["branch_a1"], confirmed=False)
    assert link == device.config_url  # the QR code's content, as a link
    assert link.startswith("otpauth://totp/") and f"secret={secret_of(page)}" in link
    assert "branch_a1" in link and "issuer=" in link
    # a secret on the page: no cache keeps it, no log line nor audit event carries it
    assert "no-store" in response["Cache-Control"]
    assert all(secret_of(page) not in record.getMessage() for record in caplog.records)
    assert not AuditEvent.objects.filter(note__contains=secret_of(page)).exists()
    # the link's secret is the one the enrolment is confirmed with
    response = client.post(
        reverse("otp_setup"), {"code": str(totp(key_of(page))).zfill(6)}, REMOTE_ADDR=ADDRESS
    )
    assert len(re.findall(r"data-recovery-code>", response.content.decode())) == 10


# --- replacing the authenticator after a sign-in with a recovery code -------------------------------------------


def test_after_a_recovery_code_sign_in_the_security_page_enrols_a_new_authenticator(client, users):
    password(client, "branch_a1")
    old_codes = enrol(client)
    old_device = TOTPDevice.objects.get(user=users["branch_a1"], confirmed=True)
    client.post(reverse("logout"))

    response = recovery_sign_in(client, "branch_a1", old_codes[0])
    assert response.status_code == 302
    page = client.get(reverse("account_security")).content.decode()
    assert "您已用恢复码登录" in page  # the message after the sign-in
    assert "data-otp-replace>" in page and reverse("otp_setup") in page

    setup = client.get(reverse("otp_setup"))
    assert setup.status_code == 200
    text = setup.content.decode()
    assert "更换验证器" in text and "data-otp-replacing" in text
    new_key = key_of(text)
    assert new_key != old_device.bin_key
    response = client.post(reverse("otp_setup"), {"code": str(totp(new_key)).zfill(6)}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200 and "验证器已更换" in response.content.decode()
    new_codes = re.findall(r"data-recovery-code>([A-Z2-9]{5}-[A-Z2-9]{5})<", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)

    devices = list(TOTPDevice.objects.filter(user=users["branch_a1"]))
    assert [(d.bin_key, d.confirmed) for d in devices] == [(new_key, True)]  # the old one is gone
    assert RecoveryCode.objects.filter(user=users["branch_a1"]).count() == 10
    assert events("otp_enable")[-1] == (
        "branch_a1",
        f"客户端地址：{ADDRESS}；凭恢复码登录后更换验证器，原验证器及原恢复码作废；生成恢复码 10 个",
    )
    # the session's recovery sign-in has served: no second replacement without another one
    assert "data-otp-replace>" not in client.get(reverse("account_security")).content.decode()
    assert client.get(reverse("otp_setup"))["Location"] == reverse("account_security")

    client.post(reverse("logout"))
    password(client, "branch_a1")
    assert code(client, old_codes[1]).status_code == 200  # the old recovery codes are void
    assert code(client, new_codes[0]).status_code == 302
    client.post(reverse("logout"))
    password(client, "branch_a1")
    assert code(client, next_code(devices[0])).status_code == 302  # the new authenticator signs in


def test_a_sign_in_with_the_authenticator_cannot_replace_it(client, users):
    device = totp_device(users["dangwei_a"])
    password(client, "dangwei_a")
    code(client, next_code(device))
    assert "data-otp-replace>" not in client.get(reverse("account_security")).content.decode()
    assert client.get(reverse("otp_setup"))["Location"] == reverse("account_security")
    response = client.post(reverse("otp_setup"), {"code": "123456"})
    assert response["Location"] == reverse("account_security")
    assert list(TOTPDevice.objects.filter(user=users["dangwei_a"]).values_list("pk", flat=True)) == [
        device.pk
    ]
    # the service refuses without a recovery sign-in, and changes nothing
    pending = TOTPDevice.objects.create(user=users["dangwei_a"], name="new", confirmed=False)
    with pytest.raises(ServiceError, match="用恢复码登录"):
        otp.replace_device(actor=users["dangwei_a"], code=next_code(pending), recovery_sign_in=False)
    assert set(TOTPDevice.objects.filter(user=users["dangwei_a"]).values_list("pk", "confirmed")) == {
        (device.pk, True),
        (pending.pk, False),
    }
    assert events("otp_enable") == []


def test_the_recovery_sign_in_ends_with_the_session(client, users):
    password(client, "member_a1")
    codes = enrol(client)
    client.post(reverse("logout"))
    recovery_sign_in(client, "member_a1", codes[0])
    assert client.get(reverse("otp_setup")).status_code == 200
    client.post(reverse("logout"))
    device = TOTPDevice.objects.get(user=users["member_a1"], confirmed=True)
    password(client, "member_a1")
    code(client, next_code(device))
    assert client.get(reverse("otp_setup"))["Location"] == reverse("account_security")


def test_a_wrong_code_replaces_nothing(client, users):
    password(client, "branch_a1")
    codes = enrol(client)
    old = TOTPDevice.objects.get(user=users["branch_a1"], confirmed=True)
    client.post(reverse("logout"))
    recovery_sign_in(client, "branch_a1", codes[0])
    client.get(reverse("otp_setup"))
    response = client.post(reverse("otp_setup"), {"code": "abc"})
    assert response.status_code == 200 and "验证码不正确" in response.content.decode()
    assert list(TOTPDevice.objects.filter(user=users["branch_a1"], confirmed=True)) == [old]
    assert otp.recovery_codes_left(users["branch_a1"]) == 9
    assert len(events("otp_enable")) == 1  # the first enrolment only


# --- both lost: the 安全管理员's reset -------------------------------------------------------------------------


def test_the_code_page_says_who_resets_the_second_factor_and_that_page_does_it(client, users, system_users):
    device = totp_device(users["branch_a2"])
    password(client, "branch_a2")
    hint = re.search(r"data-otp-lost>([^<]+)<", client.get(reverse("otp_verify")).content.decode()).group(1)
    assert "安全管理员" in hint and "重置双因素验证" in hint

    security_admin = client.__class__()
    security_admin.force_login(system_users["anquan"])
    page = security_admin.get(reverse("locks")).content.decode()
    assert "重置双因素验证" in page and 'name="action" value="reset_otp"' in page
    response = security_admin.post(
        reverse("locks"), {"action": "reset_otp", "username": "branch_a2"}, REMOTE_ADDR=ADDRESS, follow=True
    )
    assert "已重置 branch_a2 的双因素验证（移除验证器 1 个及全部恢复码）" in response.content.decode()
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert events("otp_reset") == [("branch_a2", f"客户端地址：{ADDRESS}；移除验证器 1 个及全部恢复码")]
    assert AuditEvent.objects.get(action="otp_reset").actor == system_users["anquan"]


def test_the_security_admin_cannot_reset_their_own_second_factor(client, system_users):
    own = totp_device(system_users["anquan"])
    client.force_login(system_users["anquan"])
    response = client.post(reverse("locks"), {"action": "reset_otp", "username": "anquan"}, follow=True)
    assert "不能重置本人的双因素验证" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=own.pk).exists()
    assert events("otp_reset") == []


def test_nobody_else_resets_on_the_locks_page(client, users, system_users):
    device = totp_device(users["branch_a2"])
    for actor in (users["gongwei"], system_users["xitong"], system_users["shenji"]):
        client.force_login(actor)
        assert (
            client.post(reverse("locks"), {"action": "reset_otp", "username": "branch_a2"}).status_code == 403
        )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert events("otp_reset") == []


def reset_page(client, username):
    return client.post(
        reverse("locks"), {"action": "reset_otp", "username": username}, REMOTE_ADDR=ADDRESS, follow=True
    )


def test_a_reset_of_an_account_without_an_authenticator_is_refused_and_records_nothing(
    client, users, system_users
):
    totp_device(users["branch_a2"])
    client.force_login(system_users["anquan"])
    assert "已重置 branch_a2 的双因素验证" in reset_page(client, "branch_a2").content.decode()
    again = reset_page(client, "branch_a2")  # twice in a row
    assert again.status_code == 400
    page = again.content.decode()
    assert "该用户未绑定验证器，无需重置。" in page and "已重置" not in page
    assert re.search(r'id="id_reset_username" name="username" value="branch_a2"', page)  # kept in the box
    assert len(events("otp_reset")) == 1
    assert reset_page(client, "member_a1").status_code == 400  # never had one
    with pytest.raises(ServiceError, match="该用户未绑定验证器，无需重置。"):
        otp.reset(actor=None, username="member_a1")
    assert len(events("otp_reset")) == 1


def test_a_username_typed_in_another_case_is_named(client, users, system_users):
    totp_device(users["branch_a2"])
    client.force_login(system_users["anquan"])
    response = reset_page(client, "Branch_A2")
    page = response.content.decode()
    assert response.status_code == 400
    assert "用户“Branch_A2”不存在。用户名区分大小写，是否应为：branch_a2？" in page
    assert 'value="Branch_A2"' in page and "用户名区分大小写" in page
    assert "用户“nobody”不存在（用户名区分大小写）。" in reset_page(client, "nobody").content.decode()
    assert TOTPDevice.objects.filter(user=users["branch_a2"]).exists() and events("otp_reset") == []


# --- after a recovery code sign-in ---------------------------------------------------------------------------


def test_the_message_after_a_recovery_sign_in_links_the_new_authenticator_page(client, users):
    password(client, "branch_a1")
    codes = enrol(client)
    client.post(reverse("logout"))
    recovery_sign_in(client, "branch_a1", codes[0])
    page = client.get(reverse("dashboard")).content.decode()
    link = re.search(r'<a class="alert-link" href="([^"]+)" data-otp-replace-link>绑定新的验证器</a>', page)
    assert link and link.group(1) == reverse("otp_setup")
    assert "您已用恢复码登录。手机丢失或更换时，请绑定新的验证器。" in page
    assert "data-otp-replacing" in client.get(link.group(1)).content.decode()


def disable_form(page: str) -> bool:
    return f'action="{reverse("otp_disable")}"' in page


def test_the_security_page_asks_before_new_recovery_codes_and_hides_turning_off_in_a_recovery_session(
    client, users
):
    password(client, "member_a1")
    codes = enrol(client)
    page = client.get(reverse("account_security")).content.decode()
    regenerate = re.search(r"<form [^>]*data-otp-regenerate[^>]*>", page).group(0)
    assert f'action="{reverse("otp_recovery_codes")}"' in regenerate and "data-confirm=" in regenerate
    assert "原有恢复码（包括尚未使用的）将全部作废" in regenerate
    assert disable_form(page) and "data-otp-disable-hint" not in page
    client.post(reverse("logout"))
    recovery_sign_in(client, "member_a1", codes[0])
    page = client.get(reverse("account_security")).content.decode()
    assert not disable_form(page)  # it asks for the authenticator's code, which this session lacks
    assert "data-otp-disable-hint" in page and "请先绑定新的验证器" in page
