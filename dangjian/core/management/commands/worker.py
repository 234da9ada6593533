"""`dangjian worker`: runs the queued background tasks (the refresh of kept compliance results after writes)
when the database task backend is configured (`DANGJIAN_TASKS=database`). Options are those of django-tasks'
`db_worker` (e.g. `--batch` to stop when the queue is empty).

The worker lowers its CPU priority to settings.TASK_WORKER_NICE (DANGJIAN_WORKER_NICE, default 5) unless it
already runs lower: on a busy 集中交纳日 the pages come first and the refreshes catch up after."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "运行后台任务（写入后刷新合规检查结果）；需设置 DANGJIAN_TASKS=database。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", action="store_true", help="队列为空时退出（默认一直运行）")

    def handle(self, *args, **options) -> None:
        if settings.TASK_BACKEND != "database":
            raise CommandError(
                "当前后台任务在写入后立即执行（DANGJIAN_TASKS=immediate），无需运行 worker；"
                "生产环境请设置 DANGJIAN_TASKS=database 后再运行。",
                returncode=2,
            )
        lower_priority(settings.TASK_WORKER_NICE)
        extra = ["--batch"] if options["batch"] else []
        call_command("db_worker", "--no-startup-delay", *extra)


def lower_priority(nice: int) -> int:
    """Raises this process's niceness to `nice` (never lowers it: systemd's Nice= or `nice` may have set more);
    returns the niceness it runs at."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if nice > current:
        os.setpriority(os.PRIO_PROCESS, 0, min(nice, 19))
    return os.getpriority(os.PRIO_PROCESS, 0)
