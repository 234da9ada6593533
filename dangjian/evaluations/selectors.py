"""Reads of 民主评议党员, set-based: each function runs a fixed number of queries whatever the number of
organisations, participants or ballots.

`results` is the one read of the 测评 tallies: nothing before the 测评 closes, and per person only from the
parameter's number of ballots (online votes plus paper ballots) — counted per 党小组 when the 测评 was held per
group. No read here, or anywhere, groups ratings by voter: the counters hold no voter (models)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, QuerySet

from dangjian.accounts.scope import scope_for
from dangjian.core.pinyin import name_key
from dangjian.evaluations.choices import CLOSED_STEPS, PUBLISHED_STEPS, RATING_ORDER, Step
from dangjian.evaluations.departures import has_left
from dangjian.evaluations.models import Evaluation, Participant, Participation, Tally
from dangjian.evaluations.params import EvaluationParams, graded_of, load_params, voters_of
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org


def _branches(user):
    return Org.objects.filter(scope_for(user).org_q(), type=OrgType.ZHIBU, dissolved_on__isnull=True)


def branches(user, within: Org | None = None, limit: int | None = None) -> list[Org]:
    """The active 党支部 the user administers (those under `within`; the first `limit`), in tree order (one
    query)."""
    qs = _branches(user)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    qs = qs.order_by("path")
    return list(qs[:limit] if limit is not None else qs)


def branch(user, pk: str) -> Org | None:
    """The active 党支部 the user administers whose primary key is `pk` (a string from a form), else None."""
    return _branches(user).filter(pk=int(pk)).first() if pk.isascii() and pk.isdigit() else None


def parents(user) -> list[Org]:
    """The active 党委 and 党总支 the user administers, which may open 民主评议 for all their branches at once
    (one query)."""
    return list(
        Org.objects.filter(
            scope_for(user).org_q(),
            type__in=[OrgType.DANGWEI, OrgType.ZONGZHI],
            dissolved_on__isnull=True,
        ).order_by("path")
    )


def has_groups(org: Org) -> bool:
    """Whether a 党支部 has an active 党小组 (one query): the opening page then offers 按党小组测评."""
    return Org.objects.filter(parent=org, type=OrgType.XIAOZU, dissolved_on__isnull=True).exists()


def participants(ev: Evaluation) -> list[Participant]:
    """The participants in name order (拼音序), with their members, the members' organisations now (whether they
    have left the branch: `departures`) and their 党小组 (one query)."""
    found = list(ev.participants.select_related("member__org", "group"))
    return sorted(found, key=lambda p: (p.member.name_pinyin or name_key(p.member.name), p.member.name, p.pk))


@dataclass
class TallyRow:
    participant: Participant
    counts: dict[str, int]  # rating → online + paper
    graded: bool  # receives a grade (正式党员; 预备党员 when the parameter says so)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def ordered(self) -> list[int]:
        return [self.counts[r] for r in RATING_ORDER]


@dataclass
class GroupResults:
    """The tallies of one group of the 测评: the whole branch, or one 党小组 (`group`; None with `by_group`: the
    participants directly in the branch) when the 测评 was held per group."""

    group: Org | None
    closed: bool
    online: int  # ballots cast online by the group's voters
    paper: int  # paper ballots (per group: the most any of its members received, see `results`)
    threshold: int
    size: int = 0  # participants
    rows: list[TallyRow] = field(default_factory=list)  # empty unless shown

    @property
    def ballots(self) -> int:
        return self.online + self.paper

    @property
    def shown(self) -> bool:
        return self.closed and self.ballots >= self.threshold


@dataclass
class Results:
    closed: bool  # the 测评 has ended: results may be shown
    ballots: int  # online votes + paper ballots
    online: int
    paper: int
    threshold: int
    by_group: bool = False
    groups: list[GroupResults] = field(default_factory=list)

    @property
    def rows(self) -> list[TallyRow]:
        """The per-person tallies shown: those of the groups with enough ballots."""
        return [row for g in self.groups for row in g.rows]

    @property
    def shown(self) -> bool:
        """Some per-person tallies are shown (all of them unless the 测评 was held per group)."""
        return any(g.shown for g in self.groups)

    def tallies(self) -> dict[int, list[int]]:
        """Participant id → the counts in rating order, for the participants whose tallies are shown."""
        return {row.participant.pk: row.ordered for row in self.rows}


def results(
    ev: Evaluation, people: list[Participant] | None = None, params: EvaluationParams | None = None
) -> Results:
    """The 测评's results (one query, two when tallies are shown; the participants' read when not given): the
    ballot count always; the per-person tallies (online counters plus paper counts) only once the 测评 is closed
    and at least `min_ballots_for_tallies` ballots were cast — in each 党小组 when the 测评 was held per group (a
    group below the threshold shows its total only). A group's paper ballots are not entered apart: they are taken as the
    most any of its members received on paper (a paper ballot rates each member of its group but its voter), a
    count that errs low, so a group is never shown on a guess. The branch's paper ballots count towards the threshold
    the same way, never above the number typed: ballots typed without their ratings cannot lift a few online votes
    past the threshold and show them alone (2 online votes and "3 paper ballots" left blank would reveal how those 2
    rated)."""
    params = params or load_params()
    people = people if people is not None else participants(ev)
    closed = ev.step in CLOSED_STEPS
    threshold = params.min_ballots_for_tallies.value
    online_by: dict[int | None, int] = defaultdict(int)
    for group_id, n in (
        Participation.objects.filter(evaluation=ev)
        .values_list("voter__group_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        online_by[group_id if ev.by_group else None] += n
    online = sum(online_by.values())
    found = Results(
        closed=closed,
        ballots=online + ev.paper_ballots,
        online=online,
        paper=ev.paper_ballots,
        threshold=threshold,
        by_group=ev.by_group,
    )
    members: dict[int | None, list[Participant]] = defaultdict(list)
    for p in people:
        members[p.group_id if ev.by_group else None].append(p)
    order = sorted(members, key=lambda g: (g is not None, _group_path(members[g][0]) if g else ""))
    for key in order:
        group = members[key]
        received = max(sum(p.paper_counts().values()) for p in group)
        paper = received if ev.by_group else min(ev.paper_ballots, received)
        found.groups.append(
            GroupResults(
                group=group[0].group if key is not None else None,
                closed=closed,
                online=online_by.get(key, 0),
                paper=paper,
                threshold=threshold,
                size=len(group),
            )
        )
    if not found.shown:
        return found
    counted: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(RATING_ORDER, 0))
    for subject_id, rating, n in Tally.objects.filter(evaluation=ev).values_list(
        "subject_id", "rating", "online"
    ):
        counted[subject_id][rating] = n
    graded = {p.pk for p in graded_of(people, params)}
    for key, g in zip(order, found.groups, strict=True):
        if not g.shown:
            continue
        for p in members[key]:
            on_paper = p.paper_counts()
            counts = {r: counted[p.pk][r] + on_paper[r] for r in RATING_ORDER}
            g.rows.append(TallyRow(p, counts, p.pk in graded))
    return found


def _group_path(p: Participant) -> str:
    return p.group.path if p.group_id and p.group else ""


def has_voted(ev: Evaluation, member_id: int) -> bool:
    return Participation.objects.filter(evaluation=ev, voter__member_id=member_id).exists()


def open_for_member(member_id: int) -> tuple[list[Evaluation], list[Participant]]:
    """What the member's home page offers of the evaluations, in one query: the evaluations in their 测评 step in
    which the member receives a ballot and has not voted (“请参加民主测评”), and the member's participations in
    evaluations at their 个人自评 step (the form), each in the order the evaluations were opened — none of a branch
    the member has left since (`departures`: nothing more is asked of them there)."""
    params = load_params()
    today = dt.date.today()
    rows = (
        Participant.objects.filter(member_id=member_id, evaluation__step__in=(Step.VOTING, Step.SELF))
        .annotate(voted=Exists(Participation.objects.filter(voter_id=OuterRef("pk"))))
        .select_related("evaluation__org", "member__org")
        .order_by("evaluation__opened_on", "pk")
    )
    ballots: list[Evaluation] = []
    selfs: list[Participant] = []
    for p in rows:
        if has_left(p.member, p.evaluation.org.path, today):
            continue
        if p.evaluation.step == Step.SELF:
            selfs.append(p)
        elif not p.voted and (p.formal or params.probationary_vote.value):
            ballots.append(p.evaluation)
    return ballots, selfs


@dataclass(frozen=True)
class OwnRow:
    evaluation: Evaluation
    participant: Participant
    has_ballot: bool
    voted: bool
    graded: bool = True  # the 组织评定 gives them a grade (a 预备党员 none, unless the parameter says so)
    left: bool = False  # the member has left the branch of an evaluation not completed: nothing more is asked

    @property
    def may_vote(self) -> bool:
        return self.has_ballot and not self.voted and self.evaluation.step == Step.VOTING and not self.left

    @property
    def may_write_self(self) -> bool:
        """The member may write their 个人自评 online: during the 个人自评 step, while in the branch."""
        return self.evaluation.step == Step.SELF and not self.left

    @property
    def grade_published(self) -> bool:
        return bool(self.participant.grade) and self.evaluation.step in PUBLISHED_STEPS


def own_evaluations(member_id: int) -> list[OwnRow]:
    """A member's evaluations, newest first, with whether they have a ballot and have voted, and whether they have
    left the branch of one not completed (two queries)."""
    params = load_params()
    today = dt.date.today()
    mine = list(
        Participant.objects.filter(member_id=member_id)
        .select_related("evaluation__org", "member__org")
        .order_by("-evaluation__year", "-evaluation__opened_on")
    )
    voted = set(Participation.objects.filter(voter__in=mine).values_list("voter_id", flat=True))
    return [
        OwnRow(
            p.evaluation,
            p,
            bool(voters_of([p], params)),
            p.pk in voted,
            bool(graded_of([p], params)),
            p.evaluation.step != Step.DONE and has_left(p.member, p.evaluation.org.path, today),
        )
        for p in mine
    ]


@dataclass
class StatusRow:
    org: Org
    evaluation: Evaluation | None
    participants: int = 0
    voters: int = 0
    voted: int = 0
    graded: int = 0
    excellent: int = 0

    def as_json(self) -> dict:
        ev = self.evaluation
        return {
            "org": self.org.code,
            "name": self.org.name,
            "evaluation": ev.pk if ev else None,
            "step": ev.step if ev else None,
            "opened_on": ev.opened_on.isoformat() if ev else None,
            "participants": self.participants,
            "voters": self.voters,
            "voted": self.voted,
            "paper_ballots": ev.paper_ballots if ev else 0,
            "graded": self.graded,
            "excellent": self.excellent,
            "completed_on": ev.completed_on.isoformat() if ev and ev.completed_on else None,
        }


def status(orgs: QuerySet[Org], year: int) -> list[StatusRow]:
    """Every active 党支部 of `orgs` with its evaluation of `year` (or none) and the numbers of participants,
    voters, votes cast, grades and 优秀 (four queries)."""
    params = load_params()
    branches = list(orgs.filter(type=OrgType.ZHIBU, dissolved_on__isnull=True).order_by("path"))
    evs = {
        e.org_id: e
        for e in Evaluation.objects.filter(org__in=[b.pk for b in branches], year=year).select_related("org")
    }
    people: dict[int, list[Participant]] = defaultdict(list)
    for p in Participant.objects.filter(evaluation__in=list(evs.values())).only(
        "id", "evaluation_id", "formal", "grade"
    ):
        people[p.evaluation_id].append(p)
    voted = dict(
        Participation.objects.filter(evaluation__in=list(evs.values()))
        .values_list("evaluation_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = []
    for b in branches:
        ev = evs.get(b.pk)
        row = StatusRow(b, ev)
        if ev is not None:
            ps = people[ev.pk]
            row.participants = len(ps)
            row.voters = len(voters_of(ps, params))
            row.voted = voted.get(ev.pk, 0)
            row.graded = sum(1 for p in ps if p.grade)
            row.excellent = sum(1 for p in ps if p.grade == "excellent")
        rows.append(row)
    return rows
