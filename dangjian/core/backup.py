"""Backup and restore of a whole installation: the database and the uploaded files in one archive.

`create(path)` writes a gzipped tar holding the database (PostgreSQL: `pg_dump` custom format; SQLite: the
online backup API, consistent while the site is in use), the uploaded files (MEDIA_ROOT) and `manifest.json`:
the row count of every table of the project, the SHA-256 of every file in the archive and a check value of the
personal-data key (a keyed hash of a fixed text: it tells whether two installations share the key and nothing
about the key). Personal data stays encrypted inside the archive, as in the database — unlike `dumpdata`,
which writes it decrypted.

`prepared(path)` extracts the archive once, verifying every file against the manifest's checksums, and refuses
a database engine other than the backup's and a personal-data key that is not the backup's (the ID numbers
could not be decrypted and the keyed look-ups would miss, letting duplicates in); `restore_prepared` then
replaces the database and the uploaded files and checks the result:
the row counts equal the manifest's, the audit log's hash chain is whole, a sample of members decrypts and is
found again by its ID number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from dangjian.core import pii

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
KEY_CHECK_TEXT = "dangjian-backup-key-check"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator (Chinese)."""


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    files: int = 0
    checks: list[str] = field(default_factory=list)


def key_check() -> str:
    return pii.lookup_hash(KEY_CHECK_TEXT)


def _project_models():
    return [m for m in apps.get_models() if m.__module__.startswith("dangjian.") and m._meta.managed]


def table_counts() -> dict[str, int]:
    """Rows per table of the project's models (one COUNT each), by model label."""
    return {m._meta.label: m._default_manager.count() for m in _project_models()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    return env


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            f"{what}失败：找不到命令 {command[0]}（请安装与数据库服务器同版本的 PostgreSQL 客户端）。"
        ) from exc
    if done.returncode != 0:
        raise BackupError(f"{what}失败：{done.stderr.strip()[:500]}")


def _dump_database(target: Path) -> None:
    if _engine() == "postgresql":
        name = settings.DATABASES["default"]["NAME"]
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", name],
            "导出数据库",
        )
        return
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)  # consistent while others write
    copy.close()


