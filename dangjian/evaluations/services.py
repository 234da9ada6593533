"""Writes of 民主评议党员. Each service validates, checks scope inside its transaction (`require_org`; a vote:
that the voter is the actor's own member record), writes and records an audit event; a refused write raises
ServiceError and changes nothing.

A vote (`cast_vote`) writes, in one transaction, the voter's Participation row, adds its ratings to the
evaluation's counters (Tally: one UPDATE that rewrites every counter of the evaluation, adding 1 or 0, so the rows
it touches are the same whatever the choices and whoever the voter; no row is created) and records an audit event
that records the participation and never a rating."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, PositiveIntegerField, Value, When
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
from dangjian.evaluations.departures import departures, grading, has_left
from dangjian.evaluations.models import Evaluation, Participant, Participation, Tally
from dangjian.evaluations.params import (
    excellent_cap,
    graded_of,
    load_params,
    publicity_ends,
    voters_of,
)
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


def snapshot(ev: Evaluation) -> dict[str, Any]:
    return {
        "org": ev.org.code,
        "year": ev.year,
        "opened_on": ev.opened_on,
        "step": chinese_label(Step, ev.step),
        "organ": chinese_label(Organ, ev.organ),
        "paper_ballots": ev.paper_ballots,
        "by_group": ev.by_group,
    }


def _updated(actor, obj, ev: Evaluation, **changes) -> None:
    """The audit event of an update of `obj` (the evaluation or one of its participants), filed under the branch."""
    audit.record(actor=actor, action="update", obj=obj, org_path=ev.org.path, **changes)


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


def _group_of(org: Org, entry) -> int | None:
    """The participant's 党小组 on the opening date: the roster's organisation when it is not the branch itself
    (a 党支部's only sub-organisations are its 党小组)."""
    return entry.org_id if entry.org_id != org.pk else None


def _create(
    actor, org: Org, year: int, opened_on: dt.date, organ: str, roster, by_group: bool = False
) -> Evaluation:
    """The evaluation with its participants (the roster on the opening date, each with their 党小组) and its
    audit event."""
    if by_group:
        _check_groups(org, [_group_of(org, e) for e in roster])
    return _create_many(actor, [(org, roster)], year, opened_on, organ, by_group=by_group)[0]


def _create_many(
    actor, rosters: list[tuple[Org, list]], year: int, opened_on: dt.date, organ: str, by_group: bool = False
) -> list[Evaluation]:
    """The evaluations of several branches with their participants and audit events, in a fixed number of
    statements: one insert of the evaluations, one of the participants, one append to the audit chain."""
    created_by = actor if getattr(actor, "pk", None) else None
    evs = Evaluation.objects.bulk_create(
        [
            Evaluation(
                org=org, year=year, opened_on=opened_on, organ=organ, by_group=by_group, created_by=created_by
            )
            for org, _roster in rosters
        ]
    )
    Participant.objects.bulk_create(
        [
            Participant(evaluation=ev, member_id=e.member_id, formal=e.formal, group_id=_group_of(org, e))
            for ev, (org, roster) in zip(evs, rosters, strict=True)
            for e in roster
        ]
    )
    audit.record_many(
        [
            audit.build(
                actor=actor,
                action="create",
                obj=ev,
                org_path=org.path,
                after=snapshot(ev)
                | {"participants": len(roster), "formal": sum(1 for e in roster if e.formal)},
            )
            for ev, (org, roster) in zip(evs, rosters, strict=True)
        ]
    )
    return evs


def _rosters_by_branch(org: Org, branches: list[Org], on: dt.date) -> dict[int, list]:
    """Each branch's roster on `on`, from one read of the roll of `org`'s subtree (a fixed number of queries):
    an entry belongs to the branch whose path begins its organisation's path."""
    roster = members_in_subtree(org, on)
    paths = dict(Org.objects.filter(pk__in={e.org_id for e in roster}).values_list("pk", "path"))
    by_path = {b.path: b.pk for b in branches}
    found: dict[int, list] = defaultdict(list)
    for e in roster:
        path = paths.get(e.org_id, "")
        prefixes = (path[: i + 1] for i, ch in enumerate(path) if ch == "/")
        branch = next((by_path[p] for p in prefixes if p in by_path), None)
        if branch is not None:
            found[branch].append(e)
    return found


def _check_groups(org: Org, groups) -> None:
    """按党小组测评 needs 党小组: at least one participant in one on the opening date."""
    if not any(g is not None for g in groups):
        raise ServiceError(
            _("%(org)s在开始日期没有编入党小组的党员，不能按党小组测评；请按全支部测评。")
            % {"org": org.name},
            field="by_group",
        )


def open_evaluation(
    *, actor, org: Org, year: int, opened_on: dt.date, organ: str, by_group: bool = False
) -> Evaluation:
    """Opens the year's 民主评议党员 of a 党支部: the participants are fixed now, every 正式党员 and 预备党员 on
    the roll of the branch (and its 党小组) on `opened_on`, each with their 党小组 on that date. `by_group`: the
    测评 is held per 党小组 (each voter rates their own group). Refused: not a 党支部, a future date, a date
    outside the year, one already opened for the year, nobody on the roll, by group without a 党小组, out of
    scope."""
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
        return _create(actor, org, year, opened_on, organ, roster, by_group=by_group)


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
    A fixed number of queries whatever the number of branches: one read of the subtree's roll, then one insert
    each of the evaluations, the participants and the audit events."""
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
        rosters = _rosters_by_branch(org, branches, opened_on)
        done = Opened()
        todo = []
        for b in branches:
            if b.pk in having:
                done.existing.append(b)
            elif not rosters.get(b.pk):
                done.empty.append(b)
            else:
                todo.append((b, rosters[b.pk]))
        if todo:
            done.opened = _create_many(actor, todo, year, opened_on, organ)
        if not done.opened:
            raise ServiceError(
                _("%(org)s所属党支部均已开展%(year)s年度民主评议党员，或没有在册党员，没有可开展的。")
                % {"org": org.name, "year": year},
                field="year",
            )
    return done


def without_self_assessment(participants) -> list[Participant]:
    """The participants with neither a 个人自评 recorded nor a written one handed in (BR-16: every member makes one)."""
    return [p for p in participants if not p.self_text and not p.self_paper]


def _last_step_date(ev: Evaluation) -> dt.date:
    return max(d for d in (ev.opened_on, ev.voting_closed_on, ev.published_on) if d is not None)


def advance_step(
    *,
    actor,
    evaluation: Evaluation,
    on: dt.date | None = None,
    expected: str | None = None,
    confirm_gaps: bool = False,
) -> Evaluation:
    """Moves the evaluation to its next step, dated `on` (today by default; never before the step dated last). Closing the 测评 (to 组织评定) needs at least one ballot, online or on paper, and
    dates it; 公示 needs every graded participant's grade within the 优秀 cap and, while participants have no 个人自评
    (`without_self_assessment`), `confirm_gaps` (the page's "仍然公示" box; counted in the audit event), else it is
    refused naming them — neither waits for a participant who has left the branch since the opening
    (`departures`); ending the 公示 (完成) waits `publicity_working_days` working days after it began
    (`params.publicity_ends`). `expected`: the step the page showed — a form sent twice, or after someone else
    moved the evaluation on, is refused instead of skipping a step."""
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
        if on < _last_step_date(ev):
            raise ServiceError(
                _("日期不能早于本次民主评议上一步骤的日期（%(day)s）。")
                % {"day": f"{_last_step_date(ev):%Y-%m-%d}"}
            )
        before = snapshot(ev)
        after_extra: dict[str, Any] = {}
        nxt = STEP_ORDER[STEP_ORDER.index(ev.step) + 1]
        if nxt == Step.VOTING:
            _create_tallies(ev)
        elif nxt == Step.GRADING:
            if not ev.paper_ballots and not Participation.objects.filter(evaluation=ev).exists():
                raise ServiceError(
                    _(
                        "尚未收回任何测评票（网上投票和纸质测评票均为0），不能结束民主测评："
                        "请组织党员网上投票，或登记收回的纸质测评票。"
                    )
                )
            ev.voting_closed_on = on
        elif nxt == Step.PUBLICITY:
            params = load_params()
            participants = list(ev.participants.select_related("member__org"))
            # those who left the branch since the opening are neither graded nor asked for a 个人自评
            left = departures(ev, participants)
            participants = [p for p in participants if p.pk not in left]
            missing = [p for p in graded_of(participants, params) if not p.grade]
            if missing:
                raise ServiceError(
                    _("尚未评定等次：%(names)s。") % {"names": enumeration(p.member.name for p in missing)}
                )
            no_self = without_self_assessment(participants)
            if no_self and not confirm_gaps:
                raise ServiceError(
                    _(
                        "以下党员尚未登记个人自评：%(names)s，未公示。请先登记其自评（或已交书面自评）；"
                        "确因病、外出等原因无法自评而需现在公示，请勾选“仍然公示”后再提交。"
                    )
                    % {"names": enumeration(p.member.name for p in no_self)}
                )
            if no_self:
                after_extra = {"published_without_self_assessment": len(no_self)}
            if left:
                after_extra["left_branch"] = len(left)
            ev.published_on = on
        elif nxt == Step.DONE:
            params = load_params()
            ends = publicity_ends(ev.published_on, params) if ev.published_on else on
            if on < ends:
                raise ServiceError(
                    _("公示期不少于%(n)s个工作日：%(start)s起公示，%(end)s起才能结束公示。")
                    % {
                        "n": params.publicity_working_days.value,
                        "start": f"{ev.published_on:%Y-%m-%d}",
                        "end": f"{ends:%Y-%m-%d}",
                    }
                )
            ev.completed_on = on
        ev.step = nxt
        ev.save()
        audit.record(
            actor=actor,
            action="update",
            obj=ev,
            org_path=ev.org.path,
            before=before,
            after=snapshot(ev) | after_extra,
        )
    return ev


def set_by_group(*, actor, evaluation: Evaluation, by_group: bool) -> Evaluation:
    """Chooses whether the 测评 is held per 党小组 (BR-16: large branches) — until the 测评 begins, since the
    ballots and the tallies follow it. The groups are those of the opening date. Refused: a branch whose
    participants were in no 党小组 on the opening date, a step from the 测评 on, out of scope."""
    with transaction.atomic():
        ev = _locked(evaluation)
        require_org(actor, ev.org, _("该民主评议不在您的管理范围内，未修改。"))
        _step_is(ev, Step.STUDY, Step.SELF)
        by_group = bool(by_group)
        if by_group:
            _check_groups(ev.org, ev.participants.values_list("group_id", flat=True))
        if ev.by_group == by_group:
            return ev
        before = snapshot(ev)
        ev.by_group = by_group
        ev.save(update_fields=["by_group"])
        audit.record(
            actor=actor, action="update", obj=ev, org_path=ev.org.path, before=before, after=snapshot(ev)
        )
    return ev


# --- 个人自评 --------------------------------------------------------------------------------------------


def _self_text(text: str, empty: str | None) -> str:
    """The self-assessment's text, stripped; refused when longer than SELF_TEXT_MAX, or empty with the message
    `empty` (None: an empty text is allowed)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text and empty is not None:
        raise ServiceError(empty, field="text")
    if len(text) > SELF_TEXT_MAX:
        raise ServiceError(_("自评内容不超过%(n)s字。") % {"n": SELF_TEXT_MAX}, field="text")
    return text


def record_self_assessment(
    *, actor, participant: Participant, text: str = "", paper: bool = False, on: dt.date | None = None
) -> Participant:
    """Records a participant's self-assessment: a short text, or that the paper form was received. Allowed
    until 组织评定 ends."""
    text = _self_text(text, _("请填写自评内容，或勾选“已交书面自评”。") if not paper else None)
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
        _updated(
            actor,
            current,
            ev,
            before=before,
            after={"member": current.member.name, "self_text": bool(text), "paper": bool(paper)},
        )
    return current


def write_own_self_assessment(
    *, actor, participant: Participant, text: str, on: dt.date | None = None
) -> Participant:
    """A member writes (or edits) their own 个人自评 online: only their own participant record, only during the
    个人自评 step, a text of at most SELF_TEXT_MAX characters. The audit event says that the self-assessment was
    written and its length, not the text (the administrators read it on the evaluation's page)."""
    text = _self_text(text, _("请填写自评内容。"))
    member_id = fresh_scope(actor).member_id if actor is not None else None
    with transaction.atomic():
        current = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("member__org")
            .get(pk=participant.pk)
        )
        if member_id is None or current.member_id != member_id:
            raise OutOfScope(_("只能填写本人的个人自评。"))
        ev = Evaluation.objects.select_related("org").get(pk=current.evaluation_id)
        _step_is(ev, Step.SELF)
        if has_left(current.member, ev.org.path, dt.date.today()):
            raise ServiceError(_("您已不在%(org)s，无需填写本次民主评议的个人自评。") % {"org": ev.org.name})
        before = {"member": current.member.name, "self_text": len(current.self_text)}
        current.self_text, current.self_on = text, on or dt.date.today()
        current.save(update_fields=["self_text", "self_on"])
        _updated(
            actor,
            current,
            ev,
            before=before,
            after={"member": current.member.name, "self_text": len(text)},
            note="本人填写个人自评",
        )
    return current


# --- 民主测评: online votes and paper tallies -----------------------------------------------------------


def _create_tallies(ev: Evaluation) -> None:
    """The evaluation's counters, all at zero: every participant × every rating, in participant and rating order
    (their ids and places say nothing about a vote). Made when the evaluation enters the 测评; those already
    there are kept."""
    have = set(Tally.objects.filter(evaluation=ev).values_list("subject_id", "rating"))
    Tally.objects.bulk_create(
        [
            Tally(evaluation=ev, subject_id=pid, rating=r)
            for pid in ev.participants.order_by("pk").values_list("pk", flat=True)
            for r in RATING_ORDER
            if (pid, r) not in have
        ]
    )


def rated_by(voter: Participant, participants: list[Participant], ev: Evaluation) -> list[Participant]:
    """Whom a 测评票 rates: every other participant, or, when the 测评 is held per 党小组, every other participant of
    the voter's group (those directly in the branch are a group of their own)."""
    return [p for p in participants if p.pk != voter.pk and (not ev.by_group or p.group_id == voter.group_id)]


def cast_vote(
    *, actor, evaluation: Evaluation, ratings: Mapping[int, str], on: dt.date | None = None
) -> None:
    """The actor's own 测评票: a rating (优秀/合格/基本合格/不合格) of every other participant (of the voter's
    党小组 when the 测评 is held per group), keyed by the participant's id. Only during 党员互评和民主测评, only by a
    participant who receives a ballot, once. The ratings are added to the counters in one UPDATE of every counter
    of the evaluation (1 where chosen, 0 elsewhere); no row is created but the Participation."""
    on = on or dt.date.today()
    member_id = fresh_scope(actor).member_id if actor is not None else None
    with transaction.atomic():
        ev = _locked(evaluation)  # votes of one evaluation are serialised
        if member_id is None:
            raise ServiceError(_("只有参加本次民主评议的党员本人可以投票。"))
        participants = list(ev.participants.select_related("member__org"))
        voter = next((p for p in participants if p.member_id == member_id), None)
        if voter is None or voter not in voters_of(participants, load_params()):
            raise ServiceError(_("只有参加本次民主评议的党员本人可以投票。"))
        _step_is(ev, Step.VOTING)
        # a participant who has left the branch votes no more (a ballot cast before stays in the counters); the
        # ballots still rate them, as every other participant (evaluations.departures)
        if has_left(voter.member, ev.org.path, dt.date.today()):
            raise ServiceError(_("您已不在%(org)s，不再参加本次民主测评。") % {"org": ev.org.name})
        if Participation.objects.filter(evaluation=ev, voter=voter).exists():
            raise ServiceError(_("您已参加本次民主测评，不能重复投票。"))
        others = rated_by(voter, participants, ev)
        wanted = {int(k): v for k, v in ratings.items()}
        if set(wanted) != {p.pk for p in others} or any(v not in RATING_ORDER for v in wanted.values()):
            raise ServiceError(_("请对每一名党员选择一个测评等次。"), field="ratings")
        try:
            with transaction.atomic():
                participation = Participation.objects.create(evaluation=ev, voter=voter, voted_on=on)
        except IntegrityError:  # a concurrent vote of the same voter
            raise ServiceError(_("您已参加本次民主测评，不能重复投票。")) from None
        chosen: dict[str, list[int]] = defaultdict(list)
        for pid, value in wanted.items():
            chosen[value].append(pid)
        counters = Tally.objects.filter(evaluation=ev)
        if counters.count() != len(participants) * len(RATING_ORDER):
            _create_tallies(
                ev
            )  # an evaluation that entered the 测评 without them (none does through the services)
        counters.update(
            online=F("online")
            + Case(
                *(
                    When(rating=r, subject_id__in=sorted(ids), then=Value(1))
                    for r, ids in sorted(chosen.items())
                ),
                default=Value(0),
                output_field=PositiveIntegerField(),
            )
        )
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
        # every member with a 测评票 has one, online or on paper: paper ballots beyond those who did not vote
        # online are a miscount (and would lift the ballots past the threshold that hides the tallies)
        voters = len(voters_of(participants, load_params()))
        online = Participation.objects.filter(evaluation=ev).count()
        if paper_ballots + online > voters:
            raise ServiceError(
                _(
                    "收回纸质测评票%(paper)s张，加上网上投票%(online)s人，共%(total)s张，"
                    "多于领取测评票的党员（%(voters)s人）：每名党员只有一张测评票，请核对。"
                )
                % {
                    "paper": paper_ballots,
                    "online": online,
                    "total": paper_ballots + online,
                    "voters": voters,
                },
                field="paper_ballots",
            )
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
                _("%(names)s的各等次票数之和超过收回的纸质测评票数（%(n)s张），请核对。")
                % {"names": enumeration(over), "n": paper_ballots},
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
    """The 组织评定: a grade for every graded participant (正式党员; 预备党员 only when the parameter says so) still on
    the branch's roll, at most the 优秀 share (EVAL-02: floor of graded × share, the share itself allowed). A 不合格
    grade gets its 限期改正 due date (default and longest: parameters, counted from the grading day).

    A participant who has left the branch since the opening (`departures`) is not graded: a grade given before they
    left is kept as it is (a different one is refused), none is asked for otherwise. The 优秀 cap is a share of the
    grades the evaluation ends with — those given now and those kept — as EVAL-EXCELLENT-CAP counts every grade
    kept: a kept 优秀 counts against it, and the page cannot accept what the rule would then fail. One who left
    ungraded is not counted: EVAL-02 is a share of the members graded, and they are no longer the branch's."""
    on = on or dt.date.today()
    params = load_params()
    followup_due = followup_due or {}
    with transaction.atomic():
        ev = _locked(evaluation)
        require_org(actor, ev.org, _("该民主评议不在您的管理范围内，未评定等次。"))
        _step_is(ev, Step.GRADING)
        participants = list(ev.participants.select_related("member__org"))
        left = departures(ev, participants)
        changed = [
            p.member.name
            for p in participants
            if p.pk in left and grades.get(p.pk) not in (None, "", p.grade)
        ]
        if changed:
            raise ServiceError(
                _("%(names)s已不在本支部，不再评定等次（此前评定的等次保留）。")
                % {"names": enumeration(changed)},
                field="grades",
            )
        graded, kept = grading(participants, left, params)
        graded_ids = {p.pk for p in graded}
        stray = [
            p.member.name
            for p in participants
            if p.pk not in graded_ids and p.pk not in left and grades.get(p.pk)
        ]
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
        excellent = sum(1 for p in graded if grades[p.pk] == Rating.EXCELLENT) + sum(
            1 for p in kept if p.grade == Rating.EXCELLENT
        )
        counted = len(graded) + len(kept)
        cap = excellent_cap(counted, params.excellent_share.fraction)
        if excellent > cap:
            message = _(
                "评为优秀的党员不超过参加评定人数的%(share)s：%(n)s人中最多%(cap)s人，现为%(excellent)s人。"
            ) % {
                "share": f"{params.excellent_share.numerator}/{params.excellent_share.denominator}",
                "n": counted,
                "cap": cap,
                "excellent": excellent,
            }
            if kept:
                message += _("参加评定人数含已不在本支部、保留原评定等次的%(n)s人。") % {"n": len(kept)}
            raise ServiceError(message, field="grades")
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
        after: dict[str, Any] = {"grades": {p.member.name: chinese_label(Rating, p.grade) for p in graded}}
        if left:  # not graded now: left the branch (a grade given before is kept)
            after["left_branch"] = sorted(p.member.name for p in participants if p.pk in left)
        audit.record(
            actor=actor, action="update", obj=ev, org_path=ev.org.path, before={"grades": before}, after=after
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
        _updated(
            actor,
            current,
            ev,
            after={
                "member": current.member.name,
                "followup_due": current.followup_due,
                "outcome": chinese_label(FollowUpOutcome, outcome),
                "decided_on": decided_on,
            },
        )
    return current
