"""Recording organizational life. The branch ticks the absentees; everything else (应到, 实到, the
正式党员 among them, per type) is derived from the roster on the meeting's date and kept on the record."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dangjian.accounts.scope import require_org
from dangjian.core import audit, edits
from dangjian.core.choices import choice_label
from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.meetings.choices import (
    ROSTER_OF_TYPE,
    TYPES_FOR_ORG,
    AbsenceReason,
    MeetingType,
    OrgLifeReviewDecision,
    Roster,
)
from dangjian.meetings.models import (
    Absence,
    Attachment,
    Meeting,
    MeetingKind,
    OrgLifeReview,
    PlannedMeeting,
    parse_reason,
)
from dangjian.meetings.roster import RosterEntry, is_formal_on, members_in_subtree, rosters_for_types
from dangjian.members.choices import HistoryField
from dangjian.members.models import Member, MemberHistory
from dangjian.orgs.choices import OrgType, chinese_label
from dangjian.orgs.models import Org, Post

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
    """The record as its audit events show it, and its version (core.edits). Its types and attachments are read
    through `.all()`, so that a page that prefetched them (the edit page) reads them once."""
    kinds = sorted(meeting.kinds.all(), key=lambda k: k.type)
    return {
        "org": meeting.org.code,
        "types": "、".join(chinese_label(MeetingType, k.type) for k in kinds),
        "date": meeting.date,
        "topic": meeting.topic,
        "place": meeting.place,
        "host": meeting.host.name if meeting.host_id else "",
        "lecturer": meeting.lecturer_display,
        "observers": meeting.observers,
        "absentees": "、".join(
            f"{a.member.name}（{_reason_label(a.reason_kind, a.reason)}）" if a.reason_kind else a.member.name
            for a in meeting.absences.select_related("member").order_by(
                "member__name_pinyin", "member__name", "member_id"
            )
        ),
        "attendance": "；".join(
            f"{chinese_label(MeetingType, k.type)} 应到{k.expected} 实到{k.present}" for k in kinds
        ),
        "agenda": meeting.agenda,
        "content": meeting.content,
        "decisions": meeting.decisions,
        "attachments": "、".join(a.name for a in sorted(meeting.attachments.all(), key=lambda a: a.pk)),
    }


def _reason_label(kind: str, text: str) -> str:
    """The reason in Chinese (audit snapshots are data, whatever the interface language)."""
    label = chinese_label(AbsenceReason, kind)
    return f"{label}：{text}" if text else label


# An absentee's reason: (kind, text), or a text alone (read as parse_reason reads it: "病假", "公差：赴京" …).
Reason = tuple[str, str] | str | None


def absence_reasons(actor, absentees: dict[int, Reason]) -> dict[int, tuple[str, str]]:
    """Each absentee's reason as (kind, text): a text without a kind is 其他; 其他 needs its text."""
    found: dict[int, tuple[str, str]] = {}
    unexplained = []
    for member_id, value in absentees.items():
        if value is None or isinstance(value, str):
            kind, text = "", value or ""
        else:
            kind, text = (value[0] or "").strip(), (value[1] or "").strip()
        if kind and kind not in AbsenceReason.values:
            raise ServiceError(_("缺席原因“%(kind)s”无效。") % {"kind": kind}, field="absentees")
        if not kind:  # a text alone: "病假", "公差：赴京" or anything else (其他)
            kind, text = parse_reason(text)
        text = text[:200]
        if kind == AbsenceReason.OTHER and not text:
            unexplained.append(member_id)
        found[member_id] = (kind, text)
    if unexplained:
        raise ServiceError(
            _("缺席原因为“其他”时请注明具体原因：%(names)s。") % {"names": _names(actor, unexplained)},
            field="absentees",
        )
    return found


