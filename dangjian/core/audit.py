"""Recording audit events. Services call `record` inside their transaction; each event is appended to the
hash chain (`core.auditchain`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.core import auditchain
from dangjian.core.context import get_request_id
from dangjian.core.models import AuditEvent

# Called with the organisation path of every write (create, update, delete, import) a service records, and
# of every path a service names with `changed`: the compliance engine listens to refresh its kept results.
CHANGE_LISTENERS: list[Callable[[str], None]] = []
WRITE_ACTIONS = frozenset({"create", "update", "delete", "import"})


# What the audit page shows for the keys of a service's snapshot that are not a field of the event's model (a
# training's "completed", a development step's "step"), and for values that are codes of a list kept outside the
# model (a step's key): registered by the app that writes them. object type → key → label; (object type, key) →
# a function from the value to its text.
SNAPSHOT_LABELS: dict[str, dict[str, Any]] = {}
SNAPSHOT_VALUES: dict[tuple[str, str], Callable[[Any], str]] = {}


def register_snapshot_labels(
    object_type: str, labels: dict[str, Any], *, values: dict[str, Callable[[Any], str]] | None = None
) -> None:
    SNAPSHOT_LABELS.setdefault(object_type, {}).update(labels)
    for key, shown in (values or {}).items():
        SNAPSHOT_VALUES[(object_type, key)] = shown


def changed(org_path: str) -> None:
    """Records of the organisation at `org_path` changed (besides the one an audit event names: a member's
    former branch after a move)."""
    for listener in CHANGE_LISTENERS:
        listener(org_path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return str(value)
    return value


def snapshot(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in values.items()}


def actor_label(actor) -> str:
    if actor is None:
        return "系统"
    return actor.get_full_name() or actor.get_username()


def org_of_path(org_path: str) -> int | None:
    """The organisation an event filed under `org_path` belongs to: the path's last segment ("…/00000023/" → 23);
    None for an event filed under no organisation."""
    last = org_path.rstrip("/").rpartition("/")[2]
    return int(last) if last.isdigit() else None


def build(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    org_path: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """An event as `record` writes it, not yet chained nor saved (for `record_many`)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        org_path=org_path,
        org_ref=org_of_path(org_path),
        before=snapshot(before) if before is not None else None,
        after=snapshot(after) if after is not None else None,
        request_id=get_request_id(),
        note=note[:255],
    )


def record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    org_path: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    event = build(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        org_path=org_path,
        before=before,
        after=after,
        note=note,
    )
    # The chain's lock is held until the caller's transaction ends (savepoint=False: no extra statements
    # inside a service's transaction; a call outside one gets its own).
    with transaction.atomic(savepoint=False):
        event.prev_hash = auditchain.lock_head()
        event.at = timezone.now()
        event.hash = auditchain.event_hash(event)
        event.save(force_insert=True)
    if action in WRITE_ACTIONS and org_path:
        changed(org_path)
    return event


def record_many(events: list[AuditEvent], batch_size: int = 1000) -> None:
    """Appends events made by `build` to the chain in their order, as that many `record` calls would, with one
    lock and one read of the head, and the inserts in batches (a bulk write: an import's new members).
    `bulk_create` inserts a batch in list order, so ids follow the chain; each event's time is taken as it is
    chained, so times follow it too."""
    if not events:
        return
    with transaction.atomic(savepoint=False):
        prev_hash = auditchain.lock_head()
        for event in events:
            event.prev_hash = prev_hash
            event.at = timezone.now()
            event.hash = prev_hash = auditchain.event_hash(event)
        AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    paths = dict.fromkeys(e.org_path for e in events if e.action in WRITE_ACTIONS and e.org_path)
    for path in paths:  # each listener hears of each organisation once
        changed(path)
