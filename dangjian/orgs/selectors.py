"""Reads of the organisation tree for the pages. Set-based: a bounded number of queries whatever the
number of organisations; nested structures are built in Python from one ordered query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from dangjian.accounts.scope import scope_for
from dangjian.core.formfields import as_id
from dangjian.orgs import panels
from dangjian.orgs.choices import OrgType, PostTitle
from dangjian.orgs.models import PATH_SEGMENT, Org, Post

TREE_FIELDS = ("id", "code", "name", "type", "path", "depth", "dissolved_on", "parent_id", "unit")
SEGMENT_LEN = PATH_SEGMENT + 1  # "00000001/"
EAGER_LIMIT = 400  # a larger tree is sent level by level (see `_cut`)


def parent_path(path: str) -> str:
    return path[:-SEGMENT_LEN]


@dataclass
class TreeNode:
    org: Any  # the organisation (while the tree is built, its row of _TREE_COLUMNS)
    direct: int = 0
    total: int = 0
    level: int = 0
    has_children: bool = False
    lazy: bool = False  # has children that are loaded when the node is opened
    closers: range = field(default_factory=lambda: range(0))
    crumbs: list[str] = field(default_factory=list)


def _flatten(nodes: list[TreeNode]) -> list[TreeNode]:
    """Marks, for a pre-ordered list with levels, which nodes open a nested list and how many nested
    lists close after each leaf, so the template renders the tree with one flat loop."""
    for i, node in enumerate(nodes):
        next_level = nodes[i + 1].level if i + 1 < len(nodes) else 0
        node.has_children = next_level > node.level
        node.closers = range(0) if node.has_children else range(max(node.level - next_level, 0))
    return nodes


def _cut(nodes: list[TreeNode], limit: int) -> list[TreeNode]:
    """A large tree is sent down to the deepest level that keeps it under `limit` nodes (at least the
    top level); nodes at that level that have children are marked `lazy` and their subtrees are
    fetched when opened."""
    if len(nodes) <= limit:
        return nodes
    per_level: dict[int, int] = {}
    for node in nodes:
        per_level[node.level] = per_level.get(node.level, 0) + 1
    cut, running = 0, 0
    for level in sorted(per_level):
        running += per_level[level]
        if running > limit:
            break
        cut = max(cut, level)
    for i, node in enumerate(nodes):
        if node.level == cut and i + 1 < len(nodes) and nodes[i + 1].level > cut:
            node.lazy = True
    return [n for n in nodes if n.level <= cut]


def org_tree(
    user,
    *,
    show_dissolved: bool = False,
    q: str = "",
    root: Org | None = None,
    limit: int | None = None,
) -> tuple[list[TreeNode], int]:
    """The visible organisations (below `root` when given) as a pre-ordered list of nodes (see
    `_flatten`), with direct and subtree member counts (`panels.member_counts`). Two queries (orgs, member counts), plus one
    for ancestor names outside the scope when searching. Returns (nodes, number of organisations shown: the 已撤销 ones
    and those under them are left out unless `show_dissolved`; the nodes of a large tree load as they are opened)."""
    qs = Org.objects.visible_to(user).order_by("path")
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    # the organisations as tuples (a 工委's are the city's 4,900: model instances of them all cost about 35 ms);
    # the nodes returned (at most EAGER_LIMIT, or 500 matches) are made organisations, as `.only()` makes them
    rows = list(qs.values_list(*_TREE_COLUMNS))
    counts = panels.member_counts(user, root)
    by_path: dict[str, TreeNode] = {}
    for row in rows:
        node = TreeNode(org=row, direct=counts.get(row[_ID], 0))
        node.total = node.direct
        by_path[row[_PATH]] = node
    # Subtree totals: reversed pre-order visits every child before its parent.
    for row in reversed(rows):
        parent = by_path.get(parent_path(row[_PATH]))
        if parent is not None:
            parent.total += by_path[row[_PATH]].total

    today = dt.date.today()
    hidden: set[str] = set()
    shown: list[TreeNode] = []
    for row in rows:
        path, dissolved_on = row[_PATH], row[_DISSOLVED]
        if root is not None and row[_ID] == root.pk:
            continue
        if not show_dissolved and (
            parent_path(path) in hidden or (dissolved_on is not None and dissolved_on < today)
        ):
            hidden.add(path)
            continue
        shown.append(by_path[path])

    if q:
        return _as_orgs(_search(shown, by_path, q), qs.db), len(shown)

    # Levels relative to the visible roots (an org whose parent is not shown is a root).
    level_of: dict[str, int] = {}
    for node in shown:
        level = level_of.get(parent_path(node.org[_PATH]), -1) + 1
        level_of[node.org[_PATH]] = level
        node.level = level
    return _as_orgs(_flatten(_cut(shown, EAGER_LIMIT if limit is None else limit)), qs.db), len(shown)


# TREE_FIELDS in the model's field order (as `Org.from_db` takes the values of some of them), and where they are
_TREE_COLUMNS = tuple(f.attname for f in Org._meta.concrete_fields if f.attname in TREE_FIELDS)
_ID, _CODE, _NAME, _PATH, _DISSOLVED = (
    _TREE_COLUMNS.index(name) for name in ("id", "code", "name", "path", "dissolved_on")
)


def _as_orgs(nodes: list[TreeNode], db: str) -> list[TreeNode]:
    """The nodes returned, their organisations made of the rows they were built from."""
    for node in nodes:
        node.org = Org.from_db(db, _TREE_COLUMNS, node.org)
    return nodes


def _search(shown: list[TreeNode], by_path: dict[str, TreeNode], q: str) -> list[TreeNode]:
    """The nodes whose organisation's name or code holds `q` (at most 500), each with its ancestors' names."""
    needle = q.strip().lower()
    matches = [n for n in shown if needle in n.org[_NAME].lower() or needle in n.org[_CODE].lower()][:500]
    wanted = {p for n in matches for p in _ancestor_paths(n.org[_PATH])[:-1]}
    names = {p: by_path[p].org[_NAME] for p in wanted if p in by_path}
    missing = wanted - names.keys()
    if missing:  # ancestors above the user's scope: names only
        names.update(Org.objects.filter(path__in=missing).values_list("path", "name"))
    for node in matches:
        node.level = 0
        node.crumbs = [names[p] for p in _ancestor_paths(node.org[_PATH])[:-1] if p in names]
    return _flatten(matches)


def _ancestor_paths(path: str) -> list[str]:
    """`Org.ancestor_paths` of an organisation at `path` (itself last)."""
    parts = path.split("/")[:-1]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


@dataclass
class Crumb:
    org: Org
    visible: bool


def breadcrumb(user, org: Org) -> list[Crumb]:
    """Ancestors of `org` (root first), marking those the user may open. One query."""
    scope = scope_for(user)
    return [Crumb(a, scope.covers(a)) for a in org.ancestors()]


def children_with_counts(user, org: Org) -> list[Org]:
    """Visible direct children, each with `n_children`, `n_direct` (members directly in it) and
    `n_total` (members in its subtree). Two queries: the children, and the member counts below `org`
    (`panels.member_counts_below`)."""
    children = list(
        Org.objects.visible_to(user)
        .filter(parent=org)
        .annotate(n_children=Count("children"))
        .order_by("path")
    )
    if not children:
        return children
    direct, total = panels.member_counts_below(user, org)
    for child in children:
        child.n_direct = direct.get(child.pk, 0)
        child.n_total = total.get(child.path, 0)
    return children


TITLE_ORDER = {value: i for i, value in enumerate(PostTitle.values)}


def org_posts(user, org: Org, *, include_ended: bool = False) -> list[Post]:
    """Posts of the organisation, 书记 first (PostTitle order), then by 任职日期. One query."""
    qs = Post.objects.visible_to(user).filter(org=org).select_related("member")
    if not include_ended:
        qs = qs.current()
    posts = list(qs)
    posts.sort(
        key=lambda p: (TITLE_ORDER.get(p.title, 99), p.ended_on is not None, -p.started_on.toordinal())
    )
    return posts


# --- the organisation a list page is narrowed to -----------------------------------------------------------------


def visible_org(user, value: Any) -> Org | None:
    """The organisation an id names within the user's scope — a page's `?org=` or `?within=`, a form's value, or an
    int — in one query; None when the value is no id (a string of ASCII digits, or an int) or names an organisation
    outside the scope (a list page answers 404: a hand-edited or stale link must not silently widen to the whole
    scope)."""
    pk = as_id(value)
    if pk is None:
        return None
    return Org.objects.visible_to(user).filter(pk=pk).first()


def list_picker_orgs(user):
    """The organisations a list page's picker offers (a queryset: the picker reads what it shows): those of the
    user's scope but the 党小组, active, in tree order."""
    return (
        Org.objects.visible_to(user)
        .exclude(type=OrgType.XIAOZU)
        .active()
        .order_by("path")
        .only("id", "name", "depth", "path", "type")
    )


