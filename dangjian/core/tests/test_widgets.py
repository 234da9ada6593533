"""FastSelect renders exactly what Django's Select renders (whitespace aside), only faster."""

import re

import pytest
from django import forms

from dangjian.core.widgets import FastSelect

CHOICES = [("", "---------"), ("1", "甲<支部>"), ("单位 & 其他", [("2", "乙"), ("3", '丙"引号"')])]


def normalise(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


@pytest.mark.parametrize("value", [None, "", "1", "3", "99"])
@pytest.mark.parametrize(
    "attrs", [{}, {"class": "form-select form-select-sm", "id": "id_org", "required": True}]
)
def test_fast_select_renders_what_select_renders(value, attrs):
    expected = forms.Select(choices=CHOICES, attrs=attrs).render("org", value)
    assert normalise(FastSelect(choices=CHOICES, attrs=attrs).render("org", value)) == normalise(expected)


def test_an_org_field_uses_it():
    from dangjian.members.forms import OrgChoiceField

    assert isinstance(OrgChoiceField().widget, FastSelect)
