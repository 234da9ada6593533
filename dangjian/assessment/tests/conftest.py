"""Fixtures of the assessment tests: a rules directory like the repository's, where a test may rewrite the
sample scheme (as a draft, or published with its checksum)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings

REPO_RULES = Path(django_settings.BASE_DIR) / "rules"
SAMPLE = "assessment-2026.yaml"


@pytest.fixture
def rules(tmp_path, settings):
    """A rules directory with the rulebooks, the manifest and the sample scheme, as in the repository."""
    for p in [*REPO_RULES.glob("*.yaml"), REPO_RULES / "checksums.txt"]:
        shutil.copy(p, tmp_path / p.name)
    settings.RULES_DIR = tmp_path
    return tmp_path


def rewrite(rules: Path, change, name: str = SAMPLE, publish: bool = False) -> None:
    data = yaml.safe_load((REPO_RULES / SAMPLE).read_text(encoding="utf-8"))
    change(data)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (rules / name).write_text(text, encoding="utf-8")
    manifest = rules / "checksums.txt"
    lines = [
        line for line in manifest.read_text(encoding="utf-8").splitlines() if not line.endswith(f"  {name}")
    ]
    if publish:
        lines.append(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
