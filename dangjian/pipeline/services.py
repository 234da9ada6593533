"""Writes of the 发展党员 pipeline. Every refusal is a ServiceError naming the rule (e.g. "（DEV-07）") and, for a
step recorded too early, the first day it becomes possible; nothing is written then, not even the audit
event.

Order, minimum delays and required data come from the workflow definition (dangjian.pipeline.workflow):
`record_step` checks them generically (progress.order_refusal, then the step's data needs). The effects
on the member registry go through dangjian.members.services: the 支部大会 admission vote creates the
预备党员 (入党日期 = the vote's date); the 党委's approval of 转正 makes them 正式党员 with 转正日期 = the end of
the probation (DEV-20).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from dangjian.accounts.scope import fresh_scope, require_org
from dangjian.core import audit, idcard
from dangjian.core.dates import add_months
from dangjian.core.errors import ServiceError
from dangjian.core.imports import bulk_filter
from dangjian.core.pii import lookup_hash, mask_id_number, mask_phone
from dangjian.meetings.services import uncount_member
from dangjian.members.choices import Category, MemberStatus
from dangjian.members.models import Member
from dangjian.members.services import (
    create_member,
    delete_member,
    id_number_taken,
    require_members,
    update_member,
    validate_phone,
)
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.orgs.services import higher_in_scope, require_higher
from dangjian.pipeline.admission import AdmissionRecords, admission_records
from dangjian.pipeline.choices import CLOSED_STATUSES, CaseStatus, Stage
from dangjian.pipeline.models import CaseStep, DevelopmentCase
from dangjian.pipeline.progress import (
    CaseState,
    StepRecord,
    order_refusal,
    stage_label,
    state_of,
    step_label,
)
from dangjian.pipeline.workflow import StepDef, Workflow, load_workflow

OUT_OF_SCOPE = gettext_noop("该党支部不在您的管理范围内，未登记。")  # translated when raised
NAME_MAX: int = DevelopmentCase._meta.get_field("name").max_length or 50
UNDO_REASON_MIN = 4  # characters of the reason an undone step is audited with


def may_record(actor, org: Org, step: StepDef, scope=None) -> bool:
    """Whether `actor` may record `step` for a case of the branch `org` as far as who records it goes: a step
    marked `by_higher` (党委审批, 党委批准转正) only by an admin of an organisation above the branch — the test
    `record_step` applies (through `require_higher`) and the case page uses to offer only the steps the user may
    take. `scope`: the actor's, when the caller has it."""
    return not step.by_higher or higher_in_scope(actor, org, scope)


@dataclass
class StepData:
    """What a step may carry besides its date (each step uses the parts its definition asks for)."""

    note: str = ""
    contacts: list[Member] = field(default_factory=list)
    sponsors: list[Member] = field(default_factory=list)
    training_days: int | None = None
    training_hours: int | None = None
    expected_voters: int | None = None
    present_voters: int | None = None
    yes_votes: int | None = None
    extension_months: int | None = None
    approver_org: Org | None = None


def case_snapshot(case: DevelopmentCase) -> dict[str, Any]:
    return {
        "name": case.name,
        "id_number": mask_id_number(case.id_number),
        "phone": mask_phone(case.phone),
        "org": case.org.code,
        "stage": case.stage,
        "status": case.status,
        "applied_on": case.applied_on,
        "probation_end": case.probation_end,
        "member": case.member_id,
    }


def step_snapshot(step: CaseStep, definition: StepDef, data: StepData) -> dict[str, Any]:
    return _step_snapshot(step, definition.name, data)


def _step_snapshot(step: CaseStep, name: str, data: StepData) -> dict[str, Any]:
    snap: dict[str, Any] = {"step": name, "key": step.key, "date": step.date}
    if data.note:
        snap["note"] = data.note[:200]
    if data.contacts:
        snap["contacts"] = [m.name for m in data.contacts]
    if data.sponsors:
        snap["sponsors"] = [m.name for m in data.sponsors]
    for name in (
        "training_days",
        "training_hours",
        "expected_voters",
        "present_voters",
        "yes_votes",
        "extension_months",
    ):
        value = getattr(data, name)
        if value is not None:
            snap[name] = value
    if step.approver_org_id is not None:
        snap["approver_org"] = step.approver_org.code
    return snap


# --- data needs ---------------------------------------------------------------------------------------


def _on_roll_formal(member: Member, on: dt.date) -> bool:
    """A 正式党员 on `on`: confirmed by then, and on the roll (status 正常 on that day)."""
    confirmed = member.category == Category.FORMAL and member.confirmed_on and member.confirmed_on <= on
    on_roll = member.joined_on <= on and (member.inactive_from is None or member.inactive_from > on)
    return bool(confirmed and on_roll)


def check_data(step: StepDef, data: StepData, on: dt.date, case: DevelopmentCase | None = None) -> None:
    """Refuses a step whose required data is missing or falls short of the definition."""
    if step.note_required and not data.note.strip():
        raise ServiceError(
            _("登记“%(step)s”须写明原因（%(rule)s）。") % {"step": step.name, "rule": step.rule}, field="note"
        )
    if step.age is not None and case is not None:
        if _age(case.birth_date, on) < step.age.min_age:
            raise ServiceError(
                _("申请人递交申请时须年满%(age)s周岁（%(rule)s）。")
                % {"age": step.age.min_age, "rule": step.age.rule},
                field="id_number",
            )
    if step.contacts is not None:
        need = step.contacts
        people = _distinct(data.contacts)
        if not need.min <= len(people) <= need.max:
            raise ServiceError(
                _("须指定%(min)s至%(max)s名正式党员作培养联系人（%(rule)s）。")
                % {"min": need.min, "max": need.max, "rule": need.rule},
                field="contacts",
            )
        _require_formal(people, on, pgettext("in a sentence", "培养联系人"), need.rule, "contacts")
    if step.sponsors is not None:
        need = step.sponsors
        people = _distinct(data.sponsors)
        if len(people) != need.count:
            raise ServiceError(
                _("入党介绍人须为%(n)s名正式党员（%(rule)s）。") % {"n": need.count, "rule": need.rule},
                field="sponsors",
            )
        _require_formal(people, on, pgettext("in a sentence", "入党介绍人"), need.rule, "sponsors")
    if step.training is not None:
        need = step.training
        days, hours = data.training_days or 0, data.training_hours or 0
        if days < need.min_days and hours < need.min_hours:
            raise ServiceError(
                _("集中培训时间须不少于%(days)s天或%(hours)s学时（%(rule)s）。")
                % {"days": need.min_days, "hours": need.min_hours, "rule": need.rule},
                field="training_days",
            )
    if step.vote is not None:
        check_vote(step, data)
    if step.approver is not None and data.approver_org is None:
        raise ServiceError(
            _("请选择审批党组织（%(rule)s）。") % {"rule": step.approver.rule}, field="approver_org"
        )
    if step.extension is not None:
        need = step.extension
        months = data.extension_months
        if months is None or not need.min_months <= months <= need.max_months:
            raise ServiceError(
                _("预备期延长时间不少于%(min)s个月，最长不超过%(max)s个月（%(rule)s）。")
                % {"min": need.min_months, "max": need.max_months, "rule": need.rule},
                field="extension_months",
            )


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _distinct(people: Iterable[Member]) -> list[Member]:
    seen: dict[int, Member] = {}
    for person in people:
        seen.setdefault(person.pk, person)
    return list(seen.values())


