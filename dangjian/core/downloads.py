"""Responses that carry personal data, and the one way out for a spreadsheet.

`personal_data` marks a view whose response carries personal data (names with 身份证号 or 手机号码,
党费, an import's rows): the response, whatever its status, says `Cache-Control: no-store` (and
private, no-cache), so neither the browser nor a proxy keeps a copy on disk. `export_response` is the
end of every spreadsheet download: it records the `export` audit event (what, the scope or filter,
the number of rows — never the data) and returns the attachment. The workbook itself is written by
`dangjian.core.xlsx` (`write_workbook`, `save_tables`), which keeps formula-like text as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from dangjian.core import audit

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Counted:
    """The rows of an export, counted as they pass to the writer (streamed: a 工委's roll is 60,000 rows, which
    a list would hold in the web process all at once, and keep its memory high after)."""

    def __init__(self, rows: Iterable[Any], progress: Callable[[int], None] | None = None, every: int = 2000):
        self._rows = rows
        self.n = 0
        self._progress = progress
        self._every = every

    def __iter__(self) -> Iterator[Any]:
        progress, every = self._progress, self._every
        for row in self._rows:
            self.n += 1
            if progress is not None and self.n % every == 0:
                progress(self.n)  # a background export's page shows how far it has come
            yield row


def personal_data(view: Callable) -> Callable:
    """Marks a view as serving personal data: its responses are never stored by a cache."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)  # max-age=0, no-cache, no-store, must-revalidate, private
        return response

    return wrapped


def record_export(*, actor, what: str, object_type: str, org_path: str, scope: str, rows: int) -> None:
    """The audit event of an export: what was exported, within which scope or filter, how many rows."""
    audit.record(
        actor=actor,
        action="export",
        object_type=object_type,
        object_repr=what,
        org_path=org_path,
        note=_("导出%(what)s，%(rows)d 行；范围：%(scope)s") % {"what": what, "rows": rows, "scope": scope},
    )


def export_response(
    content: bytes, filename: str, *, actor, what: str, object_type: str, org_path: str, scope: str, rows: int
) -> HttpResponse:
    """A spreadsheet download, recorded as an export (views wrap it in `personal_data` for no-store)."""
    record_export(actor=actor, what=what, object_type=object_type, org_path=org_path, scope=scope, rows=rows)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    add_never_cache_headers(response)
    return response
