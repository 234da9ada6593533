"""Every command of the README's 命令行 list answers a malformed option value with its own error, not a traceback.

The commands and options are read from the README (the list users copy from), so that a command added there is
covered without a change here: each option that takes a value is given, in turn, a value that is no number and no
date, 0, -1, a number beyond any column, a date that does not exist and an empty string, the other options as
written. The command may accept the value (`--org ""` is every organisation; `--days 0` is refused, `--year 0` is
no year) but must end with a CommandError (its message, exit status 1 or 2) or argparse's exit — never another
exception. Commands that read files, run forever or change accounts are left out (`SKIPPED`): their arguments
have tests of their own.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[3] / "README.md"
JUNK = ("abc", "0", "-1", "99999999999999999999", "2026-13-40", "")
SKIPPED = (
    "import",
    "seed",
    "worker",
    "backup",
    "restore",
    "demo_users",
    "grant_role",
    "grant_system_role",
    "security",
)


def readme_commands() -> list[str]:
    """The lines of the README's 命令行 block, without `dangjian ` and the comments."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## 命令行") :]
    start = section.index("```bash") + len("```bash")
    block = section[start : section.index("```", start)]
    return [
        line.split("  #")[0].strip().removeprefix("dangjian ")
        for line in block.splitlines()
        if line.startswith("dangjian ")
    ]


def _argv(line: str) -> list[str]:
    """A command line as written, each [optional part] kept, the first of each a|b alternative."""
    line = re.sub(r"\[([^\]]*)\]", r"\1", line)
    return [word.split("|")[0] for word in line.split()]


def cases():
    for line in readme_commands():
        argv = _argv(line)
        if argv[0] in SKIPPED:
            continue
        for i, word in enumerate(argv[:-1]):
            if word.startswith("--") and not argv[i + 1].startswith("--"):
                for value in JUNK:
                    yield pytest.param(
                        [*argv[: i + 1], value, *argv[i + 2 :]], id=f"{' '.join(argv[:2])} {word}={value!r}"
                    )


def test_the_readme_gives_the_commands_and_their_options():
    lines = readme_commands()
    assert "audit verify" in lines and any(line.startswith("dues ledger --month") for line in lines)
    assert _argv("dues ledger --month 2026-11 [--org 组织编码] [--format table|json|xlsx]") == [
        "dues", "ledger", "--month", "2026-11", "--org", "组织编码", "--format", "table",
    ]  # fmt: skip
    assert len(list(cases())) > 300


@pytest.mark.parametrize("argv", list(cases()))
def test_a_malformed_option_value_is_the_commands_error(tree, argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an --output of the junk value lands here
    argv = [str(tmp_path / "out.xlsx") if word == "文件" else word for word in argv]
    try:
        call_command(*argv, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as exc:
        assert str(exc).strip(), argv  # a message for the user
    except SystemExit as exc:
        assert exc.code not in (0, None), argv  # argparse refusing the value
