"""Writes of the movements domain: 党籍状态变更, 流动党员 stints and contacts, 失联, 组织关系转接. Each validates,
checks scope inside its transaction (`require_org`), writes (with MemberHistory for status and organisation
changes) and records the audit event; a refused write raises ServiceError and changes nothing. Nothing here
runs by itself: the suggestions for 失联 members (selectors) are only suggestions a person decides on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.accounts.scope import require_org
from dangjian.core import audit
from dangjian.core.choices import choice_label
from dangjian.core.errors import ServiceError
from dangjian.members.choices import HistoryField, MemberStatus
from dangjian.members.models import Member, MemberHistory
from dangjian.members.services import (
    _history,
    create_member,
    find_by_id_number,
    id_number_taken,
    member_snapshot,
)
from dangjian.movements.choices import AbroadPurpose, ContactWay, ExitOutcome, TransferKind, TransferState
from dangjian.movements.models import (
    LostContact,
    MobileContact,
    MobileStint,
    StatusChange,
    StintDecision,
    Transfer,
)
from dangjian.orgs.choices import MEMBER_ORG_TYPES, OrgType, chinese_label
from dangjian.orgs.models import Post
from dangjian.orgs.services import end_posts

# Which statuses may follow which. 出党 and 死亡 are final (EDU-04: 劝退、除名、开除 cannot be restored);
# 停止党籍 may be lifted (恢复党籍) or end in 出党; a member 转出 who comes back is 转入 again (正常).
TRANSITIONS: dict[str, frozenset[str]] = {
    MemberStatus.NORMAL: frozenset(
        {MemberStatus.SUSPENDED, MemberStatus.LEFT_PARTY, MemberStatus.DECEASED, MemberStatus.TRANSFERRED_OUT}
    ),
    MemberStatus.SUSPENDED: frozenset({MemberStatus.NORMAL, MemberStatus.LEFT_PARTY, MemberStatus.DECEASED}),
    MemberStatus.TRANSFERRED_OUT: frozenset({MemberStatus.NORMAL}),
    MemberStatus.LEFT_PARTY: frozenset(),
    MemberStatus.DECEASED: frozenset(),
}


def status_label(value: str) -> str:
    """The status as the records keep it (Chinese)."""
    return chinese_label(MemberStatus, value)


def _status(value: str) -> str:
    """The status as a message shows it (the active language)."""
    return choice_label(MemberStatus, value)


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _date(value: Any, field: str, message: str) -> dt.date:
    """`message`: the refusal when the date is missing (translated)."""
    if not isinstance(value, dt.date):
        raise ServiceError(message, field=field)
    return value


def _not_future(value: dt.date, field: str, message: str) -> dt.date:
    """Refuses a date after today (`message`, translated): what is recorded here has happened; a date ahead
    would take a member off the lists at once while the counts of that day still include them."""
    if value > dt.date.today():
        raise ServiceError(message, field=field)
    return value


def _end_posts_on_leaving(
    actor, member: Member, on: dt.date, *, target=None, note: str, on_label: str, field: str
) -> None:
    """Ends, on `on`, the posts the member holds in the organisations they leave: with `target` (a transfer inside
    the system) those of the old organisation, of those below it and of those above it that do not contain
    `target` (a 党委委员 moving to another branch of the same 党委 stays 委员); without (转出本系统, 停止党籍, 出党,
    死亡) every post. Through the orgs service, each end audited; the caller checked scope over the move. A post
    recorded as starting on `on` or later is refused at the caller's date (`on_label`, its form's `field`)."""
    old = member.org
    posts = [
        p
        for p in Post.objects.filter(member=member)
        .exclude(ended_on__lte=on)
        .select_related("org", "member")
        .order_by("org__path", "title")
        if target is None
        or (
            (old.path.startswith(p.org.path) or p.org.path.startswith(old.path))
            and not target.path.startswith(p.org.path)
        )
    ]
    if posts:
        end_posts(actor=actor, posts=posts, on=on, note=note, on_label=on_label, field=field)


def _locked(member: Member) -> Member:
    return Member.objects.select_for_update().select_related("org").get(pk=member.pk)


def _member_org_ok(org, field: str) -> None:
    """The receiving organisation (接收组织) can take members."""
    if org is None:
        raise ServiceError(_("请选择接收组织。"), field=field)
    if org.type not in MEMBER_ORG_TYPES:
        raise ServiceError(
            _("接收组织须为党支部或党小组，“%(org)s”是%(type)s。")
            % {"org": org.name, "type": choice_label(OrgType, org.type)},
            field=field,
        )
    if org.is_dissolved:
        raise ServiceError(_("“%(org)s”已撤销，不能接收党员。") % {"org": org.name}, field=field)


def _receiving_branch_ok(member: Member, org, field: str) -> None:
    """The receiving organisation of a transfer inside the system: an active 党支部 other than the member's own. A
    党小组 is never one: its branch receives the member and places them in it, and a move between the 党小组 of
    one branch is a change of the member's record, not a transfer."""
    if org is None:
        raise ServiceError(_("请选择接收组织。"), field=field)
    own = member.org
    branch_id = own.parent_id if own.type == OrgType.XIAOZU and own.parent_id else own.pk
    if org.type == OrgType.XIAOZU:
        if org.parent_id == branch_id:
            raise ServiceError(
                _(
                    "“%(org)s”是%(name)s所在党支部的党小组：在支部内调整党小组，请修改其党员信息中的所在组织，"
                    "不需要转接。"
                )
                % {"org": org.name, "name": member.name},
                field=field,
            )
        branch = org.parent.name if org.parent_id else ""
        raise ServiceError(
            _(
                "组织关系转接的接收组织须为党支部，“%(org)s”是党小组：请选择其所在的“%(branch)s”，由该支部接收后编入党小组。"
            )
            % {"org": org.name, "branch": branch},
            field=field,
        )
    if org.type != OrgType.ZHIBU:
        raise ServiceError(
            _("组织关系转接的接收组织须为党支部，“%(org)s”是%(type)s。")
            % {"org": org.name, "type": choice_label(OrgType, org.type)},
            field=field,
        )
    if org.is_dissolved:
        raise ServiceError(_("“%(org)s”已撤销，不能接收党员。") % {"org": org.name}, field=field)
    if org.pk == own.pk:
        raise ServiceError(_("%(name)s已在“%(org)s”。") % {"name": member.name, "org": org.name}, field=field)
    if org.pk == branch_id:
        raise ServiceError(
            _("%(name)s已在“%(org)s”（%(group)s），不需要转接。")
            % {"name": member.name, "org": org.name, "group": own.name},
            field=field,
        )


