"""Backup and restore: a drill (seed, back up, wipe, restore, compare), and the refusals (another key, a
modified archive, another database engine, an existing file)."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.core import backup, pii
from dangjian.members.models import Member

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads what is committed


@pytest.fixture
def seeded(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed", "--scale", "small", "--seed", "3", stdout=io.StringIO())
    attachment = Path(settings.MEDIA_ROOT) / "meetings" / "2026" / "会议记录.pdf"
    attachment.parent.mkdir(parents=True)
    attachment.write_bytes(b"%PDF-1.4 minutes")
    return attachment


def test_a_restored_backup_gives_back_every_row_the_attachments_and_the_encrypted_personal_data(
    seeded, tmp_path, settings
):
    archive = tmp_path / "backup.tar.gz"
    before = backup.table_counts()
    people = {m.pk: m.id_number for m in Member.objects.order_by("pk")[:20]}
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "已备份到" in out.getvalue()
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = backup.read_manifest(archive)
    assert manifest["counts"] == before and before["members.Member"] == 200
    with tarfile.open(archive) as opened:  # the ID numbers stay encrypted inside the archive
        database = opened.extractfile(manifest["database"]).read()
    assert people and not any(number.encode() in database for number in people.values())

    call_command("flush", "--noinput")  # the disaster
    seeded.unlink()
    assert Member.objects.count() == 0

    out = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=out)
    assert backup.table_counts() == before
    assert {m.pk: m.id_number for m in Member.objects.filter(pk__in=people)} == people
    for pk, number in people.items():  # the keyed look-up finds each member again
        assert Member.objects.get(id_number_hash=pii.lookup_hash(number)).pk == pk
    assert seeded.read_bytes() == b"%PDF-1.4 minutes"
    assert "已恢复" in out.getvalue() and "可按身份证号查到" in out.getvalue()
    assert "操作日志哈希链完整" in out.getvalue()


def test_another_personal_data_key_is_refused_before_anything_changes(seeded, tmp_path, settings):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    count = Member.objects.count()
    settings.PII_KEY = "another-key-than-the-backups"
    with pytest.raises(CommandError, match="个人信息密钥"):
        call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    settings.PII_KEY = ""
    assert Member.objects.count() == count


def test_a_modified_archive_is_refused(seeded, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    manifest = backup.read_manifest(archive)
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(forged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/"):
                data = b"%PDF-1.4 altered"
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="校验和不符"):
        call_command("restore", str(forged), "--check", stdout=io.StringIO())
    # a file the manifest does not list is refused too
    extra = tmp_path / "extra.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(extra, "w:gz") as target:
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member))
        info = tarfile.TarInfo("../../etc/cron.d/x")
        info.size = 1
        target.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(CommandError, match="清单未列出"):
        call_command("restore", str(extra), "--check", stdout=io.StringIO())
    wrong_engine = dict(manifest, engine="oracle")
    other = tmp_path / "other.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(other, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == backup.MANIFEST:
                data = json.dumps(wrong_engine).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="不能直接恢复"):
        call_command("restore", str(other), "--check", stdout=io.StringIO())


def test_a_backup_never_overwrites_a_file_and_a_non_archive_is_refused(seeded, tmp_path):
    existing = tmp_path / "existing.tar.gz"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="已存在"):
        call_command("backup", str(existing), stdout=io.StringIO())
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(CommandError, match="不是 dangjian 的备份文件"):
        call_command("restore", str(existing), "--check", stdout=io.StringIO())


def test_a_restore_asks_first_and_changes_nothing_when_not_confirmed(seeded, tmp_path, monkeypatch):
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    Member.objects.filter(pk=Member.objects.order_by("pk").first().pk).update(name="恢复前改过的名字")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="已取消"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert Member.objects.filter(name="恢复前改过的名字").count() == 1
