"""Secrecy of the 测评票 by construction: the online ratings are counters, a vote creates no row but its
Participation and rewrites every counter of its evaluation, and nothing a vote writes leads from a rating to its
voter. Each check names what it would have found."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection, models

from dangjian.core.models import AuditEvent
from dangjian.evaluations import services
from dangjian.evaluations.models import Evaluation, Participant, Participation, Tally
from dangjian.evaluations.tests.conftest import advance_to, ballot_of

# The only fields a counter may have: its key, the evaluation, the participant rated, the rating, the count.
TALLY_FIELDS = {"id", "evaluation", "subject", "rating", "online"}
PARTICIPATION_FIELDS = {"id", "evaluation", "voter", "voted_on"}
# What a counter's foreign keys lead to holds nothing a vote writes (paper counts are typed by the administrator).
PARTICIPANT_FIELDS = {
    "id", "evaluation", "member", "formal", "group", "self_text", "self_paper", "self_on", "paper_excellent",
    "paper_qualified", "paper_basic", "paper_unqualified", "grade", "followup_due", "followup_outcome",
    "followup_decided_on",
}  # fmt: skip
EVALUATION_FIELDS = {
    "id", "org", "year", "opened_on", "step", "organ", "paper_ballots", "by_group", "voting_closed_on",
    "graded_on", "published_on", "completed_on", "created_by", "created_at",
}  # fmt: skip
# The app's models: a new one fails here until this test says what it may hold.
MODELS = {"Evaluation", "Participant", "Participation", "Tally"}
# the tables a vote reaches: the ones it writes, and the ones their foreign keys lead to
VOTING_PATH = (Tally, Participation, Participant, Evaluation)


def _concrete_fields(model):
    return [f for f in model._meta.get_fields() if f.concrete]


def _rating_fields(model) -> list[str]:
    return [
        f.name
        for f in _concrete_fields(model)
        if isinstance(f, models.CharField)
        and f.choices
        and {"excellent", "unqualified"} <= {c for c, _ in f.choices}
    ]


def test_the_app_has_only_the_known_models():
    assert {m.__name__ for m in apps.get_app_config("evaluations").get_models()} == MODELS


def test_a_counter_and_a_participation_have_only_their_allowed_fields():
    assert {f.name for f in _concrete_fields(Tally)} == TALLY_FIELDS
    assert {f.name for f in _concrete_fields(Participation)} == PARTICIPATION_FIELDS
    assert {f.name for f in _concrete_fields(Participant)} == PARTICIPANT_FIELDS
    assert {f.name for f in _concrete_fields(Evaluation)} == EVALUATION_FIELDS


def test_the_only_rating_bearing_table_is_the_counters():
    """A rating given online is stored only as a count: the one model with a rating field and no grade meaning is
    Tally (Participant's `grade` is the 组织评定, typed by the administrator)."""
    bearing = {m.__name__: _rating_fields(m) for m in apps.get_app_config("evaluations").get_models()}
    assert {name: found for name, found in bearing.items() if found} == {
        "Tally": ["rating"],
        "Participant": ["grade"],
    }


def test_no_table_on_the_voting_path_holds_a_time_finer_than_the_day():
    for model in (Tally, Participation, Participant):
        found = [
            f.name for f in _concrete_fields(model) if isinstance(f, (models.DateTimeField, models.TimeField))
        ]
        assert found == [], f"{model.__name__} holds times: {found}"
    # the evaluation's creation time is set when it is opened, long before any vote
    assert [f.name for f in _concrete_fields(Evaluation) if isinstance(f, models.DateTimeField)] == [
        "created_at"
    ]


def test_no_foreign_key_leads_from_a_counter_to_a_voter():
    """A counter's foreign keys are the evaluation (the same for every counter of it) and the participant rated;
    the participation row, which names the voter, has no link to a counter, and nothing points at a counter."""
    relations = {f.name: f.related_model for f in _concrete_fields(Tally) if f.is_relation}
    assert relations == {"evaluation": Evaluation, "subject": Participant}
    assert [
        f.name for f in _concrete_fields(Participation) if f.is_relation and f.related_model is Tally
    ] == []
    assert [r.name for r in Tally._meta.related_objects] == []
    assert Tally._meta.pk is not None and Tally._meta.pk.name == "id"


def _rows() -> dict[str, list]:
    return {m.__name__: list(m._base_manager.order_by("pk").values_list()) for m in VOTING_PATH}


@pytest.mark.django_db
def test_the_counters_are_made_when_the_evaluation_enters_the_voting_step(branch, opened):
    ev = advance_to(opened, "self", branch.admin)
    assert not Tally.objects.filter(evaluation=ev).exists()
    ev = advance_to(ev, "voting", branch.admin)
    made = list(
        Tally.objects.filter(evaluation=ev).order_by("pk").values_list("subject_id", "rating", "online")
    )
    people = sorted(ev.participants.values_list("pk", flat=True))
    ratings = ["excellent", "qualified", "basic", "unqualified"]
    assert made == [(pid, r, 0) for pid in people for r in ratings]  # every participant, a fixed order


@pytest.mark.django_db
def test_a_vote_creates_no_row_but_its_participation_and_changes_only_counts(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    voter = branch.formal[0]
    before = _rows()
    audit_before = AuditEvent.objects.count()
    services.cast_vote(actor=branch.accounts[voter.pk], evaluation=ev, ratings=ballot_of(ev, voter, "basic"))
    after = _rows()
    # the same counters, each keeping its id, evaluation, subject and rating: only the counts moved
    assert [r[:4] for r in after["Tally"]] == [r[:4] for r in before["Tally"]]
    moved = [(a[2], a[3]) for a, b in zip(after["Tally"], before["Tally"], strict=True) if a != b]
    own = ev.participants.get(member=voter).pk
    assert len(moved) == 9 and {r for _s, r in moved} == {"basic"} and own not in {s for s, _r in moved}
    assert after["Participant"] == before["Participant"] and after["Evaluation"] == before["Evaluation"]
    assert len(after["Participation"]) == len(before["Participation"]) + 1
    assert AuditEvent.objects.count() == audit_before + 1


@pytest.mark.django_db
@pytest.mark.postgresql  # tuple versions are PostgreSQL's: deselected, not skipped, on SQLite
def test_a_vote_rewrites_every_counter_of_its_evaluation(branch, opened):
    """On PostgreSQL an UPDATE writes a new version of each row it touches, stamped with its transaction: a vote
    that touched only the counters it chose would leave them marked — the voter the one missing among them. Every
    counter of the evaluation carries the last vote's transaction, whatever it chose."""
    ev = advance_to(opened, "voting", branch.admin)
    for m, choice in ((branch.formal[0], "excellent"), (branch.formal[1], "unqualified")):
        services.cast_vote(actor=branch.accounts[m.pk], evaluation=ev, ratings=ballot_of(ev, m, choice))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(DISTINCT xmin::text), count(*) FROM evaluations_tally WHERE evaluation_id = %s",
                [ev.pk],
            )
            assert cursor.fetchone() == (1, 40)


@pytest.mark.django_db
def test_after_votes_no_row_of_the_audit_trail_carries_a_rating(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    marks = {"excellent", "qualified", "basic", "unqualified", "优秀", "合格", "基本合格", "不合格"}
    for i, m in enumerate(branch.formal[:5]):
        choice = ["excellent", "basic", "unqualified", "qualified", "basic"][i]
        services.cast_vote(
            actor=branch.accounts[m.pk], evaluation=ev, ratings=ballot_of(ev, m, choice=choice)
        )
    events = list(AuditEvent.objects.filter(at__date__gte=dt.date.today() - dt.timedelta(days=1)))
    votes = [e for e in events if e.object_type == "evaluations.participation"]
    assert len(votes) == 5
    for e in votes:
        text = f"{e.before} {e.after} {e.note} {e.object_repr}"
        assert not any(m in text for m in marks), text
    assert not any(e.object_type == "evaluations.tally" for e in events)
    # the ratings were counted: 5 ballots of 9 ratings each, in counters that hold no voter
    assert sum(Tally.objects.filter(evaluation=ev).values_list("online", flat=True)) == 45
    assert Evaluation.objects.get(pk=ev.pk).participations.count() == 5