# --- 党籍状态 ------------------------------------------------------------------------------------------------


def _status_snapshot(c: StatusChange) -> dict:
    return {
        "member": c.member.name,
        "org": c.org.code,
        "old_status": status_label(c.old_status),
        "new_status": status_label(c.new_status),
        "outcome": chinese_label(ExitOutcome, c.outcome) if c.outcome else "",
        "effective_on": c.effective_on,
        "decided_on": c.decided_on,
        "decision_body": c.decision_body,
        "note": c.note,
    }


def _validate_status(
    member: Member, status: str, effective_on, decided_on, decision_body: str, outcome: str
) -> tuple[dt.date, dt.date]:
    if status not in MemberStatus.values:
        raise ServiceError(_("党籍状态“%(status)s”无效。") % {"status": status}, field="status")
    current = member.status
    if status == current:
        raise ServiceError(
            _("%(name)s的党籍状态已是“%(status)s”。") % {"name": member.name, "status": _status(status)},
            field="status",
        )
    if status not in TRANSITIONS[current]:
        if current == MemberStatus.LEFT_PARTY:
            reason = _("%(name)s已出党，党籍状态不能再变更。") % {"name": member.name}
        elif current == MemberStatus.DECEASED:
            reason = _("%(name)s已死亡，党籍状态不能再变更。") % {"name": member.name}
        else:
            reason = _("党籍状态不能由“%(old)s”变更为“%(new)s”。") % {
                "old": _status(current),
                "new": _status(status),
            }
        raise ServiceError(reason, field="status")
    effective_on = _date(effective_on, "effective_on", _("请填写生效日期。"))
    decided_on = _date(
        decided_on,
        "decided_on",
        _("请填写死亡日期。") if status == MemberStatus.DECEASED else _("请填写决定日期。"),
    )
    _not_future(effective_on, "effective_on", _("生效日期不能晚于今天：请在生效后登记。"))
    _not_future(
        decided_on,
        "decided_on",
        _("死亡日期不能晚于今天。") if status == MemberStatus.DECEASED else _("决定日期不能晚于今天。"),
    )
    if effective_on < member.joined_on:
        raise ServiceError(_("生效日期不能早于入党日期。"), field="effective_on")
    if member.inactive_from and effective_on < member.inactive_from:
        raise ServiceError(
            _("生效日期不能早于当前状态的生效日期（%(date)s）。")
            % {"date": f"{member.inactive_from:%Y-%m-%d}"},
            field="effective_on",
        )
    # nor before the member's last move (a transfer into their organisation or into the system) or status change
    _not_before_arrival(member, effective_on, "effective_on", _("生效日期"), status_changes=True)
    if status == MemberStatus.LEFT_PARTY:
        if outcome not in ExitOutcome.values:
            raise ServiceError(_("出党须选择方式：除名、劝退、开除、退党或自行脱党。"), field="outcome")
    elif outcome:
        raise ServiceError(_("只有出党才记录出党方式。"), field="outcome")
    if not decision_body and status != MemberStatus.DECEASED:
        raise ServiceError(_("请填写决定机关（如：××党支部党员大会）。"), field="decision_body")
    return effective_on, decided_on


