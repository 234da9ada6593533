"""The meetings' timeline source: the organizational life a member attended or missed (members.timeline)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils.translation import gettext as _

from dangjian.members.timeline import (
    TimelineEvent,
    _org_moves,
    org_spans,
    posts_held,
    register_timeline_source,
)


def _ancestor_ids(path: str) -> list[int]:
    """The pks of an organisation and its ancestors, read from its materialized path."""
    return [int(segment) for segment in path.split("/") if segment]


@register_timeline_source("meetings")
def meeting_events(member, on: dt.date) -> list[TimelineEvent]:
    """Meetings the member was expected at (the roster rules of `meetings.roster` on each meeting's date)
    and attended, and those they missed (their Absence rows, with the reason). Five queries whatever the
    number of meetings: the member's moves, their organisations' paths, their posts, their absences,
    and every MeetingKind row that concerns them; three within `timeline`, whose other sources have read the
    member's history and posts (`members.timeline.shared_read`)."""
    from django.db.models import Q
    from django.urls import reverse

    from dangjian.meetings.choices import ROSTER_OF_TYPE, MeetingType, Roster
    from dangjian.meetings.models import Absence, MeetingKind
    from dangjian.orgs.choices import COMMITTEE_TITLES, chinese_label
    from dangjian.orgs.models import Org

    types_of = defaultdict(set)
    for meeting_type, roster in ROSTER_OF_TYPE.items():
        types_of[roster].add(str(meeting_type))

    spans = org_spans(member, _org_moves(member))
    paths = dict(Org.objects.filter(pk__in={s[0] for s in spans}).values_list("pk", "path"))
    last_on_roll = on
    if member.inactive_from is not None:
        last_on_roll = min(on, member.inactive_from - dt.timedelta(days=1))
    # (org ids, first day, last day, types) for which the member is on the roster
    windows: list[tuple[frozenset[int], dt.date, dt.date, frozenset[str]]] = []
    for org_id, start, end in spans:
        last = last_on_roll if end is None else min(last_on_roll, end - dt.timedelta(days=1))
        if start <= last:
            ids = frozenset(_ancestor_ids(paths.get(org_id, "")) or [org_id])
            windows.append((ids, start, last, frozenset(types_of[Roster.MEMBERS])))
    for post in posts_held(member):
        last = on if post.ended_on is None else min(on, post.ended_on - dt.timedelta(days=1))
        types = set(types_of[Roster.LEADERSHIP])
        if post.title in COMMITTEE_TITLES:
            types |= types_of[Roster.COMMITTEE]
        if post.started_on <= last:
            windows.append((frozenset({post.org_id}), post.started_on, last, frozenset(types)))
    absences = {
        a.meeting_id: a.reason_display
        for a in Absence.objects.filter(member_id=member.pk).only("meeting_id", "reason_kind", "reason")
    }

    q = Q(meeting_id__in=list(absences))
    for ids, first, last, types in windows:
        q |= Q(org_id__in=sorted(ids), date__gte=first, date__lte=last, type__in=sorted(types))
    if not windows and not absences:
        return []

    def expected(kind) -> bool:
        return any(
            kind.org_id in ids and first <= kind.date <= last and kind.type in types
            for ids, first, last, types in windows
        )

    by_meeting: dict[int, list] = defaultdict(list)
    for kind in (
        MeetingKind.objects.filter(q, date__lte=on)
        .select_related("meeting", "org")
        .order_by("date", "meeting_id", "type")
    ):
        by_meeting[kind.meeting_id].append(kind)
    events = []
    for meeting_id, kinds in by_meeting.items():
        mine = [k for k in kinds if expected(k)]
        missed = meeting_id in absences
        if not mine and not missed:
            continue
        shown = mine or kinds
        meeting, org = shown[0].meeting, shown[0].org
        names = "、".join(chinese_label(MeetingType, k.type) for k in shown)
        detail = f"{meeting.topic}（{org.name}）"
        if missed:
            reason = absences[meeting_id]
            title = _("缺席%(types)s") % {"types": names}
            detail += "；" + (
                _("缺席原因：%(reason)s") % {"reason": reason} if reason else _("未填写缺席原因")
            )
        else:
            title = _("参加%(types)s") % {"types": names}
        events.append(
            TimelineEvent(
                date=meeting.date,
                kind="meetings.missed" if missed else "meetings.attended",
                title=title,
                detail=detail,
                org_code=org.code,
                url=reverse("meetings:detail", args=[meeting_id]),
                order=5,
            )
        )
    return events