def date_problems(org: Org | None, date: dt.date | None) -> list[str]:
    """What is wrong with a record of `org` held on `date` (none without a date): a day after today, before the
    organisation's 成立日期 or after its 撤销日期. Saving refuses it; the roster refresh of the form shows it by the
    date as it is corrected (a read, nothing is written)."""
    problems: list[str] = []
    if not date:
        return problems
    if date > dt.date.today():
        problems.append(_("日期不能晚于今天：组织生活记录的是已经召开的会议。"))
    if org is not None and org.founded_on and date < org.founded_on:
        problems.append(
            _("日期早于%(org)s的成立日期（%(date)s）。")
            % {"org": org.name, "date": f"{org.founded_on:%Y-%m-%d}"}
        )
    if org is not None and org.dissolved_on and date > org.dissolved_on:  # the 撤销日期 is the org's last day
        problems.append(
            _("%(org)s已于%(date)s撤销。") % {"org": org.name, "date": f"{org.dissolved_on:%Y-%m-%d}"}
        )
    return problems


def _validate(data: dict[str, Any], types: list[str]) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    org, date = data.get("org"), data.get("date")
    if org is None:
        add("org", _("请选择组织。"))
    if not date:
        add("date", _("请填写日期。"))
    for message in date_problems(org, date):
        add("date", message)
    if not (data.get("topic") or "").strip():
        add("topic", _("请填写主题。"))
    if not types:
        add("types", _("请至少选择一种活动类型。"))
    unknown = [t for t in types if t not in MeetingType.values]
    if unknown:
        add("types", _("活动类型无效。"))
    if org is not None and not unknown:
        allowed = TYPES_FOR_ORG.get(org.type, frozenset())
        for t in types:
            if t not in allowed:
                add(
                    "types",
                    _("%(type)s不召开“%(meeting)s”（%(org)s可记录：%(allowed)s）。")
                    % {
                        "type": choice_label(OrgType, org.type),
                        "meeting": choice_label(MeetingType, t),
                        "org": org.name,
                        "allowed": enumeration(
                            choice_label(MeetingType, x) for x in MeetingType.values if x in allowed
                        ),
                    },
                )
    if data.get("lecturer") is not None and (data.get("lecturer_name") or "").strip():
        add("lecturer_name", _("主讲人请在党员和外请人员中选一种填写。"))
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


def _names(actor, member_ids: list[int]) -> str:
    """Names for a message, only of members the actor may see (an id outside scope stays unnamed)."""
    visible = Member.objects.filter(pk__in=member_ids)
    if actor is not None:
        visible = visible.visible_to(actor)
    names = list(visible.order_by("name_pinyin", "name", "id").values_list("name", flat=True))
    hidden = len(set(member_ids)) - len(names)
    if hidden:
        names.append(
            ngettext("另有%(n)s名不在您管理范围内的人员", "另有%(n)s名不在您管理范围内的人员", hidden)
            % {"n": hidden}
        )
    return enumeration(names)


def _check_people(actor, data: dict[str, Any], on_roster: set[int], absent) -> None:
    """The host and the lecturer are not ticked absent (a lecture counts for its lecturer: a secretary recorded
    absent must not be credited with the 党课). The host is on the roster or holds a post in the organisation on
    the date (who chaired is a fact of the meeting; whether the right person chaired is MTG-CHAIRED-BY-SECRETARY's
    to report, never a reason to refuse the record); the lecturer is on the roster, holds a post on the date in
    the organisation, an ancestor or an organisation of the same unit (the 党组书记 lecturing at a branch), or
    is a member the actor administers."""
    org, date = data["org"], data["date"]
    host, lecturer = data.get("host"), data.get("lecturer")
    holders = Post.objects.current(date)
    if host is not None and host.pk not in on_roster and not holders.filter(org=org, member=host).exists():
        raise ServiceError(_("主持人应为应到人员或该组织的在任委员。"), field="host")
    if host is not None and host.pk in absent:
        raise ServiceError(_("主持人不能同时记为缺席。"), field="host")
    if lecturer is not None and lecturer.pk in absent:
        raise ServiceError(_("主讲人不能同时记为缺席。"), field="lecturer")
    if lecturer is None or lecturer.pk in on_roster:
        return
    related = Q(org=org) | Q(org__path__in=org.ancestor_paths())
    if org.unit:
        related |= Q(org__unit=org.unit)
    if holders.filter(related, member=lecturer).exists():
        return
    if actor is None or Member.objects.visible_to(actor).filter(pk=lecturer.pk).exists():
        return
    raise ServiceError(_("主讲人应为本组织或本单位的党员、在任委员。"), field="lecturer")


