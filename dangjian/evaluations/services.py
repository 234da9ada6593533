"""Writes of 民主评议党员. Each service validates, checks scope inside its transaction (`require_org`; a vote:
that the voter is the actor's own member record), writes and records an audit event; a refused write raises
ServiceError and changes nothing.

A vote (`cast_vote`) writes, in one transaction, the voter's Participation row, the ratings (RatingRow: random
UUIDs, inserted in shuffled order, no voter, no time) and an audit event that records the participation and
never a rating."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dangjian.accounts.scope import fresh_scope, require_org
from dangjian.core import audit
from dangjian.core.choices import chinese_label, choice_label
from dangjian.core.dates import add_months
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.i18n import enumeration
from dangjian.evaluations.choices import (
    CLOSED_STEPS,
    RATING_ORDER,
    STEP_ORDER,
    FollowUpOutcome,
    Organ,
    Rating,
    Step,
)
from dangjian.evaluations.models import Evaluation, Participant, Participation, RatingRow
from dangjian.evaluations.params import excellent_cap, graded_of, load_params, voters_of
from dangjian.meetings.roster import members_in_subtree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

SELF_TEXT_MAX = 2000
PAPER_FIELDS = {
    Rating.EXCELLENT.value: "paper_excellent",
    Rating.QUALIFIED.value: "paper_qualified",
    Rating.BASIC.value: "paper_basic",
    Rating.UNQUALIFIED.value: "paper_unqualified",
}
_shuffle = random.SystemRandom().shuffle


def snapshot(ev: Evaluation) -> dict[str, Any]:
    return {
        "org": ev.org.code,
        "year": ev.year,
        "opened_on": ev.opened_on,
        "step": chinese_label(Step, ev.step),
        "organ": chinese_label(Organ, ev.organ),
        "paper_ballots": ev.paper_ballots,
    }


def _locked(ev: Evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update().select_related("org").get(pk=ev.pk)


def _step_is(ev: Evaluation, *steps: str) -> None:
    if ev.step not in steps:
        raise ServiceError(
            _("本次民主评议当前处于“%(step)s”步骤，不能进行此项操作。")
            % {"step": choice_label(Step, ev.step)}
        )


# --- opening and the steps ------------------------------------------------------------------------------


def _check_opening(year: int, opened_on: dt.date, organ: str) -> None:
    if not isinstance(opened_on, dt.date):
        raise ServiceError(_("请填写开始日期。"), field="opened_on")
    if opened_on > dt.date.today():
        raise ServiceError(_("开始日期不能晚于今天。"), field="opened_on")
    if opened_on.year != year:
        raise ServiceError(_("开始日期应在%(year)s年内。") % {"year": year}, field="opened_on")
    if organ not in Organ.values:
        raise ServiceError(_("请选择评定机构。"), field="organ")


def _create(actor, org: Org, year: int, opened_on: dt.date, organ: str, roster) -> Evaluation:
    """The evaluation with its participants (the roster on the opening date) and its audit event."""
    ev = Evaluation.objects.create(
        org=org,
        year=year,
        opened_on=opened_on,
        organ=organ,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    Participant.objects.bulk_create(
        [Participant(evaluation=ev, member_id=e.member_id, formal=e.formal) for e in roster]
    )
    after = snapshot(ev) | {
        "participants": len(roster),
        "formal": sum(1 for e in roster if e.formal),
    }
    audit.record(actor=actor, action="create", obj=ev, org_path=org.path, after=after)
    return ev


def open_evaluation(*, actor, org: Org, year: int, opened_on: dt.date, organ: str) -> Evaluation:
    """Opens the year's 民主评议党员 of a 党支部: the participants are fixed now, every 正式党员 and 预备党员 on
    the roll of the branch (and its 党小组) on `opened_on`. Refused: not a 党支部, a future date, a date outside
    the year, one already opened for the year, nobody on the roll, out of scope."""
    if org is None:
        raise ServiceError(_("请选择党支部。"), field="org")
    if org.type != OrgType.ZHIBU:
        raise ServiceError(
            _("民主评议党员由党支部开展，“%(org)s”是%(type)s。")
            % {"org": org.name, "type": choice_label(OrgType, org.type)},
            field="org",
        )
    _check_opening(year, opened_on, organ)
    with transaction.atomic():
        require_org(actor, org, _("所选党支部不在您的管理范围内，未开展民主评议。"))
        if Evaluation.objects.filter(org=org, year=year).exists():
            raise ServiceError(
                _("%(org)s已开展%(year)s年度民主评议党员。") % {"org": org.name, "year": year}, field="year"
            )
        roster = members_in_subtree(org, opened_on)
        if not roster:
            raise ServiceError(
                _("%(org)s在%(date)s没有在册党员。") % {"org": org.name, "date": f"{opened_on:%Y-%m-%d}"},
                field="opened_on",
            )
        return _create(actor, org, year, opened_on, organ, roster)


@dataclass
class Opened:
    """What `open_for_branches` did: the evaluations opened, and the branches left alone."""

    opened: list[Evaluation] = field(default_factory=list)
    existing: list[Org] = field(default_factory=list)  # had the year's evaluation already
    empty: list[Org] = field(default_factory=list)  # nobody on the roll on the opening date


def open_for_branches(*, actor, org: Org, year: int, opened_on: dt.date, organ: str) -> Opened:
    """A 党委 (or 党总支) opens the year's 民主评议党员 for every active 党支部 of its subtree at once (BR-16: “或由
    党委统一开展”): one evaluation per branch that has none for the year, the participants fixed as
    `open_evaluation` fixes them, one audit event per evaluation; branches that have one, or nobody on the roll,
    are left alone. One transaction: all or nothing. Refused: a 党支部 or 党小组 (it opens its own), a bad date or
    organ, a branch of the subtree outside the actor's scope (a 党委管理员 without its branches), nothing to open.
    One roster read per branch opened."""
    if org is None or org.type in (OrgType.ZHIBU, OrgType.XIAOZU):
        raise ServiceError(_("请选择党委或党总支，由其统一为所属党支部开展民主评议。"), field="org")
    _check_opening(year, opened_on, organ)
    with transaction.atomic():
        scope = fresh_scope(actor)
        message = _("所选组织及其党支部不在您的管理范围内，未开展民主评议。")
        if not scope.covers(org):
            raise OutOfScope(message)
        branches = list(
            Org.objects.subtree(org).filter(type=OrgType.ZHIBU, dissolved_on__isnull=True).order_by("path")
        )
        if any(not scope.covers(b) for b in branches):
            raise OutOfScope(message)
        having = set(Evaluation.objects.filter(org__in=branches, year=year).values_list("org_id", flat=True))
        done = Opened()
        for b in branches:
            if b.pk in having:
                done.existing.append(b)
                continue
            roster = members_in_subtree(b, opened_on)
            if not roster:
                done.empty.append(b)
                continue
            done.opened.append(_create(actor, b, year, opened_on, organ, roster))
        if not done.opened:
            raise ServiceError(
                _("%(org)s所属党支部均已开展%(year)s年度民主评议党员，或没有在册党员，没有可开展的。")
                % {"org": org.name, "year": year},
                field="year",
            )
    return done


def advance_step(
    *, actor, evaluation: Evaluation, on: dt.date | None = None, expected: str | None = None
) -> Evaluation:
    """Moves the evaluation to its next step. Closing the 测评 (to 组织评定) dates it; 公示 needs every graded
    participant's grade within the 优秀 cap. `expected`: the step the page showed — a form sent twice, or after
    someone else moved the evaluation on, is refused instead of skipping a step."""
    on = on or dt.date.today()
    with transaction.atomic():
        ev = _locked(evaluation)
        require_org(actor, ev.org, _("该民主评议不在您的管理范围内，未修改。"))
        if expected is not None and ev.step != expected:
            raise ServiceError(
                _("本次民主评议已进入“%(step)s”步骤，请刷新页面后再操作。")
                % {"step": choice_label(Step, ev.step)}
            )
        if ev.step == Step.DONE:
            raise ServiceError(_("本次民主评议已完成。"))
        before = snapshot(ev)
        nxt = STEP_ORDER[STEP_ORDER.index(ev.step) + 1]
        if nxt == Step.GRADING:
            ev.voting_closed_on = on
        elif nxt == Step.PUBLICITY:
            params = load_params()
            participants = list(ev.participants.select_related("member"))
            missing = [p for p in graded_of(participants, params) if not p.grade]
            if missing:
                raise ServiceError(
                    _("尚未评定等次：%(names)s。") % {"names": enumeration(p.member.name for p in missing)}
                )
            ev.published_on = on
        elif nxt == Step.DONE:
            ev.completed_on = on
        ev.step = nxt
        ev.save()
        audit.record(
            actor=actor, action="update", obj=ev, org_path=ev.org.path, before=before, after=snapshot(ev)
        )
    return ev


# --- 个人自评 --------------------------------------------------------------------------------------------


def record_self_assessment(
    *, actor, participant: Participant, text: str = "", paper: bool = False, on: dt.date | None = None
) -> Participant:
    """Records a participant's self-assessment: a short text, or that the paper form was received. Allowed
    until 组织评定 ends."""
    text = (text or "").strip()
    if not text and not paper:
        raise ServiceError(_("请填写自评内容，或勾选“已交书面自评”。"), field="text")
    if len(text) > SELF_TEXT_MAX:
        raise ServiceError(_("自评内容不超过%(n)s字。") % {"n": SELF_TEXT_MAX}, field="text")
    with transaction.atomic():
        current = Participant.objects.select_related("member").get(pk=participant.pk)
        ev = _locked(current.evaluation)
        require_org(actor, ev.org, _("该民主评议不在您的管理范围内，未登记自评。"))
        _step_is(ev, Step.STUDY, Step.SELF, Step.VOTING, Step.GRADING)
        before = {
            "member": current.member.name,
            "self_text": bool(current.self_text),
            "paper": current.self_paper,
        }
        current.self_text, current.self_paper, current.self_on = text, bool(paper), on or dt.date.today()
        current.save(update_fields=["self_text", "self_paper", "self_on"])
        audit.record(
            actor=actor,
            action="update",
            obj=current,
            org_path=ev.org.path,
            before=before,
            after={"member": current.member.name, "self_text": bool(text), "paper": bool(paper)},
        )
    return current


# --- 民主测评: online votes and paper tallies -----------------------------------------------------------


def cast_vote(
    *, actor, evaluation: Evaluation, ratings: Mapping[int, str], on: dt.date | None = None
) -> None:
    """The actor's own 测评票: a rating (优秀/合格/基本合格/不合格) of every other participant, keyed by the
    participant's id. Only during 党员互评和民主测评, only by a participant who receives a ballot, once."""
    on = on or dt.date.today()
    member_id = fresh_scope(actor).member_id if actor is not None else None
    with transaction.atomic():
        ev = _locked(evaluation)  # votes of one evaluation are serialised
        if member_id is None:
            raise ServiceError(_("只有参加本次民主评议的党员本人可以投票。"))
        participants = list(ev.participants.all())
        voter = next((p for p in participants if p.member_id == member_id), None)
        if voter is None or voter not in voters_of(participants, load_params()):
            raise ServiceError(_("只有参加本次民主评议的党员本人可以投票。"))
        _step_is(ev, Step.VOTING)
        if Participation.objects.filter(evaluation=ev, voter=voter).exists():
            raise ServiceError(_("您已参加本次民主测评，不能重复投票。"))
        others = [p for p in participants if p.pk != voter.pk]
        wanted = {int(k): v for k, v in ratings.items()}
        if set(wanted) != {p.pk for p in others} or any(v not in RATING_ORDER for v in wanted.values()):
            raise ServiceError(_("请对每一名党员选择一个测评等次。"), field="ratings")
        try:
            with transaction.atomic():
                participation = Participation.objects.create(evaluation=ev, voter=voter, voted_on=on)
        except IntegrityError:  # a concurrent vote of the same voter
            raise ServiceError(_("您已参加本次民主测评，不能重复投票。")) from None
        rows = [RatingRow(evaluation=ev, subject_id=pid, rating=value) for pid, value in wanted.items()]
        _shuffle(rows)
        RatingRow.objects.bulk_create(rows)
        audit.record(  # that the member voted, never how
            actor=actor,
            action="create",
            obj=participation,
            org_path=ev.org.path,
            after={"evaluation": ev.pk, "voted_on": on},
        )


