"""Reads of the member registry for pages and exports. Every read starts from the user's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.shortcuts import get_object_or_404

from dangjian.members.models import Member, MemberHistory
from dangjian.orgs.choices import MEMBER_ORG_TYPES
from dangjian.orgs.models import Org, Post


def filter_org_options(user) -> list[Org]:
    """Organisations the user may filter the member list by: everything visible, in tree order (one query)."""
    return list(Org.objects.visible_to(user).order_by("path"))


def member_org_options(user, *, include: Org | None = None) -> list[Org]:
    """Organisations a member can be placed in by this user: visible 党支部/党小组 not dissolved (one query).

    `include` keeps a member's current organisation selectable on the edit form even when it is no
    longer offered (dissolved), so the service can explain why it must change.
    """
    qs = Org.objects.visible_to(user).filter(type__in=MEMBER_ORG_TYPES).active()
    if include is not None:
        qs = Org.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=include.pk))
    return list(qs.order_by("path"))


def member_list(user, filters: dict[str, Any]):
    """The member list for `user`, narrowed by the cleaned filter values. Not evaluated: the caller
    paginates (one COUNT, one page query with the organisation joined)."""
    qs = Member.objects.visible_to(user).select_related("org")
    org = filters.get("org")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("work_status"):
        qs = qs.filter(work_status=filters["work_status"])
    if filters.get("is_mobile") in (True, False):
        qs = qs.filter(is_mobile=filters["is_mobile"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


def visible_member(user, pk: int) -> Member:
    """One member the user may see, with its organisation; 404 otherwise."""
    return get_object_or_404(Member.objects.visible_to(user).select_related("org"), pk=pk)


def member_posts(member: Member) -> list[Post]:
    """All posts the member held or holds, with their organisation, current first (one query)."""
    today = dt.date.today()
    posts = list(
        Post.objects.filter(member=member).select_related("org").order_by("-started_on", "org__path")
    )
    for post in posts:
        post.is_current = post.started_on <= today and (post.ended_on is None or post.ended_on > today)
    return sorted(posts, key=lambda p: not p.is_current)


def member_history(member: Member) -> list[MemberHistory]:
    """Changes of organisation, category and work status, newest first (one query)."""
    return list(MemberHistory.objects.filter(member=member).select_related("actor__member"))
