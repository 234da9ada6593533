"""Chains the events recorded before the hash chain, in id order (the first one has no predecessor)."""

from django.db import migrations

BATCH = 2000


def chain(apps, schema_editor):
    from dangjian.core.auditchain import event_hash

    AuditEvent = apps.get_model("core", "AuditEvent")
    db = schema_editor.connection.alias
    prev, last = "", 0
    while True:
        batch = list(AuditEvent.objects.using(db).filter(id__gt=last).order_by("id")[:BATCH])
        if not batch:
            return
        for event in batch:
            event.prev_hash = prev
            event.hash = prev = event_hash(event)
        AuditEvent.objects.using(db).bulk_update(batch, ["prev_hash", "hash"])
        last = batch[-1].id


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_hash_chain")]

    operations = [migrations.RunPython(chain, migrations.RunPython.noop)]
