"""Ledger snapshots: each member's monthly status codes (dues.kernel.month_codes), kept current so that the
compliance rules DUES-* read one short string per member instead of recomputing 60,000 ledgers from half a
million payments on every evaluation.

A snapshot is derived data, never a source:
- it covers January of the year before the current one to December of the year after it (`span`), so it
  serves the evaluation of this year and of the next; any other span is computed on the fly;
- it carries a fingerprint of the rate table, the rounding settings and the kernel's version: after one changes,
  snapshots are ignored (computed on the fly) until `dangjian dues snapshots` rebuilds them;
- it is refreshed in the same transaction as every saved or deleted base, relief or payment and every saved
  member (post_save / post_delete: cache maintenance, the one use of model signals besides post_migrate,
  so that no write path can forget it); bulk writes that bypass the ORM (the seed) call `refresh` at the
  end, and imports defer the refresh to one set-based pass (`deferred`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import post_delete, post_save

from dangjian.core.bulk import insert_rows
from dangjian.dues.calculator import rounding
from dangjian.dues.kernel import KERNEL_VERSION, amounts_of, codes_of, compute, month_index
from dangjian.dues.ledger import ledger_rows
from dangjian.dues.models import DuesBase, DuesPayment, DuesRelief, LedgerSnapshot
from dangjian.dues.rates import load_rates

_pending: ContextVar[set[int] | None] = ContextVar("dues_snapshot_pending", default=None)


_fingerprint: tuple = (None, None, "")  # (the rate table, the rounding, their fingerprint)


def fingerprint() -> str:
    """What every amount depends on besides the member's own rows: the rate table, the rounding and the kernel's
    version (`kernel.KERNEL_VERSION`). Computed once per rate table (load_rates returns a new one when the file
    changes) and rounding setting."""
    global _fingerprint
    table, mark = load_rates(), rounding()
    cached_table, cached_mark, digest = _fingerprint
    if cached_table is not table or cached_mark != mark:
        text = f"{table.model_dump_json()}|{mark[0]}|{mark[1]}|{KERNEL_VERSION}"
        digest = hashlib.sha256(text.encode()).hexdigest()
        _fingerprint = (table, mark, digest)
    return digest


def span(today: dt.date | None = None) -> tuple[int, int]:
    """(first, last) month indices a snapshot covers: January of last year … December of next year."""
    year = (today or dt.date.today()).year
    return month_index(dt.date(year - 1, 1, 1)), month_index(dt.date(year + 1, 12, 1))


def refresh(members, *, today: dt.date | None = None) -> int:
    """Recomputes the snapshots of `members` (a Member queryset) over `span(today)`: a fixed number of queries
    whatever the number of members (the rows written with one COPY on PostgreSQL; SQLite runs the insert in
    batches of 2,000 rows). Returns the count."""
    from dangjian.members.models import Member

    first, last = span(today)
    member_sq = members.order_by().values("pk")
    people = list(Member.objects.filter(pk__in=member_sq).values_list("pk", "joined_on"))
    payments, bases, reliefs = ledger_rows(member_sq, first, last)
    mark = fingerprint()
    snapshots = []
    for pk, joined_on in people:
        ledger = compute(
            joined_on=joined_on,
            inactive_from=None,  # the rules look only at members on the roll on D
            bases=bases.get(pk, ()),
            reliefs=reliefs.get(pk, ()),
            payments=payments.get(pk, ()),
            first=first,
            last=last,
        )
        snapshots.append(
            (pk, first, last, mark, codes_of(ledger, first, last), amounts_of(ledger, first, last))
        )
    LedgerSnapshot.objects.filter(member__in=member_sq).delete()
    # plain rows (COPY on PostgreSQL): bulk_create's per-value preparation cost more than computing them
    insert_rows(LedgerSnapshot, ["member_id", "start", "end", "fingerprint", "codes", "amounts"], snapshots)
    return len(snapshots)


def changed(member_ids: Iterable[int]) -> None:
    """The ledgers of these members changed: refresh now, or at the end of the enclosing `deferred()`."""
    ids = {pk for pk in member_ids if pk is not None}
    if not ids:
        return
    pending = _pending.get()
    if pending is not None:
        pending |= ids
        return
    from dangjian.members.models import Member

    refresh(Member.objects.filter(pk__in=ids))


@contextmanager
def deferred() -> Iterator[None]:
    """Collects the changed members of a bulk write (an import) and refreshes them in one pass at the end
    (only when the block succeeds; a failed block's transaction is rolled back anyway)."""
    if _pending.get() is not None:  # nested: the outer block refreshes
        yield
        return
    token = _pending.set(set())
    try:
        yield
        ids = _pending.get() or set()
    finally:
        _pending.reset(token)
    if ids:
        from dangjian.members.models import Member

        refresh(Member.objects.filter(pk__in=ids))


def _on_row(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: the fixture's rows are written as they are
        return
    changed([instance.member_id])


def _on_member(sender, instance, created=False, **kwargs) -> None:
    """Only the 入党日期 of a member's own fields enters the ledger: refresh when it changed (a new member has
    no dues rows yet: evaluations compute a member without a snapshot on the fly)."""
    if kwargs.get("raw") or created:
        return
    loaded = getattr(instance, "_loaded_joined_on", None)
    if loaded is None or loaded != instance.joined_on:
        changed([instance.pk])
    instance._loaded_joined_on = instance.joined_on


def connect() -> None:
    """Called from DuesConfig.ready()."""
    for model in (DuesBase, DuesRelief, DuesPayment):
        post_save.connect(_on_row, sender=model, dispatch_uid=f"dues_snapshot_save_{model.__name__}")
        post_delete.connect(_on_row, sender=model, dispatch_uid=f"dues_snapshot_delete_{model.__name__}")
    from dangjian.members.models import Member

    post_save.connect(_on_member, sender=Member, dispatch_uid="dues_snapshot_member")