def _require_formal(people: list[Member], on: dt.date, role: str, rule: str, field_name: str) -> None:
    """`role`: what the people are to the case, as it reads inside a sentence, translated."""
    for person in people:
        if not _on_roll_formal(person, on):
            raise ServiceError(
                _("%(role)s“%(name)s”在%(date)s不是正式党员（%(rule)s）。")
                % {"role": role, "name": person.name, "date": f"{on:%Y-%m-%d}", "rule": rule},
                field=field_name,
            )


def vote_outcome(vote, expected: int, present: int, yes: int) -> tuple[bool, bool]:
    """(quorum, passed): present voting members, and yes votes, each more than numerator/denominator of the
    expected voting members (exactly half is not more than half)."""
    quorum = present * vote.denominator > expected * vote.numerator
    passed = yes * vote.denominator > expected * vote.numerator
    return quorum, passed


def check_vote(step: StepDef, data: StepData) -> None:
    vote = step.vote
    expected, present, yes = data.expected_voters, data.present_voters, data.yes_votes
    if expected is None or present is None or yes is None:
        raise ServiceError(_("请填写应到会和实到会的有表决权党员人数及赞成票数。"), field="expected_voters")
    if expected <= 0:
        raise ServiceError(_("应到会有表决权党员人数须大于0。"), field="expected_voters")
    if present > expected:
        raise ServiceError(_("实到会人数不能多于应到会人数。"), field="present_voters")
    if yes > expected:
        raise ServiceError(_("赞成票数不能多于应到会有表决权党员人数。"), field="yes_votes")
    fraction = (
        _("半数") if (vote.numerator, vote.denominator) == (1, 2) else f"{vote.numerator}/{vote.denominator}"
    )
    quorum, passed = vote_outcome(vote, expected, present, yes)
    if not quorum:
        raise ServiceError(
            _(
                "到会有表决权的党员须超过应到会人数的%(fraction)s（%(rule)s）：应到%(expected)s人，实到%(present)s人。"
            )
            % {"fraction": fraction, "rule": vote.quorum_rule, "expected": expected, "present": present},
            field="present_voters",
        )
    if not passed:
        raise ServiceError(
            _(
                "表决未通过：赞成票须超过应到会有表决权党员的%(fraction)s（%(rule)s），"
                "应到%(expected)s人，赞成%(yes)s票。"
            )
            % {"fraction": fraction, "rule": vote.pass_rule, "expected": expected, "yes": yes},
            field="yes_votes",
        )


# --- cases ---------------------------------------------------------------------------------------------


def validate_branch(org: Org | None) -> Org:
    if org is None:
        raise ServiceError(_("请选择党支部。"), field="org")
    if org.type != OrgType.ZHIBU:
        raise ServiceError(
            _("入党申请由党支部受理，“%(org)s”不是党支部（DEV-02）。") % {"org": org.name}, field="org"
        )
    if org.is_dissolved:
        raise ServiceError(_("“%(org)s”已撤销。") % {"org": org.name}, field="org")
    return org


