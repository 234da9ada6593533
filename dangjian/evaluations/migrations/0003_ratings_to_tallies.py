from django.db import migrations
from django.db.models import Count

RATINGS = ("excellent", "qualified", "basic", "unqualified")
OPEN_STEPS = ("voting", "grading", "publicity", "done")


def count_ratings(apps, schema_editor):
    """Every evaluation that has entered the 测评 gets its counters (each participant × each rating, in a fixed
    order), holding the rating rows counted; evaluations before the 测评 get theirs when they enter it."""
    Evaluation = apps.get_model("evaluations", "Evaluation")
    Participant = apps.get_model("evaluations", "Participant")
    RatingRow = apps.get_model("evaluations", "RatingRow")
    Tally = apps.get_model("evaluations", "Tally")
    for ev_id in Evaluation.objects.filter(step__in=OPEN_STEPS).order_by("pk").values_list("pk", flat=True):
        counted = {
            (subject_id, rating): n
            for subject_id, rating, n in RatingRow.objects.filter(evaluation_id=ev_id)
            .values_list("subject_id", "rating")
            .annotate(n=Count("pk"))
            .order_by()
        }
        people = Participant.objects.filter(evaluation_id=ev_id).order_by("pk").values_list("pk", flat=True)
        Tally.objects.bulk_create(
            [
                Tally(evaluation_id=ev_id, subject_id=pid, rating=r, online=counted.get((pid, r), 0))
                for pid in people
                for r in RATINGS
            ]
        )


def uncount(apps, schema_editor):
    """Back to rating rows: one row per counted rating (the counters never said whose)."""
    RatingRow = apps.get_model("evaluations", "RatingRow")
    Tally = apps.get_model("evaluations", "Tally")
    rows = [
        RatingRow(evaluation_id=t.evaluation_id, subject_id=t.subject_id, rating=t.rating)
        for t in Tally.objects.filter(online__gt=0).order_by("pk")
        for _ in range(t.online)
    ]
    RatingRow.objects.bulk_create(rows, batch_size=1000)
    Tally.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_tally_groups")]

    operations = [migrations.RunPython(count_ratings, uncount)]
