"""The second factor at sign-in (accounts.otp): through the real sign-in form and pages, never force_login."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts import otp
from dangjian.accounts.models import RecoveryCode, User
from dangjian.conftest import TEST_PASSWORD, next_code, totp_device
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
ADDRESS = "10.0.0.7"


@pytest.fixture(autouse=True)
def traveller():
    with time_machine.travel(START, tick=False) as t:
        yield t


def password(client, username, password=TEST_PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ADDRESS)


def code(client, value, next_url=""):
    data = {"code": value}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("otp_verify"), data, REMOTE_ADDR=ADDRESS)


def wrong_code(device) -> str:
    return str((int(next_code(device)) + 1) % 1_000_000).zfill(6)


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id").values_list("object_repr", "note"))


def enrol(client) -> list[str]:
    """The enrolment page of the signed-in client: the secret shown on the page, confirmed with its code."""
    page = client.get(reverse("otp_setup")).content.decode()
    assert "<svg" in page  # the QR code, drawn on the server
    secret = re.search(r"data-otp-secret>([A-Z2-7 ]+)<", page).group(1)
    from base64 import b32decode

    key = b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    from django_otp.oath import totp

    response = client.post(reverse("otp_setup"), {"code": str(totp(key)).zfill(6)}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    return re.findall(r"data-recovery-code>([A-Z2-9]{5}-[A-Z2-9]{5})<", response.content.decode())


# --- who needs it ---------------------------------------------------------------------------------------------


def test_every_administrator_role_requires_it_and_a_member_does_not(users):
    required = {name: otp.requires_second_factor(users[name]) for name in users if name != "own_member"}
    assert required == {
        "gongwei": True,
        "dangwei_a": True,
        "branch_a1": True,
        "branch_a2": True,
        "member_a1": False,
        "norole": False,
    }


# --- enrolment --------------------------------------------------------------------------------------------------


def test_an_administrator_without_an_authenticator_must_enrol_before_any_page(client, users):
    response = password(client, "branch_a1")
    assert response.status_code == 302
    for name in ("dashboard", "members:list", "password_change", "account_security"):
        assert client.get(reverse(name))["Location"] == reverse("otp_setup"), name
    page = client.get(reverse("otp_setup"))
    assert page.status_code == 200 and "管理员账号登录时须进行双因素验证" in page.content.decode()
    refused = client.post(reverse("otp_setup"), {"code": "000000"})
    assert "验证码不正确" in refused.content.decode()
    assert client.get(reverse("dashboard"))["Location"] == reverse("otp_setup")
    codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("dashboard")).status_code == 200
    assert TOTPDevice.objects.get(user=users["branch_a1"]).confirmed
    assert events("otp_enable") == [("branch_a1", f"客户端地址：{ADDRESS}；生成恢复码 10 个")]


def test_recovery_codes_are_kept_as_digests_only(client, users):
    password(client, "branch_a1")
    codes = enrol(client)
    stored = list(RecoveryCode.objects.filter(user=users["branch_a1"]).values_list("digest", flat=True))
    assert len(stored) == 10
    for value in codes:
        assert all(value not in digest and value.replace("-", "") not in digest for digest in stored)


def test_a_forced_password_change_comes_before_the_enrolment(client, users):
    User.objects.filter(pk=users["branch_a1"].pk).update(password_must_change=True)
    password(client, "branch_a1")
    assert client.get(reverse("dashboard"))["Location"] == reverse("password_change")
    assert client.get(reverse("otp_setup"))["Location"] == reverse("password_change")
    client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "N3w-pass-2026!", "new_password2": "N3w-pass-2026!"},
    )
    assert client.get(reverse("dashboard"))["Location"] == reverse("otp_setup")
    enrol(client)
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_member_is_not_forced_and_may_enable_it_then_needs_it(client, users):
    password(client, "member_a1")
    assert client.get(reverse("dashboard")).status_code == 200
    assert 'data-otp-status="off"' in client.get(reverse("account_security")).content.decode()
    enrol(client)
    assert 'data-otp-status="on"' in client.get(reverse("account_security")).content.decode()
    client.post(reverse("logout"))
    password(client, "member_a1")
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("otp_verify"))


# --- the second step --------------------------------------------------------------------------------------------


def test_with_an_authenticator_no_page_opens_without_a_valid_code(client, users):
    device = totp_device(users["dangwei_a"])
    password(client, "dangwei_a")
    for name in ("dashboard", "password_change", "otp_setup", "account_security"):
        location = client.get(reverse(name))["Location"]
        assert location == f"{reverse('otp_verify')}?next={reverse(name).replace('/', '%2F')}", name
    response = code(client, wrong_code(device))
    assert response.status_code == 200 and "验证码或恢复码不正确。" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    response = code(client, next_code(device), next_url=reverse("members:list"))
    assert response["Location"] == reverse("members:list")
    assert client.get(reverse("dashboard")).status_code == 200
    assert events("otp_verified") == [("dangwei_a", f"客户端地址：{ADDRESS}；验证器动态码")]
    assert events("otp_failed") == [("dangwei_a", f"客户端地址：{ADDRESS}；验证码或恢复码不正确")]


def test_a_code_is_accepted_once(client, users):
    device = totp_device(users["dangwei_a"])
    value = next_code(device)
    password(client, "dangwei_a")
    assert code(client, value).status_code == 302
    client.post(reverse("logout"))
    password(client, "dangwei_a")
    assert code(client, value).status_code == 200  # the same code again: refused
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_recovery_code_is_accepted_once_and_recorded(client, users):
    password(client, "branch_a1")
    codes = enrol(client)
    client.post(reverse("logout"))
    password(client, "branch_a1")
    response = code(client, codes[3].lower().replace("-", " "))  # typed loosely
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    assert events("recovery_used") == [("branch_a1", f"客户端地址：{ADDRESS}；剩余恢复码 9 个")]
    assert "剩余可用恢复码 9 个" in client.get(reverse("account_security")).content.decode()
    client.post(reverse("logout"))
    password(client, "branch_a1")
    assert code(client, codes[3]).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302


def test_regenerated_recovery_codes_replace_the_old_ones(client, users):
    password(client, "branch_a1")
    old = enrol(client)
    response = client.post(reverse("otp_recovery_codes"), REMOTE_ADDR=ADDRESS)
    new = re.findall(r"data-recovery-code>([A-Z2-9-]{11})<", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert events("recovery_codes") == [
        ("branch_a1", f"客户端地址：{ADDRESS}；生成恢复码 10 个，原恢复码作废")
    ]
    client.post(reverse("logout"))
    password(client, "branch_a1")
    assert code(client, old[0]).status_code == 200
    assert code(client, new[0]).status_code == 302


def test_the_next_address_must_be_on_this_site(client, users):
    device = totp_device(users["dangwei_a"])
    password(client, "dangwei_a")
    assert code(client, next_code(device), next_url="https://evil.example/")["Location"] == reverse(
        "dashboard"
    )


def test_a_signed_in_page_costs_no_query_of_the_second_factor(client, users):
    device = totp_device(users["dangwei_a"])
    password(client, "dangwei_a")
    code(client, next_code(device))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    assert [q["sql"] for q in queries if "otp_" in q["sql"] or "recoverycode" in q["sql"]] == []


# --- wrong codes and the lock -----------------------------------------------------------------------------------


def test_wrong_codes_lock_the_account_like_wrong_passwords(client, users, settings):
    device = totp_device(users["dangwei_a"])
    password(client, "dangwei_a")
    responses = [code(client, wrong_code(device)) for _ in range(settings.SIGNIN_FAILURE_LIMIT)]
    assert [r.status_code for r in responses] == [200] * (settings.SIGNIN_FAILURE_LIMIT - 1) + [429]
    assert "登录已暂时锁定" in responses[-1].content.decode()
    assert "_auth_user_id" not in client.session  # the half-signed-in session has ended
    assert len(events("otp_failed")) == settings.SIGNIN_FAILURE_LIMIT
    assert events("lockout") == [("dangwei_a", f"客户端地址：{ADDRESS}；锁定至 2026-11-02 17:30")]
    assert password(client, "dangwei_a").status_code == 429  # the right password is refused while locked


def test_wrong_codes_lock_the_account_not_its_address(client, users, settings):
    from django.test import Client

    device = totp_device(users["dangwei_a"])
    password(client, "dangwei_a")
    texts = [code(client, wrong_code(device)).content.decode() for _ in range(4)]
    assert "还可尝试 1 次，仍不正确将锁定 30 分钟。" in texts[-1]
    assert code(client, wrong_code(device)).status_code == 429
    assert password(Client(), "member_a1").status_code == 302  # a colleague behind the same address


def test_a_right_password_does_not_wipe_the_count_of_wrong_codes(client, users, settings):
    device = totp_device(users["dangwei_a"])
    for _ in range(2):
        password(client, "dangwei_a")
        code(client, wrong_code(device))
        code(client, wrong_code(device))
        client.post(reverse("logout"))
    password(client, "dangwei_a")
    assert code(client, wrong_code(device)).status_code == 429


def test_a_complete_sign_in_forgets_the_failures(client, users):
    device = totp_device(users["dangwei_a"])
    for _ in range(3):
        password(client, "dangwei_a", "Wrong-pass-2026")
    password(client, "dangwei_a")
    assert AccessAttempt.objects.filter(username="dangwei_a").exists()  # not yet: the second step is due
    code(client, next_code(device))
    assert not AccessAttempt.objects.filter(username="dangwei_a").exists()


def test_without_a_second_step_the_password_forgets_the_failures(client, users):
    for _ in range(3):
        password(client, "member_a1", "Wrong-pass-2026")
    password(client, "member_a1")
    assert not AccessAttempt.objects.filter(username="member_a1").exists()


# --- turning it off, resetting it -------------------------------------------------------------------------------


def test_a_member_disables_it_with_a_current_code_and_an_administrator_cannot(client, users):
    device = totp_device(users["member_a1"])
    password(client, "member_a1")
    code(client, next_code(device))
    client.post(reverse("otp_disable"), {"code": "000000"})
    assert TOTPDevice.objects.filter(user=users["member_a1"]).exists()
    client.post(reverse("otp_disable"), {"code": next_code(device)}, REMOTE_ADDR=ADDRESS)
    assert not TOTPDevice.objects.filter(user=users["member_a1"]).exists()
    assert events("otp_disable") == [("member_a1", f"客户端地址：{ADDRESS}")]
    admin_device = totp_device(users["branch_a1"])
    with pytest.raises(ServiceError, match="管理员角色必须使用双因素认证"):
        otp.disable(actor=users["branch_a1"], code=next_code(admin_device))
    assert TOTPDevice.objects.filter(user=users["branch_a1"]).exists()


def test_reset_command_removes_the_authenticator_and_the_administrator_enrols_again(client, users):
    password(client, "branch_a1")
    enrol(client)
    client.post(reverse("logout"))
    out = StringIO()
    call_command("security", "reset-otp", "branch_a1", stdout=out)
    assert "已重置 branch_a1 的双因素验证" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=users["branch_a1"]).exists()
    assert not RecoveryCode.objects.filter(user=users["branch_a1"]).exists()
    assert events("otp_reset") == [("branch_a1", "命令行；移除验证器 1 个及全部恢复码")]
    password(client, "branch_a1")
    assert client.get(reverse("dashboard"))["Location"] == reverse("otp_setup")


def test_reset_by_anyone_but_the_security_admin_is_refused(users, system_users):
    """三员分立: the 安全管理员 resets an authenticator (as it lifts sign-in locks); no party administrator does,
    not even the 工委管理员, nor the 系统管理员 or 审计管理员."""
    totp_device(users["branch_a2"])
    for actor in (users["dangwei_a"], users["gongwei"], system_users["xitong"], system_users["shenji"]):
        with pytest.raises(OutOfScope):
            otp.reset(actor=actor, username="branch_a2")
    assert TOTPDevice.objects.filter(user=users["branch_a2"]).exists()
    otp.reset(actor=system_users["anquan"], username="branch_a2", client_address=ADDRESS)
    assert not TOTPDevice.objects.filter(user=users["branch_a2"]).exists()


def test_every_system_role_requires_it(system_users, client):
    assert {name: otp.requires_second_factor(user) for name, user in system_users.items()} == {
        "xitong": True,
        "anquan": True,
        "shenji": True,
    }
    assert password(client, "shenji").status_code == 302
    assert client.get(reverse("portal:audit"))["Location"] == reverse("otp_setup")


# --- the demo ---------------------------------------------------------------------------------------------------


def test_demo_code_prints_the_code_of_a_demo_account_only(client, users):
    with pytest.raises(CommandError, match="只能显示演示账号"):
        call_command("security", "demo-code", "branch_a1", stdout=StringIO())
    User.objects.filter(pk=users["branch_a1"].pk).update(is_demo_account=True)
    with pytest.raises(CommandError, match="还没有验证器"):
        call_command("security", "demo-code", "branch_a1", stdout=StringIO())
    password(client, "branch_a1")
    client.get(reverse("otp_setup"))  # the enrolment page: the authenticator being enrolled
    out = StringIO()
    call_command("security", "demo-code", "branch_a1", stdout=out)
    value = re.search(r"当前验证码：(\d{6})", out.getvalue()).group(1)
    response = client.post(reverse("otp_setup"), {"code": value})
    assert (
        response.status_code == 200
        and len(re.findall(r"data-recovery-code>", response.content.decode())) == 10
    )
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_session_awaiting_its_second_step_shows_no_menu(client, users):
    device = totp_device(users["dangwei_a"])
    password(client, "dangwei_a")
    page = client.get(reverse("otp_verify")).content.decode()
    assert reverse("members:list") not in page
    code(client, next_code(device))
    assert reverse("members:list") in client.get(reverse("account_security")).content.decode()


@pytest.mark.parametrize("drift", [-1, 0, 1])
def test_the_tests_next_code_is_accepted_whatever_the_device_s_drift(make_user, drift):
    """A code accepted one step off moves the device's drift (django-otp synchronises it): the code the tests type
    for the next sign-in must be counted in the device's steps, drift included, or it falls outside the window."""
    import time

    device = totp_device(make_user(f"drift{drift + 1}"))
    device.drift = drift
    device.last_t = int((time.time() - device.t0) // device.step) + drift  # this step's code used already
    device.save()
    assert device.verify_token(next_code(device))


@pytest.mark.parametrize("why", ["set by an administrator", "older than the limit"])
def test_a_user_with_an_authenticator_whose_password_must_change_gives_the_code_first(
    client, users, traveller, settings, why
):
    """The second step's page and the forced password change used to send each other's page back (an endless
    redirect: no one with an authenticator could sign in after a password reset, nor 90 days after setting it)."""
    user = users["branch_a1"]
    device = totp_device(user)
    if why == "set by an administrator":
        User.objects.filter(pk=user.pk).update(password_must_change=True)
    else:
        traveller.shift(dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS))
    password(client, "branch_a1")
    first = client.get(reverse("dashboard"))
    assert first["Location"].startswith(reverse("otp_verify"))
    page = client.get(first["Location"])
    assert page.status_code == 200  # the code's page, not a redirect back to the password page
    response = code(client, next_code(device), next_url=reverse("dashboard"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard"))["Location"] == reverse("password_change")
    assert client.get(reverse("otp_verify"))["Location"] == reverse(
        "password_change"
    )  # passed: the change alone
    assert client.get(reverse("password_change")).status_code == 200


# --- what a refused code is told ------------------------------------------------------------------------------


def refusal(response) -> str:
    found = re.search(
        r'<div class="alert alert-danger[^"]*" role="alert">([^<]+)</div>', response.content.decode()
    )
    assert response.status_code == 200 and found, response.status_code
    return found.group(1)


def test_a_used_recovery_code_and_a_code_just_used_are_told_apart_and_still_counted(client, users, settings):
    password(client, "branch_a2")
    others = enrol(client)  # another account's codes
    client.post(reverse("logout"))
    password(client, "branch_a2")
    code(client, others[0])
    client.post(reverse("logout"))

    password(client, "branch_a1")
    codes = enrol(client)  # its code confirms the enrolment: this time step's code has served
    device = TOTPDevice.objects.get(user=users["branch_a1"], confirmed=True)
    client.post(reverse("logout"))
    password(client, "branch_a1")
    assert code(client, codes[0]).status_code == 302
    client.post(reverse("logout"))

    password(client, "branch_a1")
    assert refusal(code(client, codes[0].lower())) == "该恢复码已使用过，请换一个未用过的恢复码。"
    assert refusal(code(client, otp.current_code(device))) == (
        "该验证码刚刚用过，请等待验证器显示下一个验证码后再输入。"
    )
    # another account's used code, a made-up one, a wrong number: nothing more than wrong
    assert refusal(code(client, others[0])).startswith("验证码或恢复码不正确。")
    assert refusal(code(client, "ABCDE-FGHJK")).startswith("验证码或恢复码不正确。")
    assert code(client, wrong_code(device)).status_code == 429  # five failures, whatever was said: locked
    failed = AuditEvent.objects.filter(action="otp_failed").order_by("id")
    assert [e.note.split("；", 1)[1] for e in failed] == [
        "恢复码已使用过",
        "验证码在同一时间段内已使用过",
        "验证码或恢复码不正确",
        "验证码或恢复码不正确",
        "验证码或恢复码不正确",
    ]
    assert {e.actor for e in failed} == {users["branch_a1"]}  # found by the username as 操作人
    assert not any(c.replace("-", "") in e.note.replace("-", "") for e in failed for c in codes + others)


def test_a_code_within_the_devices_tolerance_is_not_called_used(users):
    """Only a code of a step already accepted is "just used": the next step's code (one the device would accept)
    is never reported as used, whatever the drift."""
    device = totp_device(users["dangwei_a"])
    upcoming = next_code(device)
    assert otp.why_refused(user=users["dangwei_a"], code=upcoming) == ""
    assert otp.verify(user=users["dangwei_a"], code=upcoming) == "totp"
    assert otp.why_refused(user=users["dangwei_a"], code=upcoming) == otp.REUSED_CODE
    assert otp.why_refused(user=users["branch_a1"], code=upcoming) == ""  # no authenticator: nothing to say
