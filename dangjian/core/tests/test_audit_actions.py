"""Every audit action a service records is one of AuditEvent.Action's choices, so that the audit page and its
export show a label (操作) instead of a code."""

from __future__ import annotations

import re
from pathlib import Path

from dangjian.core.models import AuditEvent

PACKAGE = Path(__file__).resolve().parents[2]
RECORDED = re.compile(r"""\baction=["']([a-z_]+)["']""")
NOT_AUDIT = {"store_true", "store_false", "append", "count"}  # argparse's actions in the commands


def test_every_recorded_action_has_a_label():
    used = {
        name
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
        for name in RECORDED.findall(path.read_text(encoding="utf-8"))
    } - NOT_AUDIT
    assert {"create", "plan", "notify"} <= used  # the search finds them
    assert used - set(AuditEvent.Action.values) == set()
