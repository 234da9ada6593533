"""The 审计管理员's export of the audit log: exactly the events the page's filter selects, with Chinese headers and
the changes in words, recorded as an export; made by the task worker when large; refused to everyone else. 身份证号
and 手机号码 appear in neither the page nor the file, nor in the export's own audit event."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dangjian.core import audit
from dangjian.core.models import AuditEvent, ExportJob
from dangjian.core.pii import mask_id_number, mask_phone
from dangjian.portal import auditexport

URL = "/audit/export.xlsx"


def sheets(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    found = {
        sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets
    }
    book.close()
    return found


def every_text(content: bytes) -> str:
    return "\n".join(
        str(v) for rows in sheets(content).values() for row in rows for v in row if v is not None
    )


@pytest.fixture
def moves(tree, make_member):
    """Members of 甲一 moved to 甲二 (events under 甲委) and one of 乙一 updated (an event outside it)."""
    from dangjian.members.services import update_member

    moved = []
    for i in range(3):
        member = make_member(tree.a1, name=f"调动{i}")
        update_member(actor=None, member=member, data={"org": tree.a2})
        moved.append(member)
    other = make_member(tree.b1, name="乙一党员")
    update_member(actor=None, member=other, data={"position": "科长"})
    return moved


def test_the_export_holds_exactly_the_filtered_events(client, system_users, tree, moves):
    client.force_login(system_users["shenji"])
    query = {"org": tree.a.pk, "action": "update", "object_type": "members.member"}
    page = client.get("/audit/", query)
    assert f'href="{URL}?' in page.content.decode()  # the page's export carries its filter
    response = client.get(URL, query)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "attachment" in response["Content-Disposition"]
    assert f"{timezone.localdate():%Y-%m-%d}.xlsx" in response["Content-Disposition"]
    found = sheets(response.content)
    assert list(found) == ["操作日志", "说明"]
    header, *rows = found["操作日志"]
    assert header == auditexport.HEADER and header[:6] == (
        "记录编号",
        "时间",
        "操作人",
        "操作",
        "对象类型",
        "对象",
    )
    expected = list(
        AuditEvent.objects.filter(
            org_path__startswith=tree.a.path, action="update", object_type="members.member"
        ).order_by("id")
    )
    assert [row[0] for row in rows] == [e.id for e in expected] and len(rows) == 3
    assert [row[5] for row in rows] == ["调动0", "调动1", "调动2"]
    first = dict(zip(header, rows[0], strict=True))
    assert first["操作"] == "修改" and first["对象类型"] == "党员"
    assert (first["所属组织"], first["组织编码"]) == ("甲二支部", "A2")  # filed under where the member went
    assert "所在组织：甲一支部（A1） → 甲二支部（A2）" in first["变更内容"]
    assert abs((first["时间"] - timezone.localtime(expected[0].at).replace(tzinfo=None)).total_seconds()) < 1
    assert first["哈希"] == expected[0].hash
    about = dict(found["说明"])
    assert about["筛选条件"] == "操作：修改；对象类型：党员；组织：甲委机关党委（A）及其下级组织"
    assert about["记录条数"] == 3
    # the export is itself recorded: who, what, the filter and the count — never the rows
    [recorded] = AuditEvent.objects.filter(action="export", actor=system_users["shenji"])
    assert recorded.object_type == "core.auditevent" and recorded.object_repr == "操作日志"
    assert recorded.org_path == tree.a.path
    assert recorded.note == (
        "导出操作日志，3 行；范围：操作：修改；对象类型：党员；组织：甲委机关党委（A）及其下级组织"
    )


def test_the_whole_log_without_a_filter(client, system_users, tree, moves):
    client.force_login(system_users["shenji"])
    response = client.get(URL)
    _header, *rows = sheets(response.content)["操作日志"]
    everything = AuditEvent.objects.exclude(action="export").order_by("id")  # (the export's own comes after)
    assert [row[0] for row in rows] == list(everything.values_list("id", flat=True))
    assert {"shenji", "调动0", "乙一党员", "甲二支部"} <= {row[5] for row in rows}
    assert dict(sheets(response.content)["说明"])["筛选条件"] == "全部操作日志"
    assert AuditEvent.objects.filter(action="export").get().org_path == ""


def test_only_the_auditor_exports(client, users, system_users, tree, moves):
    for who in ("gongwei", "dangwei_a", "branch_a1", "member_a1", "norole"):
        client.force_login(users[who])
        assert client.get(URL).status_code == 403, who
    for who in ("xitong", "anquan"):
        client.force_login(system_users[who])
        assert client.get(URL).status_code == 403, who
    client.logout()
    assert client.get(URL).status_code == 302
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_filter_that_does_not_hold_exports_nothing(client, system_users, tree, moves):
    client.force_login(system_users["shenji"])
    assert client.get(URL, {"date_from": "2026-12-20", "date_to": "2026-12-01"}).status_code == 400
    assert client.get(URL, {"org": 999_999}).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_more_than_a_worksheet_holds_is_refused_with_a_message(
    client, system_users, tree, moves, monkeypatch
):
    monkeypatch.setattr(auditexport, "MAX_ROWS", 2)
    client.force_login(system_users["shenji"])
    response = client.get(URL, {"action": "update"}, follow=True)
    assert response.redirect_chain[-1][0] == "/audit/?action=update"
    assert "筛选出的记录超过 2 条" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_large_export_is_made_by_the_worker_and_downloaded_by_the_auditor(
    client, system_users, tree, moves, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_ROWS = 2
    settings.VAR_DIR = tmp_path
    client.force_login(system_users["shenji"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(URL, {"org": tree.a.pk})
    job = ExportJob.objects.get(user=system_users["shenji"])
    assert response.status_code == 302 and response["Location"] == reverse(
        "portal:export_job", kwargs={"pk": job.pk}
    )
    job.refresh_from_db()
    assert job.status == "done" and job.kind == "audit"
    page = client.get(reverse("portal:export_job", kwargs={"pk": job.pk}))
    assert page.status_code == 200 and 'data-testid="export-download"' in page.content.decode()
    download = client.get(reverse("portal:export_download", kwargs={"pk": job.pk}))
    assert download.status_code == 200
    _header, *rows = sheets(download.content)["操作日志"]
    ids = AuditEvent.objects.filter(org_path__startswith=tree.a.path).exclude(action="export").order_by("id")
    assert [row[0] for row in rows] == list(ids.values_list("id", flat=True))
    assert AuditEvent.objects.filter(action="export", actor=system_users["shenji"]).count() == 1


def test_personal_data_never_appears_in_full(client, users, system_users, tree, make_member, settings):
    """Services keep 身份证号 and 手机号码 masked in their snapshots; a text that carries one anyway (a file named by
    an ID number, a note) is redacted on the page and in the file, and the filter typed into the export's record."""
    from dangjian.conftest import unique_id_number
    from dangjian.members.services import update_member
    from dangjian.pipeline.services import open_case

    number = unique_id_number()
    member = make_member(tree.a1, name="个人甲", id_number=number)
    update_member(actor=None, member=member, data={"phone": "13987654321"})
    case_number = unique_id_number()
    open_case(
        actor=None,
        org=tree.a1,
        name="申请甲",
        id_number=case_number,
        phone="13700001111",
        applied_on=timezone.localdate(),
    )
    stray = unique_id_number()
    audit.record(
        actor=None,
        action="import",
        object_type="import",
        object_repr=f"党员导入 {stray}.xlsx",
        org_path=tree.a1.path,
        note=f"联系人电话 13600002222，证件 {stray}",
        after={"file": f"{stray}.xlsx", "contact": "13600002222"},
    )
    secrets = [number, case_number, stray, "13812345678", "13987654321", "13700001111", "13600002222"]
    # what the services stored: masked
    stored = "\n".join(
        f"{e.object_repr} {e.before} {e.after}" for e in AuditEvent.objects.exclude(action="import")
    )
    assert not [s for s in secrets if s in stored]
    assert mask_phone("13987654321") in stored and mask_id_number(number) in stored

    settings.PAGE_SIZE = 1000
    client.force_login(system_users["shenji"])
    html = client.get("/audit/").content.decode()
    assert [s for s in secrets if s in html] == []
    assert mask_phone("13987654321") in html and "[身份证号已隐去]" in html and "[手机号已隐去]" in html
    content = client.get(URL, {"actor": "13600002222"}).content
    assert sheets(content)["操作日志"][1:] == []  # nobody's name holds it
    content = client.get(URL).content
    text = every_text(content)
    assert [s for s in secrets if s in text] == []
    assert mask_phone("13987654321") in text and "[身份证号已隐去]" in text
    notes = " ".join(AuditEvent.objects.filter(action="export").values_list("note", flat=True))
    assert "13600002222" not in notes and "[手机号已隐去]" in notes


def test_junk_in_the_filter_is_refused_not_a_server_error(client, system_users, tree):
    """The junk the permission matrix's query test sends the party pages (core/tests/test_query_junk.py), sent to the
    审计管理员's page, organisation search and export: a page or a refusal, never a 500 (NUL: the middleware's 400)."""
    client.raise_request_exception = False
    client.force_login(system_users["shenji"])
    failed = []
    for name in ("org", "org_q", "action", "object_type", "date_from", "date_to", "actor", "page"):
        for value in ("x", "99999999999999999999", "²", "a" * 300):
            for url in ("/audit/", "/audit/orgs/", URL) if name != "page" else ("/audit/",):
                status = client.get(url, {name: value}).status_code
                if status >= 500:
                    failed.append((url, name, value, status))
    assert failed == []
