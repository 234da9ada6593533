"""Reads of 民主评议党员, set-based: each function runs a fixed number of queries whatever the number of
organisations, participants or ballots.

`results` is the one read of the 测评 tallies: nothing before the 测评 closes, and per person only from the
parameter's number of ballots (online votes plus paper ballots). No read here, or anywhere, groups ratings
by voter: the rows hold no voter (models)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from dangjian.accounts.scope import scope_for
from dangjian.core.pinyin import name_key
from dangjian.evaluations.choices import CLOSED_STEPS, PUBLISHED_STEPS, RATING_ORDER, Step
from dangjian.evaluations.models import Evaluation, Participant, Participation, RatingRow
from dangjian.evaluations.params import EvaluationParams, graded_of, load_params, voters_of
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org


def branches(user) -> list[Org]:
    """The active 党支部 the user administers (one query)."""
    return list(
        Org.objects.filter(scope_for(user).org_q(), type=OrgType.ZHIBU, dissolved_on__isnull=True).order_by(
            "path"
        )
    )


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


def participants(ev: Evaluation) -> list[Participant]:
    """The participants in name order (拼音序), with their members (one query)."""
    found = list(ev.participants.select_related("member"))
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
class Results:
    closed: bool  # the 测评 has ended: results may be shown
    ballots: int  # online votes + paper ballots
    online: int
    paper: int
    threshold: int
    rows: list[TallyRow] = field(default_factory=list)  # empty unless shown

    @property
    def shown(self) -> bool:
        return self.closed and self.ballots >= self.threshold


def results(
    ev: Evaluation, people: list[Participant] | None = None, params: EvaluationParams | None = None
) -> Results:
    """The 测评's results (three queries): the ballot count always; the per-person tallies (online ratings plus
    paper counts) only once the 测评 is closed and at least `min_ballots_for_tallies` ballots were cast."""
    params = params or load_params()
    people = people if people is not None else participants(ev)
    online = Participation.objects.filter(evaluation=ev).count()
    found = Results(
        closed=ev.step in CLOSED_STEPS,
        ballots=online + ev.paper_ballots,
        online=online,
        paper=ev.paper_ballots,
        threshold=params.min_ballots_for_tallies.value,
    )
    if not found.shown:
        return found
    online_counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(RATING_ORDER, 0))
    for subject_id, rating, n in (
        RatingRow.objects.filter(evaluation=ev)
        .values_list("subject_id", "rating")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        online_counts[subject_id][rating] = n
    graded = {p.pk for p in graded_of(people, params)}
    for p in people:
        paper = p.paper_counts()
        counts = {r: online_counts[p.pk][r] + paper[r] for r in RATING_ORDER}
        found.rows.append(TallyRow(p, counts, p.pk in graded))
    return found


def has_voted(ev: Evaluation, member_id: int) -> bool:
    return Participation.objects.filter(evaluation=ev, voter__member_id=member_id).exists()


def open_ballots(member_id: int, on: dt.date | None = None) -> list[Evaluation]:
    """The evaluations in their 测评 step in which the member receives a ballot and has not voted (one query):
    the member's home page says “请参加民主测评”."""
    params = load_params()
    found = Participant.objects.filter(member_id=member_id, evaluation__step=Step.VOTING).exclude(
        pk__in=Participation.objects.filter(voter__member_id=member_id).values("voter_id")
    )
    if not params.probationary_vote.value:
        found = found.filter(formal=True)
    return [p.evaluation for p in found.select_related("evaluation__org").order_by("evaluation__opened_on")]


@dataclass(frozen=True)
class OwnRow:
    evaluation: Evaluation
    participant: Participant
    has_ballot: bool
    voted: bool

    @property
    def may_vote(self) -> bool:
        return self.has_ballot and not self.voted and self.evaluation.step == Step.VOTING

    @property
    def grade_published(self) -> bool:
        return bool(self.participant.grade) and self.evaluation.step in PUBLISHED_STEPS


def own_evaluations(member_id: int) -> list[OwnRow]:
    """A member's evaluations, newest first, with whether they have a ballot and have voted (two queries)."""
    params = load_params()
    mine = list(
        Participant.objects.filter(member_id=member_id)
        .select_related("evaluation__org")
        .order_by("-evaluation__year", "-evaluation__opened_on")
    )
    voted = set(Participation.objects.filter(voter__in=mine).values_list("voter_id", flat=True))
    return [OwnRow(p.evaluation, p, bool(voters_of([p], params)), p.pk in voted) for p in mine]


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
