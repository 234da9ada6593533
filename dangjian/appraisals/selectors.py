"""Reads of 述职评议, set-based: each function runs a fixed number of queries whatever the number of
organisations, subjects, participants or ballots.

`results` is the one read of the 测评 figures: nothing before the campaign closes, and per secretary only from
the parameter's number of ballots (online votes plus paper ballots). The counters hold totals only (models):
there is nothing per voter to read."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from dangjian.accounts.scope import scope_for
from dangjian.appraisals.choices import RATING_ORDER, State
from dangjian.appraisals.models import Campaign, CampaignItem, Participation, Subject, Tally
from dangjian.appraisals.params import AppraisalParams, load_params, round2
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org


def owners(user) -> list[Org]:
    """The active 工委 and 党委 the user administers, which may hold a 述职评议 (one query)."""
    return list(
        Org.objects.filter(
            scope_for(user).org_q(), type__in=[OrgType.GONGWEI, OrgType.DANGWEI], dissolved_on__isnull=True
        ).order_by("path")
    )


def subjects_visible_to(user) -> QuerySet[Subject]:
    """Subjects of the campaigns the user's scope owns, and those of the organisations it administers (an
    organisation's administrator uploads its secretary's report)."""
    scope = scope_for(user)
    return Subject.objects.filter(scope.org_q("campaign__owner__") | scope.org_q("org__"))


def subjects(c: Campaign) -> list[Subject]:
    """The subjects in the order of the organisations, with their secretaries (one query)."""
    return list(c.subjects.select_related("org", "secretary").order_by("org__path"))


@dataclass
class ItemFigures:
    item: CampaignItem
    counts: dict[str, int]  # rating → online + paper

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def ordered(self) -> list[int]:
        return [self.counts[r] for r in RATING_ORDER]


def plain(value: Decimal) -> str:
    """A weight as a person writes it: 2, 1.5, 0.25 (not 2.00 or 1E+1)."""
    return format(value.normalize(), "f")


@dataclass
class Score:
    """The 综合 score and its arithmetic: Σ weight × mean points over the items rated ÷ Σ of their weights."""

    value: Decimal | None
    terms: list[tuple[str, Decimal, Decimal]]  # (item, weight, mean points) of the items rated
    weights: Decimal

    @property
    def explained(self) -> str:
        if self.value is None:
            return ""
        top = " + ".join(f"{plain(w)}×{m}" for _n, w, m in self.terms)
        return f"({top}) ÷ {plain(self.weights)} = {self.value}"


def score(figures: list[ItemFigures], params: AppraisalParams) -> Score:
    """The 综合 score of one secretary: each rated item's mean points (rounded to two decimals for showing, the
    sum computed exactly), weighted; items without a rating are left out, and with none the score is None."""
    terms, exact, weights = [], Decimal(0), Decimal(0)
    for f in figures:
        if f.total == 0:
            continue
        points = sum((Decimal(params.points.of(r)) * n for r, n in f.counts.items()), Decimal(0))
        mean = points / Decimal(f.total)
        terms.append((f.item.name, f.item.weight, round2(mean)))
        exact += f.item.weight * mean
        weights += f.item.weight
    if weights == 0:
        return Score(None, [], Decimal(0))
    return Score(round2(exact / weights), terms, weights)


@dataclass
class SubjectResult:
    subject: Subject
    items: list[ItemFigures]
    score: Score


@dataclass
class Results:
    closed: bool  # the campaign has closed: results may be shown
    ballots: int  # online votes + paper ballots
    online: int
    paper: int
    threshold: int
    rows: list[SubjectResult] = field(default_factory=list)  # empty unless shown
    # the paper ballots as the threshold counts them: the most ratings any secretary received on paper for one item,
    # never more than typed (see `results`); None until the ratings are read
    paper_counted: int | None = None

    @property
    def shown(self) -> bool:
        paper = self.paper if self.paper_counted is None else self.paper_counted
        return self.closed and self.online + paper >= self.threshold


def results(
    c: Campaign, people: list[Subject] | None = None, params: AppraisalParams | None = None
) -> Results:
    """The campaign's results (four queries): the ballot count always; the per-secretary distribution per item
    and the 综合 score only once the campaign is closed and at least `min_ballots_for_tallies` ballots were
    cast. The paper ballots count towards it as the most ratings a secretary received on paper for one item, never
    more than typed: ballots typed without their ratings cannot lift a few online votes past the threshold and show
    them alone."""
    params = params or load_params()
    people = people if people is not None else subjects(c)
    online = Participation.objects.filter(campaign=c).count()
    found = Results(
        closed=c.state == State.CLOSED,
        ballots=online + c.paper_ballots,
        online=online,
        paper=c.paper_ballots,
        threshold=params.min_ballots_for_tallies.value,
    )
    if not found.shown:
        return found
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(RATING_ORDER, 0))
    on_paper: dict[tuple[int, int], int] = defaultdict(int)
    for subject_id, item_id, rating, n_online, n_paper in Tally.objects.filter(campaign=c).values_list(
        "subject_id", "item_id", "rating", "online", "paper"
    ):
        counts[(subject_id, item_id)][rating] = n_online + n_paper
        on_paper[(subject_id, item_id)] += n_paper
    found.paper_counted = min(c.paper_ballots, max(on_paper.values(), default=0))
    if not found.shown:
        return found
    items = list(c.items.all())
    for s in people:
        figures = [ItemFigures(i, dict(counts[(s.pk, i.pk)])) for i in items]
        found.rows.append(SubjectResult(s, figures, score(figures, params)))
    return found


def has_voted(c: Campaign, member_id: int) -> bool:
    return Participation.objects.filter(campaign=c, voter_id=member_id).exists()


@dataclass(frozen=True)
class OwnRow:
    campaign: Campaign
    voted: bool

    @property
    def may_vote(self) -> bool:
        return not self.voted and self.campaign.state == State.VOTING


def own_campaigns(member_id: int) -> list[OwnRow]:
    """The campaigns in which the member receives a 测评票, newest first, with whether they voted (two
    queries)."""
    mine = list(
        Campaign.objects.filter(participants__member_id=member_id)
        .select_related("owner")
        .order_by("-year", "-opened_on")
    )
    voted = set(
        Participation.objects.filter(voter_id=member_id, campaign__in=mine).values_list(
            "campaign_id", flat=True
        )
    )
    return [OwnRow(c, c.pk in voted) for c in mine]


def open_ballots(member_id: int) -> list[Campaign]:
    """The campaigns in their 测评 in which the member has a 测评票 not yet cast (one query)."""
    return list(
        Campaign.objects.filter(participants__member_id=member_id, state=State.VOTING)
        .exclude(pk__in=Participation.objects.filter(voter_id=member_id).values("campaign_id"))
        .select_related("owner")
        .order_by("opened_on")
    )


def iso_day(value) -> str | None:
    return value.isoformat() if value else None


def campaign_json(c: Campaign) -> dict:
    """A campaign as the command's JSON gives it (its owner, title, years, state and dates)."""
    return {
        "org": c.owner.code,
        "name": c.owner.name,
        "title": c.title,
        "year": c.year,
        "report_year": c.report_year,
        "state": c.state,
        "opened_on": iso_day(c.opened_on),
        "voting_from": iso_day(c.voting_from),
        "voting_to": iso_day(c.voting_to),
        "closed_on": iso_day(c.closed_on),
    }


