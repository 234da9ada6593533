import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from dangjian.conftest import unique_id_number
from dangjian.core import idcard
from dangjian.core.imports import (
    IMPORT_KINDS,
    ImportFileError,
    RowError,
    common_path,
    export_workbook,
    run_import,
    template_workbook,
)
from dangjian.core.models import AuditEvent
from dangjian.core.tests.xlsx_files import save_bytes, write_xlsx
from dangjian.core.xlsx import CellError, Date, IdNumber, Integer, YesNo
from dangjian.members.models import Member
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_org


def test_dates_are_read_from_text_and_excel_date_cells():
    date = Date()
    assert date.parse("2021-07-01") == dt.date(2021, 7, 1)
    assert date.parse(" 2021/7/1 ") == dt.date(2021, 7, 1)
    assert date.parse("2021-07-01 00:00:00") == dt.date(2021, 7, 1)
    assert date.parse(dt.datetime(2021, 7, 1, 0, 0)) == dt.date(2021, 7, 1)
    assert date.parse(dt.date(2021, 7, 1)) == dt.date(2021, 7, 1)


@pytest.mark.parametrize("value", ["2021-02-29", "20210701", 44378, "1899-12-31"])
def test_bad_dates_are_cell_errors(value):
    with pytest.raises(CellError):
        Date().parse(value)


def test_yes_no_and_integers():
    assert [YesNo().parse(v) for v in ("是", " 否 ", True)] == [True, False, True]
    with pytest.raises(CellError, match="应填写“是”或“否”"):
        YesNo().parse("Y")
    assert [Integer().parse(v) for v in (3, 3.0, " 3 ")] == [3, 3, 3]


def test_id_number_cells_accept_whole_numbers_and_lowercase_x():
    number = idcard.make("110101", dt.date(1985, 6, 15), 12, male=True)
    assert IdNumber().parse(int(number)) == number
    first17 = next(
        f"110101198506150{n}" for n in range(10, 100) if idcard.check_digit(f"110101198506150{n}") == "X"
    )
    assert IdNumber().parse(f" {first17}x ") == f"{first17}X"
    with pytest.raises(CellError, match="身份证号应为18位，实际17位（该单元格是数字格式，请设为文本格式）"):
        IdNumber().parse(11010119850615013)


def test_common_path_stops_at_a_segment_boundary():
    assert common_path(["00000001/00000012/", "00000001/00000013/00000020/"]) == "00000001/"
    assert common_path(["00000001/00000002/"]) == "00000001/00000002/"
    assert common_path([]) == ""


def test_missing_required_columns_are_row_one_errors_and_nothing_else_is_checked(tree, tmp_path):
    path = write_xlsx(tmp_path / "orgs.xlsx", [{"组织编码": "C", "组织类型": "不存在的类型"}])
    result = run_import("orgs", path, actor=None, dry_run=False)
    assert result.errors == [RowError(1, "组织名称", "缺少必填列。")]


def test_extra_columns_are_ignored_with_a_warning_and_column_order_is_free(tree, tmp_path):
    rows = [{"备注": "忽略我", "上级组织编码": "GW", "组织类型": "党委", "组织名称": "丙委", "组织编码": "C"}]
    result = run_import("orgs", write_xlsx(tmp_path / "orgs.xlsx", rows), actor=None, dry_run=False)
    assert (result.created, result.errors, result.warnings) == (1, [], ["已忽略未知列“备注”。"])


def test_repeated_header_is_an_error(tree, tmp_path):
    path = write_xlsx(tmp_path / "o.xlsx", [], header=["组织编码", "组织名称", "组织类型", "组织名称"])
    result = run_import("orgs", path, actor=None, dry_run=False)
    assert result.errors == [RowError(1, "组织名称", "列名重复。")]


def test_blank_rows_are_skipped_and_row_numbers_stay_excel_rows(tree, tmp_path):
    rows = [
        {"组织编码": "C", "组织名称": "丙委", "组织类型": "党委", "上级组织编码": "GW"},
        {},
        {"组织编码": " "},
        {"组织编码": "C1", "组织名称": "丙一", "组织类型": "党支部", "上级组织编码": "NOPE"},
    ]
    result = run_import("orgs", write_xlsx(tmp_path / "o.xlsx", rows), actor=None, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(5, "上级组织编码")]


def test_unreadable_or_missing_file_raises_import_file_error(db, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("这不是 Excel")
    with pytest.raises(ImportFileError, match="不是有效的 Excel"):
        run_import("orgs", bad, actor=None, dry_run=False)
    with pytest.raises(ImportFileError, match="文件不存在或不可读"):
        run_import("orgs", tmp_path / "missing.xlsx", actor=None, dry_run=False)


def test_a_binary_file_object_is_accepted(tree, tmp_path):
    rows = [{"组织编码": "C", "组织名称": "丙委", "组织类型": "党委", "上级组织编码": "GW"}]
    content = write_xlsx(tmp_path / "o.xlsx", rows).read_bytes()
    result = run_import("orgs", io.BytesIO(content), actor=None, dry_run=False)
    assert (result.created, result.errors) == (1, [])


def test_summary_audit_event_is_recorded_once_per_successful_import(tree, tmp_path):
    rows = [
        {"组织编码": "C", "组织名称": "丙委", "组织类型": "党委", "上级组织编码": "GW"},
        {"组织编码": "C1", "组织名称": "丙一", "组织类型": "党支部", "上级组织编码": "C"},
    ]
    run_import("orgs", write_xlsx(tmp_path / "丙委.xlsx", rows), actor=None, dry_run=False)
    event = AuditEvent.objects.get(action="import")
    assert (event.object_type, event.object_repr, event.actor_label) == (
        "import",
        "导入组织：丙委.xlsx",
        "系统",
    )
    assert event.note == "组织导入：新增 2，更新 0，未变 0"
    assert event.org_path == Org.objects.get(code="C").path


def test_templates_have_every_header_an_example_row_and_a_help_sheet():
    for kind in IMPORT_KINDS:
        workbook = load_workbook(io.BytesIO(template_workbook(kind)))
        assert workbook.sheetnames == [IMPORT_KINDS[kind], "填写说明"]
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        assert len(rows) == 2 and all(isinstance(h, str) for h in rows[0])


def test_template_example_rows_import_cleanly_in_sequence(db, tmp_path):
    gw = create_org(actor=None, data={"code": "GW", "name": "市级机关工委", "type": "gongwei"})
    create_org(actor=None, data={"code": "JG01", "name": "示例局机关党委", "type": "dangwei", "parent": gw})
    for kind in ("orgs", "members", "posts"):
        path = save_bytes(tmp_path / f"{kind}.xlsx", template_workbook(kind))
        result = run_import(kind, path, actor=None, dry_run=False)
        assert result.to_json() == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}, kind
    assert Member.objects.get().org.code == "JG01-01"
    assert sorted(Post.objects.values_list("title", flat=True)) == ["shuji", "zuzhi"]


def test_export_writes_id_numbers_as_text_cells(tree, make_member, tmp_path):
    make_member(tree.a1, id_number=unique_id_number())
    workbook = load_workbook(io.BytesIO(export_workbook("members", Member.objects.all())))
    header, values = list(workbook.active.iter_rows(values_only=True))
    cell = workbook.active.cell(row=2, column=header.index("身份证号") + 1)
    assert (cell.data_type, cell.number_format) == ("s", "@")
    assert values[header.index("入党日期")] == dt.datetime(2010, 7, 1)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="未知的导入类型"):
        template_workbook("dues")
