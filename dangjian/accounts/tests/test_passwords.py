"""The password rules, their history, their age, and the change an administrator's password requires."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from dangjian.accounts.models import PasswordHistory, User
from dangjian.conftest import TEST_PASSWORD
from dangjian.core.models import AuditEvent


def problems(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1-xyz", "密码太短，至少需要 10 个字符。"),
        ("abcdefgh-xyz", "密码须包含大写字母、小写字母、数字、特殊字符中的至少 3 类。"),
        ("abcdefgh12xyz", "密码须包含大写字母、小写字母、数字、特殊字符中的至少 3 类。"),
    ],
)
def test_length_and_character_classes(db, password, message):
    assert message in problems(password)


@pytest.mark.parametrize("password", ["Abcdefgh12", "abcdefgh-12", "ABCDEFGH-12", "Abcdefgh-x"])
def test_ten_characters_from_three_classes_pass(db, password):
    assert problems(password) == []


def test_a_password_may_not_contain_the_username(users):
    assert "密码不能包含用户名。" in problems("Xy-Branch_A1-2026", users["branch_a1"])
    assert problems("Xy-Branch_A2-2026", users["branch_a1"]) == []


def test_the_numbers_are_settings(db, settings):
    settings.PASSWORD_MIN_LENGTH = 14
    settings.PASSWORD_MIN_CLASSES = 4
    assert problems("abcdefgh-12") == [
        "密码太短，至少需要 14 个字符。",
        "密码须包含大写字母、小写字母、数字、特殊字符中的至少 4 类。",
    ]
    assert problems("Abcdefgh-12345") == []


def change(user, password):
    user.set_password(password)
    user.save()


def test_none_of_the_last_five_passwords(users):
    user = users["branch_a1"]
    passwords = [f"Pass-{n}-word2026" for n in range(1, 7)]
    for password in passwords:
        change(user, password)
    # the current one and the four before it are refused, the sixth-last is allowed again
    for password in passwords[1:]:
        assert problems(password, user) == ["新密码不能与最近 5 次使用过的密码相同。"], password
    assert problems(passwords[0], user) == []
    assert PasswordHistory.objects.filter(user=user).count() == 5
    stored = list(PasswordHistory.objects.values_list("password", flat=True))
    assert not any(p in s for p in passwords for s in stored)  # hashes only


def test_the_password_in_use_before_any_history_is_refused(users):
    assert problems(TEST_PASSWORD, users["branch_a1"]) == ["新密码不能与最近 5 次使用过的密码相同。"]


def test_the_history_length_is_a_setting(users, settings):
    settings.PASSWORD_HISTORY = 2
    user = users["branch_a1"]
    for n in range(1, 4):
        change(user, f"Pass-{n}-word2026")
    assert problems("Pass-1-word2026", user) == []
    assert problems("Pass-2-word2026", user) != []


# --- the change-password page ---------------------------------------------------------------------------


def post_change(client, old, new, address="10.5.5.5"):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
        REMOTE_ADDR=address,
    )


def test_changing_ones_password_is_audited_without_the_password(client, users):
    client.force_login(users["branch_a1"])
    response = post_change(client, TEST_PASSWORD, "Brand-new-2026")
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    user = User.objects.get(username="branch_a1")
    assert user.check_password("Brand-new-2026")
    event = AuditEvent.objects.get(action="password_change")
    assert (event.actor, event.object_id, event.note) == (user, str(user.pk), "客户端地址：10.5.5.5")
    stored = repr([event.object_repr, event.note, event.before, event.after])
    assert "Brand-new-2026" not in stored and TEST_PASSWORD not in stored
    assert client.get(reverse("dashboard")).status_code == 200  # still signed in


def test_a_refused_new_password_changes_nothing(client, users):
    client.force_login(users["branch_a1"])
    response = post_change(client, TEST_PASSWORD, "short")
    assert response.status_code == 200
    assert "密码太短，至少需要 10 个字符。" in response.content.decode()
    assert User.objects.get(username="branch_a1").check_password(TEST_PASSWORD)
    assert not AuditEvent.objects.filter(action="password_change").exists()


# --- age and the administrator's password ---------------------------------------------------------------


def test_an_expired_password_sends_the_user_to_the_change_page_and_nowhere_else(client, users):
    user = users["branch_a1"]
    with time_machine.travel(user.password_changed_at + dt.timedelta(days=89, hours=23), tick=False):
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == 200
    with time_machine.travel(user.password_changed_at + dt.timedelta(days=90, minutes=1), tick=False) as t:
        client.force_login(user)
        for name in ("dashboard", "members:list", "portal:audit"):
            response = client.get(reverse(name))
            assert (response.status_code, response["Location"]) == (302, reverse("password_change")), name
        page = client.get(reverse("password_change"))
        assert "您的密码已使用超过 90 天，请先修改密码。" in page.content.decode()
        assert post_change(client, TEST_PASSWORD, "Brand-new-2026").status_code == 302
        t.shift(dt.timedelta(minutes=1))
        assert client.get(reverse("dashboard")).status_code == 200


def test_the_maximum_age_is_a_setting(client, users, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30
    user = users["branch_a1"]
    with time_machine.travel(user.password_changed_at + dt.timedelta(days=31), tick=False):
        client.force_login(user)
        assert client.get(reverse("dashboard"))["Location"] == reverse("password_change")


def test_a_password_set_by_an_administrator_must_be_changed_at_first_sign_in(client, users):
    from dangjian.accounts.services import create_user

    create_user(actor=users["gongwei"], username="new_admin", password="Admin-set-2026")
    response = client.post(
        reverse("login"), {"username": "new_admin", "password": "Admin-set-2026"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("password_change")
    assert "您的密码由管理员设置，请先修改密码。" in response.content.decode()
    assert client.get(reverse("dashboard"))["Location"] == reverse("password_change")
    assert post_change(client, "Admin-set-2026", "Own-choice-2026").status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert User.objects.get(username="new_admin").password_must_change is False


def test_signing_out_stays_possible_while_a_change_is_due(client, users):
    user = users["branch_a1"]
    User.objects.filter(pk=user.pk).update(password_must_change=True)
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_demo_accounts_change_the_published_password_at_first_sign_in(client, db):
    call_command("seed", "--scale", "small", stdout=StringIO())
    call_command("demo_users", stdout=StringIO())
    call_command("demo_users", stdout=StringIO())  # `make demo` runs it every time
    response = client.post(reverse("login"), {"username": "dangyuan", "password": "Dangjian@2026"})
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard"))["Location"] == reverse("password_change")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "Dangjian@2026",
            "new_password1": "N3w-pass-2026!",
            "new_password2": "N3w-pass-2026!",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200  # a member: no second factor needed
    call_command("demo_users", stdout=StringIO())  # the next `make demo` resets it: changed again
    user = User.objects.get(username="dangyuan")
    assert user.check_password("Dangjian@2026") and user.password_must_change and user.is_demo_account


# --- how passwords are stored -----------------------------------------------------------------------------

PRODUCTION_HASHERS = [
    "dangjian.accounts.passwords.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def test_passwords_are_stored_with_argon2id_at_the_configured_cost(settings, make_user):
    from argon2 import extract_parameters

    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = make_user("hash_new")
    user.set_password("Zhibu-2026#ok")
    user.save()
    assert user.password.startswith("argon2$argon2id$")
    params = extract_parameters(user.password.removeprefix("argon2"))
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        settings.PASSWORD_ARGON2_TIME_COST,
        settings.PASSWORD_ARGON2_MEMORY_KIB,
        settings.PASSWORD_ARGON2_LANES,
    )
    assert user.check_password("Zhibu-2026#ok") and not user.check_password("Zhibu-2026#no")


def test_an_older_hash_is_redone_at_the_next_sign_in(settings, make_user):
    """A PBKDF2 hash (or one with other Argon2 numbers) still checks, and the check stores the current kind."""
    from django.contrib.auth.hashers import make_password

    from dangjian.accounts.models import User

    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = make_user("hash_old")
    for old in (
        make_password("Zhibu-2026#ok", hasher="pbkdf2_sha256"),
        make_password("Zhibu-2026#ok", hasher="argon2"),  # Argon2 with other numbers: same algorithm name
    ):
        User.objects.filter(pk=user.pk).update(password=old)
        settings.PASSWORD_ARGON2_MEMORY_KIB = 8192 if old.startswith("argon2") else 19456
        user.refresh_from_db()
        assert user.check_password("Zhibu-2026#ok")
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$") and user.password != old
        assert f"m={settings.PASSWORD_ARGON2_MEMORY_KIB}," in user.password


def test_the_rules_speak_as_the_site_does(db):
    """Every rule's text on the password pages and its refusal say 您 or nobody, as the rest of the site, never
    Django's 你; Django's rules keep working under their own names."""
    from django.contrib.auth.password_validation import password_validators_help_texts

    texts = password_validators_help_texts()
    assert len(texts) == 7 and not [t for t in texts if "你" in t]
    assert "密码不能与您的其他个人信息过于相似，不能包含您姓名的拼音、手机号码、身份证号或出生日期。" in texts
    user = User.objects.create_user("wangfang", password=TEST_PASSWORD, first_name="Wangfang")
    assert "这是一个常见密码，请换一个。" in problems("Password123", user)
    assert "密码不能全部是数字。" in problems("8402917365", user)
    assert any(p.startswith("密码与") and p.endswith("过于相似。") for p in problems("Wangfang-2026x", user))
    assert not [p for p in problems("12345", user) if "你" in p]
