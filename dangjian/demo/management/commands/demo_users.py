"""`dangjian demo_users [--password P]`: one demo login per role over the seeded tree (idempotent).

Each run resets the accounts: the published password, to be changed at first sign-in like any password an
administrator sets, and no authenticator (the administrators enrol one at first sign-in: accounts.otp). They
are marked as demo accounts, the only ones whose current code `dangjian security demo-code` prints."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import get_default_password_validators, validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts.choices import ADMIN_ROLES, Role, SystemRole, SystemRoleStatus
from dangjian.accounts.models import RecoveryCode, RoleAssignment, SystemRoleGrant, User
from dangjian.accounts.passwords import HistoryValidator
from dangjian.core import audit, tables
from dangjian.members.choices import Category, WorkStatus
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

DEFAULT_PASSWORD = "Dangjian@2026"


@dataclass
class DemoAccount:
    username: str
    role: str
    display_name: str
    org: Org | None
    include_descendants: bool
    scope: str
    member: Member | None = None

    @property
    def is_system(self) -> bool:
        return self.role in SystemRole.values

    @property
    def role_label(self) -> str:
        return str(SystemRole(self.role).label if self.is_system else Role(self.role).label)


def _pick_branch(party: Org) -> Org | None:
    """A serving (non-retiree) 党支部 under the 党委 that has members and at least one 党小组."""
    branches = (
        Org.objects.subtree(party).active().filter(type=OrgType.ZHIBU).order_by("is_retiree_branch", "code")
    )
    fallback = None
    for branch in branches:
        if not Member.objects.in_subtree(branch).exists():
            continue
        if branch.children.filter(type=OrgType.XIAOZU).exists():
            return branch
        fallback = fallback or branch
    return fallback


def _pick_member(branch: Org, username: str) -> Member | None:
    """An ordinary full member of the branch (or its 党小组), holding no post, not linked to another login."""
    free = Member.objects.in_subtree(branch).filter(Q(user__isnull=True) | Q(user__username=username))
    ordinary = free.filter(
        category=Category.FORMAL, work_status=WorkStatus.ACTIVE, is_leader=False, posts__isnull=True
    )
    return ordinary.order_by("pk").first() or free.order_by("pk").first()


def _pick_kind(party: Org, username: str, taken: set[int], **kind) -> Member | None:
    """A member of `kind` on the roll under the 党委 (a 预备党员, a retired member), holding no post, not linked to
    another login nor picked for another demo account: the member's pages as that kind of member reads them."""
    free = (
        Member.objects.in_subtree(party)
        .on_roll(timezone.localdate())
        .filter(Q(user__isnull=True) | Q(user__username=username), posts__isnull=True, **kind)
        .exclude(pk__in=taken)
    )
    return free.order_by("pk").first()


def _member_account(username: str, display_name: str, member: Member | None) -> list[DemoAccount]:
    if member is None:  # the data has no such member: no account rather than a wrong one
        return []
    scope = f"本人党员信息：{member.name}（{member.org.name}）"
    return [DemoAccount(username, Role.MEMBER, display_name, member.org, False, scope, member)]


def demo_accounts() -> list[DemoAccount]:
    root = Org.objects.filter(type=OrgType.GONGWEI).first()
    party = Org.objects.filter(type=OrgType.DANGWEI, parent=root).order_by("code").first() if root else None
    branch = _pick_branch(party) if party else None
    member = _pick_member(branch, "dangyuan") if branch else None
    if root is None or party is None or branch is None or member is None:
        raise CommandError(
            "未找到演示数据（工委、机关党委、有党员的党支部），请先运行：dangjian seed --scale small"
        )
    probationary = _pick_kind(party, "yubei", {member.pk}, category=Category.PROBATIONARY)
    taken = {member.pk} | ({probationary.pk} if probationary else set())
    retired = _pick_kind(party, "tuixiu", taken, work_status=WorkStatus.RETIRED)
    return [
        DemoAccount(
            "gongwei",
            Role.GONGWEI_ADMIN,
            "工委管理员演示账号",
            root,
            True,
            f"{root.name}（{root.code}）及全部下级组织",
        ),
        DemoAccount(
            "dangwei",
            Role.DANGWEI_ADMIN,
            "党委管理员演示账号",
            party,
            True,
            f"{party.name}（{party.code}）及其下级组织",
        ),
        DemoAccount(
            "zhibu",
            Role.BRANCH_ADMIN,
            "支部管理员演示账号",
            branch,
            True,
            f"{party.unit}{branch.name}（{branch.code}）及其党小组",
        ),
        DemoAccount(
            "dangyuan",
            Role.MEMBER,
            "党员演示账号",
            member.org,
            False,
            f"本人党员信息：{member.name}（{member.org.name}）",
            member,
        ),
        # the member's pages as a 预备党员 and a retired member read them (预备期, 党费 of a pension, …)
        *_member_account("yubei", "预备党员演示账号", probationary),
        *_member_account("tuixiu", "离退休党员演示账号", retired),
        # 三员分立: the system roles, which see no party record
        DemoAccount(
            "xitong", SystemRole.SYSTEM_ADMIN, "系统管理员演示账号", None, False, "账号管理、授权申请"
        ),
        DemoAccount(
            "anquan", SystemRole.SECURITY_ADMIN, "安全管理员演示账号", None, False, "授权审批、登录锁定"
        ),
        DemoAccount("shenji", SystemRole.AUDIT_ADMIN, "审计管理员演示账号", None, False, "查阅全部操作日志"),
    ]


