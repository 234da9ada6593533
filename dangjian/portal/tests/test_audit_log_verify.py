"""The 审计管理员 checks the audit log's hash chain from the audit page (`dangjian audit verify`): a POST, recorded as
a `verify` event whose result the page shows in Chinese — intact, or the record where the chain breaks."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tasks import TaskResultStatus

from dangjian.core import auditchain
from dangjian.core.models import AuditEvent
from dangjian.portal import auditexport

URL = "/audit/verify/"


def behind_the_back(sql: str, params: list) -> None:
    """Raw SQL run by someone with full database access (on PostgreSQL with the triggers off, for the
    transaction), as `core/tests/test_audit_chain.py` does."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def panel(client) -> str:
    html = client.get("/audit/").content.decode()
    start = html.index('data-testid="audit-verification"')
    return html[start : html.index("</form>", start)]


def test_an_intact_chain_is_said_and_the_check_recorded(client, users, system_users):
    client.force_login(system_users["shenji"])
    assert "尚未在本页校验过" in panel(client)
    before = AuditEvent.objects.count()
    response = client.post(URL, follow=True)
    assert response.redirect_chain == [("/audit/", 302)]
    assert "校验完成：操作日志完整，哈希链未发现断开。" in response.content.decode()
    event = AuditEvent.objects.get(action="verify")
    assert event.actor == system_users["shenji"] and event.object_type == "core.auditevent"
    assert event.after == {"result": "intact", "checked": before, "head_hash": event.prev_hash}
    assert event.note == f"操作日志完整：共核对 {before} 条，哈希链未发现断开。"
    shown = panel(client)
    assert 'data-result="intact"' in shown and f"共核对 {before} 条记录，哈希链未发现断开" in shown
    assert "由shenji演示校验" in shown
    # the check is in the log like any other action, in words, and the chain still holds with it
    [listed] = client.get("/audit/", {"action": "verify"}).context["page"]
    assert listed.get_action_display() == "完整性校验" and listed.type_label == "操作日志"
    assert ("校验结果", "—", "完整") in listed.diff and ("已核对条数", "—", str(before)) in listed.diff
    assert auditchain.verify().ok


def test_a_broken_chain_is_said_with_where_it_breaks(client, users, system_users, tree):
    victim = AuditEvent.objects.filter(object_type="orgs.org").order_by("id")[2]
    behind_the_back(
        f"UPDATE {connection.ops.quote_name(AuditEvent._meta.db_table)} SET object_repr = %s WHERE id = %s",
        ["改过的名称", victim.pk],
    )
    client.force_login(system_users["shenji"])
    response = client.post(URL, follow=True)
    assert "校验完成：操作日志的哈希链已断开" in response.content.decode()
    event = AuditEvent.objects.get(action="verify")
    assert event.after["result"] == "broken" and event.after["broken_id"] == victim.pk
    assert event.after["checked"] == AuditEvent.objects.filter(id__lt=victim.pk).count()
    assert "记录内容与其哈希不符" in event.after["problem"]
    shown = panel(client)
    assert 'data-result="broken"' in shown and "已断开" in shown
    assert (
        f"哈希链在编号 {victim.pk} 的记录处断开" in shown
        and "记录内容与其哈希不符：该记录被修改过。" in shown
    )


def test_only_the_auditor_checks_and_only_by_post(client, users, system_users):
    for user in (users["gongwei"], users["branch_a1"], system_users["xitong"], system_users["anquan"]):
        client.force_login(user)
        assert client.post(URL).status_code == 403
        assert 'data-testid="audit-verify"' not in client.get("/audit/").content.decode()
    client.logout()
    assert client.post(URL).status_code == 302
    client.force_login(system_users["shenji"])
    assert client.get(URL).status_code == 405
    assert not AuditEvent.objects.filter(action="verify").exists()


def test_a_check_left_to_the_worker_says_so(client, system_users, monkeypatch):
    """With the database task backend the check runs in `dangjian worker`: the page says it has begun."""
    from types import SimpleNamespace

    queued = []
    monkeypatch.setattr(
        auditexport,
        "verify_chain",
        SimpleNamespace(
            enqueue=lambda pk: queued.append(pk) or SimpleNamespace(status=TaskResultStatus.READY)
        ),
    )
    client.force_login(system_users["shenji"])
    response = client.post(URL, follow=True)
    assert queued == [system_users["shenji"].pk]
    assert "已开始校验操作日志，完成后结果显示在本页" in response.content.decode()


def test_the_task_checks_for_an_auditor_only(system_users, users):
    """Run by the worker later, the task checks again that its user is still the 审计管理员."""
    assert auditexport.verify_chain.call(users["gongwei"].pk) is None
    assert auditexport.verify_chain.call(system_users["xitong"].pk) is None
    assert not AuditEvent.objects.filter(action="verify").exists()
    found = auditexport.verify_chain.call(system_users["shenji"].pk)
    assert AuditEvent.objects.get(action="verify").pk == found


@pytest.mark.parametrize("intact", [True, False])
def test_the_message_follows_the_result_of_the_check(client, system_users, tree, intact):
    if not intact:
        behind_the_back(
            f"DELETE FROM {connection.ops.quote_name(AuditEvent._meta.db_table)} WHERE id = %s",
            [AuditEvent.objects.order_by("id").values_list("id", flat=True)[3]],
        )
    client.force_login(system_users["shenji"])
    html = client.post(URL, follow=True).content.decode()
    assert ("校验完成：操作日志完整" in html) is intact
    assert ("校验完成：操作日志的哈希链已断开" in html) is not intact
    if not intact:
        assert "其间有记录被删除或插入" in html
