"""The organisation picker of a large scope: a search box and a short native select.

A 工委管理员 may filter the lists by any of about 5,000 organisations; a select of all of them weighs 400 KB
per page and takes long to build and to scroll. Above `settings.ORG_PICKER_ABOVE` organisations the
select offers the top of the scope (the organisations of the two highest levels) and the chosen one, and
the search box above it replaces its options with the organisations whose name, 单位 or 组织编码 match
(htmx, `orgs:options`, through the user's scope). The select stays a native select: keyboard, screen
readers and phones work as with every other field.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Min, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from dangjian.core.formfields import as_id
from dangjian.core.widgets import FastSelect
from dangjian.orgs.choices import MEMBER_ORG_TYPES, OrgType

SEARCH_LIMIT = 20  # suggestions of a search: type more to narrow them
TOP_LIMIT = 80  # the top of a large scope offered before a search (a page stays under 100 options)


def org_label(name: str, unit: str) -> str:
    return f"{name}（{unit}）" if unit and unit != name else name


# The pickers of one kind of organisation (`kind`: the search endpoint's parameter): what they pick from among
# the user's visible organisations, and how many of them the select offers before a search. "branch": the
# user's active 党支部; "member_org": the active 党支部 and 党小组 (where a member is placed); "active": every
# active organisation (where a record is kept); "no_group": the active ones but 党小组 (the pages that sum up
# branches: 培训学时, 谈心谈话); "committee": the active 工委, 党委 and 党总支 (the 培训 summary by
# organisation); "receiving": every active 党支部 of the system (a transfer's receiving organisation may be
# anywhere, and is a branch: a 党小组 is chosen within it; searched by name and 单位 only, never by 组织编码).
KINDS = frozenset({"branch", "member_org", "active", "no_group", "committee", "receiving"})
UNSCOPED_KINDS = frozenset({"receiving"})
KIND_LIMIT = 50
# A form's required picker (a member's organisation, a record's) offers the chosen one and as many as a search
# suggests: its page has other selects (the form's choices), and the first few of a long list help nobody.
FORM_LIMIT = SEARCH_LIMIT


def before_search(kind: str, required: bool) -> int:
    """How many organisations a picker offers before a search."""
    return FORM_LIMIT if required else KIND_LIMIT if kind else TOP_LIMIT


def of_kind(orgs: QuerySet, kind: str) -> QuerySet:
    """`orgs` narrowed to the picker's kind ("" for any organisation)."""
    if kind in ("branch", "receiving"):
        return orgs.filter(type=OrgType.ZHIBU).active()
    if kind == "member_org":
        return orgs.filter(type__in=sorted(MEMBER_ORG_TYPES)).active()
    if kind == "active":
        return orgs.active()
    if kind == "no_group":
        return orgs.exclude(type=OrgType.XIAOZU).active()
    if kind == "committee":
        return orgs.filter(type__in=[OrgType.GONGWEI, OrgType.DANGWEI, OrgType.ZONGZHI]).active()
    return orgs


def option_rows(
    orgs: QuerySet, *, q: str = "", selected: str = "", limit: int = TOP_LIMIT, by_code: bool = True
) -> list[tuple[str, str]]:
    """(value, label) of the options: the matches of `q` (name, 单位 or, with `by_code`, 组织编码), or without
    `q` the top two levels of `orgs` (at most `limit`); the selected organisation first when it is in `orgs`.
    Two or three queries."""
    fields = ("pk", "name", "unit")
    q = q.strip()
    if q:
        found = Q(name__icontains=q) | Q(unit__icontains=q)
        if by_code:
            found |= Q(code__iexact=q)
        rows = list(orgs.filter(found).order_by("depth", "path").values_list(*fields)[:SEARCH_LIMIT])
    else:
        top = orgs.aggregate(top=Min("depth"))["top"] or 0
        rows = list(orgs.filter(depth__lte=top + 1).order_by("path").values_list(*fields)[:limit])
    options = [(str(pk), org_label(name, unit)) for pk, name, unit in rows]
    if selected and selected not in {value for value, _label in options}:
        pk = as_id(selected)
        chosen = orgs.filter(pk=pk).values_list(*fields).first() if pk is not None else None
        if chosen is not None:
            options.insert(0, (str(chosen[0]), org_label(chosen[1], chosen[2])))
    return options


class OrgSearchSelect(FastSelect):
    """The select of `OrgChoiceField` above the threshold: `orgs` is the queryset it picks from."""

    def __init__(self, orgs: QuerySet, empty_label: str, attrs=None, kind: str = "", required: bool = False):
        super().__init__(attrs=attrs)
        self.orgs = orgs
        self.empty_label = empty_label
        self.kind = kind  # "" any organisation of `orgs`; else one of KINDS (the endpoint searches the same)
        self.required = required  # a form's field, not a filter: its empty choice asks for an organisation

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value in (None, "") else str(value[0] if isinstance(value, list | tuple) else value)
        limit = before_search(self.kind, self.required)
        self.choices = [("", self.empty_label), *option_rows(self.orgs, selected=selected, limit=limit)]
        select = super().render(name, selected, attrs, renderer)
        select_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        size = "form-control-sm" if "form-select-sm" in self.attrs.get("class", "") else ""
        search = format_html(
            '<input type="search" class="form-control {} mb-1" name="{}" form="dj-detached" autocomplete="off"'
            ' placeholder="{}" aria-label="{}" aria-controls="{}" data-testid="org-search"'
            ' hx-get="{}" hx-trigger="input changed delay:300ms, search" hx-target="#{}" hx-include="#{}"'
            ' hx-vals=\'{{"field": "{}", "kind": "{}", "required": "{}"}}\'>',
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
            "1" if self.required else "",
        )
        return format_html('<div class="dj-orgpick">{}{}</div>', search, select)


def org_select(
    orgs,
    *,
    name: str = "org",
    selected=None,
    empty_label: str | None = None,
    attrs: dict | None = None,
    kind: str = "",
) -> str:
    """A page's organisation select over `orgs` (a queryset or a list, in tree order): every one of them (by
    name) while they are at most `settings.ORG_PICKER_ABOVE`, else the search picker (`OrgSearchSelect`, its
    box searching the user's organisations of `kind`) offering the top of them and the selected one.
    `empty_label` None: no empty choice (a page showing one organisation at a time). A queryset is loaded up
    to the threshold (one query); a large one costs two or three more."""
    from dangjian.orgs.models import Org

    attrs = {"class": "form-select form-select-sm", **(attrs or {})}
    value = "" if selected in (None, "") else str(getattr(selected, "pk", selected))
    if isinstance(orgs, QuerySet):
        shown: QuerySet | None = orgs
        loaded = list(orgs[: settings.ORG_PICKER_ABOVE + 1])
    else:
        shown, loaded = None, list(orgs)
    if len(loaded) > settings.ORG_PICKER_ABOVE:
        if shown is None:
            shown = Org.objects.filter(pk__in=[org.pk for org in loaded]).order_by("path")
        label = empty_label or (_("请选择党支部") if kind == "branch" else _("请选择组织"))
        picker = OrgSearchSelect(shown, label, attrs=attrs, kind=kind, required=empty_label is None)
        return picker.render(name, value)
    choices = [] if empty_label is None else [("", empty_label)]
    choices += [(str(org.pk), org.name) for org in loaded]
    if isinstance(selected, Org) and all(org.pk != selected.pk for org in loaded):
        choices.append((value, selected.name))  # the page's organisation, outside the list (dissolved)
    return FastSelect(attrs=attrs, choices=choices).render(name, value)
