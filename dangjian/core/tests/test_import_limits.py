"""Imports that cannot hurt the server: rows are read one at a time and reading stops at the row limit,
errors are listed up to a bound and counted, and a malformed or hostile workbook is a clear refusal."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from dangjian.conftest import unique_id_number
from dangjian.core import xlsx
from dangjian.core.imports import ImportFileError, RowError, get_importer, run_import
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member
from dangjian.orgs.models import Org

ORG_HEADER = ["组织编码", "组织名称", "组织类型", "上级组织编码"]
MEMBER_HEADER = ["姓名", "身份证号", "人员类别", "入党日期", "转正日期", "所在组织编码"]


def workbook_bytes(rows: list[list], *, chartsheet_only: bool = False) -> bytes:
    workbook = Workbook()  # not write-only: the sheet declares its size, as Excel's do
    if chartsheet_only:
        workbook.create_chartsheet()
        workbook.remove(workbook.active)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, change) -> bytes:
    """The workbook with its parts passed through `change(name, data)` (None drops the part)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = change(info.filename, source.read(info))
            if data is not None:
                target.writestr(info.filename, data)
    return out.getvalue()


def named(content: bytes, name: str = "组织.xlsx") -> io.BytesIO:
    source = io.BytesIO(content)
    source.name = name
    return source


def org_rows(n: int) -> list[list]:
    return [ORG_HEADER] + [[f"C{i}", f"丙{i}", "党委", "GW"] for i in range(n)]


@pytest.fixture
def rows_parsed(monkeypatch):
    """How many rows of the sheet openpyxl actually parsed."""
    calls = {"n": 0}
    original = ReadOnlyWorksheet._get_row

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ReadOnlyWorksheet, "_get_row", counting)
    return calls


# --- the row limit -------------------------------------------------------------------------------------


def test_a_file_over_the_row_limit_is_refused_without_reading_the_rest(tree, settings, rows_parsed):
    settings.IMPORT_MAX_ROWS = 10
    with pytest.raises(ImportFileError) as refused:
        run_import("orgs", named(workbook_bytes(org_rows(1000))), actor=None, dry_run=True)
    assert refused.value.message == (
        "“组织.xlsx”的数据超过 10 行，一次最多导入 10 行（空行也计算在内），已停止读取。"
        "请把数据拆分成几个文件，每个不超过 10 行、第一行都保留列名，再分别导入；"
        "如果表格末尾有大量空行或带格式的空白行，请先删除这些行。"
    )
    assert rows_parsed["n"] <= 12  # the header and the first 11 rows, not the 1,000
    assert not Org.objects.filter(code__startswith="C").exists()


def test_a_file_at_the_row_limit_is_imported(tree, settings):
    settings.IMPORT_MAX_ROWS = 10
    result = run_import("orgs", named(workbook_bytes(org_rows(10))), actor=None, dry_run=False)
    assert (result.created, result.errors) == (10, [])


def test_blank_rows_count_towards_the_limit(tree, settings):
    settings.IMPORT_MAX_ROWS = 10
    rows = org_rows(2)
    rows[2:2] = [[None] * 4] * 9  # 11 rows below the header, 2 of them with data
    with pytest.raises(ImportFileError, match="超过 10 行"):
        run_import("orgs", named(workbook_bytes(rows)), actor=None, dry_run=True)


def test_the_default_limit_is_the_setting(settings, tree):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(xlsx.RowLimitError) as refused:
        xlsx.parse_sheet(get_importer("orgs").columns, named(workbook_bytes(org_rows(5))))
    assert (refused.value.limit, refused.value.rows_read) == (3, 4)


@pytest.mark.parametrize("declared", [b"A1:A1", b"A1:XFD1048576"])
def test_the_size_a_sheet_declares_is_not_trusted(tree, settings, declared):
    """A false small size would hide every row after it (openpyxl stops there); a false large one would pad
    the sheet to a million rows of 16,384 cells (here: over the limit)."""
    settings.IMPORT_MAX_ROWS = 10

    def declaring(name: str, data: bytes) -> bytes:
        if not name.startswith("xl/worksheets/"):
            return data
        return re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="' + declared + b'"/>', data)

    result = run_import(
        "orgs", named(rewritten(workbook_bytes(org_rows(3)), declaring)), actor=None, dry_run=True
    )
    assert (result.created, result.errors) == (3, [])


# --- errors: the first 200 listed, the rest counted -----------------------------------------------------


def test_the_error_log_keeps_the_first_errors_in_row_order_and_counts_all():
    log = xlsx.RowErrorLog(keep=3)
    for row in (9, 4, 7, 2, 8, 4, 3):
        log.add(RowError(row, "列", f"错{row}"))
    assert [e.row for e in log.first()] == [2, 3, 4]
    assert (log.count, len(log), bool(xlsx.RowErrorLog())) == (7, 7, False)
    same_row = xlsx.RowErrorLog(keep=2)
    for column in "甲乙丙":
        same_row.add(RowError(5, column, "错"))
    assert [e.column for e in same_row.first()] == ["甲", "乙"]  # first reported first


def bad_member_rows(n: int) -> list[list]:
    return [MEMBER_HEADER] + [
        [f"党员{i}", unique_id_number(), "正式党员", "不是日期", "2011-07-01", "A1"] for i in range(n)
    ]