def _store_uploads(meeting: Meeting, uploads) -> None:
    """Optional evidence, stored under a random name (the original name is kept for the download)."""
    for upload in uploads or []:
        original = os.path.basename(upload.name)[:200]
        upload.name = f"{uuid.uuid4().hex}{os.path.splitext(original)[1].lower()}"
        Attachment.objects.create(meeting=meeting, file=upload, name=original)


def _remove_files(rows: list[Attachment]) -> None:
    """Deletes the rows now and their files once the transaction has committed."""
    names = [row.file.name for row in rows]
    Attachment.objects.filter(pk__in=[row.pk for row in rows]).delete()
    storage = Attachment._meta.get_field("file").storage

    def unlink() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(unlink)


def _write(
    meeting: Meeting, data: dict[str, Any], types: list[str], absentees: dict[int, Reason], actor
) -> None:
    types = sorted(set(types), key=MeetingType.values.index)
    _validate(data, types)
    rosters = rosters_for_types(data["org"], types, data["date"])
    on_roster = {e.member_id for entries in rosters.values() for e in entries}
    stray = [member_id for member_id in absentees if member_id not in on_roster]
    if stray:
        raise ServiceError(
            _("缺席人员不在应到名单中：%(names)s。") % {"names": _names(actor, stray)}, field="absentees"
        )
    reasons = absence_reasons(actor, absentees)
    _check_people(actor, data, on_roster, reasons)
    for key in MEETING_FIELDS:
        if key in data:
            value = data[key]
            setattr(meeting, key, value.strip() if isinstance(value, str) else value)
    meeting.save()
    meeting.kinds.all().delete()
    meeting.absences.all().delete()
    MeetingKind.objects.bulk_create(_kinds(meeting, types, rosters, set(absentees)))
    Absence.objects.bulk_create(
        Absence(meeting=meeting, member_id=member_id, reason_kind=kind, reason=text)
        for member_id, (kind, text) in sorted(reasons.items())
    )


@transaction.atomic
def create_meeting(
    *,
    actor,
    data: dict[str, Any],
    types: list[str],
    absentees: dict[int, Reason] | None = None,
    attachments=None,
    plan: PlannedMeeting | None = None,
) -> Meeting:
    """`absentees` maps member id → reason, (kind, text) or a text (everyone else on the roster was present);
    `attachments` are uploaded files kept as optional evidence; `plan`: the planned meeting this records (of
    the same organisation, not yet recorded), linked to the record."""
    if data.get("org") is not None:
        require_org(actor, data["org"], _("该组织不在您的管理范围内，不能录入其组织生活。"))
    meeting = Meeting(created_by=actor if getattr(actor, "pk", None) else None)
    _write(meeting, data, types, absentees or {}, actor)
    _store_uploads(meeting, attachments)
    after = meeting_snapshot(meeting)
    if plan is not None:
        _link_plan(plan, meeting)
        after["plan"] = plan.pk
    audit.record(actor=actor, action="create", obj=meeting, org_path=meeting.org.path, after=after)
    _lecturers_changed(meeting.lecturer_id)
    return meeting


def _link_plan(plan: PlannedMeeting, meeting: Meeting) -> None:
    locked = PlannedMeeting.objects.select_for_update().filter(pk=plan.pk).first()
    if locked is None or locked.org_id != meeting.org_id:
        raise ServiceError(_("该计划活动不属于所选组织。"), field="org")
    if locked.meeting_id is not None:
        raise ServiceError(_("该计划活动已录入为组织生活记录。"))
    if locked.cancelled_at is not None:
        raise ServiceError(_("该计划活动已取消，不能按计划录入。"))
    locked.meeting = meeting
    locked.save(update_fields=["meeting"])
    plan.meeting = meeting


