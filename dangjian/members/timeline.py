"""One timeline per member, assembled from the records other modules already hold (never a second copy).

Each domain registers a source: a function `(member, on) -> Iterable[TimelineEvent]` that reads that
domain's records of the member with a fixed, small number of queries. `timeline(member)` calls every
source and sorts the events by date. Sources register at import time; the apps import their timeline
module in `AppConfig.ready()`.

This module also registers the sources for the records the foundation holds: 入党 and 转正 (the
registry), changes of organisation, category, work status and status (`MemberHistory`), posts held and
left (`orgs.Post`), meetings attended and missed (`meetings`), and 党费 payments (`dues`); the other apps
(pipeline, movements, training, talks) register their own.

Events are grouped for the timeline page's filter (入党与发展, 职务, 组织与转接, 党籍状态, 组织生活, 党费, 培训学习) by
the prefix of their `kind`: `group_of(kind)`; a domain whose kinds need another group than the default
of their prefix declares it with `register_timeline_group(prefix, group)`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

__all__ = [
    "TIMELINE_GROUPS",
    "TIMELINE_SOURCES",
    "TimelineEvent",
    "group_of",
    "register_timeline_group",
    "register_timeline_source",
    "register_timeline_supersedes",
    "timeline",
]


@dataclass(frozen=True)
class TimelineEvent:
    date: dt.date
    kind: str  # stable machine key, e.g. "member.joined", "pipeline.step", "movements.status"
    title: str  # short Chinese title, e.g. "确定为入党积极分子"
    detail: str = ""  # one line of detail (no personal data beyond the member's own page)
    org_code: str = ""  # the organisation the event belongs to, when there is one
    url: str = ""  # a page with the record, when there is one
    order: int = 0  # tie-break among events of the same date (lower first)

    @property
    def group(self) -> str:
        return group_of(self.kind)


Source = Callable[..., Iterable[TimelineEvent]]
TIMELINE_SOURCES: dict[str, Source] = {}


def register_timeline_source(name: str) -> Callable[[Source], Source]:
    def decorate(source: Source) -> Source:
        if name in TIMELINE_SOURCES and TIMELINE_SOURCES[name] is not source:
            raise RuntimeError(f"timeline source {name!r} registered twice")
        TIMELINE_SOURCES[name] = source
        return source

    return decorate


# kind → kinds that tell the same change with more detail: an event is left out when one of those is
# on the same date (the registry's MemberHistory row and a domain's own record of one change).
_SUPERSEDED_BY: dict[str, set[str]] = {
    "member.status": {"movements.status"},
    "member.org": {"movements.transfer_accepted", "movements.transfer_in"},
}


def register_timeline_supersedes(kind: str, by: str) -> None:
    """Declares that an event of kind `by` tells the same change as one of `kind` on the same date."""
    _SUPERSEDED_BY.setdefault(kind, set()).add(by)


# set by `timeline` for its duration: the sources of one timeline read the member's history and posts once
_READS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("timeline_reads", default=None)


def shared_read(key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()` once per `timeline` call for every source asking with the same `key` (the member's moves, which
    the registry's and the meetings' sources both read; their posts); computed each time outside one. The caller
    must not change what it gets."""
    memo = _READS.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def timeline(member, *, on: dt.date | None = None) -> list[TimelineEvent]:
    """Every event of the member up to `on` (default: today), oldest first."""
    on = on or dt.date.today()
    token = _READS.set({})
    try:
        events = [e for source in TIMELINE_SOURCES.values() for e in source(member, on) if e.date <= on]
    finally:
        _READS.reset(token)
    present = {(e.date, e.kind) for e in events}
    events = [e for e in events if not any((e.date, k) in present for k in _SUPERSEDED_BY.get(e.kind, ()))]
    return sorted(events, key=lambda e: (e.date, e.order, e.kind, e.title))


# --- groups (the timeline page's filter) -------------------------------------------------------------

TIMELINE_GROUPS: dict[str, Any] = {  # lazy labels
    "development": gettext_lazy("入党与发展"),
    "posts": gettext_lazy("职务"),
    "org": gettext_lazy("组织与转接"),
    "status": gettext_lazy("党籍状态"),
    "meetings": gettext_lazy("组织生活"),
    "dues": gettext_lazy("党费"),
    "training": gettext_lazy("培训学习"),
}

# kind prefix → group; the longest matching prefix wins. Kinds matching none are shown unfiltered only.
_GROUP_OF_PREFIX: dict[str, str] = {
    "member.joined": "development",
    "member.confirmed": "development",
    "member.category": "development",
    "pipeline.": "development",
    "orgs.post": "posts",
    "member.org": "org",
    "member.work_status": "org",
    "movements.": "org",
    "movements.status": "status",
    "movements.lost": "status",  # 失联 and regaining contact
    "movements.regained": "status",
    "member.status": "status",
    "meetings.": "meetings",
    "dues.": "dues",
    "training.": "training",
}