def test_errors_beyond_200_are_counted_not_listed(tree):
    result = run_import("members", named(workbook_bytes(bad_member_rows(250))), actor=None, dry_run=True)
    assert len(result.errors) == 200
    assert [e.row for e in result.errors] == list(range(2, 202))
    assert (result.error_count, result.more_errors) == (250, 50)
    assert result.to_json()["more_errors"] == 50
    assert len(result.to_json()["errors"]) == 200
    assert not Member.objects.filter(name__startswith="党员").exists()


def test_the_command_lists_200_errors_and_counts_the_rest(tree, tmp_path, capsys):
    path = tmp_path / "党员.xlsx"
    path.write_bytes(workbook_bytes(bad_member_rows(230)))
    with pytest.raises(SystemExit):
        call_command("import", "members", str(path))
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if line.startswith("第 ")]) == 200
    assert "以上是前 200 处错误，另有 30 处错误未列出。" in out
    assert "共 230 处错误，未导入任何党员数据。" in out
    with pytest.raises(SystemExit):
        call_command("import", "members", str(path), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert (len(data["errors"]), data["more_errors"]) == (200, 30)


# --- malformed and hostile files -------------------------------------------------------------------------


def not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "你好")
    return buffer.getvalue()


MALFORMED = {
    "not a zip": (b"\x00\x01 not a zip", "不是有效的 Excel（.xlsx）文件"),
    "a zip that is not a workbook": (not_a_workbook(), "不是有效的 Excel（.xlsx）文件"),
    "a truncated workbook": (workbook_bytes(org_rows(50))[:700], "不是有效的 Excel（.xlsx）文件"),
    "a sheet part missing": (
        rewritten(workbook_bytes(org_rows(1)), lambda name, data: None if "worksheets/" in name else data),
        "“组织.xlsx”中没有工作表",
    ),
    "no worksheet": (workbook_bytes([], chartsheet_only=True), "不是有效的 Excel（.xlsx）文件"),
    "an empty sheet": (workbook_bytes([]), "第一张工作表“Sheet”第一行没有列名"),
    "a header below row 1": (workbook_bytes([[], *org_rows(1)]), "第一行没有列名"),
    "damaged sheet XML": (
        rewritten(
            workbook_bytes(org_rows(3)),
            lambda name, data: (
                data.replace(b"</sheetData>", b"<row><c><v>") if "worksheets/" in name else data
            ),
        ),
        "工作表已损坏",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_workbook_is_a_clear_refusal(tree, case):
    content, message = MALFORMED[case]
    with pytest.raises(ImportFileError, match=re.escape(message)):
        run_import("orgs", named(content), actor=None, dry_run=True)
    event = AuditEvent.objects.get(object_type="import")
    assert (event.action, event.object_repr) == ("import_failed", "导入组织：组织.xlsx")


@pytest.mark.parametrize(
    ("header", "errors"),
    [
        (["组织编码", "组织名称", "组织类型", "组织名称"], [RowError(1, "组织名称", "列名重复。")]),
        (["组织编码", "组织类型"], [RowError(1, "组织名称", "缺少必填列。")]),
    ],
)
def test_duplicated_or_missing_headers_are_row_one_errors(tree, header, errors):
    result = run_import(
        "orgs", named(workbook_bytes([header, ["C", "丙", "党委", "丙"]])), actor=None, dry_run=True
    )
    assert result.errors == errors


def test_an_archive_that_unpacks_too_large_is_refused_unread(tree, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    content = rewritten(workbook_bytes(org_rows(1)), lambda name, data: data)
    with zipfile.ZipFile(buffer := io.BytesIO(content), "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\x00" * (2 * 1024 * 1024))
    assert len(buffer.getvalue()) < 64 * 1024
    with pytest.raises(ImportFileError, match="文件解压后超过 1 MB，超出导入的上限"):
        run_import("orgs", named(buffer.getvalue()), actor=None, dry_run=True)


def test_xml_entities_are_refused(tree):
    """A DTD can expand a few bytes into gigabytes (billion laughs): the XML parser refuses any."""

    def with_entity(name: str, data: bytes) -> bytes:
        if "worksheets/" not in name:
            return data
        data = data.replace(b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY e "entity">]><worksheet', 1)
        return data.replace(b"<t>C0</t>", b"<t>&e;</t>")

    content = rewritten(workbook_bytes(org_rows(1)), with_entity)
    with pytest.raises(ImportFileError, match="不是有效的 Excel"):
        run_import("orgs", named(content), actor=None, dry_run=True)


def test_an_overlong_cell_is_a_cell_error_not_echoed(tree):
    long_name = ("丙" * 40000).encode()  # openpyxl writes no more than Excel does: the file is edited
    content = rewritten(
        workbook_bytes(org_rows(1)),
        lambda name, data: (
            # the name as written: UTF-8, or a character reference when openpyxl writes through lxml
            data.replace(b"<t>\xe4\xb8\x990</t>", b"<t>" + long_name + b"</t>").replace(
                b"<t>&#19993;0</t>", b"<t>" + long_name + b"</t>"
            )
            if "worksheets/" in name
            else data
        ),
    )
    result = run_import("orgs", named(content), actor=None, dry_run=True)
    assert result.errors == [RowError(2, "组织名称", "内容超过 32767 个字符（Excel 单元格的上限）。")]


def test_a_missing_path_is_refused_as_an_argument_error(db, tmp_path):
    with pytest.raises(CommandError, match="文件不存在或不可读"):
        call_command("import", "orgs", str(tmp_path / "none.xlsx"))
    assert not AuditEvent.objects.exists()
