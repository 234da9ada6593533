"""A result's status as a badge or as a dot and words, and the organisation rows of the compliance overview, written in
Python. The status is shown once per result on an organisation's results page (and per change of its history):
an `{% include %}` of a one-line template each time. The overview: a 党委's overview shows each of its
organisations by every rule that applies (a hundred rows of some forty cells), and the template's loop over the
cells took most of the page's CPU. The markup is the template's, to the character (a test compares both); the
单位 rows' cells are `selectors.UnitRow.cells_html`."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from dangjian.compliance.selectors import STATUS_TEXT
from dangjian.compliance.workbench import period_text
from dangjian.core.escape import esc

register = template.Library()


@register.filter
def period(value) -> str:
    """A missing period in words of the active language ("2026年第3季度", "2026年3月"); a meeting's date as it is."""
    return period_text(str(value))


def _status_label(status) -> str:
    """The status in words (anything unknown is 不适用, as the templates had it), in the reader's language."""
    return esc(str(STATUS_TEXT.get(status, STATUS_TEXT["not_applicable"])))


@register.simple_tag
def status_badge(status) -> SafeString:
    """What compliance/_status.html gave: the status as a coloured badge."""
    s = esc(status)
    return mark_safe(f'<span class="badge dj-s dj-s-{s}" data-status="{s}">{_status_label(status)}</span>')


@register.simple_tag
def status_text(status) -> SafeString:
    """What compliance/_status_text.html gave: a coloured dot and the status in words."""
    s = esc(status)
    return mark_safe(
        f'<span class="text-nowrap" data-history-status="{s}"><span class="dj-dot dj-c-{s}"></span>'
        f"{_status_label(status)}</span>"
    )


_SYMBOLS = {"pass": "✓", "fail": "✗", "pending": "…"}  # not applicable: –


def _cell(result, titles: dict[str, str]) -> str:
    if not result:
        return '<td class="dj-c"></td>'
    status = result.status
    title = titles.get(status, titles["not_applicable"])
    if status == "fail" and result.missing:
        title += "：" + "、".join(esc(m) for m in result.missing)
    s = esc(status)
    return (
        f'<td class="dj-c dj-c-{s}" data-rule="{esc(result.rule.id)}" data-status="{s}" title="{title}">'
        f"{_SYMBOLS.get(status, '–')}</td>"
    )


@register.simple_tag
def org_rows(rows, org_query) -> SafeString:
    """The rows of `compliance/_org_rows.html` (the overview's opened 单位, and the rows a 单位 loads when it is
    opened): selectors.OrgRow, each with its cells in the columns' order (None where the rule does not apply)."""
    titles = {status: _status_label(status) for status in ("pass", "fail", "pending", "not_applicable")}
    query = esc(org_query)
    out = []
    for row in rows:
        ref = row.ref
        url = esc(reverse("compliance:org", args=[ref.id])) + query
        cells = "".join(_cell(r, titles) for r in row.cells)
        out.append(
            f'<tr class="dj-co" data-org="{esc(ref.code)}" data-href="{url}">\n'
            f'<th scope="row" class="dj-cm-first"><span class="dj-co-name dj-indent-{esc(row.indent)}">'
            f'<a href="{url}">{esc(ref.name)}</a> <span class="badge dj-badge-type dj-type-{esc(ref.type)}">'
            f"{esc(row.type_label)}</span></span></th>\n{cells}\n</tr>\n"
        )
    return mark_safe("".join(out))  # every value escaped by esc