def _valid_name(name: str) -> str:
    """The applicant's name as the case keeps it (surrounding spaces removed), or a refusal."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("姓名不能为空。"), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("姓名不能超过%(n)s个字。") % {"n": NAME_MAX}, field="name")
    return name


def _parse_id(number: str) -> idcard.IdCard:
    try:
        return idcard.parse(number or "")
    except idcard.IdCardError as exc:
        raise ServiceError(_("身份证号%(reason)s。") % {"reason": exc}, field="id_number") from None


def _check_person_free(
    card: idcard.IdCard, exclude_pk: int | None = None, exclude_member: int | None = None, *, actor=None
) -> str:
    """The number's keyed hash, unless the number is on the roll or on a live case (`exclude_pk`: the case being
    corrected; `exclude_member`: its 预备党员). The live case is named (its branch, stage and applicant), so that
    the application already registered is found and continued, when `actor` administers its branch; to anyone else
    the refusal says no more than that a case holds the number (as `applicants_pending`)."""
    digest = lookup_hash(card.number)
    on_roll = Member.objects.filter(id_number_hash=digest)
    if exclude_member is not None:
        on_roll = on_roll.exclude(pk=exclude_member)
    if on_roll.exists():
        raise ServiceError(_("该身份证号已登记在党员名册中，不能再作为入党申请人。"), field="id_number")
    live = DevelopmentCase.objects.filter(id_number_hash=digest).exclude(status=CaseStatus.CANCELLED)
    if exclude_pk is not None:
        live = live.exclude(pk=exclude_pk)
    held = live.select_related("org").first()
    if held is not None:
        if actor is not None and fresh_scope(actor).covers(held.org):
            raise ServiceError(
                _(
                    "该身份证号已登记为%(org)s的%(stage)s“%(name)s”（%(date)s递交入党申请书），不能重复登记；"
                    "请在“发展党员”中打开该案例继续办理。"
                )
                % {
                    "org": held.org.name,
                    "stage": stage_label(load_workflow(), held.stage),
                    "name": held.name,
                    "date": f"{held.applied_on:%Y-%m-%d}",
                },
                field="id_number",
            )
        raise ServiceError(_("该身份证号已有正在进行的发展党员案例。"), field="id_number")
    return digest


def open_case(
    *,
    actor,
    org: Org | None,
    name: str,
    id_number: str,
    applied_on: dt.date | None,
    phone: str = "",
    note: str = "",
    workflow: Workflow | None = None,
) -> DevelopmentCase:
    """A new case from its application (the first step of the workflow, DEV-01/02)."""
    wf = workflow or load_workflow()
    first = wf.steps[0]
    name = _valid_name(name)
    card = _parse_id(id_number)
    if applied_on is None:
        raise ServiceError(_("请填写申请日期。"), field="applied_on")
    if applied_on > dt.date.today():
        raise ServiceError(_("申请日期不能晚于今天。"), field="applied_on")
    phone = validate_phone(phone)
    org = validate_branch(org)
    with transaction.atomic():
        require_org(actor, org, _(OUT_OF_SCOPE))
        digest = _check_person_free(card, actor=actor)
        case = DevelopmentCase(
            name=name,
            id_number=card.number,
            id_number_hash=digest,
            sex=card.sex,
            birth_date=card.birth_date,
            phone=phone,
            org=org,
            stage=first.stages[0],
            status=CaseStatus.OPEN,
            applied_on=applied_on,
        )
        check_data(first, StepData(note=note), applied_on, case)
        case.save()
        step = CaseStep.objects.create(
            case=case, key=first.key, date=applied_on, note=note, recorded_by=_user(actor)
        )
        audit.record(actor=actor, action="create", obj=case, org_path=org.path, after=case_snapshot(case))
        audit.record(
            actor=actor,
            action="create",
            obj=step,
            object_repr=f"{case.name}：{first.name}",
            org_path=org.path,
            after=step_snapshot(step, first, StepData(note=note)),
        )
    return case


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def record_step(
    *,
    actor,
    case: DevelopmentCase,
    key: str,
    on: dt.date | None,
    data: StepData | None = None,
    workflow: Workflow | None = None,
    today: dt.date | None = None,
) -> CaseStep:
    """Records step `key` of the case on `on`, after checking order, minimum delays and required data
    against the workflow definition; applies the step's stage move and effect."""
    wf = workflow or load_workflow()
    data = data or StepData()
    today = today or dt.date.today()
    if not wf.has(key):
        raise ServiceError(_("未知的发展党员步骤“%(key)s”。") % {"key": key}, field="key")
    step = wf.step(key)
    if on is None:
        raise ServiceError(_("请填写日期。"), field="date")
    if on > today:
        raise ServiceError(_("日期不能晚于今天。"), field="date")
    with transaction.atomic():
        current = DevelopmentCase.objects.select_for_update().select_related("org").get(pk=case.pk)
        require_org(actor, current.org, _(OUT_OF_SCOPE))
        if step.by_higher:  # 党委审批, 党委批准转正: never the branch's own record
            require_higher(actor, current.org, data.approver_org if step.approver is not None else None)
        require_members(actor, data.contacts, "contacts")  # 培养联系人, 入党介绍人 within the actor's scope
        require_members(actor, data.sponsors, "sponsors")
        state = state_of(current, current.steps.all(), wf)
        refusal = order_refusal(wf, step, state, on)
        if refusal:
            raise ServiceError(refusal, field="date")
        check_data(step, data, on, current)
        before = case_snapshot(current)
        row = CaseStep.objects.create(
            case=current,
            key=key,
            date=on,
            note=data.note,
            training_days=data.training_days,
            training_hours=data.training_hours,
            expected_voters=data.expected_voters,
            present_voters=data.present_voters,
            yes_votes=data.yes_votes,
            extension_months=data.extension_months,
            approver_org=data.approver_org if step.approver is not None else None,
            recorded_by=_user(actor),
        )
        if data.contacts and step.contacts is not None:
            row.contacts.set(_distinct(data.contacts))
        if data.sponsors and step.sponsors is not None:
            row.sponsors.set(_distinct(data.sponsors))
        if step.moves_to:
            current.stage = step.moves_to
        _apply_effect(actor, wf, step, current, state, on, data)
        current.save()
        audit.record(
            actor=actor,
            action="create",
            obj=row,
            object_repr=f"{current.name}：{step.name}",
            org_path=current.org.path,
            after=step_snapshot(row, step, data),
        )
        after = case_snapshot(current)
        if after != before:
            audit.record(
                actor=actor,
                action="update",
                obj=current,
                org_path=current.org.path,
                before=before,
                after=after,
            )
    case.refresh_from_db()
    return row


def set_approver(
    *, actor, step: CaseStep, approver_org: Org | None, workflow: Workflow | None = None
) -> CaseStep:
    """Records (or corrects) the organisation that approved a recorded step whose definition asks for one (审批党组织):
    a step recorded or imported without it. Any organisation is kept as recorded; the rules judge it (DEV-16)."""
    wf = workflow or load_workflow()
    with transaction.atomic():
        row = (
            CaseStep.objects.select_for_update(of=("self",))
            .select_related("case__org", "approver_org")
            .get(pk=step.pk)
        )
        require_org(actor, row.case.org, _(OUT_OF_SCOPE))
        definition = wf.step(row.key) if wf.has(row.key) else None
        if definition is not None and definition.by_higher and approver_org is not None:
            require_higher(actor, row.case.org, approver_org)
        if definition is None or definition.approver is None:
            raise ServiceError(
                _("“%(step)s”不登记审批党组织。") % {"step": definition.name if definition else row.key},
                field="approver_org",
            )
        if approver_org is None:
            raise ServiceError(
                _("请选择审批党组织（%(rule)s）。") % {"rule": definition.approver.rule}, field="approver_org"
            )
        if row.approver_org_id == approver_org.pk:
            return row
        before = {"approver_org": row.approver_org.code if row.approver_org_id else ""}
        row.approver_org = approver_org
        row.save(update_fields=["approver_org"])
        audit.record(
            actor=actor,
            action="update",
            obj=row,
            object_repr=f"{row.case.name}：{definition.name}",
            org_path=row.case.org.path,
            before=before,
            after={"approver_org": approver_org.code},
        )
    return row


# --- corrections: undoing a step recorded by mistake, correcting the applicant ----------------------------


def _replayed(wf: Workflow, rows: Iterable[CaseStep]) -> dict[str, Any]:
    """The stage, status and end of probation that the steps `rows` (in the case's order) give a case, as
    `record_step` and `import_case` set them (steps the workflow no longer has change nothing)."""
    values: dict[str, Any] = {
        "stage": wf.steps[0].stages[0],
        "status": CaseStatus.OPEN,
        "probation_end": None,
    }
    for row in rows:
        step = wf.step(row.key) if wf.has(row.key) else None
        if step is None:
            continue
        if step.moves_to:
            values["stage"] = step.moves_to
        if step.effect == "create_member":
            values["status"] = CaseStatus.ADMITTED
            values["probation_end"] = add_months(row.date, wf.probation_months)
        elif step.effect == "extend" and values["probation_end"] is not None:
            values["status"] = CaseStatus.EXTENDED
            values["probation_end"] = add_months(values["probation_end"], row.extension_months or 0)
    return values


def _undone_fields(step: StepDef | None) -> tuple[str, ...]:
    """The fields of the case that undoing `step` sets back (from the steps that remain)."""
    fields: tuple[str, ...] = ()
    if step is not None and step.moves_to:
        fields += ("stage",)
    if step is not None and step.effect in ("create_member", "extend"):
        fields += ("status", "probation_end")
    return fields


