"""Builds small .xlsx files for import tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook


def write_xlsx(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    """A workbook whose first sheet has `header` (default: the keys of the rows, in order) and the rows."""
    if header is None:
        header = list(dict.fromkeys(key for row in rows for key in row))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    workbook.save(path)
    return path


def save_bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
