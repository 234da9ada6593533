"""Retention: `dangjian audit prune --before D` deletes only events older than the retention period (180 days
at least), records what it deleted, and leaves a chain that `verify` still accepts from the first remaining
event."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from dangjian.core import audit, auditchain
from dangjian.core.models import AuditEvent

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 4)


@pytest.fixture
def on(time_machine):
    def _on(day: dt.date, n: int = 1, hour: int = 10) -> list[AuditEvent]:
        time_machine.move_to(dt.datetime.combine(day, dt.time(hour), tzinfo=TZ), tick=False)
        return [
            audit.record(actor=None, action="create", object_type="orgs.org", object_repr=f"{day} {i}")
            for i in range(n)
        ]

    return _on


@pytest.fixture
def log(on):
    """Events on three old days and one recent one; then today is TODAY."""
    old = on(dt.date(2025, 1, 10), 2) + on(dt.date(2025, 3, 1), 1, hour=0)
    mid = on(dt.date(2025, 6, 1), 1)
    recent = on(dt.date(2026, 11, 1), 2)
    on(TODAY, 0)
    return old, mid, recent


def prune(capsys, before: str) -> str:
    call_command("audit", "prune", "--before", before)
    return capsys.readouterr().out


def test_a_date_inside_the_retention_period_is_refused(log):
    total = AuditEvent.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("audit", "prune", "--before", "2026-06-08")
    assert exc.value.returncode == 2
    assert str(exc.value) == "操作日志至少保留 180 天：清理日期不能晚于 2026-06-07（所给日期为 2026-06-08）。"
    assert AuditEvent.objects.count() == total


def test_prune_deletes_only_older_events_and_records_what_it_deleted(capsys, log):
    old, mid, recent = log
    out = prune(capsys, "2025-03-02")
    assert "已清理 2025-03-02 之前的操作日志 3 条" in out
    remaining = list(AuditEvent.objects.order_by("id"))
    assert [e.id for e in remaining[:-1]] == [e.id for e in mid + recent]
    event = remaining[-1]
    assert (event.action, event.object_type, event.actor_id, event.actor_label) == (
        "prune",
        "core.auditevent",
        None,
        "系统",
    )
    assert event.after == {
        "count": 3,
        "before": "2025-03-02",
        "first_id": old[0].id,
        "first_at": "2025-01-10T10:00:00+08:00",
        "last_id": old[2].id,
        "last_at": "2025-03-01T00:00:00+08:00",
        "last_hash": old[2].hash,
    }
    assert event.at.astimezone(TZ).date() == TODAY
    verdict = auditchain.verify(batch_size=2)
    assert verdict.ok and verdict.count == 4


def test_verify_checks_the_first_remaining_event_against_the_pruning_record(capsys, log):
    _old, mid, recent = log
    prune(capsys, "2025-03-02")
    from dangjian.core.tests.test_audit_chain import behind_the_back

    behind_the_back("DELETE FROM core_auditevent WHERE id = %s", [mid[0].id])
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify")
    assert exc.value.returncode == 1
    assert f"在编号 {recent[0].id} 处断开" in str(exc.value)
    assert "最近一次清理" in str(exc.value)


def test_a_second_prune_keeps_the_chain_verifiable(capsys, log):
    _old, mid, recent = log
    prune(capsys, "2025-01-11")
    first = AuditEvent.objects.get(action="prune")
    prune(capsys, "2026-06-07")
    second = AuditEvent.objects.filter(action="prune").latest("id")
    assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == [
        *(e.id for e in recent),
        first.id,
        second.id,
    ]
    assert second.after["count"] == 2  # the events of 2025-03-01 and 2025-06-01
    assert second.after["last_id"] == mid[0].id and recent[0].prev_hash == second.after["last_hash"]
    call_command("audit", "verify")
    assert "操作日志完整：共 4 条" in capsys.readouterr().out


def test_nothing_to_prune_records_nothing(capsys, log):
    total = AuditEvent.objects.count()
    assert "没有 2024-01-01 之前的操作日志" in prune(capsys, "2024-01-01")
    assert AuditEvent.objects.count() == total


def test_a_longer_retention_period_is_honoured(settings, log):
    settings.AUDIT_RETENTION_DAYS = 365
    with pytest.raises(CommandError, match="至少保留 365 天：清理日期不能晚于 2025-12-04"):
        call_command("audit", "prune", "--before", "2026-01-01")


def test_a_retention_period_under_180_days_is_refused(settings, log):
    settings.AUDIT_RETENTION_DAYS = 90
    with pytest.raises(ImproperlyConfigured, match="至少保留 180 天"):
        call_command("audit", "prune", "--before", "2025-03-02")
    assert AuditEvent.objects.filter(action="prune").count() == 0


def test_the_settings_refuse_a_retention_period_under_180_days(tmp_path):
    env = {**os.environ, "AUDIT_RETENTION_DAYS": "179", "DANGJIAN_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import dangjian.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "至少保留 180 天" in result.stderr


@pytest.mark.parametrize("args", [[], ["--before", "2025-13-01"]])
def test_prune_needs_a_valid_date(args):
    with pytest.raises(CommandError) as exc:
        call_command("audit", "prune", *args)
    assert exc.value.returncode == 2
