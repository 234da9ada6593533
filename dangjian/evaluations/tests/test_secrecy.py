"""Secrecy of the 测评票 by construction: the schema of the rating rows and the audit rows written by a vote
leave no path from a rating to its voter. Each check names what it would have found."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import models

from dangjian.core.models import AuditEvent
from dangjian.evaluations import services
from dangjian.evaluations.models import Evaluation, Participant, Participation, RatingRow
from dangjian.evaluations.tests.conftest import advance_to, ballot_of

# The only fields a rating row may have: its random key, the evaluation, the participant rated, the rating.
RATING_FIELDS = {"id", "evaluation", "subject", "rating"}
# What a rating's foreign keys lead to holds nothing a vote writes (paper counts are typed by the administrator).
PARTICIPANT_FIELDS = {
    "id", "evaluation", "member", "formal", "self_text", "self_paper", "self_on", "paper_excellent",
    "paper_qualified", "paper_basic", "paper_unqualified", "grade", "followup_due", "followup_outcome",
    "followup_decided_on",
}  # fmt: skip
EVALUATION_FIELDS = {
    "id", "org", "year", "opened_on", "step", "organ", "paper_ballots", "voting_closed_on", "graded_on",
    "published_on", "completed_on", "created_by", "created_at",
}  # fmt: skip


def _concrete_fields(model):
    return [f for f in model._meta.get_fields() if f.concrete]


def test_a_rating_row_has_only_its_allowed_fields():
    assert {f.name for f in _concrete_fields(RatingRow)} == RATING_FIELDS


def test_a_rating_row_has_a_random_key():
    pk = RatingRow._meta.pk
    assert isinstance(pk, models.UUIDField) and pk.default is uuid.uuid4


def test_no_rating_table_holds_a_time_finer_than_the_day():
    for model in (RatingRow, Participation):
        found = [
            f.name for f in _concrete_fields(model) if isinstance(f, (models.DateTimeField, models.TimeField))
        ]
        assert found == [], f"{model.__name__} holds times: {found}"


def test_no_foreign_key_leads_from_a_rating_to_a_voter():
    """A rating's foreign keys are the evaluation (the same for every rating of it: it tells nothing) and the
    participant rated. The participant's row holds nothing written by a vote (its fields are listed), and the
    participation row, which names the voter, has no link to a rating."""
    relations = {f.name: f.related_model for f in _concrete_fields(RatingRow) if f.is_relation}
    assert relations == {"evaluation": Evaluation, "subject": Participant}
    assert {f.name for f in _concrete_fields(Participant)} == PARTICIPANT_FIELDS
    assert {f.name for f in _concrete_fields(Evaluation)} == EVALUATION_FIELDS
    assert [
        f.name for f in _concrete_fields(Participation) if f.is_relation and f.related_model is RatingRow
    ] == []
    # the only rows pointing at a rating are none: nothing is written next to a rating that could name its voter
    assert [r.name for r in RatingRow._meta.related_objects] == []


@pytest.mark.django_db
def test_after_votes_no_row_of_the_audit_trail_carries_a_rating(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    marks = {"excellent", "qualified", "basic", "unqualified", "优秀", "合格", "基本合格", "不合格"}
    for i, m in enumerate(branch.formal[:5]):
        choice = ["excellent", "basic", "unqualified", "qualified", "basic"][i]
        services.cast_vote(
            actor=branch.accounts[m.pk], evaluation=ev, ratings=ballot_of(ev, m, choice=choice)
        )
    ids = {str(r) for r in RatingRow.objects.values_list("pk", flat=True)}
    events = list(AuditEvent.objects.filter(at__date__gte=dt.date.today() - dt.timedelta(days=1)))
    votes = [e for e in events if e.object_type == "evaluations.participation"]
    assert len(votes) == 5
    for e in events:
        text = f"{e.before} {e.after} {e.note} {e.object_repr} {e.object_id}"
        assert not any(m in text for m in marks if e.object_type == "evaluations.participation"), text
        assert not any(i in text for i in ids), text
        assert e.object_type != "evaluations.ratingrow"
    # the ratings were written: 5 ballots of 9 ratings each, none traceable
    assert RatingRow.objects.filter(evaluation=ev).count() == 45
    assert Evaluation.objects.get(pk=ev.pk).participations.count() == 5
