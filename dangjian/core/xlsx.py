"""A small column-spec framework for Excel import (read with openpyxl) and export (`core/xlsxwrite.py`).

A `Column` names a header, the key it fills, a value type (how a cell is parsed and written), whether
it is required, and a help text. Reading takes the first sheet with the header in row 1; column order
is free, unknown columns are ignored with a warning, missing required columns are an error on row 1.
Every cell error is collected (nothing stops at the first one) as a `RowError` with the Excel row number.
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from dangjian.core import idcard, xlsxwrite
from dangjian.core.choices import chinese_label, label_to_value
from dangjian.core.i18n import enumeration

HEADER_ROW = 1
MAX_SHOWN_ERRORS = 200  # row errors listed on the preview page and by the command; the rest are counted
MAX_CELL_CHARS = 32767  # Excel's own limit on a cell's text: a longer one was not written by Excel
MAX_HEADER_CHARS = 50  # a column name is echoed in warnings and errors: no more of it than that


class CellError(ValueError):
    """A cell that cannot be read; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WorkbookError(Exception):
    """The file is missing or is not a readable .xlsx workbook."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    row: int  # Excel row number; the header is row 1
    column: str  # the column header as written in the sheet
    message: str

    def __str__(self) -> str:
        return _("第 %(row)s 行 %(column)s：%(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


# --- value types -------------------------------------------------------------------------------------


def _integral(value: Any) -> Any:
    """1.0 → 1: numbers typed into a text column come back as floats."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Text:
    number_format = "@"
    blank: Any = ""
    hint = ""

    def __init__(self, max_length: int | None = None):
        self.max_length = max_length

    def parse(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            value = value.date()
        text = str(_integral(value)).strip()
        if self.max_length and len(text) > self.max_length:
            raise CellError(_("不能超过%(n)s个字。") % {"n": self.max_length})
        return text

    def render(self, value: Any) -> Any:
        return value if value is not None else ""


_DATE_TEXT = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?$")


class Date:
    number_format = "yyyy-mm-dd"
    blank: Any = None
    hint = "格式 YYYY-MM-DD，如 2021-07-01；也可以是 Excel 日期单元格。"

    def parse(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            if value.year < 1900:
                raise CellError(_("日期不在合理范围内。"))
            return value
        match = _DATE_TEXT.match(str(value).strip())
        if not match:
            raise CellError(
                _("“%(value)s”不是有效日期，格式应为 YYYY-MM-DD（如 2021-07-01）。") % {"value": value}
            )
        try:
            parsed = dt.date(*(int(part) for part in match.groups()))
        except ValueError as exc:
            raise CellError(_("“%(value)s”不是有效日期。") % {"value": value}) from exc
        if parsed.year < 1900:
            raise CellError(_("日期不在合理范围内。"))
        return parsed

    def render(self, value: Any) -> Any:
        return value


class YesNo:
    number_format = "General"
    blank: Any = False
    hint = "填“是”或“否”，不填为否。"

    def parse(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip()
        if text == "是":
            return True
        if text == "否":
            return False
        # 是 and 否 are what the file must carry, in any language
        raise CellError(
            _("“%(value)s”无效，应填写“%(yes)s”或“%(no)s”。") % {"value": text, "yes": "是", "no": "否"}
        )

    def render(self, value: Any) -> Any:
        return "是" if value else "否"


class Integer:
    number_format = "0"
    blank: Any = None
    hint = "整数。"

    def parse(self, value: Any) -> int:
        value = _integral(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if re.fullmatch(r"\d+", text):
            return int(text)
        raise CellError(_("“%(value)s”无效，应为整数。") % {"value": text})

    def render(self, value: Any) -> Any:
        return value


class Choice:
    """A choice written as its Chinese label (the stored value is accepted too)."""

    number_format = "@"
    blank: Any = ""

    def __init__(self, choices: type[models.TextChoices]):
        self.choices = choices

    @property
    def labels(self) -> list[str]:
        return [chinese_label(self.choices, value) for value in self.choices.values]

    @property
    def hint(self) -> str:
        return "可选：" + "、".join(self.labels) + "。"

    def parse(self, value: Any) -> str:
        text = str(_integral(value)).strip()
        found = label_to_value(self.choices, text)
        if found is None:
            # the labels as the file must carry them (Chinese), listed in the active language
            raise CellError(
                _("“%(value)s”无效，应为：%(labels)s。") % {"value": text, "labels": enumeration(self.labels)}
            )
        return found

    def render(self, value: Any) -> Any:
        return chinese_label(self.choices, value) if value else ""


class IdNumber:
    """身份证号 (GB 11643): checked and normalised; never echoed back in messages."""

    number_format = "@"
    blank: Any = ""
    hint = "18位，末位可为X；请把该列设为文本格式，以免 Excel 截断末几位。"

    def parse(self, value: Any) -> str:
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if isinstance(value, float):
            if not value.is_integer() or value >= 1e15:
                raise CellError(
                    _(
                        "身份证号被存成了数字，Excel 只保留15位有效数字，末几位已丢失；"
                        "请把该列设为文本格式后重新填写。"
                    )
                )
            value = int(value)
        try:
            return idcard.parse(str(value)).number
        except idcard.IdCardError as exc:
            if numeric:
                message = _("身份证号%(reason)s（该单元格是数字格式，请设为文本格式）。")
            else:
                message = _("身份证号%(reason)s。")
            raise CellError(message % {"reason": exc}) from exc

    def render(self, value: Any) -> Any:
        return value or ""


# --- columns and sheets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the field it fills (model field names where they exist, so service errors map back)
    type: Any  # one of the value types above (or any object with parse/render/blank/hint/number_format)
    required: bool = False
    help: str = ""
    default: Any = None  # value of a blank cell, when not the type's own blank
    width: int = 14

    @property
    def blank_value(self) -> Any:
        return self.type.blank if self.default is None else self.default

    @property
    def help_text(self) -> str:
        return "".join(part for part in (self.help, self.type.hint) if part)


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]  # one entry per column present in the sheet (None where the cell had an error)
    invalid: set[str] = field(default_factory=set)  # keys of the cells that had an error

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


class RowErrorLog:
    """The first `keep` row errors in row order, and how many there are in all.

    A file of 100,000 rows with every cell wrong would otherwise hold over a million errors; only the first
    ones are ever shown (the page and the command list them, then say how many more there are)."""

    def __init__(self, keep: int = MAX_SHOWN_ERRORS):
        self.keep = keep
        self.count = 0
        self._heap: list[tuple[int, int, RowError]] = []  # (-row, -sequence): the last kept error on top

    def add(self, error: RowError) -> None:
        self.count += 1
        item = (-error.row, -self.count, error)
        if len(self._heap) < self.keep:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:  # comes before the last error kept
            heapq.heapreplace(self._heap, item)

    def first(self) -> list[RowError]:
        return [error for _, _, error in sorted(self._heap, reverse=True)]

    def __bool__(self) -> bool:
        return self.count > 0

    def __len__(self) -> int:
        return self.count


@dataclass
class ParsedSheet:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: RowErrorLog = field(default_factory=RowErrorLog)  # when parse_sheet is given no on_error
    warnings: list[str] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # keys of the columns found in the header
    header_ok: bool = True
    rows_read: int = 0  # rows below the header read from the file, blank ones included


class RowLimitError(WorkbookError):
    """The sheet has more rows than one import takes; reading stopped at the limit."""

    def __init__(self, message: str, *, limit: int, rows_read: int):
        super().__init__(message)
        self.limit = limit
        self.rows_read = rows_read


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _source_name(source: Any) -> str:
    if isinstance(source, str | Path):
        return Path(source).name
    return getattr(source, "name", "") or _("上传的文件")


def _unreadable(source: Any) -> WorkbookError:
    return WorkbookError(
        _(
            "无法读取“%(name)s”：不是有效的 Excel（.xlsx）文件，或含有无法读取的内容（如图表工作表）。"
            "请用 Excel 或 WPS 打开，只保留要导入的工作表，另存为 .xlsx 后再导入。"
        )
        % {"name": _source_name(source)}
    )


def _check_archive(source: Any) -> None:
    """Refuses what is not a zip, and a zip that would unpack to more than IMPORT_MAX_UNPACKED_BYTES (a
    small upload can inflate a thousandfold; the sizes declared in the zip bound what is ever unpacked)."""
    limit = getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", None)
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable(source) from exc
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    if limit and unpacked > limit:
        raise WorkbookError(
            _(
                "无法读取“%(name)s”：文件解压后超过 %(mb)s MB，超出导入的上限。请把数据拆分成几个文件分别导入。"
            )
            % {"name": _source_name(source), "mb": limit // (1024 * 1024)}
        )


def _open_workbook(source: Any):
    if isinstance(source, str | Path) and not Path(source).is_file():
        raise WorkbookError(_("文件不存在或不可读：%(path)s") % {"path": source})
    _check_archive(source)
    try:
        # read_only: rows are parsed one at a time as they are iterated, never the whole sheet at once
        from openpyxl import load_workbook  # imported on first use: most processes never read a sheet

        return load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # whatever the parser trips on in a damaged or hostile file, nothing was read
        raise _unreadable(source) from exc


def _guarded(rows: Iterator[tuple[Any, ...]], source: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a sheet; a failure of the parser halfway through is a WorkbookError."""
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged sheet: malformed XML, a cell the parser cannot convert, …
            raise WorkbookError(
                _(
                    "无法读取“%(name)s”：工作表已损坏（%(error)s）。请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
                )
                % {"name": _source_name(source), "error": type(exc).__name__}
            ) from exc
        yield cells


def _first_sheet(workbook, source: Any):
    sheets = workbook.worksheets
    if not sheets:
        raise WorkbookError(
            _("“%(name)s”中没有工作表：导入读取第一张工作表，其第一行为列名。")
            % {"name": _source_name(source)}
        )
    sheet = sheets[0]
    # never trust the size the file declares: too small hides rows, too large pads every row to 16,384 cells
    sheet.reset_dimensions()
    return sheet


def _header(sheet, source: Any) -> tuple[Any, ...]:
    header = next(_guarded(sheet.iter_rows(max_row=HEADER_ROW, values_only=True), source), None) or ()
    if all(map(_is_blank, header)):
        raise WorkbookError(
            _(
                "“%(name)s”的第一张工作表“%(sheet)s”第一行没有列名（工作表是空的，或列名不在第一行）。"
                "请按导入模板填写：第一行为列名，数据从第二行开始。"
            )
            % {"name": _source_name(source), "sheet": sheet.title}
        )
    return header


def _row_limit_error(source: Any, limit: int, rows_read: int) -> RowLimitError:
    message = _(
        "“%(name)s”的数据超过 %(limit)s 行，一次最多导入 %(limit)s 行（空行也计算在内），已停止读取。"
        "请把数据拆分成几个文件，每个不超过 %(limit)s 行、第一行都保留列名，再分别导入；"
        "如果表格末尾有大量空行或带格式的空白行，请先删除这些行。"
    ) % {"name": _source_name(source), "limit": limit}
    return RowLimitError(message, limit=limit, rows_read=rows_read)


def map_header(
    columns: Iterable[Column],
    header: tuple[Any, ...],
    sheet: ParsedSheet,
    report: Callable[[RowError], None] | None = None,
) -> dict[str, int]:
    """Column key → cell index, with errors for missing required or repeated columns."""
    report = report or sheet.errors.add

    def header_error(column: str, message: str) -> None:
        sheet.header_ok = False
        report(RowError(HEADER_ROW, column, message))

    by_header = {c.header: c for c in columns}
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = "" if cell is None else str(cell).strip()[:MAX_HEADER_CHARS]
        if not name:
            continue
        column = by_header.get(name)
        if column is None:
            sheet.warnings.append(_("已忽略未知列“%(name)s”。") % {"name": name})
        elif column.key in index:
            header_error(name, _("列名重复。"))
        else:
            index[column.key] = position
    for column in columns:
        if column.required and column.key not in index:
            header_error(column.header, _("缺少必填列。"))
    sheet.present = set(index)
    return index


def parse_row(columns: Iterable[Column], index: dict[str, int], number: int, cells: tuple[Any, ...]):
    """One data row: parsed values for the present columns, plus its cell errors."""
    values: dict[str, Any] = {}
    invalid: set[str] = set()
    errors: list[RowError] = []
    for column in columns:
        if column.key not in index:
            continue
        position = index[column.key]
        raw = cells[position] if position < len(cells) else None
        if _is_blank(raw):
            values[column.key] = column.blank_value
            if column.required:
                errors.append(RowError(number, column.header, _("不能为空。")))
            continue
        try:
            if isinstance(raw, str) and len(raw) > MAX_CELL_CHARS:
                raise CellError(_("内容超过 %(n)s 个字符（Excel 单元格的上限）。") % {"n": MAX_CELL_CHARS})
            values[column.key] = column.type.parse(raw)
        except CellError as exc:
            values[column.key] = None
            invalid.add(column.key)
            errors.append(RowError(number, column.header, exc.message))
    return ParsedRow(number, values, invalid), errors


def parse_sheet(
    columns: tuple[Column, ...],
    source: Any,
    *,
    max_rows: int | None = None,
    on_error: Callable[[RowError], None] | None = None,
) -> ParsedSheet:
    """Reads the first sheet row by row, parsing each row as it comes (the cells are not kept).

    Every row below the header counts towards `max_rows` (default settings.IMPORT_MAX_ROWS), blank or not:
    the row after the limit stops the reading with a RowLimitError, the rest of the file is never read.
    Errors go to `on_error` (default: the sheet's own RowErrorLog)."""
    limit = getattr(settings, "IMPORT_MAX_ROWS", None) if max_rows is None else max_rows
    sheet = ParsedSheet()
    report = on_error or sheet.errors.add
    workbook = _open_workbook(source)
    try:
        worksheet = _first_sheet(workbook, source)
        index = map_header(columns, _header(worksheet, source), sheet, report)
        if not sheet.header_ok:
            return sheet
        width = max(index.values(), default=0) + 1  # cells right of the last known column are not read
        cells = worksheet.iter_rows(min_row=HEADER_ROW + 1, max_col=width, values_only=True)
        for number, row in enumerate(_guarded(cells, source), start=HEADER_ROW + 1):
            sheet.rows_read += 1
            if limit and sheet.rows_read > limit:
                raise _row_limit_error(source, limit, sheet.rows_read)
            if all(map(_is_blank, row)):
                continue
            parsed, errors = parse_row(columns, index, number, row)
            sheet.rows.append(parsed)
            for error in errors:
                report(error)
    finally:
        workbook.close()
    return sheet


# --- writing -----------------------------------------------------------------------------------------
# Every workbook the software hands out (web exports, import templates, the commands' --format xlsx) is
# written here, through the streamed writer `core/xlsxwrite.py`: a text that Excel or WPS would take for a
# formula (a member named `=HYPERLINK(…)`) stays text.

_HEADER = xlsxwrite.Style(bold=True)
_HEADER_FILL = "F2DCDB"
_REQUIRED = xlsxwrite.Style(bold=True, color="C00000", fill=_HEADER_FILL)
_OPTIONAL = xlsxwrite.Style(bold=True, fill=_HEADER_FILL)


@dataclass
class Table:
    """A sheet of a written workbook: optional bold lines above the header, the header row (bold, frozen),
    the data rows, and rows below them after a blank line (totals). `formats` gives a number format per
    column index (0-based) for the data and the rows below."""

    title: str
    header: tuple[str, ...] = ()
    rows: Iterable[Iterable[Any]] = ()
    widths: tuple[int, ...] = ()
    formats: dict[int, str] = field(default_factory=dict)
    above: tuple[str, ...] = ()
    below: tuple[tuple[Any, ...], ...] = ()


def _write_table(book: xlsxwrite.WorkbookWriter, table: Table) -> None:
    sheet = book.sheet(
        table.title, freeze_rows=len(table.above) + 1 if table.header else 0, widths=table.widths
    )
    for line in table.above:
        sheet.append([line], [_HEADER])
    if table.header:
        sheet.append(table.header, [_HEADER] * len(table.header))
    width = max(table.formats, default=-1) + 1
    styles = [
        xlsxwrite.Style(number_format=table.formats[i]) if i in table.formats else xlsxwrite.PLAIN
        for i in range(width)
    ]
    for row in table.rows:
        sheet.append(row, styles)
    if table.below:
        sheet.append(())
        for row in table.below:
            sheet.append(row, styles)


def save_tables(tables: Iterable[Table], target: Any) -> None:
    """Writes the tables, one sheet each, to a path or a binary file object."""
    with xlsxwrite.WorkbookWriter(target) as book:
        for table in tables:
            _write_table(book, table)


def tables_bytes(tables: Iterable[Table]) -> bytes:
    buffer = io.BytesIO()
    save_tables(tables, buffer)
    return buffer.getvalue()


def _help_sheet(book: xlsxwrite.WorkbookWriter, columns: tuple[Column, ...]) -> None:
    sheet = book.sheet("填写说明", widths=(16, 8, 80))
    sheet.append(("列名", "必填", "说明"))
    styles = [xlsxwrite.PLAIN, xlsxwrite.PLAIN, xlsxwrite.Style(wrap=True)]
    for column in columns:
        sheet.append((column.header, "是" if column.required else "", column.help_text), styles)
    sheet.append(())
    sheet.append(["导入时只读取第一张工作表，第一行为列名，列的顺序不限；红色列名为必填列。"])


def write_workbook(
    columns: tuple[Column, ...], rows: Iterable[dict[str, Any]], *, title: str, with_help: bool = False
) -> bytes:
    """A workbook whose first sheet has the header row and one row per dict (keys are column keys)."""
    buffer = io.BytesIO()
    with xlsxwrite.WorkbookWriter(buffer) as book:
        sheet = book.sheet(title, freeze_rows=1, widths=[column.width for column in columns])
        sheet.append([c.header for c in columns], [_REQUIRED if c.required else _OPTIONAL for c in columns])
        styles = [
            xlsxwrite.Style(number_format=c.type.number_format) if c.type.number_format else xlsxwrite.PLAIN
            for c in columns
        ]
        plan = [(column.key, column.type.render) for column in columns]
        for row in rows:
            sheet.append([render(row.get(key)) for key, render in plan], styles)
        if with_help:
            _help_sheet(book, columns)
    return buffer.getvalue()
