"""What the organisation pages show of the apps above `orgs` (the member counts of the tree, the panels of
an organisation's page). `orgs` imports no app above it: each app registers its part from its
`AppConfig.ready()` (the members app in `dangjian/members/org_panels.py`), and the pages render whatever is
registered. Nothing registered: no counts (zeros) and no panels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dangjian.orgs.models import Org

# Members directly in each organisation (org id → n) within the user's scope, below `root` when given.
PerOrgCounts = Callable[[Any, "Org | None"], dict[int, int]]
# Members strictly below `org`: (org id → n directly in it, child path → n in that child's subtree).
BelowCounts = Callable[[Any, Org], tuple[dict[int, int], dict[str, int]]]

SLOTS = ("after_posts", "end")  # where a panel goes on the organisation's page


@dataclass(frozen=True)
class Panel:
    """A section of the organisation's page: a template rendered with the page's context plus `context`."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


DetailPanel = Callable[[Any, Org], "Panel | None"]  # (request, org) → the panel, or None to show nothing

_counts: dict[str, Callable] = {}
_panels: list[tuple[str, DetailPanel]] = []


def register_member_counts(*, per_org: PerOrgCounts, below: BelowCounts) -> None:
    """The member counts of the tree and of the children table (one registration; a second replaces it).
    Each function runs one query whatever the number of organisations."""
    _counts.update(per_org=per_org, below=below)


def register_detail_panel(fn: DetailPanel, *, slot: str = "end") -> None:
    """A panel of the organisation's page, shown in `slot` (see SLOTS) in registration order."""
    if slot not in SLOTS:
        raise ValueError(f"unknown slot {slot!r}; one of {SLOTS}")
    if all(registered is not fn for _slot, registered in _panels):
        _panels.append((slot, fn))


def member_counts(user, root: Org | None = None) -> dict[int, int]:
    per_org = _counts.get("per_org")
    return per_org(user, root) if per_org else {}


def member_counts_below(user, org: Org) -> tuple[dict[int, int], dict[str, int]]:
    below = _counts.get("below")
    return below(user, org) if below else ({}, {})


def detail_panels(request, org: Org) -> dict[str, list[Panel]]:
    """The registered panels for `org` by slot (those that return None are left out)."""
    shown: dict[str, list[Panel]] = {slot: [] for slot in SLOTS}
    for slot, fn in _panels:
        panel = fn(request, org)
        if panel is not None:
            shown[slot].append(panel)
    return shown
