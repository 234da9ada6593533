"""Template filters of the movements pages."""

from __future__ import annotations

from django import template

from dangjian.orgs.widgets import org_label

register = template.Library()


@register.filter
def with_unit(org) -> str:
    """An organisation's name followed by its 单位 ("办公室党支部（市教委）"), as the transfer form's options name it:
    several 单位 have a 办公室党支部 or a 离退休干部党支部. Reads the organisation's own columns only (no query)."""
    if org is None:
        return ""
    return org_label(org.name, org.unit)
