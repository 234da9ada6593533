# The constraints of the reason kinds, in a migration of their own: on PostgreSQL the data migration's updates
# leave pending trigger events that forbid altering the table in the same transaction.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0003_absence_reason_kind'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='absence',
            constraint=models.CheckConstraint(condition=models.Q(('reason', ''), models.Q(('reason_kind', ''), _negated=True), _connector='OR'), name='absence_reason_has_kind'),
        ),
        migrations.AddConstraint(
            model_name='absence',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('reason_kind', 'other'), _negated=True), models.Q(('reason', ''), _negated=True), _connector='OR'), name='absence_other_explained'),
        ),
    ]
