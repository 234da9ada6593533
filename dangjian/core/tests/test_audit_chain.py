"""The audit log's hash chain: `dangjian audit verify` passes on a normal history and names the first broken
link after an UPDATE, a DELETE or an INSERT done behind the application's back; on PostgreSQL a trigger
refuses UPDATE and DELETE outright, and appends are serialised by the chain's lock."""

from __future__ import annotations

import datetime as dt
import threading
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from dangjian.core import audit, auditchain
from dangjian.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def history(n: int = 6) -> list[AuditEvent]:
    events = []
    for i in range(n):
        events.append(
            audit.record(
                actor=None,
                action="update",
                object_type="orgs.org",
                object_id=str(i),
                object_repr=f"组织{i}",
                org_path="00000001/",
                before={"name": f"旧{i}", "n": i},
                after={"name": f"新{i}", "n": i + 0.5, "on": dt.date(2026, 1, i + 1)},
            )
        )
    return events


def verify(capsys, *args) -> str:
    call_command("audit", "verify", *args)
    return capsys.readouterr().out


def broken(*args) -> str:
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", *args)
    assert exc.value.returncode == 1
    return str(exc.value)


@contextmanager
def triggers_off():
    """As someone with full database access (on PostgreSQL, with the triggers off for the transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def behind_the_back(sql: str, params: list) -> None:
    """Raw SQL run behind the application's back."""
    with triggers_off() as cursor:
        cursor.execute(sql, params)


def test_each_event_chains_to_its_predecessor():
    events = history(3)
    assert events[0].prev_hash == ""
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    for event in AuditEvent.objects.order_by("id"):  # as stored and read back (jsonb on PostgreSQL)
        assert auditchain.event_hash(event) == event.hash


def test_the_hash_covers_every_field_and_the_predecessor():
    [event] = history(1)
    original = event.hash
    for name, value in [
        ("actor_label", "别人"),
        ("action", "delete"),
        ("object_type", "members.member"),
        ("object_id", "99"),
        ("object_repr", "别的组织"),
        ("org_path", "00000002/"),
        ("before", {"name": "旧0", "n": 1}),
        ("after", None),
        ("request_id", "req-x"),
        ("note", "改过"),
        ("prev_hash", "0" * 64),
        ("at", event.at + dt.timedelta(microseconds=1)),
        ("actor_id", 1),
    ]:
        changed = AuditEvent.objects.get(pk=event.pk)
        setattr(changed, name, value)
        assert auditchain.event_hash(changed) != original, name


def test_verify_passes_on_a_normal_history_in_batches(capsys):
    history(7)
    assert "操作日志完整：共 7 条" in verify(capsys, "--batch-size", "2")
    assert "共 0 条" not in verify(capsys)


def test_verify_of_an_empty_log(capsys):
    assert "操作日志完整：共 0 条" in verify(capsys)


def test_an_update_of_one_events_content_breaks_the_chain_at_that_event():
    events = history()
    behind_the_back("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["改过的组织", events[3].id])
    message = broken("--batch-size", "2")
    assert f"在编号 {events[3].id} 处断开" in message
    assert "记录内容与其哈希不符" in message
    assert "此前 3 条完好" in message


def test_an_update_that_recomputes_the_hash_breaks_the_next_link():
    events = history()
    forged = AuditEvent.objects.get(pk=events[2].pk)
    forged.after = {"name": "伪造"}
    behind_the_back(
        "UPDATE core_auditevent SET after = %s, hash = %s WHERE id = %s",
        ['{"name": "伪造"}', auditchain.event_hash(forged), forged.id],
    )
    message = broken()
    assert f"在编号 {events[3].id} 处断开" in message
    assert f"前一条记录（编号 {events[2].id}）" in message


def test_a_delete_breaks_the_chain_at_the_next_event():
    events = history()
    behind_the_back("DELETE FROM core_auditevent WHERE id = %s", [events[2].id])
    message = broken()
    assert f"在编号 {events[3].id} 处断开" in message
    assert f"前一条记录（编号 {events[1].id}）" in message


def test_deleting_the_first_events_breaks_the_chain_at_the_new_first_one():
    events = history()
    behind_the_back("DELETE FROM core_auditevent WHERE id <= %s", [events[1].id])
    message = broken()
    assert f"在编号 {events[2].id} 处断开" in message
    assert "日志从未清理过" in message


def _skip_ids(n: int) -> None:
    """Leaves a gap of n ids after the last event, where a row can later be inserted in the middle."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('core_auditevent', 'id'), "
                "(SELECT max(id) FROM core_auditevent) + %s)",
                [n],
            )
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = 'core_auditevent'", [n])


def test_an_insert_in_the_middle_breaks_the_chain_at_the_next_event():
    """Even a well-made forgery (chained to its predecessor, with a correct hash of its own) leaves its
    successor pointing at the predecessor."""
    first = history(3)
    _skip_ids(10)
    later = history(2)
    assert later[0].id > first[-1].id + 10
    forged = AuditEvent(
        id=first[-1].id + 5,
        at=first[-1].at,
        actor_label="系统",
        action="delete",
        object_type="orgs.org",
        object_id="1",
        object_repr="伪造的删除",
        prev_hash=first[-1].hash,
    )
    forged.hash = auditchain.event_hash(forged)
    forged.save(force_insert=True)
    message = broken()
    assert f"在编号 {later[0].id} 处断开" in message
    assert f"前一条记录（编号 {forged.id}）" in message


def test_existing_events_are_chained_by_the_migration(monkeypatch):
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps

    history(4)
    behind_the_back("UPDATE core_auditevent SET prev_hash = '', hash = ''", [])
    assert not auditchain.verify().ok
    migration = import_module("dangjian.core.migrations.0005_audit_chain_existing_events")
    monkeypatch.setattr(migration, "BATCH", 3)
    with triggers_off():  # (the trigger comes with the next migration)
        migration.chain(apps, SimpleNamespace(connection=connection))
    verdict = auditchain.verify()
    assert verdict.ok and verdict.count == 4


def test_unknown_action_and_bad_batch_size_are_refused():
    with pytest.raises(CommandError) as exc:
        call_command("audit", "check")
    assert exc.value.returncode == 2 and "应为 verify 或 prune" in str(exc.value)
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--batch-size", "0")


# --- PostgreSQL: the trigger and the lock ---------------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET object_repr = 'x' WHERE id = %s",
        "UPDATE core_auditevent SET actor_id = NULL WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_update_and_delete(sql):
    [event] = history(1)
    with pytest.raises(DatabaseError, match="操作日志只能追加"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.id])
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash


@pytest.mark.postgresql
def test_postgresql_allows_a_delete_only_in_a_transaction_that_set_the_prune_setting():
    events = history(2)
    with transaction.atomic():
        auditchain.permit_delete()
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditevent SET note = 'x' WHERE id = %s", [events[0].id])
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[0].id])
    assert not AuditEvent.objects.filter(pk=events[0].pk).exists()


@pytest.mark.postgresql
def test_postgresql_recording_holds_the_chain_lock_until_the_transaction_ends():
    """A second writer cannot read the chain's head while a transaction that recorded an event is open, so
    two writers never chain to the same predecessor."""
    history(1)  # the test's transaction is still open
    taken = []

    def other_writer():
        with connections["default"].cursor() as cursor:  # another connection (this thread's own)
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [auditchain.LOCK_KEY])
            taken.append(cursor.fetchone()[0])
        connections["default"].close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    thread.join()
    assert taken == [False]
