"""The import pages under malformed files, large error lists, and the audit trail of every run."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from dangjian.core import imports
from dangjian.core.models import AuditEvent
from dangjian.core.tests.test_import_limits import MALFORMED, bad_member_rows, workbook_bytes
from dangjian.members.models import Member
from dangjian.portal.tests.test_import_views import (
    ID_1,
    ID_2,
    member_rows,
    pending_token,
    stored_uploads,
    upload,
)

NOT_A_ZIP = "文件内容不是有效的 .xlsx 工作簿"


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    return tmp_path


@pytest.fixture
def files_during_preview(monkeypatch, isolated):
    """The uploaded files on disk while the preview runs: the stored uploads and Django's temporary files."""
    seen: list[list[str]] = []
    original = imports.run_import

    def spying(*args, **kwargs):
        found = [p.name for p in (isolated / "uploads").iterdir()] + [
            p.name for p in stored_uploads(isolated / "var")
        ]
        seen.append(found)
        return original(*args, **kwargs)

    monkeypatch.setattr(imports, "run_import", spying)
    return seen


def post_file(client, content: bytes, name: str = "党员.xlsx", kind: str = "members"):
    source = io.BytesIO(content)
    source.name = name
    return client.post(reverse("portal:import_upload", args=[kind]), {"file": source})


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_workbook_is_an_error_on_the_page_and_is_not_kept(
    client, users, settings, isolated, files_during_preview, case
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload goes through a temporary file
    content, message = MALFORMED[case]
    client.force_login(users["branch_a1"])
    response = post_file(client, content, name="组织.xlsx", kind="orgs")  # the MALFORMED files are org sheets
    assert response.status_code == 400
    html = response.content.decode()
    assert (message if content.startswith(b"PK") else NOT_A_ZIP) in html.replace("&quot;", '"')
    assert files_during_preview in ([], [[]])  # nothing on disk, even while the file was being read
    assert stored_uploads(isolated / "var") == []
    assert list((isolated / "uploads").iterdir()) == []
    assert pending_token(client) is None
    event = AuditEvent.objects.get(object_type="import")
    assert (event.action, event.actor, event.object_repr) == (
        "import_failed",
        users["branch_a1"],
        "导入组织：组织.xlsx",
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["姓名", "身份证号", "姓名", "人员类别", "入党日期", "所在组织编码"], "第 1 行 姓名：列名重复。"),
        (["姓名", "人员类别", "入党日期", "所在组织编码"], "第 1 行 身份证号：缺少必填列。"),
    ],
)
def test_duplicated_or_missing_headers_are_shown_and_the_file_is_not_kept(
    client, users, isolated, files_during_preview, header, message
):
    client.force_login(users["branch_a1"])
    response = upload(client, "members", [header, ["新人", ID_1, "新人", "正式党员", "2010-07-01", "A1"]])
    assert response.status_code == 200
    assert message in response.content.decode()
    assert files_during_preview == [[]]
    assert stored_uploads(isolated / "var") == []
    assert 'data-testid="commit"' not in response.content.decode()


