"""The daily reminder task (Django's Tasks API through django-tasks): `dangjian reminders send` runs it from
deploy/dangjian-reminders.timer after the nightly refresh; a worker may run it enqueued the same way."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.reminders import digest, services


@task()
def send_daily(day: str | None = None) -> dict[str, int]:
    """Today's notifications (or those of `day`, YYYY-MM-DD), then the e-mail and SMS digests of those who chose
    them; returns how many of each."""
    on = dt.date.fromisoformat(day) if day else timezone.localdate()
    created = services.send_reminders(on=on).created
    sent = digest.send_digests(on=on)
    return {"created": created, "emails": sent.emails, "texts": sent.texts}