def register_timeline_group(prefix: str, group: str) -> None:
    """Declares the filter group of the kinds starting with `prefix` (one of TIMELINE_GROUPS)."""
    if group not in TIMELINE_GROUPS:
        raise ValueError(f"unknown timeline group {group!r}")
    _GROUP_OF_PREFIX[prefix] = group


def group_of(kind: str) -> str:
    best = ""
    for prefix in _GROUP_OF_PREFIX:
        if kind.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return _GROUP_OF_PREFIX.get(best, "")


# --- sources of the foundation's records --------------------------------------------------------------


def history_rows(member) -> list:
    """Every MemberHistory row of the member, oldest first, with both organisations (one query, once per timeline)."""
    from dangjian.members.models import MemberHistory

    return shared_read(
        ("history", member.pk),
        lambda: list(
            MemberHistory.objects.filter(member_id=member.pk)
            .select_related("old_org", "new_org")
            .order_by("effective_on", "id")
        ),
    )


def _org_moves(member) -> list:
    """The member's organisation moves, oldest first, with both organisations (one query, or none once the
    timeline has read the member's history)."""
    from dangjian.members.choices import HistoryField

    return [row for row in history_rows(member) if row.field == HistoryField.ORG]


def posts_held(member) -> list:
    """Every post the member held or holds, by 任职日期, with its organisation (one query, once per timeline)."""
    from dangjian.orgs.models import Post

    return shared_read(
        ("posts", member.pk),
        lambda: list(
            Post.objects.filter(member_id=member.pk).select_related("org").order_by("started_on", "id")
        ),
    )


def arrival(member) -> tuple[dt.date, str] | None:
    """When and from where the member came into the system, when a record says so: their 组织关系转入本系统
    (movements' transfer of kind "in", read through its relation to the member, `Member.transfers`, the registry
    being the layer below movements). None for a member admitted here or entered without such a record. One query,
    once per timeline."""

    def read() -> tuple[dt.date, str] | None:
        transfers = getattr(member, "transfers", None)
        if transfers is None:
            return None
        return (
            transfers.filter(kind="in")
            .order_by("started_on", "id")
            .values_list("started_on", "place")
            .first()
        )

    return shared_read(("arrival", member.pk), read)


def org_spans(member, moves: list) -> list[tuple[int, dt.date, dt.date | None]]:
    """(org id, first day, first day no longer there or None) from the day the member came into their first
    organisation — 入党, or the 组织关系转入本系统 of a member who joined the Party elsewhere (`arrival`) — on,
    following the moves the same way `meetings.roster.orgs_on` undoes them: from a move's effective date the member
    is in its new org. (A member entered without a record of when they came is taken to be there from 入党: a roll
    taken over, or meetings recorded afterwards for dates before, are the usual cases.)"""
    spans: list[tuple[int, dt.date, dt.date | None]] = []
    start = member.joined_on
    came = arrival(member)
    if came is not None and came[0] > start:
        start = came[0]
    current = moves[0].old_org_id if moves and moves[0].old_org_id else member.org_id
    for move in moves:
        if move.effective_on > start:
            spans.append((current, start, move.effective_on))
            start = move.effective_on
        current = move.new_org_id or current
    spans.append((current, start, None))
    return spans


def _branch_path(org) -> str:
    """The path of the 党支部 an organisation a member belongs to is part of: its own, or its parent's for a 党小组."""
    from dangjian.orgs.choices import OrgType

    if org.type == OrgType.XIAOZU:
        return org.path[: org.path.rstrip("/").rfind("/") + 1]
    return org.path


def _same_branch(old, new) -> bool:
    """Whether a move between `old` and `new` stays within one 党支部 (between its 党小组, or between the branch and
    one of them): the member's 组织关系 stays in the branch."""
    if old is None or new is None:
        return False
    return _branch_path(old) == _branch_path(new)