def undo_refusal(
    wf: Workflow, case: DevelopmentCase, rows: list[CaseStep], row: CaseStep, actor, scope=None
) -> str | None:
    """Why the recorded step `row` cannot be undone (a sentence in the active language), or None. `rows`: the
    case's steps in its order (by date, then as recorded). Only the last step of a case that has not ended is
    undone — the last by date, or the last entered (`undoable`: a step entered late with an earlier date, say a
    考察 forgotten, is the one the person who typed it wants to correct) — by someone who may record it (`may_record`:
    a 党委's decision by the 党委's administrator); never the application (it is the case itself), nor a step that
    ends the case. No query: the page asks it of those steps to offer the form. `scope`: the actor's, when the
    caller has it. The admission's further condition, the records of the 预备党员 it added to the roll, is
    `admission_refusal`'s (a query)."""
    step = wf.step(row.key) if wf.has(row.key) else None
    name = step.name if step is not None else row.key
    if case.is_closed:
        return _("该案例已结束（%(status)s），已登记的步骤不能撤销。") % {"status": case.get_status_display()}
    if step is not None and not may_record(actor, case.org, step, scope):
        return _("“%(step)s”由上级党委管理员登记，也只能由上级党委管理员撤销。") % {"step": name}
    candidates = undoable(rows)
    if row.pk not in {r.pk for r in candidates}:
        last, entered = candidates[0], candidates[-1]
        if last.pk == entered.pk:
            return _(
                "只能撤销最后一步记录（“%(last)s”，%(date)s）。如需更正更早的步骤，请从最后一步起逐步撤销，"
                "再按正确的日期重新登记。"
            ) % {"last": step_label(wf, last.key), "date": f"{last.date:%Y-%m-%d}"}
        return _(
            "只能撤销最后一步记录（按日期为“%(last)s”，%(date)s；最后登记的是“%(entered)s”，%(entered_date)s）。"
            "如需更正更早的步骤，请从最后一步起逐步撤销，再按正确的日期重新登记。"
        ) % {
            "last": step_label(wf, last.key),
            "date": f"{last.date:%Y-%m-%d}",
            "entered": step_label(wf, entered.key),
            "entered_date": f"{entered.date:%Y-%m-%d}",
        }
    if row.key == wf.steps[0].key:
        withdraw = next((s for s in wf.steps if s.effect == "cancel" and case.stage in s.stages), None)
        if withdraw is None:
            return _("“%(step)s”是本案例的第一步，不能撤销。") % {"step": name}
        return _(
            "“%(step)s”是本案例的第一步，不能撤销。如整个案例登记有误，请登记“%(withdraw)s”并写明原因，"
            "再按正确的信息重新登记入党申请。"
        ) % {"step": name, "withdraw": withdraw.name}
    if step is not None and step.closes_case:
        return _("“%(step)s”已结束本案例，不能撤销。") % {"step": name}
    return None


def undoable(rows: list[CaseStep]) -> list[CaseStep]:
    """The steps of a case (`rows`, in its order: by date, then as recorded) that may be undone: the last by date
    and the last entered (the latest `recorded_at`, then id), one step when they are the same. Undoing the last
    entered gives the case back as it was before that entry, which was accepted then: every step entered before it
    met its conditions without it. Empty for a case without steps."""
    if not rows:
        return []
    last = rows[-1]
    entered = max(rows, key=lambda r: (r.recorded_at, r.pk))
    return [last] if entered.pk == last.pk else [last, entered]


def admission_refusal(
    actor, case: DevelopmentCase, row: CaseStep, step_name: str, records: AdmissionRecords | None = None
) -> str | None:
    """Why the admission `row` of `case`, whose 预备党员 is on the roll (`case.member`), cannot be undone now, or
    None: undoing it removes from the roll the record it added, which the records entered about them since stop
    (`admission.admission_records`: a payment, a training …, named with how many), and which only an administrator
    of the organisation they are in now may do. A member already on the roll when the admission was recorded (an
    import linked the case to them) was not added by it: undoing it does not delete them, they are deleted first
    on their own page if they were entered by mistake too. One query for the records (unless given), one for the
    scope."""
    member = case.member
    if member is None:
        return None
    if not _added_by(member, row):
        return _(
            "“%(step)s”不能在此撤销：%(name)s的预备党员记录在登记本步之前已在党员名册中，不是由本步添加的，"
            "撤销本步不会删除它。如该记录也属误录，请先在“党员信息”中核实并删除，再撤销本步记录。"
        ) % {"step": step_name, "name": member.name}
    if actor is not None and not fresh_scope(actor).covers(member.org):
        return _(
            "“%(step)s”不能由您撤销：撤销时须从党员名册中删除%(name)s的预备党员记录，而其现在所在的党组织"
            "不在您的管理范围内。请由管理其所在组织的上级党委管理员撤销。"
        ) % {"step": step_name, "name": member.name}
    records = records if records is not None else admission_records(member)
    return records.refusal(step_name, member.name)


def _added_by(member: Member, row: CaseStep) -> bool:
    """Whether the admission `row` added `member` to the roll: entered no earlier than the step was recorded (a
    member already on the roll, whom an import linked to the case, was not)."""
    return member.created_at >= row.recorded_at


def _remove_admitted(
    actor, case: DevelopmentCase, member: Member, step_name: str, reason: str
) -> dict[str, Any]:
    """Removes the 预备党员 the admission added from the roll (`admission_refusal` said nothing stops it), inside
    `undo_step`'s transaction: first from the 应到/实到 of the meetings that counted them
    (`meetings.services.uncount_member`, each audited on the meeting's organisation; the rest of a record's counts
    stays as saved), then their absences from organizational life, each audited on the meeting's organisation, then
    the member itself through `members.services.delete_member` (their history with it; a disabled login account
    is unlinked). Returns what the case's update event says of it."""
    note = f"撤销误录的“{step_name}”，{member.name}的预备党员记录随之从党员名册删除，原因：{reason}"
    uncount_member(actor=actor, member=member, note=note)
    absences = list(member.absences.select_related("meeting__org").order_by("meeting__date", "meeting_id"))
    for absence in absences:
        meeting = absence.meeting
        audit.record(
            actor=actor,
            action="delete",
            obj=absence,
            object_repr=f"{meeting}：{member.name}缺席",
            org_path=meeting.org.path,
            before={
                "meeting": meeting.pk,
                "member": member.name,
                "reason_kind": absence.reason_kind,
                "reason": absence.reason,
            },
            note=note,
        )
    member.absences.all().delete()
    name = member.name
    delete_member(actor=actor, member=member, note=note, source=case)
    return {"member": name}  # named: the record is gone


