"""The 操作日志 filter's list of object types: for the 审计管理员, on PostgreSQL, read by a loose index scan of
audit_object_idx (one probe per type) instead of a DISTINCT over years of events; the same types, in the same order,
as the DISTINCT gives; a 党组织管理员 is offered the types of their subtree's events only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import User
from dangjian.core import audit
from dangjian.core.models import AuditEvent
from dangjian.portal import auditlog

pytestmark = pytest.mark.django_db

TYPES = ["orgs.org", "members.member", "dues.duespayment", "meetings.meeting", "accounts.user"]


@pytest.fixture
def events(tree):
    for i, object_type in enumerate(TYPES * 3):
        org = (tree.a1, tree.b1, None)[i % 3]
        audit.record(
            actor=None,
            action="update",
            object_type=object_type,
            object_repr=f"事件{i}",
            org_path=org.path if org is not None else "",
        )
    audit.record(
        actor=None, action="update", object_type="talks.talk", object_repr="乙一谈话", org_path=tree.b1.path
    )


def test_the_auditor_is_offered_every_type_of_the_log_in_order(events, system_users):
    reader = auditlog.reader(User.objects.get(username="shenji"))
    with CaptureQueriesContext(connection) as queries:
        found = auditlog.object_types(reader)
    distinct = sorted(AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct())
    assert found == distinct and {*TYPES, "talks.talk"} <= set(found)
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        assert "WITH RECURSIVE" in queries[0]["sql"]  # one probe of the index per type, not every event read


def test_a_party_administrator_is_offered_the_types_of_their_subtree(events, users):
    reader = auditlog.reader(users["branch_a1"])
    found = auditlog.object_types(reader)
    assert "talks.talk" not in found  # filed under 乙一 only
    assert set(TYPES) <= set(found)
