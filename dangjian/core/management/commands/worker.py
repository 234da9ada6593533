"""`dangjian worker`: runs the queued background tasks (the refresh of kept compliance results after writes)
when the database task backend is configured (`DANGJIAN_TASKS=database`). Options are those of django-tasks'
`db_worker` (e.g. `--batch` to stop when the queue is empty).

The worker lowers its CPU priority to settings.TASK_WORKER_NICE (DANGJIAN_WORKER_NICE, default 5) unless it
already runs lower: on a busy 集中交纳日 the pages come first and the refreshes catch up after.

After a task that leaves it above settings.TASK_WORKER_MAX_MB of resident memory (DANGJIAN_WORKER_MAX_MB, default
300; 0: never), the worker first gives the memory its objects freed back to the system (a full collection, then the C
library's `malloc_trim`: a 工委's large export leaves the process about 300 MB, of which it keeps about 140). Only when
it is still above the limit does it take no further task and leave; its service (deploy/dangjian-worker.service,
Restart=always) starts a fresh one a second later and the queued tasks wait for it. It leaves at once, without the
interpreter's teardown of a large heap: in a load run a worker past its limit took about two minutes to end (at its
lowered priority, on busy cores), and no refresh after a write ran meanwhile. The gunicorn workers do the same past
their own limit (deploy/gunicorn.conf.py; dangjian.core.memory)."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dangjian.core.memory import release_memory, resident_mb

if TYPE_CHECKING:  # imported at run time by `handle`: it needs Django's settings
    from django_tasks_db.management.commands.db_worker import Worker


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
        from django_tasks_db.management.commands import db_worker

        # db_worker's command builds its loop from this module attribute: this process runs nothing else
        base = getattr(db_worker.Worker, "base_worker", db_worker.Worker)  # not wrapped twice
        db_worker.Worker = recycling_worker(base, settings.TASK_WORKER_MAX_MB)  # type: ignore[misc]
        extra = ["--batch"] if options["batch"] else []
        LEAVING.clear()
        call_command("db_worker", "--no-startup-delay", *extra)

    def run_from_argv(self, argv) -> None:
        """From the command line (the worker's own process): past the memory limit it leaves at once (`leave`), for its
        service to start a fresh one. Called in-process (`call_command`: the tests) it returns as any command."""
        super().run_from_argv(argv)
        if LEAVING:
            leave()


log = logging.getLogger("dangjian.worker")

# set by the worker loop when it stops past the memory limit (read by `run_from_argv` once the loop has ended)
LEAVING: set[str] = set()


def recycling_worker(base: type[Worker], max_mb: int) -> type[Worker]:
    """django-tasks' worker loop (`base`), ending after a task that leaves the process above `max_mb` MB of
    resident memory (0: never) once the memory its objects freed has been given back."""

    class RecyclingWorker(base):  # type: ignore[valid-type, misc]
        base_worker = base

        def run_task(self, db_task_result) -> None:
            super().run_task(db_task_result)
            if max_mb and self.running:  # type: ignore[has-type]
                used = resident_mb()
                if used <= max_mb:
                    return
                after = release_memory()
                if after <= max_mb:
                    log.info(
                        "任务进程内存 %.0f MB 超过 %d MB：释放空闲内存后为 %.0f MB，继续运行。",
                        used,
                        max_mb,
                        after,
                    )
                    return
                log.info(
                    "任务进程内存 %.0f MB 超过 %d MB，释放空闲内存后仍为 %.0f MB：不再领取任务，退出后由服务重新启动。",
                    used,
                    max_mb,
                    after,
                )
                LEAVING.add("memory")
                self.running = False

    RecyclingWorker.__name__ = RecyclingWorker.__qualname__ = f"Recycling{base.__name__}"
    return RecyclingWorker


def leave() -> None:
    """Ends the process now: its database connections closed and its log written out, without the interpreter's
    teardown (every object of a large heap freed one by one; nothing of it is needed, the tasks' results are saved)."""
    from django.db import connections

    connections.close_all()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def lower_priority(nice: int) -> int:
    """Raises this process's niceness to `nice` (never lowers it: systemd's Nice= or `nice` may have set more);
    returns the niceness it runs at."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if nice > current:
        os.setpriority(os.PRIO_PROCESS, 0, min(nice, 19))
    return os.getpriority(os.PRIO_PROCESS, 0)
