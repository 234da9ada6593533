"""Plain-text tables and JSON for the `dangjian` commands: one printer, so every list lines up the same way.

Tables: columns aligned by display width (`wcwidth`: a CJK character or full-width punctuation takes two
terminal columns, a combining mark none), separated by two spaces, trailing spaces removed; a list ends
with `共 N 行`. What a cell shows (是/否, labels, dates) is each command's choice: the printer only aligns
strings.

JSON: UTF-8 text (`ensure_ascii=False`, Chinese stays readable), ending with a newline. A list of records
is indented by 2; a single result object (the 党费 calculator, an import report) stays on one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from wcwidth import wcswidth, wcwidth

GAP = "  "


def display_width(text: str) -> int:
    """Terminal columns `text` takes; a control character (a newline in a note) counts as none."""
    width = wcswidth(text)
    if width >= 0:
        return width
    return sum(max(wcwidth(ch), 0) for ch in text)


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` display columns."""
    return text + " " * (width - display_width(text))


def align(rows: Sequence[Sequence[str]], *, rule: bool = False) -> list[str]:
    """The rows as lines with their columns aligned (the first row is the header, if any). `rule` puts a
    line of dashes under the first row."""
    if not rows:
        return []
    widths = [max(display_width(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = [GAP.join(pad(cell, widths[c]) for c, cell in enumerate(row)).rstrip() for row in rows]
    if rule:
        lines.insert(1, GAP.join("-" * w for w in widths))
    return lines


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A list: the header, one line per row, then `共 N 行`; ends with a newline."""
    lines = align([list(headers), *rows])
    return "\n".join([*lines, f"共 {len(rows)} 行"]) + "\n"


def cell(value: Any) -> str:
    """The usual cell text: nothing for None, 是/否 for booleans, else `str`."""
    if value is None:
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


def format_records(
    headers: Mapping[str, str], items: Iterable[Mapping[str, Any]], to_cell: Callable[[Any], str] = cell
) -> str:
    """A list of JSON-shaped records as a table: one column per key of `headers` (key → column title)."""
    rows = [[to_cell(item[key]) for key in headers] for item in items]
    return format_table(list(headers.values()), rows)


def to_json(data: Any, *, one_line: bool = False) -> str:
    """`data` as JSON text ending with a newline: indented by 2, or on one line for a single result."""
    return json.dumps(data, ensure_ascii=False, indent=None if one_line else 2) + "\n"


def write_json(data: Any, output: str | None, stdout) -> None:
    """A command's JSON: to the file `output` when given, else to its stdout."""
    text = to_json(data)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        stdout.write(text, ending="")
