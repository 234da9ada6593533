"""Failed sign-ins lock the account, and many across usernames the client address; sign-in events are in the
audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dangjian.conftest import TEST_PASSWORD
from dangjian.core.models import AuditEvent

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # 17:00 in Shanghai
WRONG = "Wrong-pass-2026"


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, address="10.0.0.1"):
    return [sign_in(client, username, WRONG, address) for _ in range(times)]


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=False) as t:
        yield t


def test_five_failures_lock_and_then_the_right_password_is_refused(client, users, traveller):
    responses = fail(client, "branch_a1", 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    response = sign_in(client, "branch_a1", TEST_PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    text = response.content.decode()
    assert "登录已暂时锁定" in text
    assert "请于 2026-11-02 17:30 之后再试" in text  # 30 minutes after the fifth failure, Shanghai time


def test_four_failures_do_not_lock(client, users, traveller):
    fail(client, "branch_a1", 4)
    response = sign_in(client, "branch_a1", TEST_PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_failures_further_apart_than_the_window_do_not_add_up(client, users, traveller):
    fail(client, "branch_a1", 4)
    traveller.shift(dt.timedelta(minutes=16))
    fail(client, "branch_a1", 4)
    response = sign_in(client, "branch_a1", TEST_PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_lock_expires_after_its_period(client, users, traveller):
    fail(client, "branch_a1", 5)
    traveller.shift(dt.timedelta(minutes=29))
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 429
    traveller.shift(dt.timedelta(minutes=1, seconds=1))
    response = sign_in(client, "branch_a1", TEST_PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_failures_during_the_lock_do_not_prolong_it(client, users, traveller):
    fail(client, "branch_a1", 5)
    traveller.shift(dt.timedelta(minutes=20))
    fail(client, "branch_a1", 3)
    traveller.shift(dt.timedelta(minutes=10, seconds=1))
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302


def test_the_account_is_locked_from_every_address_for_the_whole_period(client, users, traveller):
    for n in range(5):
        sign_in(client, "branch_a1", WRONG, address=f"10.0.1.{n}")
    assert sign_in(client, "branch_a1", TEST_PASSWORD, address="10.0.2.1").status_code == 429
    assert sign_in(Client(), "branch_a2", TEST_PASSWORD, address="10.0.1.1").status_code == 302
    traveller.shift(dt.timedelta(minutes=20))  # past the counting window, within the lock
    assert sign_in(client, "branch_a1", TEST_PASSWORD, address="10.0.2.1").status_code == 429
    traveller.shift(dt.timedelta(minutes=10, seconds=1))
    assert sign_in(client, "branch_a1", TEST_PASSWORD, address="10.0.2.1").status_code == 302


def test_many_failures_across_usernames_lock_the_client_address_for_every_account(client, users, traveller):
    """Someone trying many accounts from one address: SIGNIN_ADDRESS_FAILURE_LIMIT (20) failures lock it."""
    responses = [sign_in(client, f"guess_{n}", WRONG, address="10.0.3.3") for n in range(20)]
    assert [r.status_code for r in responses] == [200] * 19 + [429]
    page = responses[-1].content.decode()
    assert "本机地址已锁定 30 分钟" in page and "该账号连续" not in page
    assert sign_in(Client(), "branch_a2", TEST_PASSWORD, address="10.0.3.3").status_code == 429
    assert sign_in(Client(), "branch_a2", TEST_PASSWORD, address="10.0.3.4").status_code == 302
    traveller.shift(dt.timedelta(minutes=30, seconds=1))
    assert sign_in(Client(), "branch_a2", TEST_PASSWORD, address="10.0.3.3").status_code == 302


def test_one_persons_failures_lock_that_account_not_the_colleagues_behind_the_address(
    client, users, system_users, traveller
):
    """Five failures on one username (even one that does not exist) lock that username only: the colleagues
    signing in from the same office address, the 安全管理员 among them, are not locked out."""
    for username in ("nobody_here", "branch_a1"):
        responses = fail(Client(), username, 5, address="10.0.5.5")
        assert responses[-1].status_code == 429
        page = responses[-1].content.decode()
        assert "该账号连续 5 次登录失败，该账号已锁定 30 分钟" in page and "本机地址" not in page
    for colleague in ("branch_a2", "member_a1", "anquan"):
        response = sign_in(Client(), colleague, TEST_PASSWORD, address="10.0.5.5")
        assert response.status_code == 302, colleague
    assert sign_in(Client(), "branch_a1", TEST_PASSWORD, address="10.0.5.5").status_code == 429


def test_the_address_limit_is_a_setting_and_counts_across_usernames_only(client, users, traveller, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 8
    fail(client, "branch_a1", 5, address="10.0.6.6")  # one account locked: 5 of the address's 8
    fail(client, "guess_x", 2, address="10.0.6.6")
    assert sign_in(Client(), "branch_a2", TEST_PASSWORD, address="10.0.6.6").status_code == 302
    # a colleague's sign-in forgets her own failures, not those of the address
    assert sign_in(client, "guess_y", WRONG, address="10.0.6.6").status_code == 429
    assert sign_in(Client(), "member_a1", TEST_PASSWORD, address="10.0.6.6").status_code == 429


def test_the_sign_in_page_warns_before_the_last_attempts(client, users, traveller):
    texts = [r.content.decode() for r in fail(client, "branch_a1", 4)]
    assert "用户名或密码不正确。" in texts[0] and "还可尝试" not in texts[0] + texts[1]
    assert "还可尝试 2 次，仍不正确将锁定 30 分钟。" in texts[2]
    assert "还可尝试 1 次，仍不正确将锁定 30 分钟。" in texts[3]


def test_the_locked_out_page_names_the_security_admin(client, users, traveller):
    page = fail(client, "branch_a1", 5)[-1].content.decode()
    assert "如需提前解锁，请联系安全管理员。" in page and "系统管理员" not in page


def test_the_numbers_are_settings(client, users, traveller, settings):
    settings.SIGNIN_FAILURE_LIMIT = 3
    settings.SIGNIN_LOCKOUT_MINUTES = 10
    assert [r.status_code for r in fail(client, "branch_a1", 3)] == [200, 200, 429]
    traveller.shift(dt.timedelta(minutes=10, seconds=1))
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302


def test_unlock_command_lifts_the_lock_and_is_audited(client, users, traveller, capsys):
    fail(client, "branch_a1", 5)
    call_command("security", "unlock", "branch_a1")
    assert "已解除锁定：branch_a1" in capsys.readouterr().out
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="unlock")
    assert (event.actor_label, event.object_repr, event.object_id) == (
        "系统",
        "branch_a1",
        str(users["branch_a1"].pk),
    )
    assert event.note.startswith("已解除锁定")


@pytest.mark.parametrize("who", ["gongwei", "dangwei_a"])
def test_unlock_by_a_user_who_is_not_the_security_admin_is_refused(client, users, traveller, who):
    from dangjian.accounts.services import unlock_signin
    from dangjian.core.errors import OutOfScope

    fail(client, "branch_a1", 5)
    with pytest.raises(OutOfScope):
        unlock_signin(actor=users[who], username="branch_a1")
    assert sign_in(client, "branch_a1", TEST_PASSWORD).status_code == 429
    assert not AuditEvent.objects.filter(action="unlock").exists()


# --- the audit trail ---------------------------------------------------------------------------------------


def signin_events():
    return list(
        AuditEvent.objects.filter(
            action__in=["login", "login_failed", "lockout", "unlock", "logout", "password_change"]
        ).order_by("id")
    )


def assert_no_password(events, *passwords):
    for event in events:
        stored = repr([event.object_repr, event.note, event.before, event.after, event.actor_label])
        for password in passwords:
            assert password not in stored


def test_a_sign_in_is_recorded_with_the_client_address(client, users):
    sign_in(client, "branch_a1", TEST_PASSWORD, address="10.9.8.7")
    [event] = signin_events()
    assert (event.action, event.actor, event.object_repr, event.note) == (
        "login",
        users["branch_a1"],
        "branch_a1",
        "客户端地址：10.9.8.7；密码正确，待第二步验证",  # an administrator: the second step follows
    )
    assert_no_password([event], TEST_PASSWORD)


def test_failures_and_the_lock_are_recorded_without_the_password(client, users, traveller):
    fail(client, "branch_a1", 5, address="10.9.8.7")
    sign_in(client, "branch_a1", TEST_PASSWORD, address="10.9.8.7")
    events = signin_events()
    assert [e.action for e in events] == ["login_failed"] * 5 + ["lockout", "login_failed"]
    assert {e.object_id for e in events} == {str(users["branch_a1"].pk)}
    assert all(e.note.startswith("客户端地址：10.9.8.7；") for e in events)
    assert events[0].note == "客户端地址：10.9.8.7；用户名或密码不正确"
    assert events[5].note == "客户端地址：10.9.8.7；锁定至 2026-11-02 17:30"
    assert events[6].note == "客户端地址：10.9.8.7；账号或客户端地址已锁定，未核对密码"
    assert_no_password(events, WRONG, TEST_PASSWORD)
    # the failures' counter keeps no password either
    kept = list(AccessAttempt.objects.values_list("username", "post_data", "get_data"))
    assert kept and not any(WRONG in str(row) for row in kept)


def test_failures_and_the_lock_of_an_account_are_found_by_its_username_as_the_actor(
    client, users, system_users, traveller
):
    """The 审计管理员 searching 操作人 = the username finds the account's failed sign-ins and its lock beside its
    sign-ins (they were recorded with 操作人 "系统"); a username of no account keeps none, and nothing typed is
    recorded."""
    fail(client, "branch_a1", 5, address="10.9.8.7")
    fail(client, "nobody", 1, address="10.9.8.6")
    events = {e.action: e for e in signin_events() if e.object_repr == "branch_a1"}
    assert {action: e.actor for action, e in events.items()} == {
        "login_failed": users["branch_a1"],
        "lockout": users["branch_a1"],
    }
    assert AuditEvent.objects.get(object_repr="nobody").actor is None
    assert_no_password(signin_events(), WRONG)
    auditor = Client()
    auditor.force_login(system_users["shenji"])
    page = auditor.get(reverse("portal:audit"), {"actor": "branch_a1"})
    found = [(e.action, e.object_repr) for e in page.context["page"]]
    assert found.count(("login_failed", "branch_a1")) == 5 and ("lockout", "branch_a1") in found
    assert ("login_failed", "nobody") not in found


def test_a_failure_for_an_unknown_username_is_recorded(client, db):
    sign_in(client, "nobody", WRONG, address="10.1.1.1")
    [event] = signin_events()
    assert (event.action, event.actor, event.object_id, event.object_repr) == (
        "login_failed",
        None,
        "",
        "nobody",
    )


def test_a_sign_out_is_recorded(client, users):
    sign_in(client, "branch_a1", TEST_PASSWORD, address="10.2.2.2")
    client.post(reverse("logout"), REMOTE_ADDR="10.2.2.2")
    events = signin_events()
    assert [(e.action, e.actor, e.note) for e in events] == [
        ("login", users["branch_a1"], "客户端地址：10.2.2.2；密码正确，待第二步验证"),
        ("logout", users["branch_a1"], "客户端地址：10.2.2.2"),
    ]


def test_the_client_address_behind_a_tls_proxy_is_the_one_the_proxy_saw(client, users, settings):
    settings.BEHIND_TLS_PROXY = True
    client.post(
        reverse("login"),
        {"username": "branch_a1", "password": TEST_PASSWORD},
        REMOTE_ADDR="192.168.0.2",
        HTTP_X_FORWARDED_FOR="1.1.1.1, 10.3.3.3",
    )
    assert signin_events()[0].note == "客户端地址：10.3.3.3；密码正确，待第二步验证"


# --- the page of sign-in locks ----------------------------------------------------------------------------


@pytest.fixture
def anquan(system_users):
    return system_users["anquan"]


def test_the_locks_page_lists_the_locks_and_lifts_one(client, users, traveller, anquan):
    fail(Client(), "branch_a1", 5, address="10.7.7.7")
    client.force_login(anquan)
    page = client.get(reverse("locks"))
    assert [(lock["kind"], lock["value"]) for lock in page.context["locks"]] == [("username", "branch_a1")]
    assert "2026-11-02 17:30" in page.content.decode()
    response = client.post(reverse("locks"), {"username": "branch_a1"}, follow=True)
    assert "已解除锁定：branch_a1" in response.content.decode()
    assert response.context["locks"] == []
    assert sign_in(Client(), "branch_a1", TEST_PASSWORD, address="10.7.7.7").status_code == 302
    event = AuditEvent.objects.get(action="unlock")
    assert (event.actor, event.object_repr) == (anquan, "branch_a1")


@pytest.mark.parametrize("who", ["gongwei", "dangwei_a", "branch_a1", "member_a1"])
def test_only_the_security_admin_may_lift_a_lock(client, users, traveller, who):
    """三员分立: lifting a lock is the 安全管理员's, not even the 工委管理员's."""
    fail(Client(), "branch_a2", 5)
    client.force_login(users[who])
    assert client.get(reverse("locks")).status_code == 403
    assert client.post(reverse("locks"), {"username": "branch_a2"}).status_code == 403
    assert sign_in(Client(), "branch_a2", TEST_PASSWORD).status_code == 429
    assert not AuditEvent.objects.filter(action="unlock").exists()


def test_the_locks_page_lists_a_locked_address_and_lifts_it(client, users, traveller, anquan, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    for n in range(6):
        sign_in(Client(), f"guess_{n}", WRONG, address="10.8.8.8")
    client.force_login(anquan)
    page = client.get(reverse("locks"))
    assert [(lock["kind"], lock["value"]) for lock in page.context["locks"]] == [("ip_address", "10.8.8.8")]
    assert "同一客户端地址登录失败达 6 次" in page.content.decode()
    lock = AuditEvent.objects.get(action="lockout")
    assert (lock.object_repr, lock.object_id) == ("10.8.8.8", "")
    assert lock.note == "客户端地址：10.8.8.8；该地址登录失败次数过多，客户端地址锁定至 2026-11-02 17:30"
    response = client.post(reverse("locks"), {"address": "10.8.8.8"}, follow=True)
    assert response.context["locks"] == []
    assert sign_in(Client(), "branch_a2", TEST_PASSWORD, address="10.8.8.8").status_code == 302
