"""Whole-number form fields bounded to what the columns behind them hold.

A plain forms.IntegerField takes any number: a 身份证号 pasted into 得票 reached the database as an integer beyond
its column (a 500 on PostgreSQL: integer out of range) instead of coming back as the form's error. Counts (ballots,
votes, people, days) are at most COUNT_MAX; hidden record ids at most the largest id a bigint column holds.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# far above any real count of one organisation's ballots, votes, people or days, far below the 2,147,483,647 of an
# integer column
COUNT_MAX = 1_000_000
ID_MAX = 2**63 - 1  # BigAutoField


def count_field(*, min_value: int = 0, max_value: int = COUNT_MAX, **kwargs) -> forms.IntegerField:
    """A count: a whole number from `min_value` (0) to `max_value` (COUNT_MAX). Its errors say what is wrong in the
    form's words (Django's own read “确保该值大于或等于0。”), unless the field gives its own."""
    messages = {
        "invalid": _("请填写整数。"),
        "min_value": _("不能为负数。") if min_value == 0 else _("不能小于 %(limit_value)s。"),
        "max_value": _("数字过大：不能大于 %(limit_value)s，请核对。"),
        **kwargs.pop("error_messages", {}),
    }
    return forms.IntegerField(min_value=min_value, max_value=max_value, error_messages=messages, **kwargs)


def id_field(**kwargs) -> forms.IntegerField:
    """A record's id (a hidden input): 1 … ID_MAX."""
    return forms.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


def as_id(value) -> int | None:
    """The id a submitted value names — ASCII digits within a bigint, or such an int — else None ("²" is a digit to
    str.isdigit but no number to int; a longer number names no record, and an `__in` lookup with it fails on SQLite)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if type(value) is not int or not 0 < value <= ID_MAX:
        return None
    return value
