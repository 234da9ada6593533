"""`dangjian security unlock <username> [--address IP]`: lifts a sign-in lock before it expires (audited)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.services import unlock_signin
from dangjian.core.errors import ServiceError


class Command(BaseCommand):
    help = "登录安全：解除因多次登录失败而锁定的账号或客户端地址。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        unlock = sub.add_parser("unlock", help="解除账号（及客户端地址）的登录锁定")
        unlock.add_argument("username", nargs="?", default="", help="用户名")
        unlock.add_argument("--address", default="", help="同时解除该客户端地址的锁定")

    def handle(self, *args, action: str, username: str = "", address: str = "", **options):
        try:
            removed = unlock_signin(actor=None, username=username, address=address)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        target = "、".join(x for x in (username, address) if x)
        self.stdout.write(f"已解除锁定：{target}（清除失败记录 {removed} 条）")
