"""`dangjian forms purge [--days N]`: deletes the consumed one-time form tokens (core.once) older than
FORM_TOKEN_RETENTION_DAYS (default 7) or N days, and prints how many. Run it nightly (README)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import once


class Command(BaseCommand):
    help = "表单防重复提交记录：清理保留期（默认 7 天）之前的已提交表单令牌（purge）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", metavar="{purge}")
        parser.add_argument("--days", type=int, help="清理多少天之前的记录（默认 FORM_TOKEN_RETENTION_DAYS）")

    def handle(self, *args, **options) -> None:
        if options["action"] != "purge":
            raise CommandError(f"未知的操作“{options['action']}”，应为 purge。", returncode=2)
        days = options["days"]
        if days is not None and not 1 <= days <= once.MAX_RETENTION_DAYS:
            raise CommandError(f"--days 应为 1 至 {once.MAX_RETENTION_DAYS} 之间的整数。", returncode=2)
        deleted = once.purge(days)
        self.stdout.write(f"已清理已提交表单令牌 {deleted} 条。")
