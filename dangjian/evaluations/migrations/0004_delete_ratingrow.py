from django.db import migrations


class Migration(migrations.Migration):
    """The rating rows, counted by 0003, are dropped: no table holds a row per rating any more."""

    dependencies = [("evaluations", "0003_ratings_to_tallies")]

    operations = [migrations.DeleteModel(name="RatingRow")]
