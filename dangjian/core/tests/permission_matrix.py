"""Helpers of the permission matrix (test_permission_matrix.py): the named URLs of the URL configuration,
the outcome of a response in the table's notation, the text of a response whatever its format, and the
search for names, 组织编码 and 身份证号 that a persona must not see."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# URL names left out of the matrix: Django's own views, mounted by the project but holding no data. Anything
# else the URL configuration names must have a row in the table (the admin site is not installed).
EXCLUDED_URL_NAMES = {
    "set_language": "django.conf.urls.i18n: switches the interface language (a cookie), reads no record",
}


def named_urls() -> dict[str, URLPattern]:
    """Every named URL pattern of the URL configuration, by its full name ("namespace:name"), nested
    namespaces included."""
    found: dict[str, URLPattern] = {}

    def walk(resolver: URLResolver, namespace: str | None) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace
                walk(p, f"{namespace}:{ns}" if namespace and ns else (ns or namespace))
            elif p.name:
                found[f"{namespace}:{p.name}" if namespace else p.name] = p

    walk(get_resolver(), None)
    return found


def url_parameters(pattern: URLPattern) -> set[str]:
    return set(pattern.pattern.converters)


def outcome(response) -> str:
    """The table's notation: the status code, or "login" for a redirect to the login page."""
    if response.status_code == 302:
        location = response["Location"]
        login = reverse("login")
        return "login" if location == login or location.startswith(login + "?") else "302"
    return str(response.status_code)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def body_text(response) -> str:
    """Everything a response shows: HTML/text decoded, every cell of every sheet of a workbook, the text of
    every page of a PDF, every paragraph and table cell of a Word document (all parsed, never skipped), a
    streamed file joined."""
    if getattr(response, "streaming", False):
        # The test client closes the response once its content is consumed (closing it again would fire
        # request_finished and close the test's database connection).
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    content_type = response.get("Content-Type", "")
    if content_type.startswith(XLSX):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        cells = [
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
        book.close()
        return "\n".join(cells)
    if content_type.startswith(DOCX):
        from docx import Document

        document = Document(io.BytesIO(content))
        texts = [paragraph.text for paragraph in document.paragraphs]
        texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join(texts)
    if content_type.startswith("application/pdf") or content.startswith(b"%PDF"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return content.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Secret:
    """A name, 组织编码 or 身份证号: `kind` is "org_name", "org_code", "member_name", "member_id",
    "applicant_name" or "applicant_id"; `key` names the organisation, member or applicant it belongs to."""

    value: str
    kind: str
    key: str

    @property
    def what(self) -> str:
        return f"{self.kind} of {self.key}"

    def found_in(self, text: str) -> bool:
        if self.kind == "org_code":  # codes are short: match them as whole tokens
            return re.search(rf"(?<![A-Za-z0-9]){re.escape(self.value)}(?![A-Za-z0-9])", text) is not None
        return self.value in text


def leaks(text: str, secrets: Iterable[Secret]) -> list[str]:
    return sorted(f"{s.what}: {s.value}" for s in secrets if s.found_in(text))
