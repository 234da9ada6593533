"""The "elections" fact provider for ORG-TERM-REMINDER, ORG-TERM-ON-TIME (from v5) and ELECT-*
(dangjian/elections/rules.py): per organisation of the scope, the approvals to postpone or advance its 换届
recorded by D, its elections held in year Y by D with their candidates, and the elections recorded by D whose
result awaits the higher organisation's approval (`Election.objects.awaiting_approval`). Three queries for the
whole scope, whatever the number of organisations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from dangjian.compliance.facts import register_facts
from dangjian.elections.models import Candidate, Election, TermAdjustment


class AdjustmentRow(NamedTuple):
    kind: str
    term_end: dt.date
    new_due_on: dt.date
    approved_on: dt.date


class CandidateRow(NamedTuple):
    member_id: int
    name: str
    votes: int | None
    prevotes: int | None
    formal: bool
    elected: bool


class ElectionRow(NamedTuple):
    id: int
    held_on: dt.date
    expected: int
    present: int
    seats: int
    has_preselection: bool
    ballots_issued: int
    ballots_returned: int
    candidates: tuple[CandidateRow, ...] = ()
    derived_expected: int | None = None  # from the roll less the exclusions (None: not known)
    expected_reason: str = ""  # why `expected` differs from it
    form: str = "assembly"  # 党员大会 or 党员代表大会 (ElectionForm)
    roll_members: int | None = None  # 正式 and 预备 on the election date (None: not known)
    form_approval_ref: str = ""  # the approval to hold a 党员代表大会
    form_approved_on: dt.date | None = None


class AwaitingRow(NamedTuple):
    """An election recorded for the next term whose result the higher organisation has not approved yet."""

    id: int
    held_on: dt.date


class ElectionFacts(NamedTuple):
    adjustments: tuple[AdjustmentRow, ...] = ()  # latest approval first
    elections: tuple[ElectionRow, ...] = ()  # in date order
    awaiting: tuple[AwaitingRow, ...] = ()  # latest first: held after the current term started, not approved

    def adjusted_due(self, term_end: dt.date | None) -> AdjustmentRow | None:
        """The latest approval for the term ending on `term_end` (approvals of earlier terms do not count)."""
        return next((a for a in self.adjustments if a.term_end == term_end), None)


@register_facts("elections")
def load_election_facts(ids_sq, orgs, year: int, as_of: dt.date) -> dict[int, ElectionFacts]:
    adjustments = defaultdict(list)
    for a in TermAdjustment.objects.filter(org__in=ids_sq, approved_on__lte=as_of).order_by(
        "-approved_on", "-pk"
    ):
        adjustments[a.org_id].append(AdjustmentRow(a.kind, a.term_end, a.new_due_on, a.approved_on))
    start = dt.date(year, 1, 1)
    # every recorded election has candidates (services.record_election): one query loads both
    rows = (
        Candidate.objects.filter(
            election__org__in=ids_sq, election__held_on__gte=start, election__held_on__lte=as_of
        )
        .order_by("election__held_on", "election_id", "pk")
        .values_list(
            "election__org_id",
            "election_id",
            "election__held_on",
            "election__expected",
            "election__present",
            "election__seats",
            "election__has_preselection",
            "election__ballots_issued",
            "election__ballots_returned",
            "election__derived_expected",
            "election__expected_reason",
            "election__form",
            "election__roll_members",
            "election__form_approval_ref",
            "election__form_approved_on",
            "member_id",
            "member__name",
            "votes",
            "prevotes",
            "formal",
            "elected",
        )
    )
    elections: dict[int, tuple] = {}
    candidates = defaultdict(list)
    for row in rows:
        elections.setdefault(row[1], row[:15])
        candidates[row[1]].append(CandidateRow(*row[15:]))
    by_org = defaultdict(list)
    for org_id, pk, *numbers in elections.values():
        by_org[org_id].append(ElectionRow._make((pk, *numbers[:7], tuple(candidates[pk]), *numbers[7:])))
    awaiting = defaultdict(list)
    for org_id, pk, held_on in (
        Election.objects.filter(org__in=ids_sq)
        .awaiting_approval(as_of)
        .order_by("-held_on", "-pk")
        .values_list("org_id", "pk", "held_on")
    ):
        awaiting[org_id].append(AwaitingRow(pk, held_on))
    return {
        o.pk: ElectionFacts(tuple(adjustments[o.pk]), tuple(by_org[o.pk]), tuple(awaiting[o.pk]))
        for o in orgs
    }
