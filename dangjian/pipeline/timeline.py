"""The pipeline's part of a member's timeline: one event per recorded step of the member's development case
(application, talk, … admission, 转正), one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from dangjian.members.timeline import TimelineEvent, register_timeline_source
from dangjian.pipeline.models import CaseStep
from dangjian.pipeline.workflow import load_workflow


@register_timeline_source("pipeline")
def pipeline_events(member, on: dt.date) -> Iterable[TimelineEvent]:
    wf = load_workflow()
    names = {s.key: s.name for s in wf.steps}
    order = {s.key: i for i, s in enumerate(wf.steps)}
    steps = (
        CaseStep.objects.filter(case__member=member, date__lte=on)
        .select_related("case__org")
        .order_by("date", "id")
    )
    for step in steps:
        yield TimelineEvent(
            date=step.date,
            kind=f"pipeline.{step.key}",
            title=names.get(step.key, step.key),
            detail=step.note[:100] if step.note else "",
            org_code=step.case.org.code,
            url=reverse("pipeline:detail", args=[step.case_id]),
            order=order.get(step.key, 0),
        )
