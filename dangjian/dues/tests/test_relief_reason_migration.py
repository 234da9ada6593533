"""dues 0006: a 党费减免 recorded before its reason was kept takes the note of its own creation event (the reason
`record_relief` put there), or stays blank."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.conftest import historical_branch_with_members, migrate_back, migrate_forward
from dangjian.core.models import AuditEvent
from dangjian.dues.models import DuesRelief


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_each_reliefs_reason_from_its_creation_event():
    apps = migrate_back("dues", "0005_snapshot_amounts")
    Relief, Event = apps.get_model("dues", "DuesRelief"), apps.get_model("core", "AuditEvent")
    org, people = historical_branch_with_members(apps, ["党员甲", "党员乙", "党员丙", "党员丁", "党员戊"])
    approver = org.parent

    def relief(member, kind="exempt", start=dt.date(2025, 3, 1), end=dt.date(2025, 6, 1)):
        return Relief.objects.create(
            member=member,
            kind=kind,
            monthly_amount=Decimal("5") if kind == "reduce" else None,
            start_month=start,
            end_month=end,
            approved_by=approver,
            approved_on=dt.date(2025, 2, 20),
        )

    def event(
        relief_id, note, *, kind="exempt", period="2025-03~2025-06", action="create", type_="dues.duesrelief"
    ):
        # as record_relief wrote them: the period as one text, the approving organisation by its code
        after = {"kind": kind, "monthly_amount": None, "period": period, "approved_by": approver.code}
        Event.objects.create(
            action=action,
            object_type=type_,
            object_id=str(relief_id),
            object_repr="减免",
            org_path=org.path,
            after=after,
            note=note,
        )

    with_reason = relief(people[0], kind="reduce")
    event(with_reason.pk, "  长期患病，生活困难 ", kind="reduce")
    empty_note = relief(people[1])
    event(empty_note.pk, "")
    no_event = relief(people[2])
    # an event under the id that describes another relief (another period): not this relief's reason
    other_period = relief(people[3])
    event(other_period.pk, "另一笔减免的原因", period="2024-01~2024-02")
    # events of other records with the same id, and a relief's event that is not its creation: not taken
    other_record = relief(people[4])
    event(other_record.pk, "缴费备注", type_="dues.duespayment")
    event(other_record.pk, "撤销原因", action="delete")
    events_before = Event.objects.count()

    migrate_forward()
    reasons = dict(DuesRelief.objects.values_list("pk", "reason"))
    assert reasons == {
        with_reason.pk: "长期患病，生活困难",
        empty_note.pk: "",
        no_event.pk: "",
        other_period.pk: "",
        other_record.pk: "",
    }
    assert AuditEvent.objects.count() == events_before  # the log is read, never written