def create(path: Path | str, *, progress: Callable[[str], None] = lambda _text: None) -> dict:
    """Writes the archive at `path` (refusing to overwrite a file) and returns its manifest."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"文件 {path} 已存在，未覆盖。请指定新的文件名。")
    with tempfile.TemporaryDirectory(prefix="dangjian-backup-") as work:
        work_dir = Path(work)
        database = work_dir / ("database.pgdump" if _engine() == "postgresql" else "database.sqlite3")
        progress("导出数据库……")
        _dump_database(database)
        progress("统计各表行数……")
        counts = table_counts()
        files: dict[str, dict] = {
            database.name: {"sha256": _sha256(database), "size": database.stat().st_size}
        }
        media_root = Path(settings.MEDIA_ROOT)
        media_files = sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.is_dir() else []
        progress(f"附件 {len(media_files)} 个……")
        for item in media_files:
            name = f"{MEDIA}/{item.relative_to(media_root).as_posix()}"
            files[name] = {"sha256": _sha256(item), "size": item.stat().st_size}
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": _engine(),
            "database": database.name,
            "key_check": key_check(),
            "counts": counts,
            "files": files,
        }
        (work_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        partial = path.with_name(path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: the owner only
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
                archive.add(work_dir / MANIFEST, arcname=MANIFEST)
                archive.add(database, arcname=database.name)
                for item in media_files:
                    archive.add(item, arcname=f"{MEDIA}/{item.relative_to(media_root).as_posix()}")
            partial.rename(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


def read_manifest(path: Path | str) -> dict:
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return json.loads(member.read().decode("utf-8"))
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{path} 不是 dangjian 的备份文件，或已损坏（{type(exc).__name__}）。") from exc


def _extract(path: Path, manifest: dict, target: Path) -> None:
    """Extracts the files the manifest lists (nothing else, no path outside `target`) and checks each one."""
    listed = manifest.get("files") or {}
    with tarfile.open(path, mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.name == MANIFEST:
                continue
            if member.name not in listed or not member.isfile():
                raise BackupError(f"备份文件中有清单未列出的内容（{member.name}），拒绝恢复。")
            archive.extract(member, target, filter="data")
    for name, info in listed.items():
        item = target / name
        if not item.is_file():
            raise BackupError(f"备份文件缺少 {name}，拒绝恢复。")
        if _sha256(item) != info.get("sha256"):
            raise BackupError(f"备份文件中的 {name} 与清单的校验和不符（文件已损坏或被修改），拒绝恢复。")


def _compatible(manifest: dict) -> None:
    """Refuses an archive of another format, another database engine or another personal-data key."""
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 不受支持（本版本为 {FORMAT}）。")
    if manifest.get("engine") != _engine():
        raise BackupError(f"备份来自 {manifest.get('engine')} 数据库，当前使用 {_engine()}，不能直接恢复。")
    if manifest.get("key_check") != key_check():
        raise BackupError(
            "当前的个人信息密钥（PII_KEY，未设置时为 SECRET_KEY）与备份时不同：恢复后身份证号无法解密，"
            "按身份证号查重也会失效。请使用备份时的密钥后再恢复。"
        )


@contextmanager
def prepared(path: Path | str) -> Iterator[tuple[dict, Path]]:
    """(manifest, the directory the archive is extracted to) once the archive is known restorable here: format,
    engine and key compatible, every file listed and matching its checksum. The directory is removed after."""
    path = Path(path)
    manifest = read_manifest(path)
    _compatible(manifest)
    with tempfile.TemporaryDirectory(prefix="dangjian-restore-") as work:
        _extract(path, manifest, Path(work))
        yield manifest, Path(work)


def _restore_database(database: Path) -> None:
    if _engine() == "postgresql":
        name = settings.DATABASES["default"]["NAME"]
        connection.close()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                f"--dbname={name}",
                str(database),
            ],
            "恢复数据库",
        )
        return
    connection.ensure_connection()
    with sqlite3.connect(database) as source:
        source.backup(connection.connection)
    source.close()


def _restore_media(media: Path) -> int:
    root = Path(settings.MEDIA_ROOT)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, mode=0o700)
    count = 0
    if media.is_dir():
        for item in sorted(media.rglob("*")):
            if item.is_file():
                target = root / item.relative_to(media)
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                shutil.copy2(item, target)
                target.chmod(0o600)
                count += 1
    return count


def audit_chain_intact() -> str:
    """The restored audit log's hash chain is whole (core.auditchain): nothing was rewritten in the archive."""
    from dangjian.core import auditchain

    verdict = auditchain.verify()
    if not verdict.ok:
        raise BackupError(f"恢复后的操作日志哈希链在第 {verdict.broken_id} 条记录处断开：{verdict.problem}")
    return f"操作日志哈希链完整（{verdict.count} 条记录）"


# Checks after a restore: the audit chain, and those the apps add (the members app: a sample of ID numbers
# decrypts and is found again by its keyed hash). Each returns a line for the report or raises BackupError.
RESTORE_CHECKS: list[Callable[[], str]] = [audit_chain_intact]


def verify_restored(manifest: dict) -> list[str]:
    """The checks after a restore: row counts equal the manifest's, then every registered check."""
    counts = table_counts()
    expected = manifest.get("counts") or {}
    differ = [
        f"{label}（备份 {n}，恢复后 {counts.get(label)}）"
        for label, n in expected.items()
        if counts.get(label) != n
    ]
    if differ:
        raise BackupError("恢复后的行数与备份清单不符：" + "、".join(differ[:10]))
    return [f"{len(expected)} 张表的行数与备份清单一致", *(check() for check in RESTORE_CHECKS)]


def restore_prepared(
    manifest: dict, work: Path, *, progress: Callable[[str], None] = lambda _text: None
) -> RestoreReport:
    """Replaces the database and the uploaded files with those of an archive extracted by `prepared`; then
    verifies the result."""
    progress("恢复数据库……")
    _restore_database(work / manifest["database"])
    progress("恢复附件……")
    files = _restore_media(work / MEDIA)
    progress("核对……")
    report = RestoreReport(
        tables=len(manifest.get("counts") or {}),
        rows=sum((manifest.get("counts") or {}).values()),
        files=files,
    )
    report.checks = verify_restored(manifest)
    return report


def default_name(now: dt.datetime | None = None) -> str:
    now = timezone.localtime(now or timezone.now())
    return f"dangjian-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
