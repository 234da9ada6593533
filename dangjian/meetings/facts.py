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

from dangjian.compliance.facts import (
    FactContext,
    PostSpan,
    branch_member_orgs,
    branch_roll,
    register_facts,
    release,
    shared,
)
from dangjian.meetings.choices import ROSTER_OF_TYPE, Roster
from dangjian.meetings.models import Absence, MeetingKind, OrgLifeReview
from dangjian.members.choices import HistoryField
from dangjian.members.models import Member, MemberHistory
from dangjian.orgs.choices import COMMITTEE_TITLES, OrgType, PostTitle
from dangjian.orgs.models import Org, Post

NO_ONE: Mapping[int, str] = MappingProxyType({})  # a record without absentees
NOBODY: frozenset[int] = frozenset()  # the same: one shared empty set, not one per record

# --- the records the three providers read ---------------------------------------------------------------
#
# "meetings" (rules.py: every type of 1 January Y … D in the organisations and their children), "meeting_chairs"
# (the chaired types, in the branches and their 党小组) and "orglife" (the organizational-life types from
# 1 January Y−1, with the reasons of absence) read overlapping rows of the same table. In one build they share
# one scan of the records — sized to what every loaded provider needs — and one read of the absentees.

SCANNED = ("meetings", "meeting_chairs", "orglife")

# the columns of a meetings.rules.Record (one MeetingKind row with its attendance), in its order
RECORD_FIELDS = (
    "meeting_id",
    "org_id",
    "type",
    "date",
    "expected",
    "present",
    "expected_formal",
    "present_formal",
    "meeting__lecturer_id",
)
# the columns of ScopeRecords.rows, in this order: a Record's, then what the attendance providers read
SCAN_FIELDS = (*RECORD_FIELDS, "meeting__host_id", "org__parent_id", "org__type")


class ScanNeeds(NamedTuple):
    every_type: bool  # every type of Y in the organisations and their children ("meetings")
    chaired: frozenset[str]  # the chaired types, of Y, in the branches and their 党小组
    life: frozenset[str]  # the organizational-life types, from life_from, in the branches and their 党小组
    life_from: dt.date


@dataclass(frozen=True)
class ScopeRecords:
    rows: list[tuple]  # SCAN_FIELDS, in (date, meeting, type) order
    absent: Mapping[int, Mapping[int, str]]  # meeting → absentee → reason kind ("" when none recorded)
    org_names: Mapping[int, str]  # the organisations holding chaired records
    host_names: Mapping[int, str]  # the hosts of chaired records


def scan_needs(ctx: FactContext, me: str) -> ScanNeeds:
    """What the providers loaded with `me` need read (outside a build: `me` alone, for its rules)."""
    loading = set(ctx.loading) if ctx.loading else {me}

    def rules(name: str) -> tuple:
        return ctx.readers(name) if ctx.loading else (ctx.rules if name == me else ())

    branch, group = chaired_types(rules("meeting_chairs")) if "meeting_chairs" in loading else ((), ())
    life, back = life_needs(rules("orglife")) if "orglife" in loading else (frozenset(), False)
    return ScanNeeds(
        "meetings" in loading,
        frozenset(branch) | frozenset(group),
        life,
        dt.date(ctx.year - 1 if back else ctx.year, 1, 1),
    )


def scope_records(ctx: FactContext, me: str) -> ScopeRecords:
    """The records of the scope as every provider of the build needs them: one query for the records, one
    for their absentees and, when a chair rule reads them, one for the hosts' names (and one for the names of
    organisations holding chaired records outside the scope, which a scope with its 党小组 has none of)."""
    needs = scan_needs(ctx, me)
    return shared(("meeting-records", needs), lambda: _scan(ctx, needs))


SCAN_READERS = frozenset({"meetings", "meeting_chairs", "orglife"})


def release_records(ctx: FactContext, me: str) -> None:
    """Provider `me` has built its facts from the scan: the last of the build's readers drops it."""
    release(("meeting-records", scan_needs(ctx, me)), me, SCAN_READERS & set(ctx.loading or (me,)))