@dataclass
class StatusRow:
    campaign: Campaign
    subjects: int = 0
    reported: int = 0
    uploaded: int = 0
    participants: int = 0
    voted: int = 0

    def as_json(self) -> dict:
        return {
            "campaign": self.campaign.pk,
            **campaign_json(self.campaign),
            "subjects": self.subjects,
            "reported": self.reported,
            "reports_uploaded": self.uploaded,
            "participants": self.participants,
            "voted": self.voted,
            "paper_ballots": self.campaign.paper_ballots,
        }


def status(orgs: QuerySet[Org], year: int) -> list[StatusRow]:
    """The campaigns of `year` owned by `orgs`, with the numbers of subjects, reports given and uploaded,
    participants and votes cast (three queries). Never a tally."""
    found = list(
        Campaign.objects.filter(owner__in=orgs.values("pk"), year=year)
        .select_related("owner")
        .annotate(
            n_subjects=Count("subjects", distinct=True),
            n_reported=Count("subjects", filter=Q(subjects__reported_on__isnull=False), distinct=True),
            n_uploaded=Count("subjects", filter=~Q(subjects__report=""), distinct=True),
        )
        .order_by("owner__path")
    )
    ids = [c.pk for c in found]
    people = dict(
        Campaign.objects.filter(pk__in=ids).annotate(n=Count("participants")).values_list("pk", "n")
    )
    voted = dict(
        Participation.objects.filter(campaign__in=ids)
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        StatusRow(
            c,
            subjects=c.n_subjects,
            reported=c.n_reported,
            uploaded=c.n_uploaded,
            participants=people.get(c.pk, 0),
            voted=voted.get(c.pk, 0),
        )
        for c in found
    ]
