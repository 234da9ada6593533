"""`dangjian restore FILE`: replaces the database and the uploaded files with a backup's, then verifies them
(see dangjian.core.backup). `--check` only verifies that the archive can be restored here."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import backup


class Command(BaseCommand):
    help = "从备份归档恢复数据库和附件（将替换当前全部数据），恢复后核对行数并抽查个人信息。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="dangjian backup 生成的归档文件")
        parser.add_argument(
            "--check",
            action="store_true",
            help="只检查归档能否在此恢复（校验和、数据库类型、密钥），不做修改",
        )
        parser.add_argument("--yes", action="store_true", help="不再询问，直接替换当前数据")

    def handle(self, *args, **options) -> None:
        try:
            with backup.prepared(options["file"]) as (manifest, work):  # the archive is read once
                self.stdout.write(
                    f"归档 {options['file']}：{manifest['created_at'][:19]} 备份，{len(manifest['counts'])} 张表，"
                    f"校验和、数据库类型与个人信息密钥均已核对。"
                )
                if options["check"]:
                    return
                if not options["yes"]:
                    answer = input("恢复将替换当前数据库中的全部数据和全部附件。确认恢复请输入 yes：")
                    if answer.strip().lower() != "yes":
                        raise CommandError("已取消，未做任何修改。", returncode=1)
                report = backup.restore_prepared(
                    manifest, work, progress=lambda text: self.stdout.write(f"  {text}")
                )
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for line in report.checks:
            self.stdout.write(f"  ✓ {line}")
        self.stdout.write(
            self.style.SUCCESS(f"已恢复：{report.tables} 张表共 {report.rows} 行，附件 {report.files} 个。")
        )