def _apply_status(
    *,
    actor,
    member: Member,
    status: str,
    effective_on: dt.date,
    decided_on: dt.date,
    decision_body: str,
    outcome: str,
    note: str,
    on_label: str | None = None,
    field: str = "effective_on",
) -> StatusChange:
    """Writes the change on a locked member whose scope was checked by the caller. Leaving the roll ends every
    post the member holds, on `effective_on` (named `on_label`, default 生效日期, on the form's `field` when a post
    cannot end then)."""
    old = member.status
    if status != MemberStatus.NORMAL:
        _end_posts_on_leaving(
            actor,
            member,
            effective_on,
            note=f"党籍状态变更为“{status_label(status)}”，职务随之终止",
            on_label=on_label or _("生效日期"),
            field=field,
        )
    change = StatusChange.objects.create(
        member=member,
        org=member.org,
        old_status=old,
        new_status=status,
        outcome=outcome,
        effective_on=effective_on,
        decided_on=decided_on,
        decision_body=decision_body,
        note=note,
        created_by=_user(actor),
    )
    member.status = status
    member.inactive_from = None if status == MemberStatus.NORMAL else effective_on
    member.save(update_fields=["status", "inactive_from", "updated_at"])
    MemberHistory.objects.create(
        member=member,
        field=HistoryField.STATUS,
        old_value=status_label(old),
        new_value=status_label(status),
        effective_on=effective_on,
        actor=_user(actor),
    )
    audit.record(
        actor=actor, action="create", obj=change, org_path=member.org.path, after=_status_snapshot(change)
    )
    return change


@transaction.atomic
def change_status(
    *,
    actor,
    member: Member,
    status: str,
    effective_on: dt.date,
    decided_on: dt.date,
    decision_body: str,
    outcome: str | None = None,
    note: str = "",
) -> StatusChange:
    """Sets the member's 党籍状态 from `effective_on` (the first day off the roll; back on it for 正常), with the
    decision behind it: for 出党 the outcome (除名/劝退/开除/退党/自行脱党), the decision date and body; for 死亡 the
    date of death (`decided_on`). Writes a StatusChange, a MemberHistory row (党籍状态) and the audit event."""
    current = _locked(member)
    outcome = (outcome or "").strip()
    decision_body, note = _text(decision_body, 100), _text(note, 200)
    effective_on, decided_on = _validate_status(
        current, status, effective_on, decided_on, decision_body, outcome
    )
    require_org(actor, current.org, _("该党员不在您的管理范围内，未变更党籍状态。"))
    if status == MemberStatus.TRANSFERRED_OUT:
        raise ServiceError(_("转出本系统请通过“组织关系转出”办理（须填写介绍信编号）。"), field="status")
    if (
        Transfer.objects.filter(member=current, state=TransferState.PENDING).exists()
        and status != MemberStatus.NORMAL
    ):
        raise ServiceError(_("该党员有待接收的组织关系转接，请先由接收方办理或退回。"), field="status")
    return _apply_status(
        actor=actor,
        member=current,
        status=status,
        effective_on=effective_on,
        decided_on=decided_on,
        decision_body=decision_body,
        outcome=outcome,
        note=note,
    )


# --- 流动党员 --------------------------------------------------------------------------------------------------


def _stint_snapshot(s: MobileStint) -> dict:
    return {
        "member": s.member.name,
        "destination": s.destination,
        "abroad": s.abroad,
        "abroad_purpose": chinese_label(AbroadPurpose, s.abroad_purpose) if s.abroad_purpose else "",
        "fixed_place": s.fixed_place,
        "left_on": s.left_on,
        "returned_on": s.returned_on,
        "note": s.note,
    }


def _set_mobile(member: Member, value: bool) -> None:
    if member.is_mobile != value:
        member.is_mobile = value
        member.save(update_fields=["is_mobile", "updated_at"])


@transaction.atomic
def start_stint(
    *,
    actor,
    member: Member,
    destination: str,
    left_on: dt.date,
    abroad: bool = False,
    abroad_purpose: str = "",
    fixed_place: bool = False,
    note: str = "",
) -> MobileStint:
    """Records that the member went away (流动党员): where, whether abroad and why (出国（境）事由: 学习, 工作 or
    其他), whether at a fixed place, from when. Sets Member.is_mobile."""
    current = _locked(member)
    destination = _text(destination, 200)
    if not destination:
        raise ServiceError(_("请填写流向地点或单位。"), field="destination")
    abroad_purpose = _abroad_purpose(bool(abroad), abroad_purpose)
    left_on = _not_future(
        _date(left_on, "left_on", _("请填写外出日期。")),
        "left_on",
        _("外出日期不能晚于今天：请在外出后登记。"),
    )
    if current.status != MemberStatus.NORMAL:
        raise ServiceError(
            _("%(name)s的党籍状态为“%(status)s”，不能登记外出。")
            % {"name": current.name, "status": _status(current.status)}
        )
    if left_on < current.joined_on:
        raise ServiceError(_("外出日期不能早于入党日期。"), field="left_on")
    require_org(actor, current.org, _("该党员不在您的管理范围内，未登记外出。"))
    if MobileStint.objects.filter(member=current, returned_on__isnull=True).exists():
        raise ServiceError(
            _("%(name)s已有未结束的外出记录，请先登记返回。") % {"name": current.name}, field="left_on"
        )
    last = (
        MobileStint.objects.filter(member=current)
        .order_by("-returned_on")
        .values_list("returned_on", flat=True)
        .first()
    )
    if last and left_on < last:
        raise ServiceError(
            _("外出日期不能早于上次返回日期（%(date)s）。") % {"date": f"{last:%Y-%m-%d}"}, field="left_on"
        )
    stint = MobileStint.objects.create(
        member=current,
        destination=destination,
        abroad=bool(abroad),
        abroad_purpose=abroad_purpose,
        fixed_place=bool(fixed_place),
        left_on=left_on,
        note=_text(note, 200),
        created_by=_user(actor),
    )
    _set_mobile(current, True)
    audit.record(
        actor=actor, action="create", obj=stint, org_path=current.org.path, after=_stint_snapshot(stint)
    )
    return stint


