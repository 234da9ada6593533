"""Recording organizational life. The branch ticks the absentees; everything else (应到, 实到, the
正式党员 among them, per type) is derived from the roster on the meeting's date and kept on the record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from dangjian.accounts.scope import require_org
from dangjian.core import audit
from dangjian.core.errors import ServiceError
from dangjian.meetings.choices import TYPES_FOR_ORG, MeetingType
from dangjian.meetings.models import Absence, Meeting, MeetingKind
from dangjian.meetings.roster import RosterEntry, rosters_for_types
from dangjian.orgs.choices import OrgType, chinese_label

MEETING_FIELDS = (
    "org",
    "date",
    "topic",
    "place",
    "host",
    "lecturer",
    "lecturer_name",
    "observers",
    "agenda",
    "content",
    "decisions",
)


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    return {
        "org": meeting.org.code,
        "types": "、".join(chinese_label(MeetingType, k.type) for k in meeting.kinds.order_by("type")),
        "date": meeting.date,
        "topic": meeting.topic,
        "place": meeting.place,
        "host": meeting.host.name if meeting.host_id else "",
        "lecturer": meeting.lecturer_display,
        "observers": meeting.observers,
        "absentees": "、".join(
            f"{a.member.name}（{a.reason}）" if a.reason else a.member.name
            for a in meeting.absences.select_related("member").order_by("member__name", "member_id")
        ),
        "attendance": "；".join(
            f"{chinese_label(MeetingType, k.type)} 应到{k.expected} 实到{k.present}"
            for k in meeting.kinds.order_by("type")
        ),
        "agenda": meeting.agenda,
        "content": meeting.content,
        "decisions": meeting.decisions,
    }


def _validate(data: dict[str, Any], types: list[str]) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    org, date = data.get("org"), data.get("date")
    if org is None:
        add("org", "请选择组织。")
    if not date:
        add("date", "请填写日期。")
    elif date > dt.date.today():
        add("date", "日期不能晚于今天：组织生活记录的是已经召开的会议。")
    if not (data.get("topic") or "").strip():
        add("topic", "请填写主题。")
    if not types:
        add("types", "请至少选择一种活动类型。")
    unknown = [t for t in types if t not in MeetingType.values]
    if unknown:
        add("types", "活动类型无效。")
    if org is not None and not unknown:
        allowed = TYPES_FOR_ORG.get(org.type, frozenset())
        for t in types:
            if t not in allowed:
                add(
                    "types",
                    f"{chinese_label(OrgType, org.type)}不召开“{chinese_label(MeetingType, t)}”"
                    f"（{org.name}可记录：{'、'.join(chinese_label(MeetingType, x) for x in MeetingType.values if x in allowed)}）。",
                )
    if org is not None and date:
        if org.founded_on and date < org.founded_on:
            add("date", f"日期早于{org.name}的成立日期（{org.founded_on:%Y-%m-%d}）。")
        if org.dissolved_on and date > org.dissolved_on:  # the 撤销日期 itself is the org's last day
            add("date", f"{org.name}已于{org.dissolved_on:%Y-%m-%d}撤销。")
    if data.get("lecturer") is not None and (data.get("lecturer_name") or "").strip():
        add("lecturer_name", "主讲人请在党员和外请人员中选一种填写。")
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], errors=errors)


def _kinds(
    meeting: Meeting, types: list[str], rosters: dict[str, list[RosterEntry]], absent: set[int]
) -> list[MeetingKind]:
    kinds = []
    for t in types:
        entries = rosters[t]
        present = [e for e in entries if e.member_id not in absent]
        kinds.append(
            MeetingKind(
                meeting=meeting,
                type=t,
                org=meeting.org,
                date=meeting.date,
                expected=len(entries),
                present=len(present),
                expected_formal=sum(e.formal for e in entries),
                present_formal=sum(e.formal for e in present),
            )
        )
    return kinds


def _write(meeting: Meeting, data: dict[str, Any], types: list[str], absentees: dict[int, str]) -> None:
    types = sorted(set(types), key=MeetingType.values.index)
    _validate(data, types)
    rosters = rosters_for_types(data["org"], types, data["date"])
    on_roster = {e.member_id for entries in rosters.values() for e in entries}
    stray = [member_id for member_id in absentees if member_id not in on_roster]
    if stray:
        from dangjian.members.models import Member

        names = "、".join(Member.objects.filter(pk__in=stray).order_by("name").values_list("name", flat=True))
        raise ServiceError(f"缺席人员不在应到名单中：{names or '未知党员'}。", field="absentees")
    for key in MEETING_FIELDS:
        if key in data:
            value = data[key]
            setattr(meeting, key, value.strip() if isinstance(value, str) else value)
    meeting.save()
    meeting.kinds.all().delete()
    meeting.absences.all().delete()
    MeetingKind.objects.bulk_create(_kinds(meeting, types, rosters, set(absentees)))
    Absence.objects.bulk_create(
        Absence(meeting=meeting, member_id=member_id, reason=(reason or "").strip()[:200])
        for member_id, reason in sorted(absentees.items())
    )


@transaction.atomic
def create_meeting(
    *, actor, data: dict[str, Any], types: list[str], absentees: dict[int, str] | None = None
) -> Meeting:
    """`absentees` maps member id → reason (everyone else on the roster was present)."""
    if data.get("org") is not None:
        require_org(actor, data["org"], "该组织不在您的管理范围内，不能录入其组织生活。")
    meeting = Meeting(created_by=actor if getattr(actor, "pk", None) else None)
    _write(meeting, data, types, absentees or {})
    audit.record(
        actor=actor, action="create", obj=meeting, org_path=meeting.org.path, after=meeting_snapshot(meeting)
    )
    return meeting


@transaction.atomic
def update_meeting(
    *,
    actor,
    meeting: Meeting,
    data: dict[str, Any],
    types: list[str] | None = None,
    absentees: dict[int, str] | None = None,
) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("org").get(pk=meeting.pk)
    require_org(actor, meeting.org)
    if data.get("org") is not None and data["org"].pk != meeting.org_id:
        require_org(actor, data["org"], "目标组织不在您的管理范围内。")
    before = meeting_snapshot(meeting)
    merged = {**{k: getattr(meeting, k) for k in MEETING_FIELDS}, **data}
    if types is None:
        types = list(meeting.kinds.values_list("type", flat=True))
    if absentees is None:
        absentees = dict(meeting.absences.values_list("member_id", "reason"))
    _write(meeting, merged, types, absentees)
    after = meeting_snapshot(meeting)
    if after != before:
        audit.record(
            actor=actor, action="update", obj=meeting, org_path=meeting.org.path, before=before, after=after
        )
    return meeting


@transaction.atomic
def delete_meeting(*, actor, meeting: Meeting) -> None:
    meeting = Meeting.objects.select_for_update().select_related("org").get(pk=meeting.pk)
    require_org(actor, meeting.org)
    audit.record(
        actor=actor, action="delete", obj=meeting, org_path=meeting.org.path, before=meeting_snapshot(meeting)
    )
    meeting.delete()
