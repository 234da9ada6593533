"""The data directory, the secret key, the SQLite database and uploaded files are readable by the owner only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_directory_its_secret_key_and_its_sqlite_database_are_the_owners_only(tmp_path):
    var = tmp_path / "new" / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(DANGJIAN_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="dangjian.settings")
    code = "import django; django.setup(); from django.db import connection; connection.ensure_connection()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=settings.BASE_DIR, umask=0o022)
    assert mode(var) == 0o700
    assert mode(var / "secret_key") == 0o600 and (var / "secret_key").read_text().strip()
    assert mode(var / "dangjian.sqlite3") == 0o600
    # started again, nothing is loosened and the key is the same
    key = (var / "secret_key").read_text()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=settings.BASE_DIR, umask=0o022)
    assert (var / "secret_key").read_text() == key and mode(var / "dangjian.sqlite3") == 0o600


def test_uploaded_files_are_the_owners_only(tmp_path):
    storage = FileSystemStorage(location=tmp_path / "media")
    name = storage.save("imports/2026/党员名册.xlsx", ContentFile(b"PK"))
    path = Path(storage.path(name))
    assert mode(path) == settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert mode(path.parent) == settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700