def _abroad_purpose(abroad: bool, purpose: str | None) -> str:
    purpose = (purpose or "").strip()
    if not abroad:
        if purpose:
            raise ServiceError(_("只有出国（境）才填写出国（境）事由。"), field="abroad_purpose")
        return ""
    if purpose not in AbroadPurpose.values:
        raise ServiceError(_("请选择出国（境）事由：学习、工作或其他。"), field="abroad_purpose")
    return purpose


def _locked_stint(stint: MobileStint) -> MobileStint:
    return MobileStint.objects.select_for_update().select_related("member", "member__org").get(pk=stint.pk)


@transaction.atomic
def set_abroad_purpose(*, actor, stint: MobileStint, abroad_purpose: str) -> MobileStint:
    """Records (or corrects) why a member is abroad, on a stint recorded without it or with a wrong one."""
    current = _locked_stint(stint)
    require_org(actor, current.member.org, _("该党员不在您的管理范围内，未登记出国（境）事由。"))
    if not current.abroad:
        raise ServiceError(_("该外出记录不是出国（境），不填写出国（境）事由。"), field="abroad_purpose")
    purpose = _abroad_purpose(True, abroad_purpose)
    if purpose == current.abroad_purpose:
        return current
    before = _stint_snapshot(current)
    current.abroad_purpose = purpose
    current.save(update_fields=["abroad_purpose"])
    audit.record(
        actor=actor,
        action="update",
        obj=current,
        org_path=current.member.org.path,
        before=before,
        after=_stint_snapshot(current),
    )
    return current


@transaction.atomic
def record_stint_decision(
    *, actor, stint: MobileStint, decided_on: dt.date, decision: str, today: dt.date | None = None
) -> StintDecision:
    """The branch's decision on a member abroad (EDU-02: 出国（境）学习研究超过5年仍未回国的，一般停止党籍): its date
    and what was decided. It settles the suggestion; a change of 党籍状态 is recorded on its own (change_status)."""
    current = _locked_stint(stint)
    decided_on = _date(decided_on, "decided_on", _("请填写决定日期。"))
    decision = _text(decision, 500)
    require_org(actor, current.member.org, _("该党员不在您的管理范围内，未登记处理决定。"))
    if not current.abroad:
        raise ServiceError(_("只有出国（境）的外出记录才登记处理决定。"))
    if not decision:
        raise ServiceError(_("请填写决定内容（如：保留党籍、停止党籍）。"), field="decision")
    if decided_on < current.left_on:
        raise ServiceError(
            _("决定日期不能早于外出日期（%(date)s）。") % {"date": f"{current.left_on:%Y-%m-%d}"},
            field="decided_on",
        )
    if decided_on > (today or dt.date.today()):
        raise ServiceError(_("决定日期不能晚于今天。"), field="decided_on")
    row = StintDecision.objects.create(
        stint=current, decided_on=decided_on, decision=decision, created_by=_user(actor)
    )
    audit.record(
        actor=actor,
        action="create",
        obj=row,
        org_path=current.member.org.path,
        after={
            "member": current.member.name,
            "left_on": current.left_on,
            "decided_on": decided_on,
            "decision": decision,
        },
    )
    return row


@transaction.atomic
def end_stint(*, actor, stint: MobileStint, returned_on: dt.date) -> MobileStint:
    """Records the member's return; clears Member.is_mobile."""
    current = _locked_stint(stint)
    returned_on = _not_future(
        _date(returned_on, "returned_on", _("请填写返回日期。")), "returned_on", _("返回日期不能晚于今天。")
    )
    require_org(actor, current.member.org, _("该党员不在您的管理范围内，未登记返回。"))
    if current.returned_on is not None:
        raise ServiceError(
            _("该外出记录已于%(date)s登记返回。") % {"date": f"{current.returned_on:%Y-%m-%d}"},
            field="returned_on",
        )
    if returned_on < current.left_on:
        raise ServiceError(
            _("返回日期不能早于外出日期（%(date)s）。") % {"date": f"{current.left_on:%Y-%m-%d}"},
            field="returned_on",
        )
    before = _stint_snapshot(current)
    current.returned_on = returned_on
    current.save(update_fields=["returned_on"])
    _set_mobile(_locked(current.member), False)
    audit.record(
        actor=actor,
        action="update",
        obj=current,
        org_path=current.member.org.path,
        before=before,
        after=_stint_snapshot(current),
    )
    return current


