"""等保: 应及时删除或停用多余的、过期的账户. An enabled account whose member has left the roll (转出 …) is named on the
系统管理员's account list (应停用, a banner with their number and a filter to them) and on the account's page —
that it has left, never why; once disabled it is no longer named."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.accounts import sysroles
from dangjian.movements.services import transfer_out

USERS = reverse("system:users")


@pytest.fixture
def left(users, today):
    """李党员 (account member_a1) transferred out of the system ten days ago."""
    member = users["own_member"]
    transfer_out(
        actor=None,
        member=member,
        letter_no="沪组转〔2026〕12号",
        destination="外省某局机关党委",
        transferred_on=today - dt.timedelta(days=10),
    )
    return users["member_a1"]


def rows(response) -> dict[str, str]:
    html = response.content.decode()
    return {
        name: body
        for name, body in ((chunk.split('"', 1)[0], chunk) for chunk in html.split('<tr data-account="')[1:])
    }


def test_an_account_whose_member_left_the_roll_is_named_until_disabled(client, system_users, users, left):
    client.force_login(system_users["xitong"])
    response = client.get(USERS)
    html = response.content.decode()
    assert 'data-testid="expired-banner"' in html and "有 1 个启用的账号所对应的党员已不在党员名册中" in html
    listed = rows(response)
    assert 'data-testid="expired"' in listed["member_a1"]
    assert 'data-testid="expired"' not in listed["branch_a1"]  # an account without a member who left
    assert "转出" not in listed["member_a1"]  # that the member left, never why
    only = rows(client.get(USERS, {"expired": "1"}))
    assert set(only) == {"member_a1"}
    detail = client.get(reverse("system:user_detail", args=[left.pk])).content.decode()
    assert 'data-testid="expired"' in detail

    sysroles.set_active(actor=system_users["xitong"], user=left, active=False)
    response = client.get(USERS)
    assert 'data-testid="expired-banner"' not in response.content.decode()
    assert 'data-testid="expired"' not in rows(response)["member_a1"]
    assert rows(client.get(USERS, {"expired": "1"})) == {}


def test_accounts_of_members_on_the_roll_are_not_named(client, system_users, users):
    assert users["member_a1"].member is not None
    client.force_login(system_users["xitong"])
    html = client.get(USERS).content.decode()
    assert 'data-testid="expired"' not in html and 'data-testid="expired-banner"' not in html
