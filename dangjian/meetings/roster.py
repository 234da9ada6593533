"""Who was expected (应到) at a meeting: computed from the registry and the posts on the meeting's date.

Set-based: a roster is four queries at most, whatever the size of the organisation. A member's
organisation on a past date is their current one with later moves (MemberHistory) undone; their
category on a date follows from 入党日期 and 转正日期 (预备党员 from joining, 正式 from 转正)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from dangjian.meetings.choices import ROSTER_OF_TYPE, Roster
from dangjian.members.choices import HistoryField
from dangjian.members.models import Member, MemberHistory, arrived_by_q
from dangjian.orgs.choices import COMMITTEE_TITLES
from dangjian.orgs.models import Org, Post


@dataclass(frozen=True)
class RosterEntry:
    member_id: int
    name: str
    formal: bool  # 正式党员 on the date (has voting rights)
    org_id: int


def is_formal_on(member: Member, on: dt.date) -> bool:
    return member.confirmed_on is not None and member.confirmed_on <= on


def orgs_on(members: list[Member], on: dt.date) -> dict[int, int]:
    """Each member's organisation on `on`: the current one with the moves dated after `on` undone."""
    current = {m.pk: m.org_id for m in members}
    moves = (
        MemberHistory.objects.filter(member_id__in=current, field=HistoryField.ORG, effective_on__gt=on)
        .order_by("member_id", "-effective_on", "-id")
        .values_list("member_id", "old_org_id")
    )
    for member_id, old_org_id in moves:  # latest first: the last assignment is the earliest move's origin
        if old_org_id is not None:
            current[member_id] = old_org_id
    return current


def members_in_subtree(org: Org, on: dt.date) -> list[RosterEntry]:
    """Members (正式 and 预备) of `org` and its descendants on `on`: on the roll then, come into the system by then
    (a member received by 组织关系转入本系统 is not counted before that date: `members.models.arrived_by_q`), in the
    subtree then.

    Four indexed queries: the subtree's organisations (path prefix), the members who moved into or out of them
    (history by organisation), the candidates — members of the subtree now or moved — by organisation or id, and
    the candidates' moves after `on`. Each list is read before the next query takes it as values: asked in one
    statement, "in the subtree now OR moved" joins the organisations and the history into one condition that no
    index answers, and PostgreSQL scanned the whole roll for every roster (80 ms at municipal scale)."""
    subtree = set(Org.objects.filter(path__startswith=org.path).values_list("pk", flat=True))
    moved = set(
        MemberHistory.objects.filter(field=HistoryField.ORG)
        .filter(Q(old_org_id__in=subtree) | Q(new_org_id__in=subtree))
        .values_list("member_id", flat=True)
    )
    candidates = list(
        Member.objects.on_roll(on)
        .filter(arrived_by_q(on))  # received from outside the system after `on`: not yet on this roll
        .filter(Q(org_id__in=subtree) | Q(pk__in=moved))
        .order_by()
        .only("id", "name", "name_pinyin", "org_id", "confirmed_on")
    )
    where = orgs_on(candidates, on)
    return [
        RosterEntry(m.pk, m.name, is_formal_on(m, on), where[m.pk])
        for m in sorted(candidates, key=_pinyin_order)
        if where[m.pk] in subtree
    ]


def _pinyin_order(member: Member) -> tuple:
    """A roster's order: the stored pinyin key of the name (Member.name_pinyin), the name, the id."""
    return (member.name_pinyin, member.name, member.pk)


def post_holders(org: Org, on: dt.date, titles: frozenset[str] | None = None) -> list[RosterEntry]:
    posts = Post.objects.current(on).filter(org=org)
    if titles is not None:
        posts = posts.filter(title__in=titles)
    members = {
        p.member.pk: p.member
        for p in posts.select_related("member").only(
            "member__id", "member__name", "member__name_pinyin", "member__org_id", "member__confirmed_on"
        )
    }
    return [
        RosterEntry(m.pk, m.name, is_formal_on(m, on), m.org_id)
        for m in sorted(members.values(), key=_pinyin_order)
    ]


def roster(org: Org, kind: str, on: dt.date) -> list[RosterEntry]:
    if kind == Roster.MEMBERS:
        return members_in_subtree(org, on)
    if kind == Roster.COMMITTEE:
        return post_holders(org, on, COMMITTEE_TITLES)
    if kind == Roster.LEADERSHIP:
        return post_holders(org, on)
    return []


def rosters_for_types(org: Org, types: list[str], on: dt.date) -> dict[str, list[RosterEntry]]:
    """The roster of each meeting type (computed once per distinct roster kind)."""
    by_kind: dict[str, list[RosterEntry]] = {}
    result: dict[str, list[RosterEntry]] = defaultdict(list)
    for meeting_type in types:
        kind = ROSTER_OF_TYPE[meeting_type]
        if kind not in by_kind:
            by_kind[kind] = roster(org, kind, on)
        result[meeting_type] = by_kind[kind]
    return dict(result)