@transaction.atomic
def record_contact(
    *, actor, stint: MobileStint, contacted_on: dt.date, way: str, note: str = ""
) -> MobileContact:
    """A contact with the member while away (at least every 6 months for those abroad: rules/movements.yaml)."""
    current = _locked_stint(stint)
    contacted_on = _not_future(
        _date(contacted_on, "contacted_on", _("请填写联系日期。")),
        "contacted_on",
        _("联系日期不能晚于今天。"),
    )
    if way not in ContactWay.values:
        raise ServiceError(_("请选择联系方式。"), field="way")
    require_org(actor, current.member.org, _("该党员不在您的管理范围内，未登记联系记录。"))
    if contacted_on < current.left_on:
        raise ServiceError(
            _("联系日期不能早于外出日期（%(date)s）。") % {"date": f"{current.left_on:%Y-%m-%d}"},
            field="contacted_on",
        )
    if current.returned_on is not None and contacted_on > current.returned_on:
        raise ServiceError(
            _("联系日期不能晚于返回日期（%(date)s）。") % {"date": f"{current.returned_on:%Y-%m-%d}"},
            field="contacted_on",
        )
    contact = MobileContact.objects.create(
        stint=current, contacted_on=contacted_on, way=way, note=_text(note, 200), created_by=_user(actor)
    )
    audit.record(
        actor=actor,
        action="create",
        obj=contact,
        org_path=current.member.org.path,
        after={
            "member": current.member.name,
            "contacted_on": contacted_on,
            "way": chinese_label(ContactWay, way),
            "note": contact.note,
        },
    )
    return contact


# --- 失联 -----------------------------------------------------------------------------------------------------


def _lost_snapshot(lost: LostContact) -> dict:
    return {
        "member": lost.member.name,
        "lost_on": lost.lost_on,
        "regained_on": lost.regained_on,
        "note": lost.note,
    }


@transaction.atomic
def record_lost_contact(*, actor, member: Member, lost_on: dt.date, note: str = "") -> LostContact:
    """Records the day contact with the member was lost. Nothing changes the member's status by itself:
    the suggestions (selectors.lost_items) are for the branch to decide on."""
    current = _locked(member)
    lost_on = _not_future(
        _date(lost_on, "lost_on", _("请填写失联日期。")), "lost_on", _("失联日期不能晚于今天。")
    )
    if current.status not in (MemberStatus.NORMAL, MemberStatus.SUSPENDED):
        raise ServiceError(
            _("%(name)s的党籍状态为“%(status)s”，不能登记失联。")
            % {"name": current.name, "status": _status(current.status)}
        )
    if lost_on < current.joined_on:
        raise ServiceError(_("失联日期不能早于入党日期。"), field="lost_on")
    require_org(actor, current.org, _("该党员不在您的管理范围内，未登记失联。"))
    if LostContact.objects.filter(member=current, regained_on__isnull=True).exists():
        raise ServiceError(
            _("%(name)s已登记为失联，尚未恢复联系。") % {"name": current.name}, field="lost_on"
        )
    lost = LostContact.objects.create(
        member=current, lost_on=lost_on, note=_text(note, 200), created_by=_user(actor)
    )
    audit.record(
        actor=actor, action="create", obj=lost, org_path=current.org.path, after=_lost_snapshot(lost)
    )
    return lost


@transaction.atomic
def record_regained(*, actor, lost: LostContact, regained_on: dt.date, note: str = "") -> LostContact:
    current = LostContact.objects.select_for_update().select_related("member", "member__org").get(pk=lost.pk)
    regained_on = _not_future(
        _date(regained_on, "regained_on", _("请填写恢复联系日期。")),
        "regained_on",
        _("恢复联系日期不能晚于今天。"),
    )
    require_org(actor, current.member.org, _("该党员不在您的管理范围内，未登记恢复联系。"))
    if current.regained_on is not None:
        raise ServiceError(
            _("已于%(date)s登记恢复联系。") % {"date": f"{current.regained_on:%Y-%m-%d}"}, field="regained_on"
        )
    if regained_on < current.lost_on:
        raise ServiceError(
            _("恢复联系日期不能早于失联日期（%(date)s）。") % {"date": f"{current.lost_on:%Y-%m-%d}"},
            field="regained_on",
        )
    before = _lost_snapshot(current)
    current.regained_on = regained_on
    if note:
        current.note = _text(f"{current.note}；{note}" if current.note else note, 200)
    current.save(update_fields=["regained_on", "note"])
    audit.record(
        actor=actor,
        action="update",
        obj=current,
        org_path=current.member.org.path,
        before=before,
        after=_lost_snapshot(current),
    )
    return current


# --- 组织关系转接 ---------------------------------------------------------------------------------------------


def _transfer_snapshot(t: Transfer) -> dict:
    return {
        "kind": chinese_label(TransferKind, t.kind),
        "state": chinese_label(TransferState, t.state),
        "member": t.member.name,
        "from_org": t.from_org.code if t.from_org_id else "",
        "to_org": t.to_org.code if t.to_org_id else "",
        "place": t.place,
        "letter_no": t.letter_no,
        "started_on": t.started_on,
        "reason": t.reason,
        "dues_paid_through": f"{t.dues_paid_through:%Y-%m}" if t.dues_paid_through else "",
        "decided_on": t.decided_on,
        "return_reason": t.return_reason,
    }


def _paid_through(member: Member, on: dt.date) -> dt.date | None:
    from dangjian.movements.selectors import dues_paid_through

    return dues_paid_through(member, on)