def undo_step(*, actor, step: CaseStep, reason: str, workflow: Workflow | None = None) -> DevelopmentCase:
    """Deletes the last recorded step (by date, or the last entered: `undoable`) of a case that has not ended, recorded by mistake (撤销误录: a wrong date,
    the wrong step), so that it can be recorded again correctly; refused as `undo_refusal` says. The case gets
    back what the step changed: the stage it moved to, the end of probation it extended. Audited (the step's
    name, date and data, and the `reason`, at least UNDO_REASON_MIN characters) on the branch's path, with the
    case's own change when there is one.

    The admission (接收预备党员, recorded on the wrong case, say) takes its 预备党员 off the roll with it: the member
    record it created is deleted with what is derived from that entry (`_remove_admitted`), unless records entered
    about them since stop it (`admission_refusal`, which names them and how many: they are deleted or corrected
    first). A refusal writes nothing. Returns the case as it is now."""
    wf = workflow or load_workflow()
    reason = " ".join((reason or "").split())
    if len(reason) < UNDO_REASON_MIN:
        raise ServiceError(_("请写明撤销原因（不少于%(n)s个字）。") % {"n": UNDO_REASON_MIN}, field="reason")
    with transaction.atomic():
        case = (
            DevelopmentCase.objects.select_for_update(of=("self",)).select_related("org").get(pk=step.case_id)
        )
        require_org(actor, case.org, _("该党支部不在您的管理范围内，未撤销。"))
        rows = list(
            case.steps.select_related("approver_org")
            .prefetch_related("contacts", "sponsors")
            .order_by("date", "id")
        )
        row = next((r for r in rows if r.pk == step.pk), None)
        if row is None:
            raise ServiceError(_("该步骤记录已不存在，可能已被撤销。"))
        refusal = undo_refusal(wf, case, rows, row, actor)
        if refusal:
            raise ServiceError(refusal)
        definition = wf.step(row.key) if wf.has(row.key) else None
        name = definition.name if definition is not None else row.key
        fields = _undone_fields(definition)
        recorded, remaining = _replayed(wf, rows), _replayed(wf, [r for r in rows if r.pk != row.pk])
        if any(recorded[f] != getattr(case, f) for f in fields) or (
            definition is not None and definition.moves_to and remaining["stage"] not in definition.stages
        ):
            raise ServiceError(
                _(
                    "本案例的阶段或预备期与已登记的步骤不一致，不能自动撤销“%(step)s”，请联系上级党委管理员核实。"
                )
                % {"step": name}
            )
        removed: dict[str, Any] = {}
        if definition is not None and definition.effect == "create_member" and case.member_id is not None:
            member = (
                Member.objects.select_for_update(of=("self",)).select_related("org").get(pk=case.member_id)
            )
            case.member = member
            refusal = admission_refusal(actor, case, row, name)
            if refusal:
                raise ServiceError(refusal)
            removed = _remove_admitted(actor, case, member, name, reason)
            case.member = None
        data = StepData(
            note=row.note,
            contacts=list(row.contacts.all()),
            sponsors=list(row.sponsors.all()),
            training_days=row.training_days,
            training_hours=row.training_hours,
            expected_voters=row.expected_voters,
            present_voters=row.present_voters,
            yes_votes=row.yes_votes,
            extension_months=row.extension_months,
        )
        snap = _step_snapshot(row, name, data)
        if row.imported:
            snap["imported"] = True
        audit.record(
            actor=actor,
            action="delete",
            obj=row,
            object_repr=f"{case.name}：{name}",
            org_path=case.org.path,
            before=snap,
            note=f"撤销误录，原因：{reason}",
        )
        row.delete()
        before = {f: getattr(case, f) for f in fields if getattr(case, f) != remaining[f]}
        for f in before:
            setattr(case, f, remaining[f])
        before.update(removed)  # the 预备党员 taken off the roll: the case no longer names them
        if before:
            case.save(update_fields=[*before, "updated_at"])
            audit.record(
                actor=actor,
                action="update",
                obj=case,
                org_path=case.org.path,
                before=before,
                after={f: getattr(case, f) for f in before},
                note=f"撤销“{name}”（{row.date:%Y-%m-%d}）",
            )
    return case


def correct_applicant(
    *, actor, case: DevelopmentCase, name: str, id_number: str = "", workflow: Workflow | None = None
) -> list[str]:
    """Corrects the applicant's 姓名 and 身份证号 typed wrong on a case that has not ended, validated as `open_case`
    validates them (the number well-formed, on no other live case and not on the roll, the applicant of age on the
    application's date); a blank `id_number` keeps the number. 性别 and 出生日期 follow the number. A case whose
    预备党员 is on the roll has that record corrected with it (`members.services.update_member`), so that the two
    agree. Audited on the branch's path with which fields changed, never a 身份证号. Returns the fields changed
    (none: nothing is written)."""
    wf = workflow or load_workflow()
    name = _valid_name(name)
    card = _parse_id(id_number) if (id_number or "").strip() else None
    with transaction.atomic():
        current = (
            DevelopmentCase.objects.select_for_update(of=("self",)).select_related("org").get(pk=case.pk)
        )
        require_org(actor, current.org, _("该党支部不在您的管理范围内，未更正。"))
        if current.is_closed:
            raise ServiceError(
                _("该案例已结束（%(status)s），不能更正申请人信息。")
                % {"status": current.get_status_display()}
            )
        changed = []
        if name != current.name:
            changed.append("name")
        if card is not None and card.number != current.id_number:
            changed.append("id_number")
        if not changed:
            return []
        identity: dict[str, Any] = {"name": name}
        if card is not None and "id_number" in changed:
            identity.update(
                id_number=card.number,
                id_number_hash=_check_person_free(
                    card, exclude_pk=current.pk, exclude_member=current.member_id, actor=actor
                ),
                sex=card.sex,
                birth_date=card.birth_date,
            )
            # of age on the application's date
            check_data(
                wf.steps[0], StepData(), current.applied_on, DevelopmentCase(birth_date=card.birth_date)
            )
        _write_identity(actor, current, identity, "更正申请人")
        if current.member_id is not None:
            member_data: dict[str, Any] = {"name": current.name}
            if "id_number" in changed:
                member_data["id_number"] = current.id_number
            update_member(actor=actor, member=current.member, data=member_data)
    case.refresh_from_db()
    return changed


_CORRECTED_LABELS = {"name": "姓名", "id_number": "身份证号"}  # the audit note (stored, as recorded)
# the applicant's identity a case keeps: 姓名, and the 身份证号 with what follows from it
IDENTITY_COPIED = ("name", "id_number", "id_number_hash", "sex", "birth_date")