def test_a_large_upload_is_read_from_a_temporary_file_deleted_before_the_preview(
    client, users, settings, isolated, files_during_preview
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    client.force_login(users["branch_a1"])
    response = upload(client, "members", member_rows(("新人甲", ID_1, "A1")))
    assert response.status_code == 200
    assert files_during_preview == [[]]
    token = pending_token(client)
    assert [p.name for p in stored_uploads(isolated / "var")] == [f"{token}.xlsx"]  # a clean preview is kept


def test_the_row_limit_is_an_error_on_the_page(client, users, settings, isolated):
    settings.IMPORT_MAX_ROWS = 5
    client.force_login(users["branch_a1"])
    response = upload(client, "members", member_rows(*[(f"新人{i}", ID_1, "A1") for i in range(8)]))
    assert response.status_code == 400
    assert "一次最多导入 5 行" in response.content.decode()
    assert stored_uploads(isolated / "var") == []


def test_the_preview_lists_200_errors_and_counts_the_rest(client, users):
    client.force_login(users["branch_a1"])
    response = post_file(client, workbook_bytes(bad_member_rows(260)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "发现 260 处错误，文件中的数据均未导入。" in html
    assert html.count("：“不是日期”不是有效日期") == 200
    assert "以上是前 200 处错误，另有 60 处错误未列出" in html
    assert not Member.objects.filter(name__startswith="党员").exists()


# --- the audit trail of every run ----------------------------------------------------------------------


def import_events() -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="import")
        .order_by("id")
        .values_list("action", "object_repr", "note")
    )


def no_personal_data(*numbers: str) -> None:
    for event in AuditEvent.objects.filter(object_type="import"):
        text = f"{event.object_repr} {event.note} {event.before} {event.after}"
        assert not any(n in text or n[-6:] in text for n in numbers)


def test_preview_commit_and_failures_are_audited_without_personal_data(client, users, tree):
    client.force_login(users["branch_a1"])
    upload(client, "members", member_rows(("新人甲", ID_1, "A1"), ("新人乙", ID_2, "A1")))
    client.post(reverse("portal:import_commit", args=["members"]), {"token": pending_token(client)})
    bad = ID_2[:-1] + ("0" if ID_2[-1] != "0" else "1")
    upload(client, "members", member_rows(("新人丙", bad, "A1"), ("新人丁", ID_1, "A1")), name="第二批.xlsx")
    post_file(client, b"PK\x03\x04" + b"\x00" * 100, name="坏文件.xlsx")
    csv = io.BytesIO(b"a,b")
    csv.name = "名单.csv"
    client.post(reverse("portal:import_upload", args=["members"]), {"file": csv})
    assert import_events() == [
        ("import_preview", "导入党员：党员.xlsx", "党员导入预览：共 2 行，可导入（新增 2，更新 0，未变 0）"),
        ("import", "导入党员：党员.xlsx", "党员导入：新增 2，更新 0，未变 0"),
        ("import_failed", "导入党员：第二批.xlsx", "党员导入预览：共 2 行，发现 1 处错误，未写入任何数据"),
        (
            "import_failed",
            "导入党员：坏文件.xlsx",
            "党员导入预览未执行：无法读取“坏文件.xlsx”：不是有效的 Excel（.xlsx）文件，或含有无法读取的内容（如图表工作表）。"
            "请用 Excel 或 WPS 打开，只保留要导入的工作表，另存为 .xlsx 后再导入。",
        ),
        (
            "import_failed",
            "导入党员：名单.csv",
            "党员导入预览未执行：只能导入 .xlsx 格式的 Excel 文件（旧版 .xls 请先另存为 .xlsx）。",
        ),
    ]
    events = AuditEvent.objects.filter(object_type="import")
    assert {e.actor for e in events} == {users["branch_a1"]}
    assert {e.org_path for e in events} == {tree.a1.path}  # filed where the branch's overseers see them
    no_personal_data(ID_1, ID_2, bad)


def test_a_commit_refused_after_a_clean_preview_is_audited(client, users, tree, make_member):
    client.force_login(users["branch_a1"])
    upload(client, "members", member_rows(("新人甲", ID_1, "A1")))
    make_member(tree.b1, name="先到", id_number=ID_1)  # registered elsewhere meanwhile
    client.post(reverse("portal:import_commit", args=["members"]), {"token": pending_token(client)})
    assert [action for action, _, _ in import_events()] == ["import_preview", "import_failed"]
    assert import_events()[-1][2] == "党员导入未执行：共 1 行，发现 1 处错误，未写入任何数据"
    no_personal_data(ID_1)


def test_an_oversized_body_is_audited(client, users, monkeypatch):
    from dangjian.portal import import_views

    monkeypatch.setattr(import_views, "MAX_UPLOAD_BYTES", 1024)
    client.force_login(users["branch_a1"])
    response = post_file(client, b"PK\x03\x04" + b"\x00" * 200 * 1024)
    assert response.status_code == 400
    assert [(a, r) for a, r, _ in import_events()] == [("import_failed", "导入党员：上传的文件")]