def _transfer_ready(member: Member, when: dt.date, field: str) -> None:
    if member.status != MemberStatus.NORMAL:
        raise ServiceError(
            _("%(name)s的党籍状态为“%(status)s”，不能转接组织关系。")
            % {"name": member.name, "status": _status(member.status)}
        )
    if when < member.joined_on:
        raise ServiceError(_("转接日期不能早于入党日期。"), field=field)
    _not_before_arrival(member, when, field)
    if Transfer.objects.filter(member=member, state=TransferState.PENDING).exists():
        raise ServiceError(_("%(name)s已有待接收的组织关系转接。") % {"name": member.name}, field=field)


def _not_before_arrival(
    member: Member, when: dt.date, field: str, label: str | None = None, *, status_changes: bool = False
) -> None:
    """A transfer (inside the system or out of it), or with `status_changes` a change of 党籍状态, is not dated
    before the member came into their organisation: the latest move recorded in their history (所在组织), or their
    组织关系转入本系统 — nor, with `status_changes`, before their latest change of status (a 恢复党籍 …). Otherwise
    their history would move them out, or change their status, before they arrived (or before the change it
    follows), and the rosters of those days would place them in the wrong branch. `label`: the date's name in the
    refusal (default: 转出日期 or 转接日期, by `field`). Two queries, three with `status_changes`."""
    if label is None:
        label = _("转出日期") if field == "transferred_on" else _("转接日期")
    moved = (
        MemberHistory.objects.filter(member=member, field=HistoryField.ORG)
        .order_by("-effective_on", "-id")
        .values_list("effective_on", "new_org__name")
        .first()
    )
    if moved is not None and when < moved[0]:
        raise ServiceError(
            _("%(label)s不能早于%(name)s转入现所在组织“%(org)s”的日期（%(date)s）。")
            % {
                "label": label,
                "name": member.name,
                "org": moved[1] or member.org.name,
                "date": f"{moved[0]:%Y-%m-%d}",
            },
            field=field,
        )
    came = (
        Transfer.objects.filter(member=member, kind=TransferKind.IN)
        .order_by("-started_on")
        .values_list("started_on", flat=True)
        .first()
    )
    if came is not None and when < came:
        raise ServiceError(
            _("%(label)s不能早于%(name)s组织关系转入本系统的日期（%(date)s）。")
            % {"label": label, "name": member.name, "date": f"{came:%Y-%m-%d}"},
            field=field,
        )
    if not status_changes:
        return
    changed = (
        StatusChange.objects.filter(member=member)
        .order_by("-effective_on", "-id")
        .values_list("effective_on", "old_status", "new_status")
        .first()
    )
    if changed is not None and when < changed[0]:
        raise ServiceError(
            _(
                "%(label)s不能早于%(name)s上一次党籍状态变更（由“%(old)s”变更为“%(new)s”）的生效日期（%(date)s）。"
            )
            % {
                "label": label,
                "name": member.name,
                "old": _status(changed[1]),
                "new": _status(changed[2]),
                "date": f"{changed[0]:%Y-%m-%d}",
            },
            field=field,
        )


@transaction.atomic
def start_transfer(*, actor, member: Member, to_org, started_on: dt.date, reason: str) -> Transfer:
    """The sending branch starts a transfer inside the system. The member stays with the sender until the
    receiving side accepts; the dues paid-up-to month (the last fully paid month) is captured now."""
    current = _locked(member)
    started_on = _not_future(
        _date(started_on, "started_on", _("请填写转接日期。")), "started_on", _("转接日期不能晚于今天。")
    )
    reason = _text(reason, 200)
    if not reason:
        raise ServiceError(_("请填写转接原因。"), field="reason")
    _receiving_branch_ok(current, to_org, "to_org")
    _transfer_ready(current, started_on, "started_on")
    require_org(actor, current.org, _("该党员不在您的管理范围内，未发起转接。"))
    transfer = Transfer.objects.create(
        kind=TransferKind.INTERNAL,
        state=TransferState.PENDING,
        member=current,
        from_org=current.org,
        to_org=to_org,
        started_on=started_on,
        reason=reason,
        dues_paid_through=_paid_through(current, started_on),
        started_by=_user(actor),
    )
    audit.record(
        actor=actor,
        action="create",
        obj=transfer,
        org_path=current.org.path,
        after=_transfer_snapshot(transfer),
    )
    return transfer


def _locked_transfer(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "member__org", "from_org", "to_org")
        .get(pk=transfer.pk)
    )


def _move(actor, member: Member, target, effective_on: dt.date) -> None:
    """Moves a locked member to `target` with the MemberHistory row (所在组织) and the audit event, as
    members.services.update_member does; the caller has checked scope over the receiving side."""
    before_snapshot = member_snapshot(member)
    before = Member(org=member.org, category=member.category, work_status=member.work_status)
    before.org_id = member.org_id
    member.org = target
    member.save(update_fields=["org", "updated_at"])
    _history(member, before, actor, effective_on)
    audit.record(
        actor=actor,
        action="update",
        obj=member,
        org_path=target.path,
        before=before_snapshot,
        after=member_snapshot(member),
        note="组织关系转接",
    )


