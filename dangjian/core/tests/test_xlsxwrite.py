"""The streamed xlsx writer: what it writes reads back (with openpyxl, as the imports read it, and as a
spreadsheet program would) with the same values, types and looks."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from dangjian.core import xlsxwrite
from dangjian.core.xlsxwrite import Style


def written(build) -> openpyxl.Workbook:
    buffer = io.BytesIO()
    book = xlsxwrite.WorkbookWriter(buffer)
    build(book)
    book.close()
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def test_values_read_back_with_their_types():
    day, moment = dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 14, 30, 15)

    def build(book):
        sheet = book.sheet("名册")
        sheet.append(["第一党支部", 12, Decimal("25.50"), 1.5, True, False, day, moment, None, "末列"])
        sheet.append(["  前后空格 ", 'a & b <c> "d"', "控制\x01字符\x0b去掉", "换行\n保留\t制表"])

    sheet = written(build)["名册"]
    first = [c.value for c in sheet[1]]
    assert first == ["第一党支部", 12, 25.5, 1.5, True, False, dt.datetime(2026, 3, 1), moment, None, "末列"]
    assert sheet["G1"].number_format == xlsxwrite.DATE_FORMAT and sheet["G1"].is_date
    assert sheet["H1"].number_format == xlsxwrite.DATETIME_FORMAT
    assert [c.value for c in sheet[2]][:4] == [
        "  前后空格 ",
        'a & b <c> "d"',
        "控制字符去掉",
        "换行\n保留\t制表",
    ]
    assert all(c.data_type == "s" for c in sheet[2][:4])


def test_formula_like_text_stays_text_with_the_quote_prefix():
    texts = ["=1+2", "+86", "-5", "@SUM(A1)", "＝HYPERLINK(1)", "普通"]

    def build(book):
        book.sheet("表").append(texts, [Style(bold=True)] * 3)

    row = written(build)["表"][1]
    assert [c.value for c in row] == texts
    assert [c.data_type for c in row] == ["s"] * 6
    assert [c.quotePrefix for c in row] == [True, True, True, True, True, False]
    assert [c.font.b for c in row] == [True, True, True, False, False, False]


def test_styles_widths_frozen_rows_and_sheets():
    def build(book):
        first = book.sheet("甲", freeze_rows=2, widths=(30, 0, 12.5))
        first.append(["说明"], [Style(bold=True)])
        first.append(
            ["必填", "选填", "金额"],
            [Style(bold=True, color="C00000", fill="F2DCDB"), Style(bold=True, fill="F2DCDB")],
        )
        first.append(
            ["x", "很长的说明", Decimal("3")], [Style(), Style(wrap=True), Style(number_format="0.00")]
        )
        second = book.sheet("乙")
        second.append(["只一行"])

    book = written(build)
    assert book.sheetnames == ["甲", "乙"]
    sheet = book["甲"]
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["A"].width == 30 and sheet.column_dimensions["C"].width == 12.5
    required, optional = sheet["A2"], sheet["B2"]
    assert required.font.b and required.font.color.rgb == "FFC00000"
    assert required.fill.fgColor.rgb == "FFF2DCDB" and required.fill.fill_type == "solid"
    assert optional.font.b and optional.fill.fgColor.rgb == "FFF2DCDB"
    assert sheet["B3"].alignment.wrap_text and not sheet["A3"].alignment.wrap_text
    assert sheet["C3"].number_format == "0.00" and sheet["C3"].value == 3
    assert book["乙"]["A1"].value == "只一行" and book["乙"].freeze_panes is None


def test_gaps_and_far_columns_keep_their_places():
    def build(book):
        sheet = book.sheet("表")
        sheet.append([None, "B", None, None] + [None] * 23 + ["AB"])
        sheet.append(())
        sheet.append(["第三行"])

    sheet = written(build)["表"]
    assert sheet["B1"].value == "B" and sheet["AB1"].value == "AB" and sheet["A1"].value is None
    assert sheet["A2"].value is None and sheet["A3"].value == "第三行"
    assert xlsxwrite.column_letter(1) == "A" and xlsxwrite.column_letter(28) == "AB"
    assert xlsxwrite.column_letter(703) == "AAA"


@pytest.mark.parametrize("title", ["", "有/斜杠", "x" * 32, "重复"])
def test_a_sheet_name_excel_would_refuse_is_refused(title):
    with pytest.raises(ValueError, match="工作表名称不可用"), xlsxwrite.WorkbookWriter(io.BytesIO()) as book:
        book.sheet("重复")
        book.sheet(title)


@pytest.mark.parametrize(
    ("value", "message"), [(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "时区"), (object(), "不能写入")]
)
def test_values_excel_cannot_hold_are_refused(value, message):
    with pytest.raises(TypeError, match=message), xlsxwrite.WorkbookWriter(io.BytesIO()) as book:
        book.sheet("表").append(["前一格", value])


def test_an_empty_workbook_still_opens():
    buffer = io.BytesIO()
    xlsxwrite.WorkbookWriter(buffer).close()
    assert openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).sheetnames == ["Sheet"]