def _write_identity(actor, case: DevelopmentCase, identity: dict[str, Any], note: str) -> list[str]:
    """Gives `case` the applicant's `identity` (values of IDENTITY_COPIED: the 姓名, and with a new 身份证号 its keyed
    hash, 性别 and 出生日期), checked by the caller, saves it and records one update event on the case's branch that
    names the fields corrected — the 姓名 before and after, never a 身份证号 — with `note` followed by their labels
    ("更正申请人姓名、身份证号"). Returns those fields (姓名, 身份证号); the caller writes only when there are some."""
    fields = [f for f in _CORRECTED_LABELS if f in identity and identity[f] != getattr(case, f)]
    before = {"name": case.name} if "name" in fields else {}
    for key, value in identity.items():
        setattr(case, key, value)
    case.save(update_fields=[*IDENTITY_COPIED, "updated_at"])
    after: dict[str, Any] = {"name": case.name} if "name" in fields else {}
    after["corrected"] = fields
    audit.record(
        actor=actor,
        action="update",
        obj=case,
        org_path=case.org.path,
        before=before,
        after=after,
        note=note + "、".join(_CORRECTED_LABELS[f] for f in fields),
    )
    return fields


def follow_member_identity(
    *, actor, member: Member, changed: list[str], workflow: Workflow | None = None
) -> DevelopmentCase | None:
    """The development case that admitted `member` takes their corrected 姓名 and 身份证号 (性别 and 出生日期 follow
    the number), whatever its status — the 预备党员's open case, the 正式党员's converted one — so that the case and
    the roll keep saying the same of one person. Called by `members.services.update_member` inside its
    transaction, after the member is saved (registered in `PipelineConfig.ready()`); `changed`: the fields the
    member's correction changed. `correct_applicant` corrects the member through it too: the case then agrees
    already, and nothing more is written.

    Refused (a ServiceError on 身份证号: nothing is written, the member's correction neither) when the new number is
    on another case that has not been 终止 — whether or not the member has a case of their own: an applicant's number
    is not a party member's — or when it says the applicant was under age on the case's application date (as
    `open_case` refuses it). The case is corrected in whichever branch holds it (a 正式党员 moved since keeps their
    case where they were admitted): it is the same person's record, and the member's correction was checked against
    the actor's scope. Audited on the case's branch, naming the fields corrected, never a 身份证号. Returns the case
    corrected, or None."""
    with transaction.atomic():
        case = (
            DevelopmentCase.objects.select_for_update(of=("self",))
            .select_related("org")
            .filter(member=member)
            .first()
        )
        if "id_number" in changed:
            others = DevelopmentCase.objects.filter(id_number_hash=member.id_number_hash).exclude(
                status=CaseStatus.CANCELLED
            )
            if case is not None:
                others = others.exclude(pk=case.pk)
            if others.exists():
                raise ServiceError(
                    _(
                        "该身份证号已登记在另一个发展党员案例中，不能用于本党员。请核对身份证号；"
                        "如确为同一人，请联系上级党委管理员核实。"
                    ),
                    field="id_number",
                )
        if case is None:
            return None
        fields = [f for f in ("name", "id_number") if getattr(case, f) != getattr(member, f)]
        if not fields:
            return None
        if "id_number" in fields:
            first = (workflow or load_workflow()).steps[0]
            if first.age is not None and _age(member.birth_date, case.applied_on) < first.age.min_age:
                raise ServiceError(
                    _(
                        "按该身份证号，%(name)s递交入党申请时（%(date)s）未满%(age)s周岁（%(rule)s），"
                        "与其发展党员案例不符。请核对身份证号。"
                    )
                    % {
                        "name": member.name,
                        "date": f"{case.applied_on:%Y-%m-%d}",
                        "age": first.age.min_age,
                        "rule": first.age.rule,
                    },
                    field="id_number",
                )
        _write_identity(actor, case, {f: getattr(member, f) for f in IDENTITY_COPIED}, "随党员信息更正申请人")
    return case


def _apply_effect(
    actor, wf: Workflow, step: StepDef, case: DevelopmentCase, state: CaseState, on: dt.date, data: StepData
) -> None:
    if step.effect == "create_member":
        member = create_member(
            actor=actor,
            source=case,  # the applicant of this case joins the roll through it
            data={
                "name": case.name,
                "id_number": case.id_number,
                "phone": case.phone,
                "category": Category.PROBATIONARY,
                "joined_on": on,
                "confirmed_on": None,
                "org": case.org,
                "work_status": "active",
            },
        )
        case.member = member
        case.status = CaseStatus.ADMITTED
        case.probation_end = add_months(on, wf.probation_months)
    elif step.effect == "confirm_member":
        if case.member_id is None:
            raise ServiceError(_("该案例没有对应的预备党员记录，无法转正。"))
        end = case.probation_end
        update_member(
            actor=actor,
            member=case.member,
            data={"category": Category.FORMAL, "confirmed_on": end},
            effective_on=end,
        )
        case.status = CaseStatus.CONVERTED
        case.closed_on = on
    elif step.effect == "extend":
        case.probation_end = add_months(case.probation_end, data.extension_months)
        case.status = CaseStatus.EXTENDED
    elif step.effect == "cancel":
        if case.member_id is not None:  # a 预备党员 whose 资格 is cancelled leaves the roll (DEV-17)
            from dangjian.movements.choices import ExitOutcome
            from dangjian.movements.services import change_status

            change_status(
                actor=actor,
                member=case.member,
                status=MemberStatus.LEFT_PARTY,
                effective_on=on,
                decided_on=on,
                decision_body=f"{case.org.name}党员大会",
                outcome=ExitOutcome.PROBATION_CANCELLED,
                note=data.note if hasattr(data, "note") else "",
            )
        case.status = CaseStatus.CANCELLED
        case.closed_on = on


def admitted_member_kept(*, actor, member: Member, source: object | None = None) -> str | None:
    """The roll's check before a member is deleted (`members.services.register_delete_check`, registered in
    `PipelineConfig.ready()`): a 预备党员 whom the admission of a case not ended added to the roll is taken off it by
    undoing that admission on the case's page (`undo_step`: the case set back, the meetings' counts corrected, the
    record deleted — the `source`, let through), not deleted on their own page, which left the case admitted with
    no member. A member already on the roll when the admission was recorded (an import linked the case to them) was
    not added by it and may be deleted as any other. Two queries at most."""
    case = DevelopmentCase.objects.active().select_related("org").filter(member=member).first()
    if case is None or (isinstance(source, DevelopmentCase) and source.pk == case.pk):
        return None
    admission = load_workflow().effect_step("create_member")
    if admission is None:
        return None
    row = case.steps.filter(key=admission.key).order_by("-recorded_at").first()
    if row is None or not _added_by(member, row):
        return None
    return _(
        "%(name)s的预备党员记录是%(org)s的发展党员案例登记“%(step)s”时添加到党员名册的，不能在此删除；"
        "确属误录的，请在“发展党员”中该案例的页面撤销“%(step)s”，其预备党员记录随之删除。"
    ) % {"name": member.name, "org": case.org.name, "step": admission.name}