def _scan(ctx: FactContext, needs: ScanNeeds) -> ScopeRecords:
    start, end = dt.date(ctx.year, 1, 1), ctx.as_of
    chaired, life = needs.chaired, needs.life
    if not (needs.every_type or chaired or life):
        return ScopeRecords([], {}, {}, {})
    if needs.every_type:  # the organisations and their children: a branch's 党小组, a 党委's branches
        where = Org.objects.filter(Q(pk__in=ctx.ids_sq) | Q(parent__in=ctx.ids_sq)).values("pk")
        wanted = Q(date__gte=start, date__lte=end)
    else:
        where = branch_member_orgs(ctx.ids_sq)
        wanted = Q(type__in=sorted(chaired | life), date__gte=start, date__lte=end)
    if life and needs.life_from < start:
        wanted |= Q(type__in=sorted(life), date__gte=needs.life_from, date__lt=start)
    rows = list(
        MeetingKind.objects.filter(wanted, org__in=where)
        .order_by("date", "meeting_id", "type")
        .values_list(*SCAN_FIELDS)
        # in chunks (a server-side cursor on PostgreSQL): the driver never holds a city's 150,000 rows as one
        # result beside the tuples made of them (12 MB more at the build's peak, or not, as the allocator decided)
        .iterator(chunk_size=10000)
    )
    absent: dict[int, dict[int, str]] = defaultdict(dict)
    if chaired or life:
        of = Q()
        if chaired:
            of |= Q(type__in=sorted(chaired), date__gte=start, date__lte=end)
        if life:
            of |= Q(type__in=sorted(life), date__gte=needs.life_from, date__lte=end)
        meetings = MeetingKind.objects.filter(of, org__in=branch_member_orgs(ctx.ids_sq)).values("meeting_id")
        for meeting_id, member_id, kind in Absence.objects.filter(meeting_id__in=meetings).values_list(
            "meeting_id", "member_id", "reason_kind"
        ):
            absent[meeting_id][member_id] = kind
    org_names: dict[int, str] = {}
    host_names: dict[int, str] = {}
    if chaired:
        in_scope = {o.pk: o.name for o in ctx.orgs}
        holding = {row[1] for row in rows if row[2] in chaired}
        org_names = {pk: in_scope[pk] for pk in holding if pk in in_scope}
        if len(org_names) < len(holding):
            org_names.update(
                Org.objects.filter(pk__in=sorted(holding - org_names.keys())).values_list("pk", "name")
            )
        hosting = {row[9] for row in rows if row[9] is not None and row[2] in chaired}
        if hosting:  # a few thousand at most (mostly the branches' 书记): cheaper than a join on every row
            host_names = dict(Member.objects.filter(pk__in=sorted(hosting)).values_list("pk", "name"))
    return ScopeRecords(rows, dict(absent), org_names, host_names)


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
    scan = scope_records(ctx, "meeting_chairs")
    own: dict[int, list[ChairedRecord]] = defaultdict(list)
    groups: dict[int, list[ChairedRecord]] = defaultdict(list)
    zhibu, xiaozu, absent = OrgType.ZHIBU, OrgType.XIAOZU, scan.absent
    names, hosts = scan.org_names, scan.host_names
    for row in scan.rows:  # in (date, meeting, type) order: each branch's lists stay in that order
        day = row[3]
        if day < start:
            continue
        org_type, kind = row[11], row[2]
        if org_type == zhibu and kind in branch_types:
            target = own[row[1]]
        elif org_type == xiaozu and kind in group_types and row[10] is not None:
            target = groups[row[10]]
        else:
            continue
        host_id = row[9]
        target.append(
            ChairedRecord(
                row[0],
                row[1],
                names.get(row[1], ""),
                kind,
                day,
                host_id,
                hosts.get(host_id, "") if host_id is not None else "",
                frozenset(absent[row[0]]) if row[0] in absent else NOBODY,
            )
        )
    release_records(ctx, "meeting_chairs")
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
    return {
        org.pk: ChairFacts(
            tuple(own.get(org.pk, ())),
            tuple(groups.get(org.pk, ())),
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
    members: tuple[LifeMember, ...] = ()  # in the roll's order: pinyin key of the name, name, id
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
    scan = scope_records(ctx, "orglife")
    zhibu, xiaozu, absent = OrgType.ZHIBU, OrgType.XIAOZU, scan.absent
    records: dict[int, list[LifeRecord]] = defaultdict(list)
    # a record's types are one of a few combinations: each combination is one shared frozenset (a city's records
    # would otherwise hold 90,000 sets of 216 bytes each)
    shared_types: dict[frozenset[str], frozenset[str]] = {}

    def add(branch: int, meeting_id: int, org_id: int, day: dt.date, kinds_of: list[str]) -> None:
        kinds = frozenset(kinds_of)
        records[branch].append(
            LifeRecord(
                meeting_id, org_id, day, shared_types.setdefault(kinds, kinds), absent.get(meeting_id, NO_ONE)
            )
        )

    # The rows of one meeting are adjacent (the scan is in (date, meeting, type) order): each meeting's types are
    # gathered as its rows pass, without a table of every meeting's set (24 MB at the peak of a city's build).
    meeting: tuple[int, int, int, dt.date] | None = None  # (branch, meeting, organisation, day) gathered now
    kinds_of: list[str] = []
    for row in scan.rows:
        kind, org_type = row[2], row[11]
        if kind not in types or row[3] < start:
            continue
        if meeting is not None and meeting[1] == row[0]:
            kinds_of.append(kind)
            continue
        if org_type == xiaozu and row[10] is not None:
            branch = row[10]
        elif org_type == zhibu:
            branch = row[1]
        else:
            continue
        if meeting is not None:
            add(*meeting, kinds_of)
        meeting, kinds_of = (branch, row[0], row[1], row[3]), [kind]
    if meeting is not None:
        add(*meeting, kinds_of)
    del scan  # the scan's last reference but the build's (dropped by the last reader): the roll is built next
    release_records(ctx, "orglife")
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
            tuple(records.get(b.pk, ())),
            tuple(committee.get(b.pk, ())),
        )
        for b in branches
    }
