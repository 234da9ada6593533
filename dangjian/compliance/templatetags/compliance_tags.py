"""The organisation rows of the compliance overview, written in Python: a 党委's overview shows each of its
organisations by every rule that applies (a hundred rows of some forty cells), and the template's loop over the
cells took most of the page's CPU. The markup is the template's, to the character (a test compares both); the
单位 rows' cells are `selectors.UnitRow.cells_html`."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from dangjian.core.escape import esc

register = template.Library()

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
    titles = {
        "pass": esc(gettext("符合")),
        "fail": esc(gettext("不符合")),
        "pending": esc(gettext("待定")),
        "not_applicable": esc(gettext("不适用")),
    }
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
