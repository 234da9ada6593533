"""`esc`: Django's `conditional_escape` without its cost, for markup written in Python (the form renderer, the
党费收缴表's rows).

Django's `escape` is wrapped by `keep_lazy`, which looks at every argument for a lazy translation before it
escapes: about 2 µs a call, and a branch's collection sheet escapes some 2,000 values. `esc` gives the same text
(a test compares both over plain, safe, lazy and non-string values): safe strings as they are, everything else
through the standard library's `html.escape`, which is what Django's `escape` calls."""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django.utils.functional import Promise


def esc(value: Any) -> str:
    """The value as HTML text: escaped, unless it is marked safe (it has `__html__`)."""
    if type(value) is str:  # the common case, first
        return _escape(value)
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape(str(value))
