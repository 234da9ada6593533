"""The training timeline source: completed (and registered) trainings and imported platform figures of a
member, from this app's records (two queries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from dangjian.members.timeline import TimelineEvent, register_timeline_source
from dangjian.orgs.choices import chinese_label
from dangjian.training.choices import Platform
from dangjian.training.models import Participant, StudyRecord


@register_timeline_source("training")
def training_events(member, on: dt.date) -> Iterable[TimelineEvent]:
    events: list[TimelineEvent] = []
    for p in (
        Participant.objects.filter(member=member, training__started_on__lte=on)
        .select_related("training", "training__org")
        .order_by("training__started_on", "training_id")
    ):
        t = p.training
        detail = f"{t.organiser}；{t.get_level_display()}；{t.hours} 学时" + (
            "" if p.completed else "；未完成"
        )
        events.append(
            TimelineEvent(
                t.started_on,
                "training.participated",
                f"参加培训：{t.title}",
                detail,
                t.org.code,
                reverse("training:detail", args=[t.pk]),
                60,
            )
        )
    for s in StudyRecord.objects.filter(member=member).order_by("period", "platform"):
        year, _, month = s.period.partition("-")
        # a whole year's figure is shown at the year's end, a month's at the month's end
        day = dt.date(int(year), 12, 31) if not month else _month_end(int(year), int(month))
        figures = "，".join(
            x
            for x in (
                f"积分 {s.points}" if s.points is not None else "",
                f"学时 {s.hours}" if s.hours is not None else "",
            )
            if x
        )
        events.append(
            TimelineEvent(
                min(day, on),
                "training.study",
                f"{chinese_label(Platform, s.platform)} {s.period} 学习统计",
                figures,
                "",
                "",
                61,
            )
        )
    return events


def _month_end(year: int, month: int) -> dt.date:
    import calendar

    return dt.date(year, month, calendar.monthrange(year, month)[1])
