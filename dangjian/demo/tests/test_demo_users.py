"""`dangjian demo_users`: one login per role over the seeded tree, idempotent, each seeing its scope."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.accounts.models import RoleAssignment, SystemRoleGrant, User
from dangjian.core.tables import display_width
from dangjian.demo.tests import TODAY
from dangjian.members.models import Member
from dangjian.orgs.models import Org

USERNAMES = ["anquan", "dangwei", "dangyuan", "gongwei", "shenji", "tuixiu", "xitong", "yubei", "zhibu"]


def demo_users(*args: str) -> str:
    out = StringIO()
    call_command("demo_users", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    call_command("seed", "--scale", "small", "--today", f"{TODAY}", stdout=StringIO())


def users() -> dict[str, User]:
    return {u.username: u for u in User.objects.select_related("member", "member__org")}


def codes(qs) -> list[str]:
    return sorted(qs.values_list("code", flat=True))


def test_fails_with_a_clear_message_without_seeded_data(db):
    with pytest.raises(CommandError, match=r"未找到演示数据.*dangjian seed --scale small"):
        demo_users()
    assert not User.objects.exists()


def test_creates_one_user_per_role_and_prints_the_logins(seeded):
    out = demo_users()
    accounts = users()
    assert sorted(accounts) == USERNAMES
    rows = sorted(
        RoleAssignment.objects.values_list("user__username", "role", "org__code", "include_descendants")
    )
    branch = accounts["zhibu"].roles.get().org
    assert rows == [
        ("dangwei", "dangwei_admin", "U001-JW", True),
        ("dangyuan", "member", accounts["dangyuan"].member.org.code, False),
        ("gongwei", "gongwei_admin", "GW", True),
        ("tuixiu", "member", accounts["tuixiu"].member.org.code, False),
        ("yubei", "member", accounts["yubei"].member.org.code, False),
        ("zhibu", "branch_admin", branch.code, True),
    ]
    # the member's pages as each kind of member reads them: three different members, each on the roll
    kinds = {name: accounts[name].member for name in ("dangyuan", "yubei", "tuixiu")}
    assert len({m.pk for m in kinds.values()}) == 3
    assert (kinds["dangyuan"].category, kinds["dangyuan"].work_status) == ("formal", "active")
    assert kinds["yubei"].category == "probationary" and kinds["tuixiu"].work_status == "retired"
    assert all(m.inactive_from is None for m in kinds.values())
    for user in accounts.values():
        assert user.check_password("Dangjian@2026")
        assert user.first_name.endswith("演示账号") and not user.is_superuser and not user.is_staff
    assert accounts["gongwei"].display_name() == "工委管理员演示账号"
    for label, username in (("工委管理员", "gongwei"), ("党委管理员", "dangwei"), ("支部管理员", "zhibu")):
        assert any(
            label in line and username in line and "Dangjian@2026" in line for line in out.splitlines()
        )
    assert "本人党员信息：" + accounts["dangyuan"].member.name in out
    # 三员分立: one account per system role, holding no party role and seeing no party record
    assert sorted(SystemRoleGrant.objects.filter(status="active").values_list("user__username", "role")) == [
        ("anquan", "security_admin"),
        ("shenji", "audit_admin"),
        ("xitong", "system_admin"),
    ]
    for label, username in (("系统管理员", "xitong"), ("安全管理员", "anquan"), ("审计管理员", "shenji")):
        assert any(label in line and username in line for line in out.splitlines())
        assert not Member.objects.visible_to(accounts[username]).exists()
        assert not Org.objects.visible_to(accounts[username]).exists()


def test_each_demo_user_sees_exactly_their_scope(seeded):
    demo_users()
    accounts = users()
    party = Org.objects.get(code="U001-JW")
    branch = accounts["zhibu"].roles.get().org

    assert Org.objects.visible_to(accounts["gongwei"]).count() == Org.objects.count() == 33
    assert Member.objects.visible_to(accounts["gongwei"]).count() == 200

    assert codes(Org.objects.visible_to(accounts["dangwei"])) == codes(Org.objects.subtree(party))
    assert not Org.objects.visible_to(accounts["dangwei"]).filter(code__startswith="U002").exists()
    assert set(Member.objects.visible_to(accounts["dangwei"])) == set(Member.objects.in_subtree(party))

    # 支部管理员: a serving branch of that 党委 with members and 党小组; sees the branch and its groups only.
    assert branch.type == "zhibu" and branch.is_within(party) and not branch.is_retiree_branch
    assert codes(Org.objects.visible_to(accounts["zhibu"])) == [
        "U001-JW-ZB01",
        "U001-JW-ZB01-XZ01",
        "U001-JW-ZB01-XZ02",
    ]
    branch_members = set(Member.objects.in_subtree(branch))
    assert set(Member.objects.visible_to(accounts["zhibu"])) == branch_members
    assert len(branch_members) == 22

    # 党员: an ordinary member of that branch (in one of its groups); sees only their own record.
    own = accounts["dangyuan"].member
    assert own in branch_members and own.org.type == "xiaozu"
    assert (own.category, own.work_status, own.posts.exists()) == ("formal", "active", False)
    assert list(Member.objects.visible_to(accounts["dangyuan"])) == [own]
    assert not Org.objects.visible_to(accounts["dangyuan"]).exists()


def test_running_again_resets_the_same_users(seeded):
    demo_users()
    first = {name: (u.pk, u.member_id) for name, u in users().items()}
    accounts = users()
    accounts["zhibu"].set_password("changed-by-someone")
    accounts["zhibu"].is_active = False
    accounts["zhibu"].save()
    RoleAssignment.objects.create(
        user=accounts["zhibu"], role="gongwei_admin", org=Org.objects.get(code="GW")
    )

    demo_users("--password", "Another-pass-2027")
    again = users()
    assert {name: (u.pk, u.member_id) for name, u in again.items()} == first
    assert RoleAssignment.objects.count() == 6
    assert again["zhibu"].roles.get().role == "branch_admin"
    assert all(u.is_active and u.check_password("Another-pass-2027") for u in again.values())


def test_works_again_after_the_data_is_reseeded(seeded):
    demo_users()
    pks = {name: u.pk for name, u in users().items()}
    call_command("seed", "--scale", "small", "--today", f"{TODAY}", "--reset", stdout=StringIO())
    assert not RoleAssignment.objects.exists() and users()["dangyuan"].member is None
    demo_users()
    accounts = users()
    assert {name: u.pk for name, u in accounts.items()} == pks
    assert list(Member.objects.visible_to(accounts["dangyuan"])) == [accounts["dangyuan"].member]


def test_weak_password_is_refused_and_nothing_is_created(seeded):
    with pytest.raises(CommandError, match="密码不符合要求"):
        demo_users("--password", "123")
    assert not User.objects.exists()


def test_the_login_table_lines_up(seeded):
    """CJK role names take two columns each: the usernames and passwords start at the same column."""
    lines = demo_users().splitlines()[:12]  # the table; the instructions for the first sign-in follow
    scopes = [line.split("  Dangjian@2026  ")[1] for line in lines[3:]]
    assert lines[:3] == [
        "演示账号（已创建或重置）：",
        "角色        用户名    密码           范围",
        "----------  --------  -------------  " + "-" * max(display_width(s) for s in scopes),
    ]
    assert [line.removesuffix(scope) for line, scope in zip(lines[3:], scopes, strict=True)] == [
        "工委管理员  gongwei   Dangjian@2026  ",
        "党委管理员  dangwei   Dangjian@2026  ",
        "支部管理员  zhibu     Dangjian@2026  ",
        "党员        dangyuan  Dangjian@2026  ",
        "党员        yubei     Dangjian@2026  ",
        "党员        tuixiu    Dangjian@2026  ",
        "系统管理员  xitong    Dangjian@2026  ",
        "安全管理员  anquan    Dangjian@2026  ",
        "审计管理员  shenji    Dangjian@2026  ",
    ]


def test_demo_accounts_are_marked_must_change_their_password_and_enrol_again_after_a_run(seeded):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from dangjian.accounts.models import RecoveryCode

    out = demo_users()
    assert {u.username: (u.is_demo_account, u.password_must_change) for u in users().values()} == {
        name: (True, True) for name in USERNAMES
    }
    gongwei = users()["gongwei"]
    TOTPDevice.objects.create(user=gongwei, name="phone", confirmed=True)
    RecoveryCode.objects.create(user=gongwei, digest="0" * 64)
    demo_users()  # the next `make demo`: the accounts are reset, the authenticator with them
    assert not TOTPDevice.objects.filter(user=gongwei).exists()
    assert not RecoveryCode.objects.filter(user=gongwei).exists()
    assert "修改密码" in out and "扫描页面上的二维码" in out
    assert ".venv/bin/dangjian security demo-code gongwei" in out
