"""An organisation's events follow it when it moves: the log files each event under the organisation's path at the
time (org_path, hashed) and under its id (org_ref), and a scope or an organisation filter reads both — a 党支部 moved
under another 党委 keeps its history for its own 支部管理员 and for its new 党委, while its former 党委 keeps what
happened while the branch was theirs. The events already in the log get their org_ref from their path (migration
core 0015)."""

from __future__ import annotations

import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from dangjian.core import audit, auditchain
from dangjian.core.models import AuditEvent
from dangjian.orgs.services import update_org

URL = "/audit/"


def event(org, repr_: str) -> AuditEvent:
    return audit.record(
        actor=None, action="update", object_type="orgs.org", object_repr=repr_, org_path=org.path
    )


def shown(response) -> set[str]:
    assert response.status_code == 200
    return {e.object_repr for e in response.context["page"] if e.object_repr.startswith("事件")}


@pytest.fixture
def moved(tree, users, make_user):
    """甲一支部 (with its 党小组) had events under 甲委机关党委, then moved under 乙委机关党委 and had more."""
    event(tree.a1, "事件移动前支部")
    event(tree.a1g1, "事件移动前小组")
    event(tree.a2, "事件甲二")
    event(tree.b1, "事件乙一")
    update_org(actor=users["gongwei"], org=tree.a1, data={"parent": tree.b})
    tree.a1.refresh_from_db()
    tree.a1g1.refresh_from_db()
    event(tree.a1, "事件移动后支部")
    return {"dangwei_b": make_user("dangwei_b", "dangwei_admin", tree.b)}


def test_events_are_filed_under_the_organisation_by_id(tree):
    assert event(tree.a1g1, "事件").org_ref == tree.a1g1.pk
    assert audit.org_of_path(tree.a1g1.path) == tree.a1g1.pk
    assert audit.org_of_path("") is None
    none = audit.record(actor=None, action="login", object_type="accounts.user", object_repr="登录")
    assert none.org_ref is None


def test_the_branch_keeps_its_history_for_its_own_administrator(client, tree, users, moved):
    assert tree.a1.path.startswith(tree.b.path)
    client.force_login(users["branch_a1"])
    assert shown(client.get(URL)) == {"事件移动前支部", "事件移动前小组", "事件移动后支部"}


def test_the_new_committee_reads_the_branch_history_and_the_former_one_what_was_theirs(
    client, tree, users, moved
):
    client.force_login(moved["dangwei_b"])
    mine = shown(client.get(URL))
    assert {"事件移动前支部", "事件移动前小组", "事件移动后支部", "事件乙一"} <= mine
    assert "事件甲二" not in mine
    client.force_login(users["dangwei_a"])
    theirs = shown(client.get(URL))
    assert {"事件移动前支部", "事件移动前小组", "事件甲二"} <= theirs
    assert not {"事件移动后支部", "事件乙一"} & theirs


def test_the_filter_by_organisation_finds_its_events_from_before_the_move(client, tree, system_users, moved):
    client.force_login(system_users["shenji"])
    response = client.get(URL, {"org": tree.a1.pk})
    assert shown(response) == {"事件移动前支部", "事件移动前小组", "事件移动后支部"}
    names = {e.object_repr: e.org_name for e in response.context["page"]}
    assert names["事件移动前支部"] == "甲一支部"  # by its id, not by the path it no longer has
    assert names["事件移动前小组"] == "甲一第一党小组"
    assert "事件甲二" not in shown(client.get(URL, {"org": tree.b.pk}))
    assert "事件移动前支部" in shown(client.get(URL, {"org": tree.b.pk}))
    assert "事件移动前支部" in shown(client.get(URL, {"org": tree.a.pk}))  # its former 党委's history


def test_the_migration_files_the_events_already_in_the_log(tree):
    """Events written before org_ref existed (appended here without it) get it from their path; on PostgreSQL
    through the append-only trigger, which stays in force afterwards."""
    kept = [
        audit.build(
            actor=None, action="update", object_type="orgs.org", object_repr=org.code, org_path=org.path
        )
        for org in (tree.gw, tree.a1, tree.a1g1, tree.b1)
    ]
    blank = audit.build(actor=None, action="login", object_type="accounts.user", object_repr="登录")
    for made in (*kept, blank):
        made.org_ref = None
    audit.record_many([*kept, blank])
    kept = list(AuditEvent.objects.filter(object_repr__in=[e.object_repr for e in kept]))
    assert len(kept) == 4 and all(e.org_ref is None for e in kept)
    migration = importlib.import_module("dangjian.core.migrations.0015_audit_org_ref")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    if connection.vendor == "postgresql":  # as in a migration's own transaction: no deferred checks pending
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration.fill_org_ref(None, editor)
    found = dict(AuditEvent.objects.filter(pk__in=[e.pk for e in kept]).values_list("pk", "org_ref"))
    assert found == {e.pk: audit.org_of_path(e.org_path) for e in kept}
    assert AuditEvent.objects.get(pk=blank.pk).org_ref is None
    # the chain still holds: org_ref is not hashed
    assert auditchain.event_hash(AuditEvent.objects.get(pk=kept[1].pk)) == kept[1].hash
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="操作日志只能追加"), transaction.atomic():
            AuditEvent.objects.filter(pk=kept[1].pk).update(org_ref=1)