@transaction.atomic
def accept_transfer(*, actor, transfer: Transfer, accepted_on: dt.date) -> Transfer:
    """The receiving side accepts: the member moves to the receiving organisation from `accepted_on`. The
    sender's start is its consent, so only scope over the receiving organisation is required."""
    current = _locked_transfer(transfer)
    accepted_on = _not_future(
        _date(accepted_on, "accepted_on", _("请填写接收日期。")), "accepted_on", _("接收日期不能晚于今天。")
    )
    require_org(actor, current.to_org, _("接收组织不在您的管理范围内，未办理接收。"))
    if current.kind != TransferKind.INTERNAL or current.state != TransferState.PENDING:
        raise ServiceError(
            _("该转接%(state)s，不能再接收。") % {"state": choice_label(TransferState, current.state)}
        )
    if accepted_on < current.started_on:
        raise ServiceError(
            _("接收日期不能早于转接日期（%(date)s）。") % {"date": f"{current.started_on:%Y-%m-%d}"},
            field="accepted_on",
        )
    member = _locked(current.member)
    if member.org_id != current.from_org_id:
        raise ServiceError(
            _(
                "%(name)s的所在组织已变更为“%(org)s”，不再是转出组织“%(from)s”，不能接收：请退回该转接"
                "（或由转出组织撤回），再由%(name)s现所在组织重新发起。"
            )
            % {"name": member.name, "org": member.org.name, "from": current.from_org.name}
        )
    if member.status != MemberStatus.NORMAL:
        raise ServiceError(
            _("%(name)s的党籍状态为“%(status)s”，不能接收。")
            % {"name": member.name, "status": _status(member.status)}
        )
    _member_org_ok(current.to_org, "to_org")
    before = _transfer_snapshot(current)
    current.state = TransferState.ACCEPTED
    current.decided_on = accepted_on
    current.decided_by = _user(actor)
    current.save(update_fields=["state", "decided_on", "decided_by"])
    _end_posts_on_leaving(
        actor,
        member,
        accepted_on,
        target=current.to_org,
        note="组织关系转接至其他组织，职务随之终止",
        on_label=_("接收日期"),
        field="accepted_on",
    )
    _move(actor, member, current.to_org, accepted_on)
    from dangjian.pipeline.services import follow_member  # a 预备党员's open 发展党员 case goes with them

    follow_member(actor=actor, member=member, to_org=current.to_org, on=accepted_on)
    audit.record(
        actor=actor,
        action="update",
        obj=current,
        org_path=current.to_org.path,
        before=before,
        after=_transfer_snapshot(current),
    )
    return current


@transaction.atomic
def return_transfer(*, actor, transfer: Transfer, returned_on: dt.date, reason: str) -> Transfer:
    """The receiving side returns the transfer with a reason; the member stays where they are."""
    current = _locked_transfer(transfer)
    returned_on = _not_future(
        _date(returned_on, "returned_on", _("请填写退回日期。")), "returned_on", _("退回日期不能晚于今天。")
    )
    reason = _text(reason, 200)
    if not reason:
        raise ServiceError(_("退回须填写原因。"), field="return_reason")
    require_org(actor, current.to_org, _("接收组织不在您的管理范围内，未办理退回。"))
    if current.kind != TransferKind.INTERNAL or current.state != TransferState.PENDING:
        raise ServiceError(
            _("该转接%(state)s，不能再退回。") % {"state": choice_label(TransferState, current.state)}
        )
    if returned_on < current.started_on:
        raise ServiceError(
            _("退回日期不能早于转接日期（%(date)s）。") % {"date": f"{current.started_on:%Y-%m-%d}"},
            field="returned_on",
        )
    return _close_unaccepted(actor, current, TransferState.RETURNED, returned_on, reason, current.to_org.path)


def _close_unaccepted(
    actor, current: Transfer, state: str, on: dt.date, reason: str, org_path: str, note: str = ""
) -> Transfer:
    """A pending transfer closed without a move (退回 by the receiving side, 撤回 by the sending side): its state,
    day, reason and who decided, audited on the deciding side's path; the member stays where they are."""
    before = _transfer_snapshot(current)
    current.state = state
    current.decided_on = on
    current.return_reason = reason
    current.decided_by = _user(actor)
    current.save(update_fields=["state", "decided_on", "return_reason", "decided_by"])
    audit.record(
        actor=actor,
        action="update",
        obj=current,
        org_path=org_path,
        before=before,
        after=_transfer_snapshot(current),
        note=note,
    )
    return current


@transaction.atomic
def withdraw_transfer(*, actor, transfer: Transfer, withdrawn_on: dt.date, reason: str) -> Transfer:
    """The sending side withdraws (撤回) a transfer not yet accepted, with a reason: started by mistake, or the
    member has since been moved elsewhere (the receiving side can then no longer accept it). Needs scope over the
    sending organisation; the member stays where they are."""
    current = _locked_transfer(transfer)
    withdrawn_on = _not_future(
        _date(withdrawn_on, "withdrawn_on", _("请填写撤回日期。")),
        "withdrawn_on",
        _("撤回日期不能晚于今天。"),
    )
    reason = _text(reason, 200)
    if not reason:
        raise ServiceError(_("撤回须填写原因。"), field="withdraw_reason")
    if current.kind != TransferKind.INTERNAL or current.from_org_id is None:
        raise ServiceError(_("只有系统内转接可以撤回。"))
    require_org(actor, current.from_org, _("转出组织不在您的管理范围内，未撤回。"))
    if current.state != TransferState.PENDING:
        raise ServiceError(
            _("该转接%(state)s，不能再撤回。") % {"state": choice_label(TransferState, current.state)}
        )
    if withdrawn_on < current.started_on:
        raise ServiceError(
            _("撤回日期不能早于转接日期（%(date)s）。") % {"date": f"{current.started_on:%Y-%m-%d}"},
            field="withdrawn_on",
        )
    return _close_unaccepted(
        actor, current, TransferState.WITHDRAWN, withdrawn_on, reason, current.from_org.path, "转出组织撤回"
    )


