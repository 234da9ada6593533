"""The accounts of the load benchmark (benchmarks/load/), made through the project's services (idempotent):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench_load \\
        .venv/bin/python benchmarks/load/prepare.py [--out benchmarks/load/accounts.json]

- 200 支部管理员 (load_zb_001 …), each of a different serving 党支部 with members, spread over the city;
- 20 党委/工委 staff: 2 工委管理员 (load_gw_01, load_gw_02) and 18 党委管理员 of 18 different 党委/党组/党总支
  (load_dw_01 …);
- 200 党员 with their own login (load_dy_001 …), ordinary members spread over the city.

Each account gets the known password LOAD_PASSWORD (it satisfies the password rules; set by the account's own
password change, so it is not flagged to be changed) and, for the administrator roles, a confirmed
authenticator (TOTP) enrolled with a code it showed, as a person would on the enrolment page. The JSON file
holds, per account, the username, the role, the organisation and the authenticator's secret (hex): the
locustfile computes the current code from it. The file holds credentials of a test database: it is not kept in
the repository (.gitignore).

Run again, it keeps what exists: the accounts, their roles and their authenticators (a missing piece is
added), and writes the file anew. The password of an existing account is taken to be the one set here (it is
not checked: each check costs a password hash, seconds for 420 accounts on a busy machine); --reset-passwords
checks it and sets it again where it differs."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = Path(__file__).resolve().parent / "accounts.json"
LOAD_PASSWORD = "Load-bench#2026"  # 15 characters, four classes, contains no load_* username
BRANCH_ADMINS = 200
GONGWEI_STAFF = 2
DANGWEI_STAFF = 18
MEMBERS = 200


def _spread(items: list, n: int) -> list:
    """`n` items taken at even steps through `items` (all of them when there are fewer)."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _targets(branch_admins: int, gongwei: int, dangwei: int, members: int) -> list[dict]:
    """Who gets which account: [{username, role, org, member}] in a stable order."""
    from django.db.models import Count, Q

    from dangjian.accounts.choices import Role
    from dangjian.accounts.models import User
    from dangjian.members.choices import Category, WorkStatus
    from dangjian.members.models import Member
    from dangjian.orgs.choices import OrgType
    from dangjian.orgs.models import Org

    root = Org.objects.filter(type=OrgType.GONGWEI).order_by("pk").first()
    if root is None:
        raise SystemExit("没有组织数据：请先运行 dangjian seed --scale municipal --seed 1")
    active = Org.objects.active()
    branches = list(
        active.filter(type=OrgType.ZHIBU, is_retiree_branch=False)
        .annotate(n=Count("members"))
        .filter(n__gte=5)
        .order_by("path")
    )
    parties = list(
        active.filter(type__in=[OrgType.DANGWEI, OrgType.DANGZU, OrgType.ZONGZHI]).order_by("path")
    )
    targets = [
        {"username": f"load_zb_{i + 1:03d}", "role": Role.BRANCH_ADMIN, "org": org, "member": None}
        for i, org in enumerate(_spread(branches, branch_admins))
    ]
    targets += [
        {"username": f"load_gw_{i + 1:02d}", "role": Role.GONGWEI_ADMIN, "org": root, "member": None}
        for i in range(gongwei)
    ]
    targets += [
        {"username": f"load_dw_{i + 1:02d}", "role": Role.DANGWEI_ADMIN, "org": org, "member": None}
        for i, org in enumerate(_spread(parties, dangwei))
    ]
    # Members already linked to a load account keep it; the others are ordinary members without a login.
    names = [f"load_dy_{i + 1:03d}" for i in range(members)]
    linked = {
        u.username: u.member
        for u in User.objects.filter(username__in=names, member__isnull=False).select_related("member__org")
    }
    free = list(
        Member.objects.filter(
            Q(user__isnull=True),
            category=Category.FORMAL,
            work_status=WorkStatus.ACTIVE,
            inactive_from__isnull=True,
            org__dissolved_on__isnull=True,
        )
        .select_related("org")
        .order_by("pk")
        .only("pk", "name", "org__path", "org__type", "org__name")
    )
    fresh = iter(_spread(free, members))
    for name in names:
        member = linked.get(name) or next(fresh, None)
        if member is None:
            break
        targets.append({"username": name, "role": Role.MEMBER, "org": member.org, "member": member})
    return targets


