"""The 党费 status badge as a filter: the sheet shows one per member, and an `{% include %}` per row cost more
than the rest of the row's cells together."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop

from dangjian.dues.choices import LedgerStatus

register = template.Library()

_BADGES = {
    LedgerStatus.PAID.value: ("paid", gettext_noop("已交清")),
    LedgerStatus.PARTIAL.value: ("partial", gettext_noop("部分交纳")),
    LedgerStatus.UNPAID.value: ("unpaid", gettext_noop("未交")),
    LedgerStatus.EXEMPT.value: ("exempt", gettext_noop("免交")),
}
_NO_BASE = ("nobase", gettext_noop("未申报基数"))


@register.filter
def dues_status(status: str) -> SafeString:
    """The badge of a ledger status (paid | partial | unpaid | exempt); anything else: 未申报基数."""
    css, label = _BADGES.get(status, _NO_BASE)
    return format_html('<span class="badge dj-ds dj-ds-{}">{}</span>', css, gettext(label))
