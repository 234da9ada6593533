"""培训与学习 use cases: validate, check scope inside the transaction, write, record the audit event.

A training is written by the organisation that records it (`org`); its participants must be within the
actor's scope too. Its 学时 stay within MAX_HOURS_PER_DAY per day of its span, it has begun by today (no
planned trainings), and a participant is 已完成 only once it is over. Study records come from the platforms'
exports (`dangjian import study-stats`), one per member + platform + period, written again with the same
figures they are unchanged."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.accounts.scope import require_org
from dangjian.core import audit, edits
from dangjian.core.errors import ServiceError
from dangjian.members.models import Member
from dangjian.members.services import require_members
from dangjian.orgs.choices import OrgType, chinese_label
from dangjian.orgs.models import Org
from dangjian.training.choices import Platform, TrainingLevel
from dangjian.training.models import Participant, StudyRecord, Training

MAX_TRAINING_HOURS = Decimal("1000")
# A plausibility bound, not a rule of any regulation: a full training day is counted as 8 学时 at most (the
# 发展党员 细则 equates 3 days of training with 24 学时), so a training's 学时 may not exceed 8 × its days (first
# and last day included). It catches a figure typed wrongly (500 for one day), not a policy question.
MAX_HOURS_PER_DAY = Decimal("8")
RECORDING_TYPES = (OrgType.GONGWEI, OrgType.DANGZU, OrgType.DANGWEI, OrgType.ZONGZHI, OrgType.ZHIBU)


def _decimal(value: Any, field: str, label: str) -> Decimal | None:
    """`label`: the figure's name as it reads inside a sentence, translated."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ServiceError(
            _("%(label)s“%(value)s”不是有效数字。") % {"label": label, "value": value}, field=field
        ) from None
    if not number.is_finite() or number < 0:
        raise ServiceError(_("%(label)s不能为负数。") % {"label": label}, field=field)
    return number


def training_snapshot(t: Training) -> dict[str, Any]:
    return {
        "title": t.title,
        "organiser": t.organiser,
        "level": chinese_label(TrainingLevel, t.level),
        "org": t.org.code,
        "started_on": t.started_on,
        "ended_on": t.ended_on,
        "hours": t.hours,
        "note": t.note,
    }


