"""The form renderer (settings.FORM_RENDERER): Django's, with the simple widgets written in Python.

Django renders every widget through its template engine: an `<input>` is a template that includes another
for its attributes, about 0.6 ms each. The 党费收缴表 of a branch has about a hundred of them (a tick, the
amount, the date and the method per member), which was half the CPU of the page that every branch opens on
its 集中交纳日. The input widgets (text, number, date, hidden, checkbox …) and the select with its options are
written here, to the character what Django's templates give (a test compares both over many widgets); every
other widget, and these too if the templates found differ from the ones this was written against (a newer
Django, an app overriding one; checked once, at the first render), go through the templates as before.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.utils.safestring import SafeString, mark_safe

from dangjian.core.escape import esc

_WIDGETS = "django/forms/widgets/"
_INCLUDE_INPUT = '{% include "django/forms/widgets/input.html" %}\n'
# The templates as the fast path reproduces them (Django 5.2); any difference turns the fast path off.
_KNOWN = {
    "input.html": (
        '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %} '
        "value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
        '{% include "django/forms/widgets/attrs.html" %}>\n'
    ),
    "attrs.html": (
        "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}"
        "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}{% endfor %}"
    ),
    "select.html": (
        '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
        "{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n"
        '  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n'
        "  {% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n"
        "  </optgroup>{% endif %}{% endfor %}\n</select>\n"
    ),
    "select_option.html": (
        "<option value=\"{{ widget.value|stringformat:'s' }}\""
        '{% include "django/forms/widgets/attrs.html" %}>{{ widget.label }}</option>\n'
    ),
}
_INPUTS = ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search",
           "tel", "color", "checkbox")  # fmt: skip


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {esc(name)}")
        if value is not True:
            out.append(f'="{esc(value)}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{esc(value)}"' if value is not None else ""
    return (
        f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _option(option: dict[str, Any]) -> str:
    return (
        f'<option value="{esc(option["value"])}"{_attrs(option["attrs"])}>{esc(option["label"])}</option>\n'
    )


def _select(widget: dict[str, Any]) -> str | None:
    out = [f'<select name="{esc(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{esc(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != _WIDGETS + "select_option.html":
                return None  # an option template of its own: the templates render it
            out.append("\n  " + _option(option))
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class FormRenderer(DjangoTemplates):
    @cached_property
    def _fast(self) -> bool:
        """Whether the widget templates this renderer finds (Django's, or an app's that overrides one) are the
        ones the fast path reproduces."""

        def source(name: str) -> str | None:
            try:
                return self.get_template(_WIDGETS + name).template.source
            except TemplateDoesNotExist:
                return None

        return all(source(name) == text for name, text in _KNOWN.items()) and all(
            source(f"{kind}.html") == _INCLUDE_INPUT for kind in _INPUTS
        )

    def render(self, template_name: str, context: dict[str, Any], request=None) -> SafeString:
        if template_name.startswith(_WIDGETS) and self._fast and "widget" in context:
            kind = template_name[len(_WIDGETS) : -len(".html")]
            widget = context["widget"]
            html: str | None = None
            if kind in _INPUTS and widget.get("template_name") == template_name:
                html = _input(widget)
            elif kind == "select" and widget.get("template_name") == template_name:
                html = _select(widget)
            if html is not None:
                return mark_safe(html)  # every value in it is escaped above
        return super().render(template_name, context, request)
