from django.db import migrations
from django.db.models import Count, Q


def count_the_roll(apps, schema_editor):
    """The kept figures count the members on the roll (党籍 正常) from now on, as the 党员名册 lists them: recounted
    (they counted every status before; later writes and the nightly refresh keep them)."""
    Member = apps.get_model("members", "Member")
    OrgFigures = apps.get_model("members", "OrgFigures")
    rows = (
        Member.objects.filter(status="normal")
        .order_by()
        .values_list("org_id")
        .annotate(
            members=Count("id"),
            formal=Count("id", filter=Q(category="formal")),
            probationary=Count("id", filter=Q(category="probationary")),
            active=Count("id", filter=Q(work_status="active")),
            retired=Count("id", filter=Q(work_status="retired")),
            mobile=Count("id", filter=Q(is_mobile=True)),
        )
        .values_list("org_id", "members", "formal", "probationary", "active", "retired", "mobile")
    )
    OrgFigures.objects.all().delete()
    OrgFigures.objects.bulk_create(
        [
            OrgFigures(
                org_id=org_id,
                members=members,
                formal=formal,
                probationary=probationary,
                active=active,
                retired=retired,
                mobile=mobile,
            )
            for org_id, members, formal, probationary, active, retired, mobile in rows
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_name_pinyin"),
    ]

    operations = [
        migrations.RunPython(count_the_roll, migrations.RunPython.noop),
    ]