def record_paper_tallies(
    *, actor, evaluation: Evaluation, paper_ballots: int, counts: Mapping[int, Mapping[str, int]]
) -> Evaluation:
    """The paper 测评票 of a branch that votes on paper: how many were collected, and for each participant the
    number of each rating received (a participant's counts add up to at most the ballots). Replaces what was
    entered before; only during 党员互评和民主测评."""
    if not isinstance(paper_ballots, int) or paper_ballots < 0:
        raise ServiceError(_("请填写收回的纸质测评票数。"), field="paper_ballots")
    with transaction.atomic():
        ev = _locked(evaluation)
        require_org(actor, ev.org, _("该民主评议不在您的管理范围内，未登记测评票。"))
        _step_is(ev, Step.VOTING)
        participants = list(ev.participants.select_related("member"))
        over = []
        for p in participants:
            given = counts.get(p.pk, {})
            values = {r: int(given.get(r) or 0) for r in RATING_ORDER}
            if any(v < 0 for v in values.values()):
                raise ServiceError(_("票数不能为负数。"), field="counts")
            if sum(values.values()) > paper_ballots:
                over.append(p.member.name)
            for r, v in values.items():
                setattr(p, PAPER_FIELDS[r], v)
        if over:
            raise ServiceError(
                _("%(names)s的各等次票数之和超过收回的纸质测评票数。") % {"names": enumeration(over)},
                field="counts",
            )
        before = snapshot(ev)
        Participant.objects.bulk_update(participants, list(PAPER_FIELDS.values()))
        ev.paper_ballots = paper_ballots
        ev.save(update_fields=["paper_ballots"])
        audit.record(
            actor=actor, action="update", obj=ev, org_path=ev.org.path, before=before, after=snapshot(ev)
        )
    return ev


