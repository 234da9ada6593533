"""The organisation picker of a large scope: a search box and a short native select.

A 工委管理员 may filter the lists by any of about 5,000 organisations; a select of all of them weighs 400 KB
per page and takes long to build and to scroll. Above `settings.ORG_PICKER_ABOVE` organisations the
select offers the top of the scope (the organisations of the two highest levels) and the chosen one, and
the search box above it replaces its options with the organisations whose name, 单位 or 组织编码 match
(htmx, `orgs:options`, through the user's scope). The select stays a native select: keyboard, screen
readers and phones work as with every other field.
"""

from __future__ import annotations

from django.db.models import Min, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dangjian.core.widgets import FastSelect
from dangjian.orgs.choices import OrgType

SEARCH_LIMIT = 20  # suggestions of a search: type more to narrow them
TOP_LIMIT = 80  # the top of a large scope offered before a search (a page stays under 100 options)


def org_label(name: str, unit: str) -> str:
    return f"{name}（{unit}）" if unit and unit != name else name


# The pickers of one kind of organisation (`kind`: the search endpoint's parameter): what they pick from among
# the user's visible organisations, and how many of them the select offers before a search.
KINDS = frozenset({"branch"})  # "branch": the user's active 党支部
KIND_LIMIT = 50


def of_kind(orgs: QuerySet, kind: str) -> QuerySet:
    """`orgs` narrowed to the picker's kind ("" for any organisation)."""
    if kind == "branch":
        return orgs.filter(type=OrgType.ZHIBU).active()
    return orgs


def option_rows(
    orgs: QuerySet, *, q: str = "", selected: str = "", limit: int = TOP_LIMIT
) -> list[tuple[str, str]]:
    """(value, label) of the options: the matches of `q` (name, 单位 or 组织编码), or without `q` the top two
    levels of `orgs` (at most `limit`); the selected organisation first when it is in `orgs`. Two or three
    queries."""
    fields = ("pk", "name", "unit")
    q = q.strip()
    if q:
        rows = list(
            orgs.filter(Q(name__icontains=q) | Q(unit__icontains=q) | Q(code__iexact=q))
            .order_by("depth", "path")
            .values_list(*fields)[:SEARCH_LIMIT]
        )
    else:
        top = orgs.aggregate(top=Min("depth"))["top"] or 0
        rows = list(orgs.filter(depth__lte=top + 1).order_by("path").values_list(*fields)[:limit])
    options = [(str(pk), org_label(name, unit)) for pk, name, unit in rows]
    if selected and selected not in {value for value, _label in options}:
        pk = int(selected) if selected.isdigit() else None
        chosen = orgs.filter(pk=pk).values_list(*fields).first() if pk is not None else None
        if chosen is not None:
            options.insert(0, (str(chosen[0]), org_label(chosen[1], chosen[2])))
    return options


class OrgSearchSelect(FastSelect):
    """The select of `OrgChoiceField` above the threshold: `orgs` is the queryset it picks from."""

    def __init__(self, orgs: QuerySet, empty_label: str, attrs=None, kind: str = ""):
        super().__init__(attrs=attrs)
        self.orgs = orgs
        self.empty_label = empty_label
        self.kind = kind  # "" any organisation of `orgs`; "branch": `orgs` are the user's active 党支部

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value in (None, "") else str(value[0] if isinstance(value, list | tuple) else value)
        limit = KIND_LIMIT if self.kind else TOP_LIMIT
        self.choices = [("", self.empty_label), *option_rows(self.orgs, selected=selected, limit=limit)]
        select = super().render(name, selected, attrs, renderer)
        select_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        size = "form-control-sm" if "form-select-sm" in self.attrs.get("class", "") else ""
        search = format_html(
            '<input type="search" class="form-control {} mb-1" name="{}" form="dj-detached" autocomplete="off"'
            ' placeholder="{}" aria-label="{}" aria-controls="{}" data-testid="org-search"'
            ' hx-get="{}" hx-trigger="input changed delay:300ms, search" hx-target="#{}" hx-include="#{}"'
            ' hx-vals=\'{{"field": "{}", "kind": "{}"}}\'>',
            size,
            f"{name}_q",
            _("输入党支部名称、单位或编码查找")
            if self.kind == "branch"
            else _("输入组织名称、单位或编码查找"),
            _("查找组织"),
            select_id,
            reverse("orgs:options"),
            select_id,
            select_id,
            name,
            self.kind,
        )
        return format_html('<div class="dj-orgpick">{}{}</div>', search, select)
