"""Attendance facts of the meetings app for the compliance engine (dangjian.compliance.facts.register_facts),
beside the "meetings" provider of rules.py (records and their counts):

- "meeting_chairs": for every 党支部 in scope, its records of the chaired types (支部党员大会, 支部委员会 …) and
  its 党小组's 党小组会, dated 1 January Y … D, each with its host (主持人) and its absentees, and the posts of its
  党小组 (the branch's own posts are the engine's). Three queries for the whole scope, plus the list of the
  branches and their 党小组 for a small scope (the records are then found through the organisation index).
- "orglife": for every 党支部 in scope, its members on the roll on D (with its 党小组's), each with the day they
  came into the branch, the 领导干部 mark and the month their latest 组织生活缺席审查 reaches; the branch's and its
  党小组's records of the organizational-life types the rules name, from 1 January Y−1 (Y when no rule looks
  back) to D, with their absentees and the kind of reason recorded; the branch's committee posts over that
  span. Six queries for the whole scope (five without a committee type), plus the list of the branches and
  their 党小组 for a small scope.

Which types and titles are read comes from the rules (their parameters), so a rulebook that names another
type needs no change here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from django.db.models import Max, Q

from dangjian.compliance.facts import FactContext, PostSpan, branch_member_orgs, branch_roll, register_facts
from dangjian.meetings.choices import ROSTER_OF_TYPE, Roster
from dangjian.meetings.models import Absence, MeetingKind, OrgLifeReview
from dangjian.members.choices import HistoryField
from dangjian.members.models import Member, MemberHistory
from dangjian.orgs.choices import COMMITTEE_TITLES, OrgType, PostTitle
from dangjian.orgs.models import Post

# --- "meeting_chairs" -----------------------------------------------------------------------------------


class ChairedRecord(NamedTuple):
    """A record of a type whose chair the rule checks (one row per meeting and type)."""

    meeting_id: int
    org_id: int  # the branch, or one of its 党小组
    org_name: str
    type: str
    date: dt.date
    host_id: int | None = None
    host_name: str = ""
    absent: frozenset[int] = frozenset()  # the record's absentees


@dataclass(frozen=True)
class ChairFacts:
    records: tuple[ChairedRecord, ...] = ()  # recorded in the branch itself
    group_records: tuple[ChairedRecord, ...] = ()  # recorded in its 党小组
    group_posts: Mapping[int, tuple[PostSpan, ...]] = field(default_factory=dict)  # 党小组 id → its posts


NO_CHAIRS = ChairFacts()


def chaired_types(rules) -> tuple[frozenset[str], frozenset[str]]:
    """(types chaired by the 书记, types chaired by the 党小组长) over the rules that read the provider."""
    branch, group = set(), set()
    for rule in rules:
        params = rule.typed_params
        branch |= set(getattr(params, "meeting_types", ()))
        group |= set(getattr(params, "group_meeting_types", ()))
    return frozenset(branch), frozenset(group)


@register_facts("meeting_chairs", context=True)
def load_chair_facts(ctx: FactContext) -> dict[int, ChairFacts]:
    branch_types, group_types = chaired_types(ctx.rules)
    start, end = dt.date(ctx.year, 1, 1), ctx.as_of
    wanted = Q(org__type=OrgType.ZHIBU, type__in=sorted(branch_types))
    if group_types:
        wanted |= Q(org__type=OrgType.XIAOZU, type__in=sorted(group_types))
    # the records of the branches and their 党小组, found through the organisation index
    kinds = MeetingKind.objects.filter(
        wanted, org__in=branch_member_orgs(ctx.ids_sq), date__gte=start, date__lte=end
    )
    absent: dict[int, set[int]] = defaultdict(set)
    for meeting_id, member_id in Absence.objects.filter(
        meeting_id__in=kinds.order_by().values("meeting_id")
    ).values_list("meeting_id", "member_id"):
        absent[meeting_id].add(member_id)
    own: dict[int, list[ChairedRecord]] = defaultdict(list)
    groups: dict[int, list[ChairedRecord]] = defaultdict(list)
    rows = kinds.order_by().values_list(  # sorted per branch below (a sort of every row spilled to disk)
        "meeting_id",
        "org_id",
        "org__name",
        "org__type",
        "org__parent_id",
        "type",
        "date",
        "meeting__host_id",
        "meeting__host__name",
    )
    for meeting_id, org_id, org_name, org_type, parent_id, kind, day, host_id, host_name in rows:
        record = ChairedRecord(
            meeting_id, org_id, org_name, kind, day, host_id, host_name or "", frozenset(absent[meeting_id])
        )
        if org_type == OrgType.XIAOZU and parent_id is not None:
            groups[parent_id].append(record)
        else:
            own[org_id].append(record)
    group_posts: dict[int, dict[int, list[PostSpan]]] = defaultdict(lambda: defaultdict(list))
    if group_types:
        posts = (
            Post.objects.filter(
                org__parent__in=ctx.ids_sq,
                org__type=OrgType.XIAOZU,
                title=PostTitle.GROUP_LEADER,
                started_on__lte=end,
            )
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start))
            .order_by("org_id", "started_on", "id")
            .values_list("org__parent_id", "org_id", "member_id", "title", "started_on", "ended_on")
        )
        for parent_id, org_id, *values in posts:
            group_posts[parent_id][org_id].append(PostSpan(*values))

    def in_order(records: list[ChairedRecord]) -> tuple[ChairedRecord, ...]:
        return tuple(sorted(records, key=lambda r: (r.date, r.meeting_id, r.type)))

    return {
        org.pk: ChairFacts(
            in_order(own.get(org.pk, [])),
            in_order(groups.get(org.pk, [])),
            {g: tuple(spans) for g, spans in group_posts.get(org.pk, {}).items()},
        )
        for org in ctx.orgs
        if org.type == OrgType.ZHIBU
    }


# --- "orglife" ------------------------------------------------------------------------------------------


class LifeMember(NamedTuple):
    id: int
    name: str
    org_id: int  # the branch, or the 党小组 holding them now
    joined_on: dt.date
    since: dt.date | None = None  # the day they came into the branch (their latest move from outside it)
    is_leader: bool = False  # marked 领导干部 (members.Member.is_leader, as it is now)
    reviewed_through: dt.date | None = None  # the latest through_month of an OrgLifeReview dated by D


class LifeRecord(NamedTuple):
    """One organizational-life record of the branch or a 党小组 (all its counted types together)."""

    meeting_id: int
    org_id: int
    date: dt.date
    types: frozenset[str]
    absent: Mapping[int, str] = MappingProxyType({})  # absentee → reason kind ("" when none recorded)


@dataclass(frozen=True)
class LifeFacts:
    branch_id: int
    start: dt.date  # the first day loaded (1 January Y−1, or Y)
    members: tuple[LifeMember, ...] = ()
    records: tuple[LifeRecord, ...] = ()  # in date order
    committee: tuple[PostSpan, ...] = ()  # the branch's committee posts over the span (for committee records)


def life_needs(rules) -> tuple[frozenset[str], bool]:
    """(the types the rules count as organizational life, whether one looks back into Y−1)."""
    types: set[str] = set()
    back = False
    for rule in rules:
        params = rule.typed_params
        types |= set(getattr(params, "meeting_types", ()))
        back = back or getattr(params, "absent_months", None) is not None
    return frozenset(types), back


@register_facts("orglife", context=True)
def load_life_facts(ctx: FactContext) -> dict[int, LifeFacts]:
    types, back = life_needs(ctx.rules)
    on = ctx.as_of
    start = dt.date(ctx.year - 1 if back else ctx.year, 1, 1)
    branches = [o for o in ctx.orgs if o.type == OrgType.ZHIBU]
    if not branches:
        return {}
    members_qs = Member.objects.on_roll(on).filter(org__in=branch_member_orgs(ctx.ids_sq))
    people = branch_roll(ctx.ids_sq, on)  # the roll the other providers of the evaluation read too
    member_sq = members_qs.order_by().values("pk")
    branch_of = {person.id: person.branch_id for person in people}
    since: dict[int, dt.date] = {}
    moves = MemberHistory.objects.filter(member__in=member_sq, field=HistoryField.ORG).values_list(
        "member_id", "effective_on", "old_org_id", "old_org__parent_id"
    )
    for member_id, day, old_id, old_parent in moves:
        branch = branch_of.get(member_id)
        if old_id is None or branch not in (old_id, old_parent):  # from outside the branch
            since[member_id] = max(day, since.get(member_id, day))
    reviewed = dict(
        OrgLifeReview.objects.filter(member__in=member_sq, reviewed_on__lte=on)
        .values("member_id")
        .annotate(through=Max("through_month"))
        .order_by()
        .values_list("member_id", "through")
    )
    kinds = MeetingKind.objects.filter(
        org__in=branch_member_orgs(ctx.ids_sq),
        type__in=sorted(types),
        date__gte=start,
        date__lte=on,
    )
    absent: dict[int, dict[int, str]] = defaultdict(dict)
    for meeting_id, member_id, kind in Absence.objects.filter(
        meeting_id__in=kinds.order_by().values("meeting_id")
    ).values_list("meeting_id", "member_id", "reason_kind"):
        absent[meeting_id][member_id] = kind
    by_meeting: dict[int, tuple[int, int, dt.date, set[str]]] = {}
    rows = kinds.order_by().values_list(  # each branch's records are sorted below
        "meeting_id", "org_id", "org__parent_id", "org__type", "type", "date"
    )
    for meeting_id, org_id, parent_id, org_type, kind, day in rows:
        branch = parent_id if org_type == OrgType.XIAOZU and parent_id is not None else org_id
        by_meeting.setdefault(meeting_id, (branch, org_id, day, set()))[3].add(kind)
    records: dict[int, list[LifeRecord]] = defaultdict(list)
    for meeting_id, (branch, org_id, day, kinds_of) in by_meeting.items():
        records[branch].append(
            LifeRecord(meeting_id, org_id, day, frozenset(kinds_of), absent.get(meeting_id, {}))
        )
    committee: dict[int, list[PostSpan]] = defaultdict(list)
    if any(ROSTER_OF_TYPE.get(t) == Roster.COMMITTEE for t in types):
        posts = (
            Post.objects.filter(
                org__in=ctx.ids_sq,
                org__type=OrgType.ZHIBU,
                title__in=sorted(COMMITTEE_TITLES),
                started_on__lte=on,
            )
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start))
            .order_by("org_id", "started_on", "id")
            .values_list("org_id", "member_id", "title", "started_on", "ended_on")
        )
        for org_id, *values in posts:
            committee[org_id].append(PostSpan(*values))
    members: dict[int, list[LifeMember]] = defaultdict(list)
    for person in people:
        pk = person.id
        members[branch_of[pk]].append(
            LifeMember(
                pk,
                person.name,
                person.org_id,
                person.joined_on,
                since.get(pk),
                person.is_leader,
                reviewed.get(pk),
            )
        )
    return {
        b.pk: LifeFacts(
            b.pk,
            start,
            tuple(members.get(b.pk, ())),
            tuple(sorted(records.get(b.pk, ()), key=lambda r: (r.date, r.meeting_id))),
            tuple(committee.get(b.pk, ())),
        )
        for b in branches
    }