# --- 组织评定 -------------------------------------------------------------------------------------------


def record_grades(
    *,
    actor,
    evaluation: Evaluation,
    grades: Mapping[int, str],
    followup_due: Mapping[int, dt.date | None] | None = None,
    on: dt.date | None = None,
) -> Evaluation:
    """The 组织评定: a grade for every graded participant (正式党员; 预备党员 only when the parameter says so),
    at most the 优秀 share (EVAL-02: floor of graded × share, the share itself allowed). A 不合格 grade gets
    its 限期改正 due date (default and longest: parameters, counted from the grading day)."""
    on = on or dt.date.today()
    params = load_params()
    followup_due = followup_due or {}
    with transaction.atomic():
        ev = _locked(evaluation)
        require_org(actor, ev.org, _("该民主评议不在您的管理范围内，未评定等次。"))
        _step_is(ev, Step.GRADING)
        participants = list(ev.participants.select_related("member"))
        graded = graded_of(participants, params)
        graded_ids = {p.pk for p in graded}
        stray = [p.member.name for p in participants if p.pk not in graded_ids and grades.get(p.pk)]
        if stray:
            raise ServiceError(
                _("预备党员参加测评，但不确定等次：%(names)s。") % {"names": enumeration(stray)},
                field="grades",
            )
        missing = [p.member.name for p in graded if grades.get(p.pk) not in RATING_ORDER]
        if missing:
            raise ServiceError(
                _("请为%(names)s选择评定等次。") % {"names": enumeration(missing)}, field="grades"
            )
        excellent = sum(1 for p in graded if grades[p.pk] == Rating.EXCELLENT)
        cap = excellent_cap(len(graded), params.excellent_share.fraction)
        if excellent > cap:
            raise ServiceError(
                _(
                    "评为优秀的党员不超过参加评定人数的%(share)s：%(n)s人中最多%(cap)s人，现为%(excellent)s人。"
                )
                % {
                    "share": f"{params.excellent_share.numerator}/{params.excellent_share.denominator}",
                    "n": len(graded),
                    "cap": cap,
                    "excellent": excellent,
                },
                field="grades",
            )
        longest = add_months(on, params.rectify_months_max.value)
        before = {p.member.name: chinese_label(Rating, p.grade) if p.grade else "" for p in graded}
        for p in graded:
            p.grade = grades[p.pk]
            if p.grade == Rating.UNQUALIFIED:
                due = followup_due.get(p.pk) or add_months(on, params.rectify_months.value)
                if due <= on or due > longest:
                    raise ServiceError(
                        _("%(name)s的限期改正期满日期应在评定之日后、%(months)s个月以内（不晚于%(date)s）。")
                        % {"name": p.member.name, "months": params.rectify_months_max.value, "date": longest},
                        field="grades",
                    )
                p.followup_due = due
            else:
                p.followup_due, p.followup_outcome, p.followup_decided_on = None, "", None
        Participant.objects.bulk_update(
            graded, ["grade", "followup_due", "followup_outcome", "followup_decided_on"]
        )
        ev.graded_on = on
        ev.save(update_fields=["graded_on"])
        audit.record(
            actor=actor,
            action="update",
            obj=ev,
            org_path=ev.org.path,
            before={"grades": before},
            after={"grades": {p.member.name: chinese_label(Rating, p.grade) for p in graded}},
        )
    return ev


