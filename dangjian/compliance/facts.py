"""Facts for the checks, built set-based: a fixed number of queries for the whole scope, whatever the
number of organisations. The checks read only these dataclasses (no ORM), so they can be tested on
hand-built facts.

Queries (always the same six): the organisations; the MeetingKind rows of the year for the organisations
and their children (a branch's 党小组); the 党课 given anywhere by holders of the posts named by
`anywhere` lecture rules; the posts of the organisations overlapping the year; member counts per
organisation on D; the moves between organisations dated after D (undone, as in meetings.roster).

Member counts: a member counts from 入党日期, as 正式党员 from 转正日期 (Member.category is only the
current category). Members sit in 党支部 and 党小组 only, so a branch's count is its own plus its
党小组's; higher organisations get no member count (no rule needs one).

党费 facts (`dues=True`, the default) add six more queries, whatever the number of organisations: the
members of the scope's 党支部 (with their 党小组) who joined by D; their regular (non-extra) payments
overlapping January of Y-1 … D; their declared bases from the year of the earliest such payment; their
approved reliefs; the branches' 集中交纳日; and each member's latest reviewed month (ArrearsReview dated by
D). A member counts in the branch holding them now (moves are not undone for 党费). The checks compute the
ledger from these in Python (checks/dues.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from django.db.models import Count, Max, Q, QuerySet

from dangjian.dues import snapshots
from dangjian.dues.kernel import BaseRow, PaymentRow, ReliefRow, month_index
from dangjian.dues.ledger import ledger_rows
from dangjian.dues.models import ArrearsReview, CollectionDay, LedgerSnapshot
from dangjian.meetings.models import MeetingKind
from dangjian.members.choices import HistoryField
from dangjian.members.models import Member, MemberHistory, on_roll_q
from dangjian.orgs.choices import COMMITTEE_TITLES, OrgType
from dangjian.orgs.models import Org, Post


@dataclass(frozen=True)
class OrgRef:
    id: int
    code: str
    name: str
    type: str
    path: str
    unit: str


class Record(NamedTuple):
    """One type a meeting counts as (a MeetingKind row), with its attendance."""

    meeting_id: int
    org_id: int
    type: str
    date: dt.date
    expected: int = 0
    present: int = 0
    expected_formal: int = 0
    present_formal: int = 0
    lecturer_id: int | None = None


class PostSpan(NamedTuple):
    member_id: int
    title: str
    started_on: dt.date
    ended_on: dt.date | None = None

    def held_on(self, day: dt.date) -> bool:
        """Held from 任职日期 up to the day before 离任日期 (as Post.objects.current)."""
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)


# the 党费 rows are dues.kernel's (one ledger implementation for the pages and the rules)
DuesBaseRow = BaseRow
DuesReliefRow = ReliefRow
DuesPaymentRow = PaymentRow


class DuesMember(NamedTuple):
    id: int
    name: str
    joined_on: dt.date
    bases: tuple[DuesBaseRow, ...] = ()  # ordered by effective_month
    reliefs: tuple[DuesReliefRow, ...] = ()
    payments: tuple[DuesPaymentRow, ...] = ()
    reviewed_through: dt.date | None = None  # the latest through_month of a review dated by D
    codes: str | None = None  # the ledger snapshot's status codes (dues.kernel.month_codes), when current
    codes_start: int = 0  # month index of codes[0]


@dataclass(frozen=True)
class DuesFacts:
    """党费 of a 党支部: its members (with its 党小组) on the roll on D, and its 集中交纳日."""

    collection_day: int | None = None  # 1–28; None: the month's last day
    members: tuple[DuesMember, ...] = ()
    # derived ledgers computed once and shared by the DUES-* checks (checks.dues.month_codes)
    memo: dict = field(default_factory=dict, compare=False, repr=False, hash=False)


@dataclass(frozen=True)
class OrgFacts:
    ref: OrgRef
    founded_on: dt.date | None = None
    dissolved_on: dt.date | None = None
    term_start: dt.date | None = None
    term_years: int | None = None
    term_end: dt.date | None = None
    records: tuple[Record, ...] = ()  # recorded in the organisation itself
    child_records: tuple[Record, ...] = ()  # recorded in its children (a branch's 党小组)
    anywhere_records: tuple[Record, ...] = ()  # lectures anywhere by holders of its posts (see LectureNeeds)
    posts: tuple[PostSpan, ...] = ()
    members: int = 0  # on D, 正式 and 预备, including the 党小组 of a branch
    formal_members: int = 0  # on D, 正式党员 only
    dues: DuesFacts | None = None  # 党支部 only (None when not built)
    # facts of the extra providers the ruleset needs (register_facts): provider name → this org's value
    # (None when the provider has nothing for the organisation)
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


# --- extra fact providers ------------------------------------------------------------------------------
#
# A later domain (the development pipeline, member movements, training …) adds facts for its checks
# without touching this module: it registers a loader, and its check kinds name the loader in
# `register(..., facts=("name",))`. The evaluator calls only the loaders its ruleset needs. A loader gets
# (organisation ids subquery, the organisations in path order, year Y, D) and returns {org id: value}
# with a fixed number of queries whatever the number of organisations.

FactLoader = Callable[[QuerySet, list, int, dt.date], Mapping[int, Any]]
EXTRA_FACTS: dict[str, FactLoader] = {}


def register_facts(name: str) -> Callable[[FactLoader], FactLoader]:
    def decorate(loader: FactLoader) -> FactLoader:
        if name in EXTRA_FACTS and EXTRA_FACTS[name] is not loader:
            raise RuntimeError(f"fact provider {name!r} registered twice")
        EXTRA_FACTS[name] = loader
        return loader

    return decorate


def holders(posts: Iterable[PostSpan], title: str, on: dt.date) -> set[int]:
    return {p.member_id for p in posts if p.title == title and p.held_on(on)}


def committee_size(posts: Iterable[PostSpan], on: dt.date) -> int:
    """Committee posts held on `on` (distinct post rows); a branch has a committee from three."""
    return sum(1 for p in posts if p.title in COMMITTEE_TITLES and p.held_on(on))


@dataclass(frozen=True)
class LectureNeeds:
    """Lectures to fetch wherever they were recorded: by holders of `titles` in organisations of
    `org_types` (the union over the rules whose records_in says "anywhere")."""

    meeting_types: frozenset[str] = frozenset()
    titles: frozenset[str] = frozenset()
    org_types: frozenset[str] = frozenset()


@dataclass
class _Scope:
    orgs: list[Org]
    ids: set[int] = field(default_factory=set)
    ids_sq: QuerySet | None = None  # subquery: the organisations' ids
    ext_sq: QuerySet | None = None  # subquery: the organisations and their children


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


ORG_FIELDS = (
    "id",
    "code",
    "name",
    "type",
    "path",
    "unit",
    "parent_id",
    "founded_on",
    "dissolved_on",
    "term_started_on",
    "term_years",
)


def _scope(orgs) -> _Scope:
    if not isinstance(orgs, QuerySet) or orgs.query.is_sliced:
        orgs = Org.objects.filter(pk__in=[o.pk for o in orgs])
    rows = list(orgs.order_by("path").only(*ORG_FIELDS))
    ids_sq = orgs.order_by().values("pk")
    ext_sq = Org.objects.filter(Q(pk__in=ids_sq) | Q(parent__in=ids_sq)).values("pk")
    return _Scope(rows, {o.pk for o in rows}, ids_sq, ext_sq)


def _records(scope: _Scope, start: dt.date, end: dt.date) -> tuple[dict, dict]:
    """MeetingKind rows of [start, end] by organisation: (own records, records of the children)."""
    own: dict[int, list[Record]] = defaultdict(list)
    children: dict[int, list[Record]] = defaultdict(list)
    rows = (
        MeetingKind.objects.filter(org__in=scope.ext_sq, date__gte=start, date__lte=end)
        .order_by("date", "meeting_id", "type")
        .values_list(*RECORD_FIELDS, "org__parent_id")
    )
    for *values, parent_id in rows:
        record = Record(*values)
        own[record.org_id].append(record)
        if parent_id in scope.ids:
            children[parent_id].append(record)
    return own, children


def _posts(scope: _Scope, start: dt.date, end: dt.date) -> dict[int, list[PostSpan]]:
    posts: dict[int, list[PostSpan]] = defaultdict(list)
    rows = (
        Post.objects.filter(org__in=scope.ids_sq, started_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start))
        .order_by("org_id", "started_on", "id")
        .values_list("org_id", "member_id", "title", "started_on", "ended_on")
    )
    for org_id, *values in rows:
        posts[org_id].append(PostSpan(*values))
    return posts


def _anywhere_lectures(
    scope: _Scope, needs: LectureNeeds, start: dt.date, end: dt.date
) -> dict[int, list[Record]]:
    """Lectures given (anywhere) by the holders of the needed posts, by lecturer."""
    lecturers = Post.objects.filter(
        org__in=scope.ids_sq,
        org__type__in=sorted(needs.org_types),
        title__in=sorted(needs.titles),
        started_on__lte=end,
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start))
    rows = (
        MeetingKind.objects.filter(
            type__in=sorted(needs.meeting_types),
            date__gte=start,
            date__lte=end,
            meeting__lecturer_id__in=lecturers.values("member_id"),
        )
        .order_by("date", "meeting_id", "type")
        .values_list(*RECORD_FIELDS)
    )
    by_lecturer: dict[int, list[Record]] = defaultdict(list)
    for values in rows:
        record = Record(*values)
        by_lecturer[record.lecturer_id].append(record)
    return by_lecturer


def _member_counts(scope: _Scope, on: dt.date) -> tuple[dict[int, int], dict[int, int]]:
    """(members, 正式党员) on `on` per 党支部 (with its 党小组) and per 党小组, from per-org counts."""
    direct: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    branch_of: dict[int, int] = {}  # 党小组 → its branch
    rows = (
        Member.objects.on_roll(on)
        .filter(org__in=scope.ext_sq)
        .values("org_id", "org__type", "org__parent_id")
        .annotate(total=Count("id"), formal=Count("id", filter=Q(confirmed_on__lte=on)))
        .order_by()
    )
    for row in rows:
        direct[row["org_id"]] = [row["total"], row["formal"]]
        if row["org__type"] == OrgType.XIAOZU:
            branch_of[row["org_id"]] = row["org__parent_id"]
    _undo_moves(scope, on, direct, branch_of)
    members: dict[int, int] = defaultdict(int)
    formal: dict[int, int] = defaultdict(int)
    for org_id, (total, formal_count) in direct.items():
        for target in (org_id, branch_of.get(org_id)):
            if target is not None:
                members[target] += total
                formal[target] += formal_count
    return members, formal


def _undo_moves(scope: _Scope, on: dt.date, direct: dict, branch_of: dict) -> None:
    """A member moved after `on` counts where they were on `on` (the earliest later move's origin)."""
    rows = (
        MemberHistory.objects.filter(on_roll_q(on, "member__"), field=HistoryField.ORG, effective_on__gt=on)
        .filter(Q(old_org__in=scope.ext_sq) | Q(member__org__in=scope.ext_sq))
        .order_by("member_id", "-effective_on", "-id")
        .values_list(
            "member_id",
            "old_org_id",
            "old_org__type",
            "old_org__parent_id",
            "member__org_id",
            "member__org__type",
            "member__org__parent_id",
            "member__confirmed_on",
        )
    )
    then: dict[int, tuple] = {}
    now: dict[int, tuple] = {}
    for member_id, old_id, old_type, old_parent, cur_id, cur_type, cur_parent, confirmed_on in rows:
        now[member_id] = (cur_id, cur_type, cur_parent, confirmed_on)
        if old_id is not None:  # rows come latest first: the last one seen is the earliest move
            then[member_id] = (old_id, old_type, old_parent)
    for member_id, (old_id, old_type, old_parent) in then.items():
        cur_id, cur_type, cur_parent, confirmed_on = now[member_id]
        if old_id == cur_id:
            continue
        is_formal = int(confirmed_on is not None and confirmed_on <= on)
        for org_id, org_type, parent_id, sign in (
            (cur_id, cur_type, cur_parent, -1),
            (old_id, old_type, old_parent, +1),
        ):
            if org_id not in scope.ids and parent_id not in scope.ids:
                continue  # outside the organisations and their children: never counted
            counts = direct[org_id]
            counts[0] += sign
            counts[1] += sign * is_formal
            if org_type == OrgType.XIAOZU:
                branch_of[org_id] = parent_id


def _dues(scope: _Scope, year: int, on: dt.date) -> dict[int, DuesFacts]:
    """党费 facts per 党支部 of the scope (seven queries): the members on the roll with their current ledger
    snapshot (dues.snapshots) and, for the members without one, the rows their ledger is computed from."""
    branch_sq = Org.objects.filter(pk__in=scope.ids_sq, type=OrgType.ZHIBU).values("pk")
    members_qs = Member.objects.on_roll(on).filter(
        Q(org__in=branch_sq) | Q(org__parent__in=branch_sq, org__type=OrgType.XIAOZU)
    )
    people = list(
        members_qs.order_by("name", "id").values_list(
            "id", "name", "joined_on", "org_id", "org__type", "org__parent_id"
        )
    )
    member_sq = members_qs.order_by().values("pk")
    first, last = month_index(dt.date(year - 1, 1, 1)), month_index(on)
    valid = LedgerSnapshot.objects.filter(
        fingerprint=snapshots.fingerprint(), start__lte=first, end__gte=last
    )
    snaps = {
        member_id: (start, codes)
        for member_id, start, codes in valid.filter(member__in=member_sq).values_list(
            "member_id", "start", "codes"
        )
    }
    unsnapped = members_qs.exclude(pk__in=valid.values("member_id")).order_by().values("pk")
    payments, bases, reliefs = ledger_rows(unsnapped, first, last)
    days = dict(CollectionDay.objects.filter(org__in=branch_sq).values_list("org_id", "day"))
    reviewed = dict(
        ArrearsReview.objects.filter(member__in=member_sq, reviewed_on__lte=on)
        .values("member_id")
        .annotate(through=Max("through_month"))
        .order_by()
        .values_list("member_id", "through")
    )
    by_branch: dict[int, list[DuesMember]] = defaultdict(list)
    for member_id, name, joined_on, org_id, org_type, parent_id in people:
        branch = parent_id if org_type == OrgType.XIAOZU else org_id  # a 党小组's member: its branch
        snap = snaps.get(member_id)
        by_branch[branch].append(
            DuesMember(
                member_id,
                name,
                joined_on,
                tuple(bases.get(member_id, ())),
                tuple(reliefs.get(member_id, ())),
                tuple(payments.get(member_id, ())),
                reviewed.get(member_id),
                snap[1] if snap else None,
                snap[0] if snap else 0,
            )
        )
    return {
        o.pk: DuesFacts(days.get(o.pk), tuple(by_branch.get(o.pk, ())))
        for o in scope.orgs
        if o.type == OrgType.ZHIBU
    }


def build_facts(
    orgs,
    *,
    year: int,
    as_of: dt.date,
    lectures: LectureNeeds | None = None,
    dues: bool = True,
    extra: Iterable[str] = (),
) -> list[OrgFacts]:
    """Facts for every organisation of `orgs` (a queryset, already scoped by the caller), in path order,
    for year Y as of D (D clamped into the year). `dues=False` skips the six 党费 queries; `extra` names the
    registered extra fact providers to load (unknown names are a KeyError)."""
    lectures = lectures or LectureNeeds()
    start = dt.date(year, 1, 1)
    scope = _scope(orgs)
    own, children = _records(scope, start, as_of)
    anywhere = _anywhere_lectures(scope, lectures, start, as_of)
    posts = _posts(scope, start, as_of)
    members, formal = _member_counts(scope, as_of)
    dues_facts = _dues(scope, year, as_of) if dues else {}
    loaded = {name: EXTRA_FACTS[name](scope.ids_sq, scope.orgs, year, as_of) for name in sorted(set(extra))}
    facts = []
    for org in scope.orgs:
        org_posts = tuple(posts.get(org.pk, ()))
        facts.append(
            OrgFacts(
                ref=OrgRef(org.pk, org.code, org.name, org.type, org.path, org.unit),
                founded_on=org.founded_on,
                dissolved_on=org.dissolved_on,
                term_start=org.term_start,
                term_years=org.effective_term_years,
                term_end=org.term_end,
                records=tuple(own.get(org.pk, ())),
                child_records=tuple(children.get(org.pk, ())),
                anywhere_records=_lectures_of(org, org_posts, lectures, anywhere),
                posts=org_posts,
                members=members.get(org.pk, 0),
                formal_members=formal.get(org.pk, 0),
                dues=dues_facts.get(org.pk),
                extra=MappingProxyType({name: values.get(org.pk) for name, values in loaded.items()}),
            )
        )
    return facts


def _lectures_of(
    org: Org, posts: tuple[PostSpan, ...], needs: LectureNeeds, by_lecturer: dict[int, list[Record]]
) -> tuple[Record, ...]:
    if org.type not in needs.org_types:
        return ()
    lecturers = {p.member_id for p in posts if p.title in needs.titles}
    found = {r for lecturer in lecturers for r in by_lecturer.get(lecturer, ())}
    return tuple(sorted(found, key=lambda r: (r.date, r.meeting_id, r.type)))