def _ensure_account(target: dict, password: str, reset_password: bool = False) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from dangjian.accounts import otp
    from dangjian.accounts.choices import ADMIN_ROLES
    from dangjian.accounts.middleware import password_change_reason
    from dangjian.accounts.models import User
    from dangjian.accounts.services import assign_role, change_own_password, create_user

    username, role, org, member = target["username"], target["role"], target["org"], target["member"]
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is None:
            # as an administrator opens an account (a password its owner must change), then the owner's change
            user = create_user(
                actor=None,
                username=username,
                password=f"Tmp-{secrets.token_urlsafe(12)}",
                display_name=f"压测{username[5:]}",
                member=member,
            )
            change_own_password(actor=user, password=password, client_address="127.0.0.1")
        elif reset_password or password_change_reason(user):
            # an existing load account keeps the password set here unless told (checking it costs a hash)
            if not user.check_password(password) or password_change_reason(user):
                change_own_password(actor=user, password=password, client_address="127.0.0.1")
        assign_role(
            actor=None,
            user=user,
            role=role,
            org=org,
            include_descendants=role != "member",
        )
        secret = ""
        if role in ADMIN_ROLES:
            device = otp.device_of(user)
            if device is None:  # the enrolment page: a new authenticator confirmed with the code it shows
                pending = otp.pending_device(user)
                otp.confirm_device(actor=user, code=otp.current_code(pending), client_address="127.0.0.1")
                device = otp.device_of(user)
            assert device is not None
            secret = device.key
    return {
        "username": username,
        "role": str(role),
        "org_id": org.pk,
        "org": org.name,
        "member_id": member.pk if member is not None else None,
        "otp_key": secret,
        "prepared_at": timezone.now().isoformat(timespec="seconds"),
    }


def prepare(
    *,
    out: Path | None = DEFAULT_OUT,
    password: str = LOAD_PASSWORD,
    branch_admins: int = BRANCH_ADMINS,
    gongwei: int = GONGWEI_STAFF,
    dangwei: int = DANGWEI_STAFF,
    members: int = MEMBERS,
    reset_passwords: bool = False,
) -> dict:
    """Creates or completes the accounts and returns (and writes to `out`, unless None) the file's content."""
    from django.core.management import call_command
    from django.db import connection

    from dangjian.accounts.models import User
    from dangjian.compliance import kept

    targets = _targets(branch_admins, gongwei, dangwei, members)
    before = User.objects.count()
    # Each new account and role is a write of its organisation, whose kept results would be refreshed after
    # it (a 党委's whole subtree for its administrator); as for `dangjian seed`, one refresh after them all.
    with kept.refreshed_once_after():
        accounts = [_ensure_account(t, password, reset_passwords) for t in targets]
    if User.objects.count() != before:
        with open(os.devnull, "w") as sink:
            call_command("compliance", "refresh", stdout=sink)
    data = {
        "password": password,
        "database": connection.settings_dict.get("NAME", ""),
        "accounts": accounts,
    }
    if out is not None:
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"the JSON file (default {DEFAULT_OUT})"
    )
    parser.add_argument("--branch-admins", type=int, default=BRANCH_ADMINS)
    parser.add_argument("--gongwei", type=int, default=GONGWEI_STAFF)
    parser.add_argument("--dangwei", type=int, default=DANGWEI_STAFF)
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument(
        "--reset-passwords", action="store_true", help="set the known password again on existing accounts"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    data = prepare(
        out=args.out,
        branch_admins=args.branch_admins,
        gongwei=args.gongwei,
        dangwei=args.dangwei,
        members=args.members,
        reset_passwords=args.reset_passwords,
    )
    by_role: dict[str, int] = {}
    for a in data["accounts"]:
        by_role[a["role"]] = by_role.get(a["role"], 0) + 1
    print(f"{len(data['accounts'])} 个压测账号（{by_role}），已写入 {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