# --- lists too wide to show whole ---------------------------------------------------------------------------


TOPS_READ = 200  # the shallowest organisations of a scope read for its top ones (a scope of grants on a few)


@dataclass
class WideChild:
    org: Org
    branches: int  # the 党支部 in its subtree (within the user's scope)
    href: str  # the same page, this organisation chosen


@dataclass
class WideScope:
    """A list page's chosen range holds more 党支部 than `settings.WIDE_LIST_BRANCHES`: the page asks for a narrower
    organisation instead of listing every member or branch of it (at the 工委 that is the whole city: tens of
    thousands of rows, seconds of work and megabytes of HTML that nobody reads whole)."""

    org: Org | None  # the chosen organisation (None: the user's whole scope)
    branches: int
    limit: int
    children: list[WideChild] = field(default_factory=list)  # where to go next, in tree order


def wide_scope(user, org: Org | None, query=None, *, limit: int | None = None) -> WideScope | None:
    """None when the range of a list page — `org`'s subtree, or without it everything the user administers — holds at
    most `limit` (default `settings.WIDE_LIST_BRANCHES`) active 党支部; otherwise what the page shows instead: how
    many, and the organisations one level down (or the scope's top organisations) with their 党支部, each linking to
    the same page with it chosen (`query`: the page's GET parameters, kept in those links). One query when the range is narrow
    enough; otherwise four, whatever its size: the count, the scope's top organisations (when none is chosen), the
    organisations one level down, their 党支部 counted by path prefix (one query per depth among them: one but for
    a scope of grants at several depths)."""
    from django.conf import settings
    from django.db.models import Q
    from django.db.models.functions import Substr

    limit = settings.WIDE_LIST_BRANCHES if limit is None else limit
    visible = Org.objects.visible_to(user)
    under = visible.filter(path__startswith=org.path) if org is not None else visible
    today = dt.date.today()
    branches = under.filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=today), type=OrgType.ZHIBU)
    count = branches.count()
    if count <= limit:
        return None
    fields = ("id", "name", "type", "path", "depth", "parent_id")
    if org is not None:
        children = list(visible.filter(parent=org).order_by("path").only(*fields))
    else:
        roots: list[Org] = []  # the scope's top organisations: those without a visible ancestor
        for top in visible.order_by("depth", "path").only(*fields)[:TOPS_READ]:
            if not any(top.path.startswith(root.path) for root in roots):
                roots.append(top)
        children = (
            list(visible.filter(parent=roots[0]).order_by("path").only(*fields)) if len(roots) == 1 else roots
        )
    counts: dict[str, int] = {}
    for length in sorted(
        {len(c.path) for c in children}
    ):  # one length but where the scope has tops at several depths
        counts.update(
            branches.annotate(prefix=Substr("path", 1, length))
            .values("prefix")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("prefix", "n")
        )
    params = query.copy() if query is not None else None
    found = []
    for child in children:
        n = counts.get(child.path, 0)
        if not n:
            continue
        if params is not None:
            params["org"] = str(child.pk)
            href = "?" + params.urlencode()
        else:
            href = f"?org={child.pk}"
        found.append(WideChild(child, n, href))
    return WideScope(org, count, limit, found)


def nearest_above(orgs, types) -> dict[int, Org]:
    """Organisation id → the nearest organisation above it of one of `types` (none: not in the result), read from
    the paths in one query for all of them: who approves a branch's 发展党员 steps or its election's result in the
    normal case (its nearest 党委, else the 工委)."""
    orgs = list({o.pk: o for o in orgs}.values())
    chains = {o.pk: [int(part) for part in o.path.split("/") if part][:-1] for o in orgs}
    above = {pk for chain in chains.values() for pk in chain}
    if not above:
        return {}
    found = {o.pk: o for o in Org.objects.filter(pk__in=above, type__in=list(types))}
    out = {}
    for pk, chain in chains.items():
        nearest = next((found[a] for a in reversed(chain) if a in found), None)
        if nearest is not None:
            out[pk] = nearest
    return out