class Command(BaseCommand):
    help = (
        "为每个角色创建（或重置）一个演示账号：工委管理员、党委管理员、支部管理员、党员（另有预备党员、离退休党员各一），"
        "以及系统管理员、安全管理员、审计管理员。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help=f"演示账号的密码（默认 {DEFAULT_PASSWORD}）。"
        )

    @transaction.atomic
    def handle(self, *args, password: str, **options):
        accounts = demo_accounts()
        root_path = accounts[0].org.path if accounts[0].org else ""
        created = []
        rules = [v for v in get_default_password_validators() if not isinstance(v, HistoryValidator)]
        for account in accounts:
            user = User.objects.filter(username=account.username).first() or User(username=account.username)
            if user.pk is None:
                created.append(account.username)
            try:  # every rule but the history: the command resets the demo logins to the published password
                validate_password(password, user, password_validators=rules)
            except ValidationError as exc:
                raise CommandError(f"密码不符合要求：{' '.join(exc.messages)}") from exc
            user.first_name, user.last_name = account.display_name, ""
            user.is_active, user.is_staff, user.is_superuser = True, False, False
            user.member = account.member
            user.set_password(password)
            # A published password, like any an administrator sets (accounts.services.create_user): changed
            # at first sign-in.
            user.password_must_change = True
            user.is_demo_account = True
            user.save()
            TOTPDevice.objects.filter(
                user=user
            ).delete()  # administrators enrol an authenticator at first sign-in
            RecoveryCode.objects.filter(user=user).delete()
            user.roles.all().delete()
            active = SystemRoleGrant.objects.filter(user=user, status=SystemRoleStatus.ACTIVE)
            active.exclude(role=account.role).update(
                status=SystemRoleStatus.REVOKED, revoked_at=timezone.now()
            )
            if account.is_system:
                if not active.filter(role=account.role).exists():
                    SystemRoleGrant.objects.create(user=user, role=account.role)
            else:
                RoleAssignment.objects.create(
                    user=user,
                    role=account.role,
                    org=account.org,
                    include_descendants=account.include_descendants,
                )
        audit.record(
            actor=None,
            action="create" if created else "update",
            object_type="demo_users",
            object_repr="演示账号",
            org_path=root_path,
            note=f"创建或重置：{'、'.join(a.username for a in accounts)}",
        )
        rows = [["角色", "用户名", "密码", "范围"]]
        rows += [[a.role_label, a.username, password, a.scope] for a in accounts]
        self.stdout.write("演示账号（已创建或重置）：")
        self.stdout.write("\n".join(tables.align(rows, rule=True)))
        admin = next(a.username for a in accounts if a.role in ADMIN_ROLES)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "首次登录：",
                    "  1. 输入上表的用户名和密码，按提示修改密码（新密码至少 "
                    f"{settings.PASSWORD_MIN_LENGTH} 位，含大写字母、小写字母、数字、特殊字符中的至少 "
                    f"{settings.PASSWORD_MIN_CLASSES} 类，不含用户名）。",
                    "  2. 管理员账号须绑定验证器（双因素认证）：用手机上任一验证器应用"
                    "（如 Microsoft Authenticator、Google Authenticator）扫描页面上的二维码，输入应用显示的 6 位数字。",
                    "     没有验证器应用时，演示账号可在另一个终端运行下面的命令获取当前验证码：",
                    f"       .venv/bin/dangjian security demo-code {admin}"
                    "    （其他管理员账号换成它的用户名）",
                    "  3. 绑定后页面显示 10 个恢复码，请记下：手机不在身边时，每个可代替验证码登录一次。",
                    "  之后每次登录：密码 + 验证器上的验证码（或上面的 demo-code 命令）。"
                    "党员账号无需验证器，可在“账号安全”页自行启用。",
                ]
            )
        )
