"""Bulk inserts without the ORM's per-value work, for writers of tens of thousands of rows (the seed, the
党费 ledger snapshots).

`bulk_create` prepares every value through its field and, on PostgreSQL with Django 5.2, sends each column as an
array that psycopg dumps element by element: for the seed's half a million rows that costs far more than the
database does. `insert_rows` writes plain tuples instead: COPY on PostgreSQL, a prepared statement run for each row
(executemany, in batches) on SQLite. The values must be plain Python values the driver adapts (str, int, bool,
date, Decimal, None); whatever needs a field's own preparation (an encrypted field) is prepared by the caller.
Columns not given get what `bulk_create` would give them. Nothing is validated, no signal is sent and no audit
event recorded: the caller answers for all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Model
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

BATCH_SIZE = 2000


def filled(model: type[Model], columns: Sequence[str]) -> tuple[list[str], tuple]:
    """The model's other columns and the one value each gets, as `bulk_create` would give them: `now` for the
    auto_now(_add) timestamps, the field's default otherwise ("" for text, None for a nullable column); an
    automatic primary key not given is left to the database (its sequence)."""
    now = timezone.now()
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in columns or isinstance(field, AutoFieldMixin):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        if value is None and not field.null:
            raise ValueError(f"{model.__name__}.{field.name} needs a value")
        names.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return names, tuple(values)


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Inserts `rows` (tuples in the order of `columns`) into the model's table."""
    rest, fill = filled(model, columns)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in [*columns, *rest])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + fill if fill else row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * (len(columns) + len(rest)))})"
        batch: list[tuple] = []
        for row in rows:
            batch.append(row + fill if fill else row)
            if len(batch) == BATCH_SIZE:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def first_free_pk(model: type[Model]) -> int:
    """The first primary key after the highest one in use, for a writer that assigns its rows' keys itself
    (to refer to them before they are written); it calls `advance_sequences` afterwards."""
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def advance_sequences(models: Iterable[type[Model]]) -> None:
    """Moves PostgreSQL's sequences past the keys a writer assigned itself, so that later inserts through the
    ORM do not collide (SQLite follows the highest key by itself)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)
