"""The accounts of the load benchmark (benchmarks/load/prepare.py) sign in as the benchmark's users do: the
password from the file, then, for the administrator roles, a code computed from the secret in the file; none of
them is sent to the password change. Run twice, the preparation keeps the accounts and their authenticators."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django_otp.oath import hotp

from dangjian.accounts.models import RoleAssignment, User
from dangjian.core.tests.repo_files import load


def _prepare_module():
    return load("benchmarks/load/prepare.py", "load_prepare")


def _code(account: dict, user: User) -> str:
    """The code the benchmark would type: from the file's secret, at a step the device has not used yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    step = max(int(time.time() // 30), device.last_t + 1)  # a code works once: the next step's, if used
    return str(hotp(bytes.fromhex(account["otp_key"]), step)).zfill(6)


@pytest.fixture
def populated(tree, make_member):
    for org in (tree.a1, tree.a2, tree.b1):
        for i in range(5):
            make_member(org, name=f"成员{org.code}{i}")
    return tree


@pytest.mark.django_db
def test_the_load_accounts_sign_in_through_both_steps(populated, client, tmp_path):
    prepare = _prepare_module()
    out = tmp_path / "accounts.json"
    data = prepare.prepare(out=out, branch_admins=2, gongwei=1, dangwei=1, members=2)
    assert out.exists()
    accounts = data["accounts"]
    roles = sorted(a["role"] for a in accounts)
    assert roles == ["branch_admin", "branch_admin", "dangwei_admin", "gongwei_admin", "member", "member"]
    branch_orgs = {a["org_id"] for a in accounts if a["role"] == "branch_admin"}
    assert len(branch_orgs) == 2  # distinct branches

    for account in accounts:
        user = User.objects.get(username=account["username"])
        assert not user.password_must_change
        assert RoleAssignment.objects.filter(
            user=user, role=account["role"], org_id=account["org_id"]
        ).exists()
        client.logout()
        response = client.post(
            reverse("login"), {"username": account["username"], "password": data["password"], "next": "/"}
        )
        assert response.status_code == 302 and response["Location"] == "/", account["username"]
        if account["role"] == "member":
            assert account["otp_key"] == ""
        else:  # every page sends the administrator to the second step first
            response = client.get("/")
            assert response.status_code == 302 and response["Location"].startswith(reverse("otp_verify"))
            response = client.post(response["Location"], {"code": _code(account, user)})
            assert response.status_code == 302 and response["Location"] == "/", account["username"]
        page = client.get("/")
        assert page.status_code == 200
        assert page.wsgi_request.user.username == account["username"]


@pytest.mark.django_db
def test_preparing_again_keeps_the_accounts_and_their_authenticators(populated, tmp_path):
    prepare = _prepare_module()
    first = prepare.prepare(out=None, branch_admins=2, gongwei=1, dangwei=1, members=2)
    second = prepare.prepare(out=None, branch_admins=2, gongwei=1, dangwei=1, members=2)
    strip = [{k: v for k, v in a.items() if k != "prepared_at"} for a in first["accounts"]]
    assert strip == [{k: v for k, v in a.items() if k != "prepared_at"} for a in second["accounts"]]
    assert User.objects.filter(username__startswith="load_").count() == 6
