"""Pieces of messages built at run time, in the active language (services raise their refusals inside the
request, so they use gettext, not gettext_lazy). Chinese stays exactly as it was written before; a choice's
label in the active language is dangjian.core.choices.choice_label."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import pgettext


def enumeration(items: Iterable[Any]) -> str:
    """Items listed in the active language: 甲、乙、丙 / 甲, 乙, 丙."""
    return pgettext("list separator", "、").join(str(item) for item in items)


def alternatives(items: Iterable[Any]) -> str:
    """Items offered as alternatives: 党委或党总支 / 党委 or 党总支."""
    return pgettext("list separator: or", "或").join(str(item) for item in items)
