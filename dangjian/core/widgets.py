"""Form widgets. `FastSelect` renders its options in Python instead of one template per option: an
organisation picker of a 工委管理员 has about 5,000 options, which Django's templates render in about half
a second; this renders the same HTML (optgroups, the selected option, the widget's attributes) in a few
milliseconds."""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        selected = {str(v) for v in context["value"]}
        parts = []
        for group_name, options, _index in context["optgroups"]:
            html = "".join(
                f'<option value="{conditional_escape(o["value"])}"'
                f"{' selected' if str(o['value']) in selected else ''}>{conditional_escape(o['label'])}</option>"
                for o in options
            )
            parts.append(
                f'<optgroup label="{conditional_escape(group_name)}">{html}</optgroup>'
                if group_name
                else html
            )
        attrs_html = format_html_join(
            "",
            "{}",
            (
                (format_html(' {}="{}"', key, val) if val is not True else format_html(" {}", key),)
                for key, val in {"name": name, **context["attrs"]}.items()
                if val is not False and val is not None
            ),
        )
        return format_html("<select{}>{}</select>", attrs_html, mark_safe("".join(parts)))
