"""`dangjian audit verify` and `dangjian audit prune --before YYYY-MM-DD`.

- verify: walks the audit log's hash chain in id order (in batches) and prints the number of events checked
  and the last hash, or the first broken link (event id, what is wrong) with exit code 1;
- prune: deletes the events recorded before the date (local midnight), which must be at least
  AUDIT_RETENTION_DAYS (180) days ago, and records the pruning as an audit event (count, ids and times of
  the first and last pruned events, the last one's hash, which `verify` checks the first remaining event
  against). Exit 2 for bad arguments or a date inside the retention period.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import auditchain


def _fail(message: str, code: int = 2) -> CommandError:
    return CommandError(message, returncode=code)


class Command(BaseCommand):
    help = "操作日志：校验哈希链是否完整（verify），或清理保留期之前的日志（prune）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", metavar="{verify,prune}")
        parser.add_argument(
            "--before", metavar="YYYY-MM-DD", help="prune：清理此日期（不含）之前的日志，须早于保留期"
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="verify：每批读取的条数（默认 2000）"
        )

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "verify":
            self._verify(options["batch_size"])
        elif action == "prune":
            self._prune(options["before"])
        else:
            raise _fail(f"未知的操作“{action}”，应为 verify 或 prune。")

    def _verify(self, batch_size: int) -> None:
        if batch_size < 1:
            raise _fail("--batch-size 应为正整数。")
        verdict = auditchain.verify(batch_size=batch_size)
        if not verdict.ok:
            raise _fail(
                f"操作日志的哈希链在编号 {verdict.broken_id} 处断开：{verdict.problem}"
                f"（此前 {verdict.count} 条完好）",
                code=1,
            )
        self.stdout.write(f"操作日志完整：共 {verdict.count} 条，末条哈希 {verdict.head_hash or '—'}。")

    def _prune(self, before: str | None) -> None:
        if not before:
            raise _fail("请用 --before YYYY-MM-DD 指定清理哪一天之前的日志。")
        try:
            day = dt.date.fromisoformat(before)
        except ValueError:
            raise _fail(f"日期“{before}”无效，应为 YYYY-MM-DD。") from None
        try:
            pruned = auditchain.prune(day)
        except auditchain.PruneRefused as exc:
            raise _fail(exc.message) from exc
        if not pruned.count:
            self.stdout.write(f"没有 {day:%Y-%m-%d} 之前的操作日志，未清理。")
            return
        self.stdout.write(
            f"已清理 {day:%Y-%m-%d} 之前的操作日志 {pruned.count} 条；清理记录的编号为 {pruned.event_id}。"
        )
