import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The online ratings become counters (Tally), and an evaluation may hold its 测评 per 党小组 (the group of
    each participant fixed on the opening date). The ratings already cast are counted by 0003, then 0004 drops
    the rating rows."""

    dependencies = [
        ("evaluations", "0001_initial"),
        ("orgs", "0003_only_gongwei_is_root"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluation",
            name="by_group",
            field=models.BooleanField(default=False, verbose_name="按党小组测评"),
        ),
        migrations.AddField(
            model_name="participant",
            name="group",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.org",
                verbose_name="党小组",
            ),
        ),
        migrations.CreateModel(
            name="Tally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "rating",
                    models.CharField(
                        choices=[
                            ("excellent", "优秀"),
                            ("qualified", "合格"),
                            ("basic", "基本合格"),
                            ("unqualified", "不合格"),
                        ],
                        max_length=12,
                        verbose_name="测评等次",
                    ),
                ),
                ("online", models.PositiveIntegerField(default=0, verbose_name="网上得票")),
                (
                    "evaluation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tallies",
                        to="evaluations.evaluation",
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tallies",
                        to="evaluations.participant",
                    ),
                ),
            ],
            options={
                "verbose_name": "测评计票",
                "verbose_name_plural": "测评计票",
                "constraints": [
                    models.UniqueConstraint(fields=("evaluation", "subject", "rating"), name="eval_tally_uniq")
                ],
            },
        ),
    ]
