"""`esc` gives what Django's `conditional_escape` gives, for every kind of value the pages pass it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.utils.functional import lazy
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from dangjian.core.escape import esc


class _Form(forms.Form):
    name = forms.CharField()


VALUES = [
    "",
    "王一",
    "<script>alert('x')</script> & \"quoted\"",
    mark_safe("<b>safe</b> & kept"),
    SafeString("&amp;"),
    gettext_lazy("登记缴费"),
    gettext_lazy("<请勾选> & 'x'"),
    lazy(lambda: mark_safe("<i>lazy safe</i>"), SafeString)(),
    lazy(lambda: "<lazy plain>", str)(),
    0,
    12345,
    True,
    Decimal("25.50"),
    dt.date(2026, 12, 1),
    None,
    ["<a>", "b"],
    _Form({"name": "<x>"})["name"],  # a bound field: markup through its __html__
    _Form({})["name"].errors,
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_esc_is_conditional_escape(value):
    with override("zh-hans"):
        ours, django = esc(value), conditional_escape(value)
    assert ours == django
    assert type(ours) is str or isinstance(ours, SafeString)


def test_esc_escapes_what_is_not_marked_safe():
    assert esc("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
    assert esc(mark_safe("<a>")) == "<a>"
