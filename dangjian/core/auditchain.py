"""The audit log as a hash chain: each event carries the hash of its predecessor (in id order) and its own
hash over a canonical serialisation of its fields, the predecessor's hash included, so that changing,
deleting or inserting an event breaks the chain at a place `verify` names.

Appends are serialised (`lock_head`): on PostgreSQL a transaction-scoped advisory lock, taken before reading
the last event's hash and held until the writer's transaction ends, so two writers never chain to the same
predecessor; SQLite serialises writes by itself. `prune` deletes the oldest events (older than the retention
period only) and records what it deleted, with the hash of the last deleted event: the anchor the first
remaining event is checked against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

# pg_advisory_xact_lock key of the chain's head ("djaudit" in ASCII).
LOCK_KEY = 0x646A6175646974
# The session setting that lets the PostgreSQL trigger accept a DELETE (set by `prune`, for its transaction).
PRUNE_SETTING = "dangjian.audit_prune"
MIN_RETENTION_DAYS = 180
PRUNE_TYPE = "core.auditevent"
PRUNE_ACTION = "prune"
# The fields a hash covers, in this order (with the predecessor's hash). Changing the list or the
# serialisation changes every hash: it would need a new version and a migration re-chaining the log.
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "org_path",
    "before",
    "after",
    "request_id",
    "note",
    "prev_hash",
)
VERSION = 1


def _norm(value: Any) -> Any:
    """JSON values as the database gives them back: keys as strings, integral floats as integers (PostgreSQL's
    jsonb writes 1e16 as 10000000000000000), tuples as lists."""
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(event) -> bytes:
    """The serialisation a hash is computed over: the hashed fields of `event` (a model instance, historical
    ones in migrations included) as compact JSON with sorted keys."""
    content: dict[str, Any] = {"v": VERSION}
    for name in HASHED_FIELDS:
        value = getattr(event, name)
        if name == "at":
            value = _at(value)
        elif name in ("before", "after"):
            value = _norm(value)
        content[name] = value
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def _table() -> str:
    from dangjian.core.models import AuditEvent

    return connection.ops.quote_name(AuditEvent._meta.db_table)


def lock_head() -> str:
    """Takes the chain's lock for the current transaction and returns the hash of the last event ("" for an
    empty log). Call inside `transaction.atomic`: the lock is held until the transaction ends."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(f"SELECT hash FROM {_table()} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    return row[0] if row else ""


def permit_delete() -> None:
    """Lets the PostgreSQL trigger accept DELETEs on the audit table until the current transaction ends (the
    pruning below, and `seed --reset`, which wipes a demo database)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [PRUNE_SETTING])


# --- verification --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    count: int  # events checked (up to the first broken one)
    broken_id: int | None = None
    problem: str = ""
    head_hash: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _batches(batch_size: int) -> Iterator[list]:
    from dangjian.core.models import AuditEvent

    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last).order_by("id")[:batch_size])
        if not batch:
            return
        yield batch
        last = batch[-1].id


def last_prune():
    """The latest pruning event, whose recorded anchor the first remaining event must chain to."""
    from dangjian.core.models import AuditEvent

    return AuditEvent.objects.filter(object_type=PRUNE_TYPE, action=PRUNE_ACTION).order_by("-id").first()


def verify(batch_size: int = 2000) -> Verdict:
    """Walks the chain in id order, `batch_size` events at a time, in one consistent snapshot."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        prune = last_prune()
        anchor = (prune.after or {}).get("last_hash", "") if prune is not None else ""
        expected, prev_id, count = anchor, None, 0
        for batch in _batches(batch_size):
            for event in batch:
                if event.prev_hash != expected:
                    return Verdict(count, event.id, _link_problem(prev_id, prune))
                if event_hash(event) != event.hash:
                    return Verdict(count, event.id, "记录内容与其哈希不符：该记录被修改过。")
                expected, prev_id, count = event.hash, event.id, count + 1
        return Verdict(count, head_hash=expected)


def _link_problem(prev_id: int | None, prune) -> str:
    if prev_id is not None:
        return (
            f"记录的“前一条哈希”与前一条记录（编号 {prev_id}）的哈希不符："
            "其间有记录被删除或插入，或前一条记录被改写。"
        )
    if prune is not None:
        return (
            f"第一条记录的“前一条哈希”与最近一次清理（编号 {prune.id}）记录的末条哈希不符："
            "其前的记录被删除或替换。"
        )
    return "第一条记录的“前一条哈希”应为空（日志从未清理过）：其前的记录被删除。"


# --- retention and pruning -----------------------------------------------------------------------------


class PruneRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def retention_days() -> int:
    days = settings.AUDIT_RETENTION_DAYS
    if not isinstance(days, int) or days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_DAYS 为 {days!r}：操作日志至少保留 {MIN_RETENTION_DAYS} 天。"
        )
    return days


def earliest_allowed_cutoff(today: dt.date) -> dt.date:
    """The latest `--before` date prune accepts: every event it deletes is at least the retention period old."""
    return today - dt.timedelta(days=retention_days())


@dataclass(frozen=True)
class Pruned:
    count: int
    event_id: int | None = None  # the pruning's own audit event


def prune(before: dt.date, *, today: dt.date | None = None) -> Pruned:
    """Deletes the events recorded before `before` (local midnight), oldest first: the first event recorded
    on or after it and everything after it stay. Records the pruning first (count, range, last hash), so the
    pruning event itself is never deleted and the first remaining event chains to the recorded hash."""
    from dangjian.core import audit
    from dangjian.core.models import AuditEvent

    today = today or dt.date.today()
    limit = earliest_allowed_cutoff(today)
    if before > limit:
        raise PruneRefused(
            f"操作日志至少保留 {retention_days()} 天：清理日期不能晚于 {limit:%Y-%m-%d}"
            f"（所给日期为 {before:%Y-%m-%d}）。"
        )
    moment = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    with transaction.atomic():
        lock_head()
        kept = AuditEvent.objects.filter(at__gte=moment).order_by("id").values_list("id", flat=True).first()
        doomed = AuditEvent.objects.all() if kept is None else AuditEvent.objects.filter(id__lt=kept)
        last = doomed.order_by("-id").values("id", "at", "hash").first()
        if last is None:
            return Pruned(0)
        first = doomed.order_by("id").values("id", "at").first()
        count = doomed.count()
        assert first is not None  # (there is a last one)
        event = audit.record(
            actor=None,
            action=PRUNE_ACTION,
            object_type=PRUNE_TYPE,
            object_repr=f"清理 {before:%Y-%m-%d} 之前的操作日志",
            after={
                "count": count,
                "before": before,
                "first_id": first["id"],
                "first_at": timezone.localtime(first["at"]),
                "last_id": last["id"],
                "last_at": timezone.localtime(last["at"]),
                "last_hash": last["hash"],
            },
            note=f"共清理 {count} 条（编号 {first['id']}–{last['id']}）",
        )
        permit_delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_table()} WHERE id <= %s", [last["id"]])
    return Pruned(count, event.id)
