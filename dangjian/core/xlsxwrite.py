"""Writing .xlsx files, streamed: each row's XML is written into the archive as it comes.

Every workbook the software hands out goes through `dangjian.core.xlsx` (`write_workbook`, `save_tables`), which
writes here. A 工委's member roll is 60,000 rows of 15 columns: openpyxl builds an object for each of the 900,000
cells and an element for each in its XML writer (17 s of CPU for that roll, on a 2-core server that also serves
everyone else); here a cell is a few string operations. What a sheet can carry is what the exports use: text,
numbers, dates and datetimes, booleans; per cell a style made of a font (bold, a colour), a fill, a number format,
Excel's quote prefix and wrapped text; column widths and rows frozen at the top.

Text is always written as text (an inline string), never as a formula; characters XML cannot carry (control
characters other than tab and line breaks) are dropped, as a spreadsheet program would not show them anyway.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

_ILLEGAL_CHARS = (
    r"\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"  # what XML cannot carry (tab and line breaks it can)
)
_ILLEGAL = re.compile(f"[{_ILLEGAL_CHARS}]")
_SPECIAL = re.compile(f"[&<>{_ILLEGAL_CHARS}]")  # what needs escaping or dropping
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()
_TITLE_FORBIDDEN = re.compile(r"[\\*?:/\[\]]")
# Number formats built into every spreadsheet program (by their ids); any other is declared in the workbook.
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "@": 49}
DATE_FORMAT = "yyyy-mm-dd"  # what openpyxl gives a date cell without a format of its own
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True)
class Style:
    """How a cell looks: all parts optional. `color` is the font colour (RGB hex), `fill` a solid fill."""

    bold: bool = False
    color: str = ""
    fill: str = ""
    number_format: str = ""
    quote_prefix: bool = False
    wrap: bool = False


PLAIN = Style()
# What spreadsheet programs read as the start of a formula (or of a DDE call) when a cell is typed or
# re-entered; the full-width forms too, which Chinese input methods produce.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value))


class _Styles:
    """The workbook's cell formats (cellXfs), each made once from a Style; index 0 is the plain cell."""

    def __init__(self) -> None:
        self.fonts: list[tuple[bool, str]] = [(False, "")]
        self.fills: list[str] = ["", ""]  # the two fills every workbook starts with (none, gray125)
        self.formats: dict[str, int] = {}
        self.xfs: list[tuple[int, int, int, bool, bool]] = [(0, 0, 0, False, False)]
        self.index: dict[Style, int] = {PLAIN: 0}
        self._by_id: dict[int, tuple[Style, int]] = {}

    def of(self, style: Style) -> int:
        """The format of `style`, looked up by the object first (a row's styles are the same objects)."""
        found = self._by_id.get(id(style))
        if found is None:
            found = self._by_id[id(style)] = (style, self(style))  # the style is kept: its id stays its own
        return found[1]

    def __call__(self, style: Style) -> int:
        found = self.index.get(style)
        if found is not None:
            return found
        font = (style.bold, style.color)
        if font not in self.fonts:
            self.fonts.append(font)
        fill = 0
        if style.fill:
            if style.fill not in self.fills:
                self.fills.append(style.fill)
            fill = self.fills.index(style.fill)
        number = 0
        if style.number_format:
            number = _BUILTIN_FORMATS.get(style.number_format, -1)
            if number < 0:
                number = self.formats.setdefault(style.number_format, 164 + len(self.formats))
        xf = (self.fonts.index(font), fill, number, style.quote_prefix, style.wrap)
        if xf not in self.xfs:
            self.xfs.append(xf)
        self.index[style] = found = self.xfs.index(xf)
        return found

    def xml(self) -> str:
        parts = [_XML, f'<styleSheet xmlns="{_NS}">']
        if self.formats:
            parts.append(f'<numFmts count="{len(self.formats)}">')
            parts += [
                f"<numFmt numFmtId={quoteattr(str(i))} formatCode={quoteattr(code)}/>"
                for code, i in self.formats.items()
            ]
            parts.append("</numFmts>")
        parts.append(f'<fonts count="{len(self.fonts)}">')
        for bold, color in self.fonts:
            parts.append(
                "<font>"
                + ("<b/>" if bold else "")
                + '<sz val="11"/>'
                + (f'<color rgb="FF{color}"/>' if color else '<color theme="1"/>')
                + '<name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
            )
        parts.append(f'</fonts><fills count="{len(self.fills)}">')
        parts.append(
            '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        )
        parts += [
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor indexed="64"/></patternFill></fill>'
            for rgb in self.fills[2:]
        ]
        parts.append(
            '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(self.xfs)}">'
        )
        for font, fill, number, quote, wrap in self.xfs:
            attrs = f'numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
            attrs += ' applyNumberFormat="1"' if number else ""
            attrs += ' applyFont="1"' if font else ""
            attrs += ' applyFill="1"' if fill else ""
            attrs += ' quotePrefix="1"' if quote else ""
            if wrap:
                parts.append(f'<xf {attrs} applyAlignment="1"><alignment wrapText="1"/></xf>')
            else:
                parts.append(f"<xf {attrs}/>")
        parts.append(
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )
        return "".join(parts)


class Sheet:
    """One sheet being written: `append` a row at a time."""

    def __init__(self, book: WorkbookWriter, stream: IO[bytes], freeze_rows: int, widths: Iterable[float]):
        self.book = book
        self._stream = stream
        self._row = 0
        self._letters: list[str] = []
        self._pending: list[str] = []
        head = [
            _XML,
            f'<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}"><sheetViews><sheetView workbookViewId="0">',
        ]
        if freeze_rows:
            top = f"A{freeze_rows + 1}"
            head.append(
                f'<pane ySplit="{freeze_rows}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
            )
        head.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        cols = [
            f'<col min="{i}" max="{i}" width="{float(w):g}" customWidth="1"/>'
            for i, w in enumerate(widths, start=1)
            if w
        ]
        if cols:
            head.append("<cols>" + "".join(cols) + "</cols>")
        head.append("<sheetData>")
        self._write("".join(head))

    def _write(self, text: str) -> None:
        self._stream.write(text.encode("utf-8"))

    def append(self, values: Iterable[Any], styles: Sequence[Style] = ()) -> None:
        """A row: its values, and the style of each column (PLAIN beyond `styles`). A text that a spreadsheet
        program would read as the start of a formula when the cell is edited gets Excel's quote prefix."""
        self._row += 1
        row = str(self._row)
        letters = self._letters
        xf_of = self.book.style.of
        out = ['<row r="', row, '">']
        add = out.append
        known = len(styles)
        for column, value in enumerate(values):
            style = styles[column] if column < known else PLAIN
            if value is None and style is PLAIN:
                continue
            if column >= len(letters):
                letters.extend(column_letter(i + 1) for i in range(len(letters), column + 1))
            ref = letters[column] + row
            if isinstance(value, str):
                text = _text(str(value)) if value.__class__ is not str or _SPECIAL.search(value) else value
                if text.startswith(FORMULA_PREFIXES):
                    style = _quoted(style)
                xf = xf_of(style)
                s = f' s="{xf}"' if xf else ""
                space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
                add(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>')
                continue
            kind = ""
            if isinstance(value, bool):
                kind, text = ' t="b"', "1" if value else "0"
            elif isinstance(value, dt.datetime):
                if value.tzinfo is not None:
                    raise TypeError("Excel 不支持带时区的时间，请先转换为本地时间")
                delta = value - _EPOCH
                text = repr(delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6)
                style = style if style.number_format else _with_format(style, DATETIME_FORMAT)
            elif isinstance(value, dt.date):
                text = str((value - _EPOCH_DATE).days)
                style = style if style.number_format else _with_format(style, DATE_FORMAT)
            elif isinstance(value, int | float | Decimal):
                text = str(value)
            elif value is None:
                add(f'<c r="{ref}" s="{xf_of(style)}"/>')
                continue
            else:
                raise TypeError(f"不能写入单元格的值：{type(value).__name__}")
            xf = xf_of(style)
            s = f' s="{xf}"' if xf else ""
            add(f'<c r="{ref}"{s}{kind}><v>{text}</v></c>')
        add("</row>")
        self._pending.append("".join(out))
        if len(self._pending) >= 256:  # the archive compresses in chunks, not row by row
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._write("".join(self._pending))
            self._pending.clear()

    def abandon(self) -> None:
        self._pending.clear()
        self._stream.close()

    def close(self) -> None:
        self._flush()
        self._write(
            '</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>'
        )
        self._stream.close()


@functools.lru_cache(maxsize=256)
def _quoted(style: Style) -> Style:
    return replace(style, quote_prefix=True)


@functools.lru_cache(maxsize=256)
def _with_format(style: Style, number_format: str) -> Style:
    return replace(style, number_format=number_format)


class WorkbookWriter:
    """A workbook written to `target` (a path or a binary file object): `sheet()` for each sheet in turn (the
    previous one is finished then), `close()` at the end — or use it in a `with` block, which closes it, or gives
    it up when the block raises."""

    def __init__(self, target: Any):
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self._titles: list[str] = []
        self._sheet: Sheet | None = None
        self.style = _Styles()

    def sheet(self, title: str, *, freeze_rows: int = 0, widths: Iterable[float] = ()) -> Sheet:
        if not title or len(title) > 31 or _TITLE_FORBIDDEN.search(title) or title in self._titles:
            raise ValueError(f"工作表名称不可用：{title!r}")
        if self._sheet is not None:
            self._sheet.close()
        self._titles.append(title)
        stream = self._zip.open(f"xl/worksheets/sheet{len(self._titles)}.xml", "w", force_zip64=True)
        self._sheet = Sheet(self, stream, freeze_rows, widths)
        return self._sheet

    def __enter__(self) -> WorkbookWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:  # a row that could not be written: the archive is given up, unfinished
            if self._sheet is not None:
                self._sheet.abandon()
            self._zip.close()

    def close(self) -> None:
        if not self._titles:
            self.sheet("Sheet")
        assert self._sheet is not None
        self._sheet.close()
        n = len(self._titles)
        sheets = "".join(
            f'<sheet name={quoteattr(title)} sheetId="{i}" r:id="rId{i}"/>'
            for i, title in enumerate(self._titles, 1)
        )
        self._zip.writestr(
            "xl/workbook.xml",
            f'{_XML}<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets></workbook>",
        )
        relations = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_XML}<Relationships xmlns="{_PKG_REL_NS}">{relations}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>',
        )
        self._zip.writestr("xl/styles.xml", self.style.xml())
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        self._zip.writestr(
            "[Content_Types].xml",
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        self._zip.writestr(
            "_rels/.rels",
            f'{_XML}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        self._zip.close()
