"""`dangjian grant_system_role USERNAME ROLE` (and `--revoke`): the first 系统管理员, 安全管理员 and 审计管理员 come
from the command line; later grants are requested by a 系统管理员 and approved by a 安全管理员 on the pages."""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.accounts import sysroles
from dangjian.accounts.choices import SystemRole
from dangjian.accounts.models import User
from dangjian.accounts.services import create_user
from dangjian.core.choices import chinese_label
from dangjian.core.errors import ServiceError


class Command(BaseCommand):
    help = (
        "授予（或撤销）系统角色：system_admin 系统管理员、security_admin 安全管理员、audit_admin 审计管理员"
        "（三员分立，一个账号只担任一种，且不能兼任党组织角色；用户不存在时一并创建）。"
        "例：dangjian grant_system_role anquan security_admin"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", nargs="?", choices=SystemRole.values, help=" | ".join(SystemRole.values))
        parser.add_argument("--revoke", action="store_true", help="撤销该账号的系统角色")
        parser.add_argument("--password", help="新建用户的密码（不填则提示输入；首次登录须修改）")
        parser.add_argument("--display-name", default="", help="显示名称")

    def handle(self, *args, username, role, revoke, password, display_name, **options):
        try:
            with transaction.atomic():
                user = User.objects.filter(username=username).first()
                if revoke:
                    if user is None:
                        raise CommandError(f"用户“{username}”不存在。")
                    grant = sysroles.revoke_system_role(actor=None, user=user)
                    self.stdout.write(f"已撤销：{username} 的{chinese_label(SystemRole, grant.role)}角色")
                    return
                if role is None:
                    raise CommandError("请指定系统角色：" + " | ".join(SystemRole.values))
                if user is None:
                    password = password or getpass.getpass("新用户密码：")
                    user = create_user(
                        actor=None, username=username, password=password, display_name=display_name
                    )
                sysroles.grant_system_role(actor=None, user=user, role=role)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"已授权：{username} → {chinese_label(SystemRole, role)}")
