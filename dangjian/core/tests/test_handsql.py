"""core.handsql: the prefix test of hand-written SQL matches exactly what starts with the value, its LIKE wildcards
and escape character taken literally, on the database in use."""

from __future__ import annotations

import pytest
from django.db import connection

from dangjian.core.handsql import like_prefix, quoted, starts_with
from dangjian.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "prefix", "matches"),
    [
        ("00000001/00000003/", "00000001/", True),
        ("00000001/00000003/", "00000003/", False),
        ("a_b/c", "a_b/", True),
        ("axb/c", "a_b/", False),  # _ is not “any character”
        ("50%/x", "50%/", True),
        ("50 percent/x", "50%/", False),  # % is not “anything”
        ("a\\b/x", "a\\b/", True),
        ("ab/x", "a\\b/", False),  # the escape character itself
    ],
)
def test_starts_with_takes_the_prefix_literally(text, prefix, matches):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT CASE WHEN {starts_with('%s')} THEN 1 ELSE 0 END", [text, like_prefix(prefix)])
        assert cursor.fetchone()[0] == int(matches)


def test_quoted_names_the_models_table_and_columns():
    assert quoted(AuditEvent) == connection.ops.quote_name(AuditEvent._meta.db_table)
    assert quoted(AuditEvent, "org_path") == connection.ops.quote_name("org_path")
