"""The daily reminder task (Django's Tasks API through django-tasks): `dangjian reminders send` runs it from
deploy/dangjian-reminders.timer after the nightly refresh; a worker may run it enqueued the same way."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from dangjian.reminders import services


@task()
def send_daily(day: str | None = None) -> int:
    """Today's notifications (or those of `day`, YYYY-MM-DD); returns how many were written."""
    on = dt.date.fromisoformat(day) if day else None
    return services.send_reminders(on=on).created
