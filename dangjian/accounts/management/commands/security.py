"""`dangjian security …`: sign-in security from the command line (each action audited by its service).

- `unlock <username> [--address IP]`: lifts a sign-in lock before it expires;
- `reset-otp <username>`: removes a user's authenticator and recovery codes (a lost phone); an administrator
  enrols a new one at the next sign-in;
- `demo-code <username>`: the current code of a demo account's authenticator (accounts made by
  `dangjian demo_users` only), for trying the platform without an authenticator app."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts import otp
from dangjian.accounts.services import unlock_signin
from dangjian.core.errors import ServiceError


class Command(BaseCommand):
    help = "登录安全：解除登录锁定；重置双因素验证器；显示演示账号的当前验证码。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        unlock = sub.add_parser("unlock", help="解除账号（及客户端地址）的登录锁定")
        unlock.add_argument("username", nargs="?", default="", help="用户名")
        unlock.add_argument("--address", default="", help="同时解除该客户端地址的锁定")
        reset = sub.add_parser("reset-otp", help="重置用户的双因素验证器和恢复码（如手机丢失）")
        reset.add_argument("username", help="用户名")
        demo = sub.add_parser("demo-code", help="显示演示账号验证器的当前验证码（仅限演示账号）")
        demo.add_argument("username", help="演示账号用户名")

    def handle(self, *args, action: str, username: str = "", address: str = "", **options):
        try:
            if action == "reset-otp":
                removed = otp.reset(actor=None, username=username)
                self.stdout.write(
                    f"已重置 {username} 的双因素验证（移除验证器 {removed} 个及全部恢复码）。"
                    "管理员下次登录时须重新绑定验证器。"
                )
                return
            if action == "demo-code":
                code, seconds = otp.demo_code(username)
                self.stdout.write(
                    f"{username} 的当前验证码：{code}（{seconds} 秒内有效，每个验证码只能使用一次）"
                )
                return
            removed = unlock_signin(actor=None, username=username, address=address)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        target = "、".join(x for x in (username, address) if x)
        self.stdout.write(f"已解除锁定：{target}（清除失败记录 {removed} 条）")
