"""Pieces of SQL written by hand for the few queries that every page runs, which the ORM would build and compile on
every request (about 0.5 ms of CPU a query): names quoted from the models' `_meta`, so that a renamed table or column
follows, and the prefix test of a materialized path with its wildcards escaped. The values always go as parameters."""

from __future__ import annotations

from django.db import connection


def quoted(model, field: str | None = None) -> str:
    """The model's table, or the column of one of its fields, quoted for the database in use."""
    return connection.ops.quote_name(model._meta.get_field(field).column if field else model._meta.db_table)


def starts_with(column: str) -> str:
    """A condition that `column` starts with the parameter given as `like_prefix(value)`."""
    return f"{column} LIKE %s ESCAPE '\\'"


def like_prefix(value: str) -> str:
    """The parameter of `starts_with`: `value` with LIKE's wildcards and escape character escaped, then `%`."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