def applicants_pending(*, actor, hashes: Iterable[str], source: object | None = None) -> dict[str, str]:
    """The roll's check of the numbers it is to register (`members.services.register_pending_check`, registered in
    `PipelineConfig.ready()`): the applicant of a case that has not ended joins the roll through the case — its
    admission (接收预备党员, the 支部大会's vote) adds them as 预备党员 (`_apply_effect`, `import_case`: the `source`,
    left out) — never by being entered as a member (the member form, a members file, a 组织关系转入). Each such
    number maps to the refusal: naming the case's branch and stage when the actor administers that branch, else
    saying no more than that a case holds it (as `_check_person_free` does: a number outside one's scope is not
    located). One query; one more for the actor's scope when a number is held."""
    cases = bulk_filter(DevelopmentCase.objects.active().select_related("org"), "id_number_hash", hashes)
    if isinstance(source, DevelopmentCase):
        cases = [c for c in cases if c.pk != source.pk]
    if not cases:
        return {}
    wf = load_workflow()
    admission = wf.effect_step("create_member")
    step = admission.name if admission is not None else pgettext("in a sentence", "接收预备党员")
    scope = fresh_scope(actor) if actor is not None else None
    found = {}
    for case in cases:
        if scope is not None and not scope.covers(case.org):
            found[case.id_number_hash] = _(
                "该身份证号已有正在进行的发展党员案例，不能在党员名册中直接新增：其党员记录在该案例登记“%(step)s”时"
                "添加到党员名册。如有疑问，请联系上级党委管理员核实。"
            ) % {"step": step}
            continue
        values = {"org": case.org.name, "stage": stage_label(wf, case.stage), "step": step}
        if case.status == CaseStatus.OPEN:
            found[case.id_number_hash] = (
                _(
                    "该身份证号是%(org)s的发展党员案例中的%(stage)s，尚未接收为预备党员，不能在党员名册中直接新增："
                    "其党员记录在该案例登记“%(step)s”时自动添加到党员名册。请在“发展党员”中办理该案例。"
                )
                % values
            )
        else:  # admitted, its 预备党员 deleted from the roll since
            found[case.id_number_hash] = (
                _(
                    "该身份证号是%(org)s的发展党员案例中的%(stage)s，其预备党员记录已不在党员名册中，不能在此新增："
                    "请在该案例页面撤销“%(step)s”后重新登记，党员记录随之添加到党员名册。"
                )
                % values
            )
    return found


def receiving_branch(org: Org) -> Org | None:
    """The 党支部 a case belongs to when its member is in `org`: the 党支部 itself, or a 党小组's 党支部 (None when
    there is none above it)."""
    if org.type == OrgType.ZHIBU:
        return org
    return org.ancestors().filter(type=OrgType.ZHIBU).order_by("-depth").first()


def follow_member(*, actor, member: Member, to_org: Org, on: dt.date) -> list[DevelopmentCase]:
    """The member's open case (a 预备党员's) follows them to the organisation that accepted their transfer inside the
    system (movements.services.accept_transfer, in its transaction): to that organisation's 党支部. Who accepts
    needs scope over the receiving organisation only, as for the member (the sender's start is its consent). One
    audit event per case moved; a member without an open case, or a case already there, changes nothing. The case
    page shows the move from the accepted transfer itself (selectors.case_moves)."""
    with transaction.atomic():
        require_org(actor, to_org, _("接收组织不在您的管理范围内，未办理接收。"))
        branch = receiving_branch(to_org)
        if branch is None:
            return []
        cases = (
            DevelopmentCase.objects.select_for_update(of=("self",))
            .select_related("org")
            .filter(member=member)
            .exclude(status__in=CLOSED_STATUSES)
            .exclude(org=branch)
        )
        moved = []
        for case in cases:
            before = case_snapshot(case)
            sender = case.org
            case.org = branch
            case.save(update_fields=["org", "updated_at"])
            audit.record(
                actor=actor,
                action="update",
                obj=case,
                org_path=branch.path,
                before=before,
                after=case_snapshot(case),
                note=f"组织关系转接：{on:%Y-%m-%d}由{sender.name}转至{branch.name}，发展党员案例随之转接",
            )
            moved.append(case)
    return moved


def _as_imported(wf: Workflow, step: StepDef) -> StepDef:
    """The step as an import sees it: a required step without an import column (the sheet has no date for it), or
    a repeatable one (the sheet has only the latest 考察), stands for the steps it requires in turn."""

    def expand(key: str) -> list[str]:
        required = wf.step(key)
        if required.import_column and not required.repeatable:
            return [key]
        return [k for r in required.requires for k in expand(r)]

    keys = [k for r in step.requires for k in expand(r)]
    return step.model_copy(update={"requires": list(dict.fromkeys(keys))})


def _higher_for_import(actor, case: DevelopmentCase, step: StepDef, approver: Org | None) -> None:
    """`require_higher` for an imported step, its refusal on the step's column."""
    try:
        require_higher(actor, case.org, approver if step.approver is not None else None)
    except ServiceError as exc:
        raise ServiceError(exc.message, field=step.key) from None


def _import_approver(actor, case: DevelopmentCase, row: CaseStep, approver: Org, step: StepDef) -> bool:
    """Gives a recorded step the approving organisation the sheet names, when it has none (True); refuses a
    different one."""
    if row.approver_org_id == approver.pk:
        return False
    if step.by_higher:
        _higher_for_import(actor, case, step, approver)
    if row.approver_org_id is not None:
        raise ServiceError(
            _("%(column)s与已登记的审批党组织（%(org)s）不一致。")
            % {"column": step.approver.import_column, "org": row.approver_org.name},
            field=f"{step.key}_approver",
        )
    row.approver_org = approver
    row.save(update_fields=["approver_org"])
    audit.record(
        actor=actor,
        action="import",
        obj=row,
        object_repr=f"{case.name}：{step.name}",
        org_path=case.org.path,
        before={"approver_org": ""},
        after={"approver_org": approver.code},
    )
    return True


def _renamed_admitted(name: str) -> str:
    """Why a file may not rename a case whose 预备党员 is on the roll (`import_case`)."""
    return _(
        "该案例的申请人已接收为预备党员，姓名与党员名册中的记录一致（%(name)s），不能通过导入修改。"
        "如姓名确有错误，请在案例页面“更正姓名/身份证号”，或在“党员信息”中更正，案例与党员名册一并更正。"
    ) % {"name": name}


