"""A wrong current password on the change-password page counts toward the sign-in lock: whoever holds a session
cannot guess the account's password there unhindered. At the limit the user is signed out and the account
locked as after failed sign-ins; every failure is audited like a failed sign-in, without the password."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse

from dangjian.accounts.tests.test_signin import WRONG, fail, signed_in
from dangjian.conftest import TEST_PASSWORD
from dangjian.conftest import sign_in as both_steps
from dangjian.core.models import AuditEvent

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # 17:00 in Shanghai
NEW = "N3w-pass-2026!"


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=False) as t:
        yield t


def sign_in(client, username, password, address="10.0.0.1"):
    """Both steps of the sign-in (an administrator's second factor included)."""
    return both_steps(client, username, password, REMOTE_ADDR=address)


def change(client, old, address="10.0.0.1"):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": NEW, "new_password2": NEW},
        REMOTE_ADDR=address,
    )


def failures():
    return list(AuditEvent.objects.filter(action__in=["login_failed", "lockout", "logout"]).order_by("pk"))


def test_wrong_current_passwords_lock_the_account_and_sign_out(client, users, traveller):
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302
    responses = [change(client, WRONG) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    page = responses[-1].content.decode()
    # the page speaks of the password change, not of failed sign-ins
    assert "修改密码时连续 5 次输入的当前密码不正确" in page and "账号已暂时锁定" in page
    assert "登录失败" not in page and "登录已暂时锁定" not in page
    assert "如需提前解锁，请联系安全管理员。" in page
    assert not signed_in(client)  # signed out at the lock
    events = failures()
    assert [e.action for e in events] == ["login_failed"] * 5 + ["lockout", "logout"]
    assert events[0].note == "客户端地址：10.0.0.1；修改密码时当前密码不正确"
    assert events[0].object_id == str(users["branch_a1"].pk)
    assert events[5].note == "客户端地址：10.0.0.1；锁定至 2026-11-02 17:30"
    assert not any(WRONG in e.note or NEW in e.note for e in events)
    kept = list(AccessAttempt.objects.values_list("post_data", "get_data"))
    assert kept and not any(WRONG in str(row) or NEW in str(row) for row in kept)
    # locked as after failed sign-ins: the right password is refused until the lock ends (the page still says why)
    refused = sign_in(client, "branch_a1", TEST_PASSWORD)
    assert refused.status_code == 429 and "修改密码时连续 5 次" in refused.content.decode()
    traveller.shift(dt.timedelta(minutes=31))
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302


def test_change_password_failures_and_sign_in_failures_add_up(client, users, traveller):
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302
    fail(client.__class__(), "branch_a1", 3, address="10.0.0.9")  # meanwhile, guesses at the sign-in page
    assert [change(client, WRONG).status_code for _ in range(2)] == [200, 429]
    assert not signed_in(client)


def test_the_right_current_password_changes_it(client, users, traveller):
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302
    change(client, WRONG)
    assert change(client, TEST_PASSWORD).status_code == 302
    assert signed_in(client)
    users["branch_a1"].refresh_from_db()
    assert users["branch_a1"].check_password(NEW)


def test_a_form_error_other_than_the_current_password_does_not_count(client, users, traveller):
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302
    for _ in range(6):
        response = client.post(
            reverse("password_change"),
            {"old_password": TEST_PASSWORD, "new_password1": NEW, "new_password2": "different"},
        )
        assert response.status_code == 200
    assert signed_in(client) and not AccessAttempt.objects.exists()


def test_the_page_says_the_old_password_is_wrong_with_nin_and_warns_before_the_last_attempts(
    client, users, traveller
):
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302
    texts = [change(client, WRONG).content.decode() for _ in range(4)]
    assert "您的旧密码不正确，请重新输入。" in texts[0] and "你的" not in texts[0]
    assert "还可尝试" not in texts[0] + texts[1]
    assert "还可尝试 2 次，仍不正确将锁定账号 30 分钟并退出登录。" in texts[2]
    assert "还可尝试 1 次，仍不正确将锁定账号 30 分钟并退出登录。" in texts[3]
    assert signed_in(client)


def test_the_lock_is_the_accounts_alone(client, users, system_users, traveller):
    """A member's wrong old passwords lock that member's account, not the office address its colleagues share."""
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302
    assert [change(client, WRONG).status_code for _ in range(5)][-1] == 429
    for colleague in ("branch_a2", "member_a1", "anquan"):
        assert sign_in(client.__class__(), colleague, TEST_PASSWORD).status_code == 302, colleague


def test_a_lock_of_the_address_by_others_does_not_sign_the_member_out(client, users, traveller, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302
    for n in range(6):
        sign_in(client.__class__(), f"guess_{n}", WRONG)
    response = change(client, WRONG)
    assert response.status_code == 200 and signed_in(client)