def _validate_training(data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {
        "title": (data.get("title") or "").strip(),
        "organiser": (data.get("organiser") or "").strip(),
        "level": data.get("level") or "",
        "org": data.get("org"),
        "started_on": data.get("started_on"),
        "ended_on": data.get("ended_on") or data.get("started_on"),
        "hours": _decimal(data.get("hours"), "hours", pgettext("in a sentence", "学时")),
        "note": (data.get("note") or "").strip(),
    }
    errors: dict[str, list[str]] = {}
    for key, message in (
        ("title", _("请填写培训名称。")),
        ("organiser", _("请填写主办单位。")),
        ("started_on", _("请填写开始日期。")),
    ):
        if not clean[key]:
            errors.setdefault(key, []).append(message)
    if clean["level"] not in TrainingLevel.values:
        errors.setdefault("level", []).append(_("请选择培训类别。"))
    if not isinstance(clean["org"], Org) or clean["org"].type not in RECORDING_TYPES:
        errors.setdefault("org", []).append(_("请选择登记培训的党组织。"))
    hours = clean["hours"]
    if hours is None or hours <= 0:
        errors.setdefault("hours", []).append(_("学时必须大于 0。"))
    elif hours > MAX_TRAINING_HOURS or hours != hours.quantize(Decimal("0.1")):
        errors.setdefault("hours", []).append(_("学时最多保留一位小数，且不超过 1000。"))
    if clean["started_on"] and clean["started_on"] > dt.date.today():
        # no planned trainings: a training is recorded once it has begun (its participants, once it is over)
        errors.setdefault("started_on", []).append(_("开始日期不能晚于今天：登记的是已经开始的培训。"))
    if clean["started_on"] and clean["ended_on"] and clean["ended_on"] < clean["started_on"]:
        errors.setdefault("ended_on", []).append(_("结束日期不能早于开始日期。"))
    elif clean["started_on"] and clean["ended_on"] and "hours" not in errors:
        days = (clean["ended_on"] - clean["started_on"]).days + 1
        most = MAX_HOURS_PER_DAY * days
        if hours is not None and hours > most:
            errors.setdefault("hours", []).append(
                _("学时不能超过培训天数×%(per_day)s：本次培训%(days)s天，最多%(most)s学时。")
                % {"per_day": MAX_HOURS_PER_DAY, "days": days, "most": most}
            )
    if errors:
        first = next(iter(errors.values()))[0]
        raise ServiceError(first, field=next(iter(errors)), errors=errors)
    return clean


def create_training(*, actor, data: dict[str, Any]) -> Training:
    clean = _validate_training(data)
    with transaction.atomic():
        require_org(actor, clean["org"], _("只能为您管理范围内的党组织登记培训。"))
        training = Training.objects.create(**clean)
        audit.record(
            actor=actor,
            action="create",
            obj=training,
            org_path=training.org.path,
            after=training_snapshot(training),
        )
    return training


def _on_roll_during(member: Member, training: Training) -> bool:
    return member.joined_on <= training.ended_on and (
        member.inactive_from is None or member.inactive_from > training.started_on
    )


def has_ended(training: Training, today: dt.date | None = None) -> bool:
    """Whether the training is over (its last day is today or before): only then may a participant be recorded
    as having completed it."""
    return training.ended_on <= (today or dt.date.today())


def add_participants(
    *,
    actor,
    training: Training,
    members: Iterable[Member],
    completed: bool = True,
    certificates: dict[int, str] | None = None,
) -> tuple[int, int]:
    """Adds (or updates) participants; returns (added, updated). All or nothing. 已完成 only once the training
    is over."""
    members = list(members)
    certificates = certificates or {}
    if not members:
        raise ServiceError(_("请选择参训党员。"), field="members")
    added = updated = 0
    with transaction.atomic():
        require_org(actor, training.org, _("只能为您管理范围内党组织登记的培训添加参训人员。"))
        if completed and not has_ended(training):
            raise ServiceError(
                _(
                    "培训尚未结束（%(date)s结束），参训人员不能登记为已完成；请先登记为未完成，培训结束后再改为已完成。"
                )
                % {"date": f"{training.ended_on:%Y-%m-%d}"},
                field="completed",
            )
        require_members(actor, members, "members")  # before any name is shown
        for m in members:
            if not _on_roll_during(m, training):
                raise ServiceError(
                    _("%(name)s在培训期间不在党员名册中，不能登记为参训人员。") % {"name": m.name},
                    field="members",
                )
            if len(certificates.get(m.pk, "") or "") > 50:
                raise ServiceError(_("证书编号不能超过50个字。"), field="certificate_no")
        existing = {p.member_id: p for p in Participant.objects.filter(training=training, member__in=members)}
        for m in members:
            cert = (certificates.get(m.pk) or "").strip()
            p = existing.get(m.pk)
            if p is None:
                Participant.objects.create(
                    training=training, member=m, completed=completed, certificate_no=cert
                )
                added += 1
            elif p.completed != completed or (cert and p.certificate_no != cert):
                p.completed = completed
                p.certificate_no = cert or p.certificate_no
                p.save(update_fields=["completed", "certificate_no"])
                updated += 1
        audit.record(
            actor=actor,
            action="update",
            obj=training,
            org_path=training.org.path,
            note=f"参训人员：新增 {added}，更新 {updated}",
            after={"participants": [m.name for m in members], "completed": completed},
        )
    return added, updated


def remove_participant(*, actor, participant: Participant) -> None:
    with transaction.atomic():
        training = participant.training
        require_org(actor, training.org, _("只能修改您管理范围内党组织登记的培训。"))
        name = participant.member.name
        participant.delete()
        audit.record(
            actor=actor,
            action="update",
            obj=training,
            org_path=training.org.path,
            note=f"移除参训人员 {name}",
        )


def _locked(training: Training) -> Training:
    """The training's row as it is now, locked until the transaction ends (with its organisation)."""
    current = Training.objects.select_for_update().filter(pk=training.pk).first()
    if current is None:
        raise ServiceError(_("该培训记录已被删除。"))
    # read apart: a join would have SELECT … FOR UPDATE lock the organisation's row too
    current.org = Org.objects.get(pk=current.org_id)
    return current


def update_training(
    *, actor, training: Training, data: dict[str, Any], version: str | None = None
) -> Training:
    """Corrects a recorded training's own fields (名称, 主办单位, 类别, dates, 学时, 备注), validated as when it was
    recorded; its organisation stays. The hours every participant's totals count are the corrected ones; the
    event's path refreshes the organisation's kept TRAIN-* results. `version`: the training's version the edit page
    showed (core.edits): one changed since is refused, not saved over; None (no page) is not checked."""
    with transaction.atomic():
        current = _locked(training)
        require_org(actor, current.org, _("只能修改您管理范围内党组织登记的培训。"))
        edits.check(version, training_snapshot(current), current)
        clean = _validate_training({**data, "org": current.org})
        before = training_snapshot(current)
        for key, value in clean.items():
            setattr(current, key, value)
        participants = list(current.participants.select_related("member"))
        if clean["ended_on"] > dt.date.today() and any(p.completed for p in participants):
            raise ServiceError(_("已有参训人员登记为已完成，结束日期不能晚于今天。"), field="ended_on")
        for p in participants:  # the new dates keep every participant on the roll during the training
            if not _on_roll_during(p.member, current):
                raise ServiceError(
                    _("按修改后的日期，%(name)s在培训期间不在党员名册中；请核对日期，或先移除该参训人员。")
                    % {"name": p.member.name},
                    field="started_on",
                )
        after = training_snapshot(current)
        if after == before:
            return current
        current.save()
        audit.record(
            actor=actor,
            action="update",
            obj=current,
            org_path=current.org.path,
            before=before,
            after=after,
        )
    return current


def delete_training(*, actor, training: Training) -> None:
    """Deletes a training recorded by mistake or twice, with its participants: their hours leave every
    participant's totals. The event's path refreshes the organisation's kept TRAIN-* results."""
    with transaction.atomic():
        current = _locked(training)
        require_org(actor, current.org, _("只能删除您管理范围内党组织登记的培训。"))
        names = list(
            current.participants.order_by("member__name_pinyin", "member__name", "member_id").values_list(
                "member__name", flat=True
            )
        )
        before = {**training_snapshot(current), "participants": names}
        try:
            current.delete()
        except (ProtectedError, RestrictedError):
            raise ServiceError(_("该培训还有其他记录引用，不能删除。")) from None
        audit.record(
            actor=actor,
            action="delete",
            obj=current,
            object_id=str(training.pk),
            org_path=current.org.path,
            before=before,
            note=f"删除培训及其参训人员 {len(names)} 名",
        )


def parse_period(text: Any) -> tuple[str, int, int | None]:
    """期间 "2026" or "2026-03" (also 2026/3, 2026年3月) → (canonical text, year, month or None)."""
    raw = str(text or "").strip()
    norm = re.sub(r"[年/.]", "-", raw).rstrip("月").rstrip("-")
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?", norm)
    if not match:
        raise ServiceError(
            _("期间“%(period)s”无效，应为 YYYY 或 YYYY-MM（如 2026 或 2026-03）。") % {"period": raw},
            field="period",
        )
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        raise ServiceError(
            _("期间“%(period)s”无效，应为 YYYY 或 YYYY-MM（如 2026 或 2026-03）。") % {"period": raw},
            field="period",
        )
    if dt.date(year, month or 1, 1) > dt.date.today():
        raise ServiceError(_("期间“%(period)s”尚未开始。") % {"period": raw}, field="period")
    return (f"{year}-{month:02d}" if month else f"{year}"), year, month


def record_study(
    *, actor, member: Member, platform: str, period: str, points: Any = None, hours: Any = None
) -> tuple[StudyRecord, str]:
    """Upserts one platform figure for member + platform + period; returns (record, "create"|"update"|"unchanged")."""
    if platform not in Platform.values:
        raise ServiceError(_("请选择学习平台。"), field="platform")
    period, year, _month = parse_period(period)
    points_d = _decimal(points, "points", pgettext("in a sentence", "积分"))
    if points_d is not None and points_d != points_d.to_integral_value():
        raise ServiceError(_("积分应为整数。"), field="points")
    hours_d = _decimal(hours, "hours", pgettext("in a sentence", "学时"))
    if hours_d is not None and (hours_d != hours_d.quantize(Decimal("0.01")) or hours_d >= Decimal("100000")):
        raise ServiceError(_("学时最多保留两位小数。"), field="hours")
    if points_d is None and hours_d is None:
        raise ServiceError(_("积分和学时至少填写一项。"), field="hours")
    values = {"year": year, "points": int(points_d) if points_d is not None else None, "hours": hours_d}
    with transaction.atomic():
        require_org(actor, member.org, _("%(name)s不在您的管理范围内。") % {"name": member.name})
        record = (
            StudyRecord.objects.select_for_update()
            .filter(member=member, platform=platform, period=period)
            .first()
        )
        label = f"{member.name} {chinese_label(Platform, platform)} {period}"
        if record is not None:
            before = {"points": record.points, "hours": record.hours}
            if record.points == values["points"] and record.hours == values["hours"]:
                return record, "unchanged"
            for key, value in values.items():
                setattr(record, key, value)
            record.save()
            action = "update"
        else:
            before = None
            record = StudyRecord.objects.create(member=member, platform=platform, period=period, **values)
            action = "create"
        audit.record(
            actor=actor,
            action=action,
            obj=record,
            object_repr=label,
            org_path=member.org.path,
            before=before,
            after={"points": record.points, "hours": record.hours},
        )
    return record, action
