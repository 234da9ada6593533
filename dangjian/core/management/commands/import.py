"""`dangjian import KIND FILE [--dry-run] [--format json] [--user USERNAME]`, KIND one of
`core.imports.IMPORT_KINDS` (orgs, members, posts, … study-stats, ballot-tallies).

Exit 0 when the file was imported (or would be, on a dry run), 1 when any row is invalid (nothing is
written), 2 when the file cannot be read or the arguments are wrong.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import tables
from dangjian.core.imports import IMPORT_KINDS, ImportFileError, ImportResult, run_import


class Command(BaseCommand):
    help = (
        "从 Excel 文件（.xlsx，第一张工作表，第一行为列名）导入数据："
        + "、".join(IMPORT_KINDS.values())
        + "。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "kind",
            choices=list(IMPORT_KINDS),
            help="导入内容：" + "，".join(f"{kind} {label}" for kind, label in IMPORT_KINDS.items()),
        )
        parser.add_argument("file", help="Excel 文件路径（.xlsx）")
        parser.add_argument("--dry-run", action="store_true", help="只检查并统计，不写入数据库")
        parser.add_argument(
            "--format", choices=["text", "json"], default="text", help="输出格式（默认 text）"
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="以该用户身份导入（按其管理范围检查）；默认为系统"
        )

    def handle(self, *args, **options) -> None:
        actor = self._actor(options["user"])
        text = options["format"] == "text"
        try:
            result = run_import(
                options["kind"],
                options["file"],
                actor=actor,
                dry_run=options["dry_run"],
                progress=self._progress if text else None,
            )
        except ImportFileError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        for warning in result.warnings:
            self.stderr.write(f"提示：{warning}")
        if text:
            self._print_text(result, options["kind"], options["dry_run"])
        else:
            self.stdout.write(tables.to_json(result.to_json(), one_line=True), ending="")
        if not result.ok():
            sys.exit(1)

    def _actor(self, username: str | None):
        if not username:
            return None
        from django.contrib.auth import get_user_model

        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在。", returncode=2)
        if not user.is_active:
            raise CommandError(f"用户“{username}”已停用。", returncode=2)
        return user

    def _progress(self, done: int, total: int) -> None:
        if total >= 1000:
            self.stderr.write(f"已处理 {done}/{total} 行……")

    def _print_text(self, result: ImportResult, kind: str, dry_run: bool) -> None:
        for error in result.errors:
            self.stdout.write(str(error))
        label = IMPORT_KINDS[kind]
        if result.more_errors:
            self.stdout.write(
                f"以上是前 {len(result.errors)} 处错误，另有 {result.more_errors} 处错误未列出。"
            )
        if result.errors:
            self.stdout.write(f"共 {result.error_count} 处错误，未导入任何{label}数据。")
        elif dry_run:
            self.stdout.write("试运行：文件有效，未写入数据库。")
        counts = f"新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}"
        self.stdout.write(f"{label}：{counts}" if not dry_run else f"{label}（试运行）：{counts}")