def _plan_values(
    org, *, date: dt.date, types: list[str], topic: str, place: str, on: dt.date, kept: dt.date | None = None
) -> dict[str, Any]:
    """A plan's checked values: today or later (`kept`: the date an edited plan already has, which may stay
    although passed), of types the organisation holds (in their canonical order), with a topic."""
    if date < on and date != kept:
        raise ServiceError(_("计划日期不能早于今天。"), field="date")
    allowed = TYPES_FOR_ORG.get(org.type, frozenset())
    chosen = [t for t in MeetingType.values if t in set(types)]
    if not chosen or len(chosen) != len(set(types)):
        raise ServiceError(_("请选择该组织可开展的活动类型。"), field="types")
    held_elsewhere = [t for t in chosen if t not in allowed]
    if held_elsewhere:  # the form offers the types of every organisation planned for (a 党小组's among them)
        raise ServiceError(
            _("%(org)s不开展%(types)s；该组织可计划的活动类型：%(allowed)s。")
            % {
                "org": org.name,
                "types": enumeration(choice_label(MeetingType, t) for t in held_elsewhere),
                "allowed": enumeration(
                    choice_label(MeetingType, t) for t in MeetingType.values if t in allowed
                ),
            },
            field="types",
        )
    topic = (topic or "").strip()
    if not topic:
        raise ServiceError(_("请填写主题。"), field="topic")
    return {"date": date, "types": chosen, "topic": topic[:200], "place": (place or "").strip()[:200]}


def _plan_snapshot(plan: PlannedMeeting) -> dict[str, Any]:
    return {"date": plan.date, "types": list(plan.types), "topic": plan.topic, "place": plan.place}


@transaction.atomic
def plan_meeting(
    *, actor, org, date: dt.date, types: list[str], topic: str, place: str = "", on: dt.date | None = None
) -> PlannedMeeting:
    """Plans a meeting of `org` (optional: nothing requires a plan): today or later, of types the organisation
    holds, with a topic."""
    require_org(actor, org, _("该组织不在您的管理范围内，不能计划其活动。"))
    values = _plan_values(org, date=date, types=types, topic=topic, place=place, on=on or dt.date.today())
    plan = PlannedMeeting.objects.create(
        org=org, created_by=actor if getattr(actor, "pk", None) else None, **values
    )
    audit.record(actor=actor, action="plan", obj=plan, org_path=org.path, after=_plan_snapshot(plan))
    return plan


def _open_plan(actor, plan: PlannedMeeting) -> PlannedMeeting:
    """The plan locked, once the actor's scope over its organisation is checked; refused when it is already
    recorded as a meeting or cancelled."""
    locked = PlannedMeeting.objects.select_for_update().select_related("org").get(pk=plan.pk)
    require_org(actor, locked.org, _("该组织不在您的管理范围内，不能修改其计划活动。"))
    if locked.meeting_id is not None:
        raise ServiceError(_("该计划活动已录入为组织生活记录，不能再修改或取消。"))
    if locked.cancelled_at is not None:
        raise ServiceError(_("该计划活动已取消。"))
    return locked


@transaction.atomic
def update_plan(
    *,
    actor,
    plan: PlannedMeeting,
    date: dt.date,
    types: list[str],
    topic: str,
    place: str = "",
    on: dt.date | None = None,
) -> PlannedMeeting:
    """Changes a plan's date, types, topic and place (its organisation stays): the checks of `plan_meeting`,
    except that a passed date may stay as it was. Unchanged values record nothing."""
    locked = _open_plan(actor, plan)
    values = _plan_values(
        locked.org,
        date=date,
        types=types,
        topic=topic,
        place=place,
        on=on or dt.date.today(),
        kept=locked.date,
    )
    before = _plan_snapshot(locked)
    if values == before:
        return locked
    for name, value in values.items():
        setattr(locked, name, value)
    locked.revision += 1
    locked.save(update_fields=[*values, "revision"])
    audit.record(
        actor=actor, action="update", obj=locked, org_path=locked.org.path, before=before, after=values
    )
    return locked


