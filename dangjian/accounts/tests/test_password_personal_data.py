"""A password may not be built from the personal data of the member the account belongs to (name in pinyin,
phone, 身份证号, birth date); the messages never repeat the data. And the change-password page shows the
complaints about the new password under 新密码, once each."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from dangjian.accounts.services import create_user
from dangjian.conftest import TEST_PASSWORD, make_id_number
from dangjian.core.errors import ServiceError

PHONE = "13912345678"
BIRTH = dt.date(1994, 10, 18)


@pytest.fixture
def zhang(tree, make_member, make_user):
    member = make_member(
        tree.a1,
        name="张晶燕",
        id_number=make_id_number(BIRTH, male=False),
        phone=PHONE,
        joined_on=dt.date(2016, 7, 1),
        confirmed_on=dt.date(2017, 7, 1),
    )
    return make_user("zjy01", "member", tree.a1, member=member)


def problems(password: str, user) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Zhangjingyan1!", "密码不能包含您姓名的拼音。"),
        ("ZHANGJINGYAN-2026", "密码不能包含您姓名的拼音。"),
        ("Zhang-Jing-Yan-26", "密码不能包含您姓名的拼音。"),
        (f"Ab-{PHONE}", "密码不能包含您的手机号码。"),
        ("Ab-139-1234-5678", "密码不能包含您的手机号码。"),
        ("Ab-19941018-xy", "密码不能包含您的出生日期。"),
        ("Ab-1994.10.18-xy", "密码不能包含您的出生日期。"),
    ],
)
def test_personal_data_in_the_password_is_refused(zhang, password, message, caplog):
    with caplog.at_level(logging.DEBUG):
        found = problems(password, zhang)
    assert found == [message]
    member = zhang.member
    for secret in (PHONE, member.id_number, "19941018", "zhangjingyan", "张晶燕"):
        assert not any(secret.lower() in text.lower() for text in found)
        assert secret.lower() not in caplog.text.lower()  # nothing logged of it


def test_the_id_number_is_refused_once_in_any_case(zhang):
    id_number = zhang.member.id_number
    assert problems(f"Id-{id_number.lower()}x", zhang) == [
        "密码不能包含您的身份证号。"
    ]  # not also the birth date


def test_a_password_without_personal_data_passes(zhang):
    assert problems("Qz-7461-mwpt", zhang) == []
    assert problems("Zhang-2026-qx", zhang) == []  # the surname alone is not the name


def test_an_account_without_a_member_record_is_unaffected(users):
    assert problems("Zhangjingyan1!", users["norole"]) == []


def test_an_administrator_cannot_create_an_account_with_such_a_password(users, tree, make_member):
    member = make_member(tree.a1, name="王小明", phone="13700001111")
    with pytest.raises(ServiceError, match="密码不能包含您的手机号码"):
        create_user(actor=users["gongwei"], username="wxm", password="Pw-13700001111", member=member)


def test_the_username_gives_one_complaint_not_two(users):
    assert problems("Branch_A1-2026", users["branch_a1"]) == ["密码不能包含用户名。"]
    assert problems("X-branch_a1-9", users["branch_a1"]) == ["密码不能包含用户名。"]


def change(client, new, new2=None):
    return client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new2 or new},
    )


def test_the_change_page_shows_the_new_passwords_problems_under_it(client, zhang):
    client.force_login(zhang)
    response = change(client, "Zhangjingyan1!")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["new_password1"] == ["密码不能包含您姓名的拼音。"]
    assert "new_password2" not in form.errors
    text = response.content.decode()
    assert 'class="form-control is-invalid" type="password" name="new_password1"' in text
    assert 'class="form-control " type="password" name="new_password2"' in text
    zhang.refresh_from_db()
    assert zhang.check_password(TEST_PASSWORD)


def test_the_change_page_says_a_mismatch_under_the_confirmation(client, zhang):
    client.force_login(zhang)
    form = change(client, "Qz-7461-mwpt", "Qz-7461-mwpx").context["form"]
    assert list(form.errors) == ["new_password2"]
