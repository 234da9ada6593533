"""`dangjian backup [FILE]`: the database and the uploaded files in one archive (see dangjian.core.backup)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import backup


class Command(BaseCommand):
    help = "备份数据库和附件到一个归档文件（个人信息保持加密）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "file", nargs="?", help="归档文件名（默认 dangjian-backup-日期-时间.tar.gz，位于当前目录）"
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"] or backup.default_name())
        try:
            manifest = backup.create(path, progress=lambda text: self.stdout.write(f"  {text}"))
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        rows = sum(manifest["counts"].values())
        files = sum(1 for name in manifest["files"] if name.startswith(f"{backup.MEDIA}/"))
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份到 {path}：{len(manifest['counts'])} 张表共 {rows} 行，附件 {files} 个，"
                f"{path.stat().st_size / 1024 / 1024:.1f} MB。恢复时需使用相同的个人信息密钥。"
            )
        )