@transaction.atomic
def cancel_plan(*, actor, plan: PlannedMeeting, reason: str = "") -> PlannedMeeting:
    """Cancels a plan not yet recorded (取消计划, with an optional reason): it leaves the members' pages and the
    plans ahead, the calendar feed marks it cancelled, and no meeting can be recorded from it."""
    locked = _open_plan(actor, plan)
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = actor if getattr(actor, "pk", None) else None
    locked.cancel_reason = (reason or "").strip()[:200]
    locked.revision += 1
    locked.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason", "revision"])
    audit.record(
        actor=actor,
        action="cancel",
        obj=locked,
        org_path=locked.org.path,
        before=_plan_snapshot(locked),
        after={"reason": locked.cancel_reason},
    )
    return locked


def _lecturers_changed(*member_ids: int | None) -> None:
    """A lecture counts for the organisations where its lecturer holds a post (a 党组书记's 党课 in any
    branch): name the lecturers' branches, whose post holders' organisations the kept results refresh."""
    ids = {pk for pk in member_ids if pk is not None}
    if ids:
        for path in Member.objects.filter(pk__in=ids).values_list("org__path", flat=True):
            audit.changed(path)


@transaction.atomic
def update_meeting(
    *,
    actor,
    meeting: Meeting,
    data: dict[str, Any],
    types: list[str] | None = None,
    absentees: dict[int, Reason] | None = None,
    attachments=None,
    remove_attachments: list[int] | None = None,
    version: str | None = None,
) -> Meeting:
    """Saves an edited record. `version`: the record's version the edit page showed (core.edits): a record changed
    since is refused (core.edits.Stale), not saved over."""
    meeting = Meeting.objects.select_for_update().select_related("org").get(pk=meeting.pk)
    require_org(actor, meeting.org)
    if data.get("org") is not None and data["org"].pk != meeting.org_id:
        require_org(actor, data["org"], _("目标组织不在您的管理范围内。"))
    before = meeting_snapshot(meeting)
    edits.check(version, before, meeting)
    lecturer_before = meeting.lecturer_id
    merged = {**{k: getattr(meeting, k) for k in MEETING_FIELDS}, **data}
    if types is None:
        types = list(meeting.kinds.values_list("type", flat=True))
    if absentees is None:
        absentees = {
            m: (kind, text)
            for m, kind, text in meeting.absences.values_list("member_id", "reason_kind", "reason")
        }
    _write(meeting, merged, types, absentees, actor)
    _store_uploads(meeting, attachments)
    if remove_attachments:
        _remove_files(list(meeting.attachments.filter(pk__in=remove_attachments)))
    after = meeting_snapshot(meeting)
    if after != before:
        audit.record(
            actor=actor, action="update", obj=meeting, org_path=meeting.org.path, before=before, after=after
        )
        _lecturers_changed(lecturer_before, meeting.lecturer_id)
    return meeting


