from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.accounts.choices import Role
from dangjian.accounts.models import User
from dangjian.accounts.services import assign_role, create_user
from dangjian.core.errors import ServiceError
from dangjian.orgs.choices import chinese_label
from dangjian.orgs.models import Org


class Command(BaseCommand):
    help = "为用户授予角色（用户不存在时一并创建）。例：dangjian grant_role zhangsan branch_admin A1"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "role", choices=Role.values, help="gongwei_admin | dangwei_admin | branch_admin | member"
        )
        parser.add_argument("org_code", help="组织编码")
        parser.add_argument("--no-descendants", action="store_true", help="只授权该组织本身，不含下级组织")
        parser.add_argument("--password", help="新建用户的密码（不填则提示输入）")
        parser.add_argument("--display-name", default="", help="显示名称")

    def handle(self, *args, username, role, org_code, no_descendants, password, display_name, **options):
        org = Org.objects.filter(code=org_code).first()
        if org is None:
            raise CommandError(f"组织编码“{org_code}”不存在。")
        try:
            with transaction.atomic():
                user = User.objects.filter(username=username).first()
                if user is None:
                    password = password or getpass.getpass("新用户密码：")
                    user = create_user(
                        actor=None, username=username, password=password, display_name=display_name
                    )
                assign_role(actor=None, user=user, role=role, org=org, include_descendants=not no_descendants)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        scope = "（不含下级）" if no_descendants else "（含下级）"
        self.stdout.write(f"已授权：{username} → {chinese_label(Role, role)} @ {org.name}{scope}")
