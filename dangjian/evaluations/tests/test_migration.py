"""The online ratings kept as rows (0001) become counters (0003), and the rows are dropped (0004)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from dangjian.conftest import historical_branch_with_members, migrate_back, migrate_forward
from dangjian.evaluations.models import Tally


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_rating_rows():
    apps = migrate_back("evaluations", "0001_initial")
    Evaluation, Participant = (
        apps.get_model("evaluations", "Evaluation"),
        apps.get_model("evaluations", "Participant"),
    )
    RatingRow = apps.get_model("evaluations", "RatingRow")
    org, people = historical_branch_with_members(apps, ["党员甲", "党员乙", "党员丙"])
    day = dt.date(2025, 12, 1)
    voting = Evaluation.objects.create(org=org, year=2025, opened_on=day, organ="assembly", step="grading")
    study = Evaluation.objects.create(org=org, year=2024, opened_on=dt.date(2024, 12, 1), organ="assembly")
    subjects = [Participant.objects.create(evaluation=voting, member=m, formal=True) for m in people]
    Participant.objects.create(evaluation=study, member=people[0], formal=True)
    given = [(0, "excellent"), (0, "excellent"), (0, "qualified"), (1, "qualified"), (2, "unqualified")]
    for i, rating in given:
        RatingRow.objects.create(evaluation=voting, subject=subjects[i], rating=rating)

    migrate_forward()
    assert "evaluations_ratingrow" not in connection.introspection.table_names()
    found = {
        (s, r): n
        for s, r, n in Tally.objects.filter(evaluation_id=voting.pk).values_list(
            "subject_id", "rating", "online"
        )
    }
    assert len(found) == 12  # every participant × the four ratings
    assert {k: n for k, n in found.items() if n} == {
        (subjects[0].pk, "excellent"): 2,
        (subjects[0].pk, "qualified"): 1,
        (subjects[1].pk, "qualified"): 1,
        (subjects[2].pk, "unqualified"): 1,
    }
    assert not Tally.objects.filter(evaluation_id=study.pk).exists()  # made when it enters the 测评
