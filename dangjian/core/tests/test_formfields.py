"""Whole-number form fields bounded to their columns (core.formfields), and the ids a submitted value names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django import forms
from django.utils import translation

from dangjian.core.formfields import COUNT_MAX, ID_MAX, as_id, count_field, id_field

ROOT = Path(__file__).resolve().parents[3]


def test_a_count_beyond_its_bound_is_the_forms_error_in_chinese():
    field = count_field(label="得票")
    assert field.clean("12") == 12
    assert field.clean(str(COUNT_MAX)) == COUNT_MAX
    with translation.override("zh-hans"), pytest.raises(forms.ValidationError) as refused:
        field.clean("110105194912310021")  # a 身份证号 pasted into the count
    assert refused.value.messages == [f"数字过大：不能大于 {COUNT_MAX}，请核对。"]
    with translation.override("zh-hans"), pytest.raises(forms.ValidationError) as refused:
        field.clean("-1")
    assert refused.value.messages == ["不能为负数。"]  # not Django's 确保该值大于或等于0。
    with translation.override("zh-hans"), pytest.raises(forms.ValidationError) as refused:
        count_field(min_value=1).clean("0")
    assert refused.value.messages == ["不能小于 1。"]
    with translation.override("zh-hans"), pytest.raises(forms.ValidationError) as refused:
        field.clean("3.5")
    assert refused.value.messages == ["请填写整数。"]
    own = count_field(min_value=1, error_messages={"min_value": "应选名额至少为1名。"})
    with translation.override("zh-hans"), pytest.raises(forms.ValidationError) as refused:
        own.clean("0")
    assert refused.value.messages == ["应选名额至少为1名。"]  # a field's own words stay
    assert count_field(min_value=1).min_value == 1


def test_an_id_field_holds_a_bigint_id():
    field = id_field()
    assert field.clean(str(ID_MAX)) == ID_MAX
    for bad in (str(ID_MAX + 1), "0", "x"):
        with pytest.raises(forms.ValidationError):
            field.clean(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (12, 12),
        (str(ID_MAX), ID_MAX),
        (str(ID_MAX + 1), None),  # beyond a bigint: no record has it (and `pk__in` with it fails on SQLite)
        ("0", None),
        (0, None),
        ("²", None),  # a digit to str.isdigit, no number to int
        ("١٢", None),  # digits to int() too, but not as the pages write an id
        (" 12", None),
        ("-3", None),
        ("", None),
        (None, None),
        (True, None),  # an int to isinstance, no id
        (1.0, None),
    ],
)
def test_as_id(value, expected):
    assert as_id(value) == expected


def _calls(text: str, name: str) -> list[str]:
    """The text of every call of `name` in `text`, its parentheses balanced."""
    found = []
    for m in re.finditer(re.escape(name) + r"\(", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        found.append(text[m.start() : i])
    return found


def test_no_form_has_an_unbounded_whole_number_field():
    """A bare forms.IntegerField takes any number: the forms use count_field or id_field (or give a max_value)."""
    calls = {
        path.relative_to(ROOT).as_posix(): _calls(path.read_text(encoding="utf-8"), "forms.IntegerField")
        for path in sorted((ROOT / "dangjian").glob("*/forms.py"))
    }
    assert any(calls.values()), "the scan finds the bounded fields too"
    bare = [
        f"{path}: {call.splitlines()[0]}"
        for path, found in calls.items()
        for call in found
        if "max_value" not in call
    ]
    assert bare == []
