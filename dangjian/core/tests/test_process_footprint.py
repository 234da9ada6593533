"""What every web and worker process holds from the start: a library that only some requests need is imported
when they need it (pypinyin's dictionaries alone take about 56 MB in each process)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

LATE = ("pypinyin", "openpyxl")  # imported on first use only


def test_starting_the_application_does_not_import_what_few_requests_need():
    code = (
        "import sys, django; django.setup();"
        "import dangjian.urls;"  # every view module, as a web process has them
        f"print(' '.join(m for m in {LATE!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.settings"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_pinyin_key_still_reads_names(db):
    from dangjian.core.pinyin import name_key

    assert name_key("曾国藩") == "zeng guo fan"
    assert name_key("刘德华") == "liu de hua"
