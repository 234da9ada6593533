"""The form renderer writes the simple widgets in Python: to the character what Django's templates give."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from dangjian.core.renderers import FormRenderer


class Sample(forms.Form):
    name = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"placeholder": '如"张三" & <李四>'}))
    amount = forms.DecimalField(min_value=Decimal("0.01"), widget=forms.NumberInput(attrs={"step": "0.01"}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    pick = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"data-testid": "pick"}))
    off = forms.CharField(disabled=True, required=False)
    method = forms.ChoiceField(choices=[("cash", "现金"), ("bank", "银行<转账>"), ("", "—")])
    grouped = forms.ChoiceField(
        choices=[("甲组", [("a", "甲一"), ("b", "甲二")]), ("c", "单列"), ("乙 & 丙", [(1, "乙一")])],
        widget=forms.Select(attrs={"class": "form-select", "required": False, "autofocus": True}),
    )
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], required=False)
    text = forms.CharField(widget=forms.Textarea, required=False)


BOUND = [
    {},
    {
        "name": '"引号" <b>&',
        "amount": "12.50",
        "day": "2026-03-01",
        "secret": "s3cr<et>",
        "hidden": "1",
        "pick": "on",
        "method": "bank",
        "grouped": "b",
        "many": ["x", "y"],
        "text": "多行\n文本",
    },
    {"amount": "0", "method": "", "grouped": "1", "pick": ""},
]


@pytest.mark.parametrize("data", BOUND)
def test_every_widget_renders_as_the_templates_render_it(data):
    fast, templates = FormRenderer(), DjangoTemplates()
    initial = {"day": dt.date(2026, 1, 5), "name": mark_safe("<i>安全</i>"), "amount": Decimal("3")}
    for kwargs in ({"data": data or None, "initial": initial}, {"initial": initial, "prefix": "row-7"}):
        ours, theirs = Sample(renderer=fast, **kwargs), Sample(renderer=templates, **kwargs)
        for field in ours:
            assert field.as_widget() == theirs[field.name].as_widget(), field.name
    assert fast._fast  # the fast path was taken: the installed templates are the known ones


def test_other_widgets_and_changed_templates_go_through_the_templates(monkeypatch):
    renderer = FormRenderer()
    form = Sample(data=BOUND[1], renderer=renderer)
    rendered = []
    original = DjangoTemplates.render

    def spy(self, template_name, context, request=None):
        rendered.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", spy)
    form["name"].as_widget()
    form["text"].as_widget()
    assert rendered == ["django/forms/widgets/textarea.html"]  # the input without the templates
    renderer.__dict__["_fast"] = False  # as when an installed Django's templates differ
    form["name"].as_widget()
    assert rendered[-1] == "django/forms/widgets/text.html"


def test_a_widget_template_that_differs_turns_the_fast_path_off(monkeypatch):
    """A newer Django's template, or an app's override of one, is what the page must show: the templates render."""
    import types

    original = FormRenderer.get_template

    def overridden(self, name):
        if name.endswith("/attrs.html"):
            return types.SimpleNamespace(template=types.SimpleNamespace(source="{# an override #}"))
        return original(self, name)

    assert FormRenderer()._fast
    monkeypatch.setattr(FormRenderer, "get_template", overridden)
    assert not FormRenderer()._fast
