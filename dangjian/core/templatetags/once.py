"""`{% once_token %}`: the hidden one-time token of a create form (dangjian.core.once)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from dangjian.core import once

register = template.Library()


@register.simple_tag
def once_token() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', once.FIELD, once.issue())