@transaction.atomic
def uncount_member(*, actor, member: Member, note: str) -> list[Meeting]:
    """Takes `member`, about to be deleted from the roll as entered by mistake (an admission undone, pipeline), out of
    the 应到/实到 the meetings that counted them keep: those they are ticked absent from, and those saved since they
    were entered in the registry whose members' roster on the meeting's date has them (`roster.members_in_subtree`).
    Each type counted from that roster loses them from 应到 (and 应到正式党员 when they were 正式 then), and from
    实到 unless absent; everything else stays as recorded (saving a record again recomputes it from the registry, as
    its edit form says before saving). One update event per meeting changed, on its organisation, with `note`. Inside
    the caller's transaction, which checked its scope, before the member's absences and record are deleted.
    Returns the meetings changed."""
    absent = set(member.absences.values_list("meeting_id", flat=True))
    moves = MemberHistory.objects.filter(member=member, field=HistoryField.ORG)
    org_ids = {member.org_id} | {
        pk for pair in moves.values_list("old_org_id", "new_org_id") for pk in pair if pk
    }
    paths = {path for org in Org.objects.filter(pk__in=org_ids) for path in org.ancestor_paths()}
    counted_types = [t for t, roster_kind in ROSTER_OF_TYPE.items() if roster_kind == Roster.MEMBERS]
    candidates = MeetingKind.objects.filter(
        org__path__in=paths, date__gte=member.joined_on, type__in=counted_types
    ).values("meeting_id")
    meetings = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("org")
        .filter(Q(pk__in=absent) | Q(pk__in=candidates, updated_at__gte=member.created_at))
        .order_by("date", "id")
    )
    changed = []
    for meeting in meetings:
        entry = next(
            (e for e in members_in_subtree(meeting.org, meeting.date) if e.member_id == member.pk), None
        )
        if entry is None and meeting.pk not in absent:
            continue
        formal = entry.formal if entry is not None else is_formal_on(member, meeting.date)
        kinds = [k for k in meeting.kinds.all() if ROSTER_OF_TYPE.get(k.type) == Roster.MEMBERS]
        if not kinds:
            continue
        before = meeting_snapshot(meeting)
        for kind in kinds:
            kind.expected = max(kind.expected - 1, 0)
            kind.expected_formal = max(kind.expected_formal - int(formal), 0)
            if meeting.pk not in absent:
                kind.present = max(kind.present - 1, 0)
                kind.present_formal = max(kind.present_formal - int(formal), 0)
            kind.present = min(kind.present, kind.expected)
            kind.present_formal = min(kind.present_formal, kind.expected_formal)
        MeetingKind.objects.bulk_update(kinds, ["expected", "present", "expected_formal", "present_formal"])
        audit.record(
            actor=actor,
            action="update",
            obj=meeting,
            org_path=meeting.org.path,
            before=before,
            after=meeting_snapshot(meeting),
            note=note,
        )
        changed.append(meeting)
    return changed


@transaction.atomic
def delete_meeting(*, actor, meeting: Meeting) -> None:
    meeting = Meeting.objects.select_for_update().select_related("org").get(pk=meeting.pk)
    require_org(actor, meeting.org)
    audit.record(
        actor=actor, action="delete", obj=meeting, org_path=meeting.org.path, before=meeting_snapshot(meeting)
    )
    _lecturers_changed(meeting.lecturer_id)
    _remove_files(list(meeting.attachments.all()))
    meeting.delete()


@transaction.atomic
def record_orglife_review(
    *, actor, member: Member, reviewed_on: dt.date, through_month: dt.date, decision: str, reason: str
) -> OrgLifeReview:
    """The branch's review of a member who took no part in organizational life for months without a recorded
    reason (党章 第九条; MEM-ORGLIFE-ABSENT-6M): the absences up to `through_month` are reviewed. Never changes
    the member's status: 除名 as 自行脱党 is the 支部大会's decision, recorded where status changes are."""
    if decision not in OrgLifeReviewDecision.values:
        raise ServiceError(_("结论“%(decision)s”无效。") % {"decision": decision}, field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写理由。"), field="reason")
    if not isinstance(reviewed_on, dt.date) or reviewed_on > dt.date.today():
        raise ServiceError(_("审查日期无效（不能晚于今天）。"), field="reviewed_on")
    if not isinstance(through_month, dt.date):
        raise ServiceError(_("月份无效。"), field="through_month")
    through_month = through_month.replace(day=1)
    if through_month > reviewed_on:
        raise ServiceError(_("审查所涉截至月份不能晚于审查日期。"), field="through_month")
    current = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    require_org(actor, current.org, _("该党员不在您的管理范围内，未登记组织生活缺席审查。"))
    review = OrgLifeReview.objects.create(
        member=current,
        reviewed_on=reviewed_on,
        through_month=through_month,
        decision=decision,
        reason=reason,
        reviewed_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=review,
        org_path=current.org.path,
        after={
            "member": current.name,
            "reviewed_on": reviewed_on,
            "through_month": through_month,
            "decision": chinese_label(OrgLifeReviewDecision, decision),
            "reason": reason,
        },
    )
    return review
