"""The member picker of a large organisation: a search box and a short native select.

A branch of a few hundred members would render a few hundred options in each member select of a form (a
pair's 老党员 and 结对党员, a group's 组长). Above `MEMBER_PICKER_ABOVE` members the select offers the chosen
member and the first `SEARCH_LIMIT` of the field's choices, and the search box above it replaces its options
with the members of the organisation's subtree whose name matches (htmx, `orgs:member_options` with
`within=1`, through the user's scope, at most `SEARCH_LIMIT`, each with its organisation's name: never a
身份证号 or a phone number). The field's choices still validate what is submitted.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dangjian.core.widgets import FastSelect
from dangjian.orgs.widgets import SEARCH_LIMIT

MEMBER_PICKER_ABOVE = 80  # a select of more members than this is searched instead


class MemberSearchSelect(FastSelect):
    """The select of a member choice field over the members of `org`'s subtree (its choices set by the field)."""

    def __init__(self, org_pk: int, attrs=None, shown: int = SEARCH_LIMIT):
        super().__init__(attrs=attrs)
        self.org_pk = org_pk
        self.shown = shown  # how many of the choices are offered before a search (and the chosen one)

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value in (None, "") else str(value)
        every = list(self.choices)
        blank = [(v, label) for v, label in every if v == ""]
        people = [(v, label) for v, label in every if v != ""]
        shown = people[: self.shown]
        if selected and all(str(v) != selected for v, _label in shown):
            shown = [c for c in people if str(c[0]) == selected] + shown
        self.choices = [*(blank or [("", _("请选择党员"))]), *shown]
        try:
            select = super().render(name, selected, attrs, renderer)
        finally:
            self.choices = every
        select_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        search = format_html(
            '<input type="search" class="form-control form-control-sm mb-1" name="{}" form="dj-detached"'
            ' autocomplete="off" placeholder="{}" aria-label="{}" aria-controls="{}" data-testid="member-search"'
            ' hx-get="{}" hx-trigger="input changed delay:300ms, search" hx-target="#{}" hx-include="#{}"'
            ' hx-vals=\'{{"field": "{}", "within": "1"}}\'>',
            f"{name}_q",
            _("输入姓名或拼音查找"),
            _("查找党员"),
            select_id,
            reverse("orgs:member_options", args=[self.org_pk]),
            select_id,
            select_id,
            name,
        )
        return format_html('<div class="dj-orgpick">{}{}</div>', search, select)


def search_members_when_many(form, org, names=None, shown: int = SEARCH_LIMIT) -> None:
    """Gives each single member select of `form` (its choices already set; `names`: those fields, default
    every plain select) the search picker when it offers more than `MEMBER_PICKER_ABOVE` members of `org`'s
    subtree; `shown`: how many it offers before a search (a form of many such selects offers none)."""
    from django import forms

    for name, field in form.fields.items():
        if names is not None and name not in names:
            continue
        if not isinstance(field, forms.ChoiceField) or isinstance(field, forms.MultipleChoiceField):
            continue
        if field.widget.__class__ is not forms.Select:
            continue
        if sum(1 for value, _label in field.choices if value != "") > MEMBER_PICKER_ABOVE:
            choices = field.choices
            field.widget = MemberSearchSelect(org.pk, attrs=field.widget.attrs, shown=shown)
            field.choices = choices
