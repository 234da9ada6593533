"""Timeline source "evaluations": a member's 民主评议 grade, once published (公示 or 完成) — never the tallies.
One query whatever the number of evaluations."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from dangjian.core.choices import choice_label
from dangjian.evaluations.choices import PUBLISHED_STEPS, Rating
from dangjian.evaluations.models import Participant
from dangjian.members.timeline import TimelineEvent, register_timeline_source


@register_timeline_source("evaluations")
def grade_events(member, on: dt.date) -> list[TimelineEvent]:
    found = (
        Participant.objects.filter(
            member=member, evaluation__step__in=PUBLISHED_STEPS, evaluation__published_on__lte=on
        )
        .exclude(grade="")
        .select_related("evaluation__org")
    )
    events = []
    for p in found:
        ev = p.evaluation
        if ev.published_on is None:  # set when the evaluation reached 公示 (services.advance_step)
            continue
        detail = ""
        if p.grade == Rating.UNQUALIFIED and p.followup_due:
            detail = _("限期改正，期满日期%(date)s。") % {"date": f"{p.followup_due:%Y-%m-%d}"}
        events.append(
            TimelineEvent(
                date=ev.published_on,
                kind="evaluations.grade",
                title=_("%(year)s年度民主评议党员：%(grade)s")
                % {"year": ev.year, "grade": choice_label(Rating, p.grade)},
                detail=detail,
                org_code=ev.org.code,
                order=8,
            )
        )
    return events
