"""`apply_service_error` puts a refusal on the form; a stale edit (core.edits.Stale) also gives the form the record's
current version, under the form's prefix when it has one (the 党费减免 correction's form is prefixed "relief")."""

from __future__ import annotations

from django import forms

from dangjian.accounts.web import apply_service_error
from dangjian.core import edits


class _Form(forms.Form):
    name = forms.CharField()
    version = forms.CharField(required=False, widget=forms.HiddenInput)


def test_a_stale_edit_gives_the_form_the_current_version_under_its_prefix():
    for prefix in (None, "relief"):
        form = _Form(
            {
                f"{prefix}-name" if prefix else "name": "甲",
                f"{prefix}-version" if prefix else "version": "old",
            },
            prefix=prefix,
        )
        assert form.is_valid()
        apply_service_error(form, edits.Stale("这条记录已被修改。", "new"))
        assert form["version"].value() == "new" and form["name"].value() == "甲"
        assert form.stale and form.non_field_errors() == ["这条记录已被修改。"]  # type: ignore[attr-defined]