def record_followup(*, actor, participant: Participant, outcome: str, decided_on: dt.date) -> Participant:
    """The outcome of a 不合格 grade's 限期改正: the decision and its date (no case file)."""
    if outcome not in FollowUpOutcome.values:
        raise ServiceError(_("请选择限期改正结果。"), field="outcome")
    if not isinstance(decided_on, dt.date) or decided_on > dt.date.today():
        raise ServiceError(_("请填写不晚于今天的决定日期。"), field="decided_on")
    with transaction.atomic():
        current = (
            Participant.objects.select_for_update()
            .select_related("member", "evaluation__org")
            .get(pk=participant.pk)
        )
        ev = current.evaluation
        require_org(actor, ev.org, _("该民主评议不在您的管理范围内，未登记处理结果。"))
        if current.grade != Rating.UNQUALIFIED or ev.step not in CLOSED_STEPS - {Step.GRADING}:
            raise ServiceError(_("只有公示后评定为不合格的党员需要登记限期改正结果。"))
        if ev.graded_on and decided_on < ev.graded_on:
            raise ServiceError(_("决定日期不能早于组织评定日期。"), field="decided_on")
        current.followup_outcome, current.followup_decided_on = outcome, decided_on
        current.save(update_fields=["followup_outcome", "followup_decided_on"])
        audit.record(
            actor=actor,
            action="update",
            obj=current,
            org_path=ev.org.path,
            after={
                "member": current.member.name,
                "followup_due": current.followup_due,
                "outcome": chinese_label(FollowUpOutcome, outcome),
                "decided_on": decided_on,
            },
        )
    return current
