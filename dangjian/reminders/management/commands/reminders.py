"""`dangjian reminders send [--date YYYY-MM-DD]`: turns the day's due and overdue work items into notifications
for the 支部管理员, then sends the e-mail and SMS digests of those who chose them (run daily after the nightly
refresh: deploy/dangjian-reminders.timer). Exit 0 on success, 2 for a bad date."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dangjian.reminders.tasks import send_daily


class Command(BaseCommand):
    help = "按工作台事项生成提醒（逾期事项、集中交纳日、换届、发展党员期限），建议每天运行。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["send"], help="send：生成今天的提醒")
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="按该日期生成（默认今天）")

    def handle(self, *args, **options) -> None:
        day = options.get("date")
        if day:
            try:
                dt.date.fromisoformat(day)
            except ValueError as exc:
                raise CommandError(f"日期格式不正确：{day}（应为 YYYY-MM-DD）", returncode=2) from exc
        done = send_daily.call(day)
        self.stdout.write(
            f"已生成提醒{done['created']}条，发出邮件摘要{done['emails']}封、短信{done['texts']}条。"
        )