def pending_transfers_blocking(org, org_ids: list[int], on: dt.date) -> list[str]:
    """`orgs.services` dissolution check (registered in apps.py): pending transfers into or out of the
    organisation or those below it must be accepted, returned or withdrawn first."""
    from django.db.models import Q

    n = (
        Transfer.objects.filter(state=TransferState.PENDING)
        .filter(Q(from_org_id__in=org_ids) | Q(to_org_id__in=org_ids))
        .count()
    )
    if not n:
        return []
    return [_("还有%(n)s件待接收的组织关系转接，请先办结（接收、退回或撤回）") % {"n": n}]


@transaction.atomic
def transfer_out(
    *, actor, member: Member, letter_no: str, destination: str, transferred_on: dt.date, note: str = ""
) -> Transfer:
    """组织关系转出本系统: recorded with the 介绍信编号 and the destination; the member's status becomes 转出 from
    `transferred_on` (change of status with its history)."""
    current = _locked(member)
    letter_no, destination = _text(letter_no, 50), _text(destination, 200)
    if not letter_no:
        raise ServiceError(_("请填写介绍信编号。"), field="letter_no")
    if not destination:
        raise ServiceError(_("请填写转往单位（党组织）。"), field="destination")
    transferred_on = _not_future(
        _date(transferred_on, "transferred_on", _("请填写转出日期。")),
        "transferred_on",
        _("转出日期不能晚于今天：请在开具介绍信、办理转出后登记。"),
    )
    _transfer_ready(current, transferred_on, "transferred_on")
    require_org(actor, current.org, _("该党员不在您的管理范围内，未办理转出。"))
    transfer = Transfer.objects.create(
        kind=TransferKind.OUT,
        state=TransferState.DONE,
        member=current,
        from_org=current.org,
        place=destination,
        letter_no=letter_no,
        started_on=transferred_on,
        reason=_text(note, 200),
        dues_paid_through=_paid_through(current, transferred_on),
        decided_on=transferred_on,
        started_by=_user(actor),
        decided_by=_user(actor),
    )
    _apply_status(
        actor=actor,
        member=current,
        status=MemberStatus.TRANSFERRED_OUT,
        effective_on=transferred_on,
        decided_on=transferred_on,
        decision_body=current.org.name,
        outcome="",
        note=f"介绍信编号 {letter_no}，转往{destination}"[:200],
        on_label=_("转出日期"),
        field="transferred_on",
    )
    audit.record(
        actor=actor,
        action="create",
        obj=transfer,
        org_path=current.org.path,
        after=_transfer_snapshot(transfer),
    )
    return transfer


@transaction.atomic
def transfer_in(
    *, actor, data: dict[str, Any], letter_no: str, origin: str, transferred_on: dt.date
) -> Transfer:
    """组织关系转入本系统: creates the member (members.services.create_member, with `data["org"]` the receiving
    党支部 or 党小组) and records the 介绍信编号 and where they came from."""
    letter_no, origin = _text(letter_no, 50), _text(origin, 200)
    if not letter_no:
        raise ServiceError(_("请填写介绍信编号。"), field="letter_no")
    if not origin:
        raise ServiceError(_("请填写转出单位（党组织）。"), field="origin")
    transferred_on = _not_future(
        _date(transferred_on, "transferred_on", _("请填写转入日期。")),
        "transferred_on",
        _("转入日期不能晚于今天。"),
    )
    org = data.get("org")
    _member_org_ok(org, "org")
    require_org(actor, org, _("接收组织不在您的管理范围内，未办理转入。"))
    existing = find_by_id_number(data.get("id_number") or "") if data.get("id_number") else None
    if existing is not None:
        if existing.status == MemberStatus.TRANSFERRED_OUT:
            raise ServiceError(
                _("该身份证号对应的党员曾从本系统转出，请由原组织恢复其党籍状态后发起系统内转接。"),
                field="id_number",
            )
        raise ServiceError(id_number_taken(), field="id_number")
    joined = data.get("joined_on")
    if isinstance(joined, dt.date) and transferred_on < joined:
        raise ServiceError(_("转入日期不能早于入党日期。"), field="transferred_on")
    member = create_member(actor=actor, data=data)
    transfer = Transfer.objects.create(
        kind=TransferKind.IN,
        state=TransferState.DONE,
        member=member,
        to_org=member.org,
        place=origin,
        letter_no=letter_no,
        started_on=transferred_on,
        decided_on=transferred_on,
        started_by=_user(actor),
        decided_by=_user(actor),
    )
    audit.record(
        actor=actor,
        action="create",
        obj=transfer,
        org_path=member.org.path,
        after=_transfer_snapshot(transfer),
    )
    return transfer
