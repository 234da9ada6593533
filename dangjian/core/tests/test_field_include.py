"""templates/includes/field.html: the one way a form field is rendered (label, required marker, widget, errors,
help text), in the default and the compact size."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string


class SampleForm(forms.Form):
    topic = forms.CharField(
        label="主题", help_text="不超过200字", widget=forms.TextInput(attrs={"class": "x"})
    )
    place = forms.CharField(label="地点", required=False)
    online = forms.BooleanField(label="线上", required=False)


def render(field, **extra) -> str:
    html = render_to_string("includes/field.html", {"field": field, **extra})
    return re.sub(r">\s+<", "><", html).strip()


def test_a_required_field_with_an_error_and_help_text():
    form = SampleForm(data={"topic": ""})
    assert render(form["topic"]) == (
        '<label class="form-label" for="id_topic">主题<span class="text-danger ms-1" aria-hidden="true">*</span>'
        '</label><input type="text" name="topic" class="x" required aria-invalid="true" '
        'aria-describedby="id_topic_helptext id_topic_error" id="id_topic">'
        '<div class="invalid-feedback d-block" id="id_topic_error">这个字段是必填项。</div>'
        '<div class="form-text">不超过200字</div>'
    )


def test_compact_labels_and_messages_are_small_and_optional_fields_have_no_marker():
    form = SampleForm(data={"topic": ""})
    assert render(form["topic"], compact=True) == (
        '<label class="form-label small mb-1" for="id_topic">主题'
        '<span class="text-danger ms-1" aria-hidden="true">*</span></label>'
        '<input type="text" name="topic" class="x" required aria-invalid="true" '
        'aria-describedby="id_topic_helptext id_topic_error" id="id_topic">'
        '<div class="text-danger small" id="id_topic_error">这个字段是必填项。</div>'
        '<div class="form-text small">不超过200字</div>'
    )
    assert render(SampleForm()["place"], compact=True) == (
        '<label class="form-label small mb-1" for="id_place">地点</label>'
        '<input type="text" name="place" id="id_place">'
    )


def test_a_checkbox_is_a_form_check():
    assert render(SampleForm()["online"]) == (
        '<div class="form-check mt-md-4 pt-md-2"><input type="checkbox" name="online" id="id_online">'
        '<label class="form-check-label" for="id_online">线上</label></div>'
    )
    assert render(SampleForm()["online"], compact=True) == (
        '<div class="form-check mt-1"><input type="checkbox" name="online" id="id_online">'
        '<label class="form-check-label small" for="id_online">线上</label></div>'
    )