@register_timeline_source("member")
def member_events(member, on: dt.date) -> list[TimelineEvent]:
    """入党, 转正 and every change kept in MemberHistory (organisation, category, work status, status):
    two queries (the history, the member's 组织关系转入本系统).

    入党 names the organisation only where the member joined the Party in it: their first organisation in the
    system, unless a record says they came into the system later (组织关系转入本系统)."""
    from dangjian.members.choices import Category, HistoryField
    from dangjian.orgs.choices import chinese_label

    rows = history_rows(member)
    moves = [r for r in rows if r.field == HistoryField.ORG]
    first_org = moves[0].old_org if moves and moves[0].old_org_id else None
    if first_org is None:
        first_org = member.org
    came = arrival(member)
    if came is not None:
        joined = TimelineEvent(
            date=member.joined_on,
            kind="member.joined",
            title=_("入党"),
            detail=_("成为预备党员（入党时不在本系统的党组织；%(date)s 由%(place)s转入本系统）")
            % {"date": f"{came[0]:%Y-%m-%d}", "place": came[1] or "—"},
        )
    else:
        joined = TimelineEvent(
            date=member.joined_on,
            kind="member.joined",
            title=_("入党"),
            detail=_("在%(org)s入党，成为预备党员") % {"org": first_org.name},
            org_code=first_org.code,
        )
    events = [joined]
    if member.confirmed_on:
        events.append(
            TimelineEvent(
                date=member.confirmed_on,
                kind="member.confirmed",
                title=_("转为正式党员"),
                detail=_("转正日期 %(date)s") % {"date": f"{member.confirmed_on:%Y-%m-%d}"},
                order=1,
            )
        )
    formal = chinese_label(Category, Category.FORMAL)
    for row in rows:
        if row.field == HistoryField.ORG:
            new_name = row.new_org.name if row.new_org is not None else row.new_value
            old_name = row.old_org.name if row.old_org is not None else row.old_value
            if _same_branch(row.old_org, row.new_org):
                # between the 党小组 of a branch: the 组织关系 stays in the branch; never the change a transfer's
                # event tells (its own kind: not left out beside one of the same date)
                kind, order = "member.org_adjusted", 21  # after a 转入 or 转接 of the same day (20)
                title = _("调整到%(org)s") % {"org": new_name}
                detail = _("由%(old)s调整到%(new)s") % {"old": old_name or "—", "new": new_name}
            else:
                kind, order = "member.org", 2
                title = _("组织关系转入%(org)s") % {"org": new_name}
                detail = _("由%(old)s转入%(new)s") % {"old": old_name or "—", "new": new_name}
            events.append(
                TimelineEvent(
                    date=row.effective_on,
                    kind=kind,
                    title=title,
                    detail=detail,
                    org_code=row.new_org.code if row.new_org is not None else "",
                    order=order,
                )
            )
        elif row.field == HistoryField.CATEGORY:
            if row.new_value == formal and member.confirmed_on:
                continue  # the 转正 event above says it, dated by 转正日期
            events.append(
                TimelineEvent(
                    date=row.effective_on,
                    kind="member.category",
                    title=_("人员类别改为%(value)s") % {"value": row.new_value},
                    detail=_("原为%(value)s") % {"value": row.old_value or "—"},
                    order=2,
                )
            )
        elif row.field == HistoryField.WORK_STATUS:
            events.append(
                TimelineEvent(
                    date=row.effective_on,
                    kind="member.work_status",
                    title=_("工作状态改为%(value)s") % {"value": row.new_value},
                    detail=_("原为%(value)s") % {"value": row.old_value or "—"},
                    order=2,
                )
            )
        elif row.field == HistoryField.STATUS:
            events.append(
                TimelineEvent(
                    date=row.effective_on,
                    kind="member.status",
                    title=_("党籍状态改为%(value)s") % {"value": row.new_value},
                    detail=_("原为%(value)s") % {"value": row.old_value or "—"},
                    order=3,
                )
            )
    return events


@register_timeline_source("posts")
def post_events(member, on: dt.date) -> list[TimelineEvent]:
    """Posts taken up and left (one query, shared with the meetings' source)."""

    events = []
    for post in posts_held(member):
        what = f"{post.org.name}{post.get_title_display()}"
        events.append(
            TimelineEvent(
                date=post.started_on,
                kind="orgs.post_started",
                title=_("任%(post)s") % {"post": what},
                detail=_("任职日期 %(date)s") % {"date": f"{post.started_on:%Y-%m-%d}"},
                org_code=post.org.code,
                order=4,
            )
        )
        if post.ended_on:
            events.append(
                TimelineEvent(
                    date=post.ended_on,
                    kind="orgs.post_ended",
                    title=_("不再担任%(post)s") % {"post": what},
                    detail=_("任职期间 %(start)s 至 %(end)s")
                    % {"start": f"{post.started_on:%Y-%m-%d}", "end": f"{post.ended_on:%Y-%m-%d}"},
                    org_code=post.org.code,
                    order=4,
                )
            )
    return events


def months_label(first: dt.date, last: dt.date) -> str:
    """Months as on the dues pages: “2026-01”, a range “2026-01～2026-03”."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%Y-%m}"
    return f"{first:%Y-%m}～{last:%Y-%m}"