def import_case(
    *,
    actor,
    org: Org | None,
    name: str,
    id_number: str,
    stage: str,
    dates: dict[str, dt.date],
    approvers: dict[str, Org] | None = None,
    workflow: Workflow | None = None,
) -> tuple[str, DevelopmentCase]:
    """Creates (or completes) a case from an Excel row: the stage reached and the dates of the main steps so
    far (keys of the steps with an import column). The dates must follow the workflow's order and minimum
    delays; data the sheet cannot carry (联系人, 介绍人, votes) is not required for imported steps, which are
    flagged `imported`. `approvers`: the approving organisation of steps that record one (审批党组织), any
    organisation (whether it may approve is the rules' judgement); a step recorded without one gets it from a
    later import, a different one is refused. A case at 预备党员 links the member of the registry with that
    身份证号 (created when absent, 入党日期 = the admission date). A new 姓名 renames a case (audited), but not one
    whose 预备党员 is on the roll, nor is a member of another 姓名 linked: the case and the roll name one person
    alike, and the roll's 姓名 is corrected where both are (the case page, `correct_applicant`; the member page,
    `follow_member_identity`), never by a file that may be older than the correction. Returns ("create" | "update" |
    "unchanged", case)."""
    wf = workflow or load_workflow()
    approvers = approvers or {}
    for key in approvers:
        need = wf.step(key).approver
        if need is None:
            raise ServiceError(_("未知的审批党组织列。"), field=f"{key}_approver")
        if key not in dates:
            raise ServiceError(
                _("填写了%(column)s，请同时填写%(date)s。")
                % {"column": need.import_column, "date": wf.step(key).import_column},
                field=f"{key}_approver",
            )
    first = wf.steps[0]
    card = _parse_id(id_number)
    org = validate_branch(org)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("姓名不能为空。"), field="name")
    if stage not in (Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY):
        raise ServiceError(_("只能导入尚未转正的案例（入党申请人至预备党员）。"), field="stage")
    if first.key not in dates:
        raise ServiceError(_("请填写%(column)s。") % {"column": first.import_column}, field=first.key)
    today = dt.date.today()
    for key, day in dates.items():
        if day > today:
            raise ServiceError(_("日期不能晚于今天。"), field=key)
    with transaction.atomic():
        require_org(actor, org, _(OUT_OF_SCOPE))
        digest = lookup_hash(card.number)
        case = (
            DevelopmentCase.objects.select_for_update()
            .select_related("org")
            .filter(id_number_hash=digest)
            .exclude(status=CaseStatus.CANCELLED)
            .first()
        )
        action = "unchanged"
        if case is None:
            if stage != Stage.PROBATIONARY and Member.objects.filter(id_number_hash=digest).exists():
                raise ServiceError(_("该身份证号已登记在党员名册中。"), field="id_number")
            case = DevelopmentCase(
                name=name,
                id_number=card.number,
                id_number_hash=digest,
                sex=card.sex,
                birth_date=card.birth_date,
                org=org,
                stage=first.stages[0],
                status=CaseStatus.OPEN,
                applied_on=dates[first.key],
            )
            check_data(first, StepData(), case.applied_on, case)
            case.save()
            audit.record(actor=actor, action="import", obj=case, org_path=org.path, after=case_snapshot(case))
            action = "create"
            before = case_snapshot(case)
        else:
            if case.org_id != org.pk:
                raise ServiceError(_("该案例已登记在其他党支部，组织编码不一致。"), field="org")
            before = case_snapshot(case)  # a new 姓名 is audited with the rest
            if case.name != name:
                # the 姓名 of an admitted case is the roll's: corrected there, or both on the case page
                if case.member_id is not None:
                    raise ServiceError(_renamed_admitted(case.name), field="name")
                case.name = name
                action = "update"
        existing = {r.key: r for r in case.steps.select_related("approver_org")}
        state = state_of(case, existing.values(), wf)
        ordered = [s for s in wf.steps if s.key in dates]
        for step in ordered:
            day = dates[step.key]
            approver = approvers.get(step.key)
            if step.key in existing:
                if not step.repeatable and existing[step.key].date != day:
                    raise ServiceError(
                        _("%(column)s与已登记的“%(step)s”日期（%(date)s）不一致。")
                        % {
                            "column": step.import_column,
                            "step": step.name,
                            "date": f"{existing[step.key].date:%Y-%m-%d}",
                        },
                        field=step.key,
                    )
                if approver is not None and _import_approver(actor, case, existing[step.key], approver, step):
                    action = "update" if action == "unchanged" else action
                if not step.repeatable or state.latest(step.key) >= day:
                    continue
            refusal = order_refusal(wf, _as_imported(wf, step), state, day)
            if refusal:
                raise ServiceError(refusal, field=step.key)
            if step.by_higher:
                _higher_for_import(actor, case, step, approver)
            CaseStep.objects.create(
                case=case,
                key=step.key,
                date=day,
                approver_org=approver if step.approver is not None else None,
                imported=True,
                recorded_by=_user(actor),
            )
            if step.moves_to:
                case.stage = step.moves_to
            if step.effect == "create_member":
                member = Member.objects.filter(id_number_hash=digest).select_related("org").first()
                if member is not None and actor is not None and not fresh_scope(actor).covers(member.org):
                    # on another roll: the number is registered, and nothing more (not where, not the 入党日期)
                    raise ServiceError(id_number_taken(), field="id_number")
                if member is None:
                    member = create_member(
                        actor=actor,
                        source=case,
                        data={
                            "name": name,
                            "id_number": card.number,
                            "category": Category.PROBATIONARY,
                            "joined_on": day,
                            "org": org,
                            "work_status": "active",
                        },
                    )
                elif member.joined_on != day:
                    raise ServiceError(
                        _("党员名册中该党员的入党日期为%(date)s，与%(column)s不一致。")
                        % {"date": f"{member.joined_on:%Y-%m-%d}", "column": step.import_column},
                        field=step.key,
                    )
                elif member.name != name:  # linked, the case and the roll name one person alike
                    raise ServiceError(
                        _("党员名册中该身份证号的党员姓名为“%(name)s”，与所填姓名不一致，请核对。")
                        % {"name": member.name},
                        field="name",
                    )
                case.member = member
                case.status = CaseStatus.ADMITTED
                case.probation_end = add_months(day, wf.probation_months)
            state = state_of(case, [*state.records, StepRecord(step.key, day)], wf)
            if action == "unchanged":
                action = "update"
        if case.stage != stage:
            raise ServiceError(
                _("当前阶段为“%(stage)s”，但所填日期对应“%(dated)s”。")
                % {"stage": stage_label(wf, stage), "dated": stage_label(wf, case.stage)},
                field="stage",
            )
        case.save()
        after = case_snapshot(case)
        if action == "update" and after != before:
            audit.record(
                actor=actor, action="import", obj=case, org_path=org.path, before=before, after=after
            )
    return action, case
