"""Writes of 换届选举. Each use case validates, checks scope inside its transaction, writes and records an audit
event; a refused write changes nothing.

- record_term_adjustment: the higher organisation's approval to postpone or advance a 换届 (EL-03).
- record_election: an election's numbers, checked as entered (dangjian.elections.tally); refused when the quorum
  (ELECT-QUORUM, EL-09) or the ballots (EL-13) fail; the candidate margin and the winning threshold are computed
  and stored (elected / not elected; seats left for 另行选举).
- approve_result: the higher organisation's approval of the result (EL-15) opens the new term (本届开始日期 = the
  election date) and records the new posts from the approval date, ending the previous holders' posts, through
  dangjian.orgs.services; a member re-elected to the post they hold keeps it (not split in two).
- record_congress_approval: the higher organisation's approval to hold a 党员代表大会 (EL-04), its 文号 and date:
  the day's 党员代表大会's, so every record of that day (a 另行选举) carries it.
- correct_congress_approval: its 文号 or date corrected by the same higher organisation, while no result of that
  day is approved.
- delete_election: removes a mistaken or duplicate election not yet approved (an approved one opened the term and
  posts: it stays), and nothing else: the 党员代表大会's approval stays with the day.

Dates are no later than today: an election is recorded once held, an approval once given. An organisation's
election is recorded once per date; a second record of that date is a 另行选举 or 重新投票 of the seats it left
unfilled (EL-10), never a repeat.

Every approval here is the higher organisation's to record (orgs.services.require_higher): the organisation
records its election, never its own approvals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.accounts.scope import require_org
from dangjian.core import audit
from dangjian.core.choices import choice_label
from dangjian.core.dates import add_months
from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.core.models import AuditEvent
from dangjian.elections import tally as T
from dangjian.elections.choices import AdjustmentKind, ElectionForm, ExclusionReason
from dangjian.elections.models import Candidate, Election, Exclusion, TermAdjustment
from dangjian.elections.params import ElectionParams, election_params
from dangjian.elections.selectors import ELECTING_TYPES, roll, voters
from dangjian.orgs.choices import COMMITTEE_TITLES, OrgType, PostTitle, chinese_label
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_post, require_higher, update_org, update_post

# --- postponing or advancing a 换届 ------------------------------------------------------------------------


def adjustment_snapshot(a: TermAdjustment) -> dict[str, Any]:
    return {
        "org": a.org.code,
        "kind": chinese_label(AdjustmentKind, a.kind),
        "term_end": a.term_end,
        "new_due_on": a.new_due_on,
        "approved_on": a.approved_on,
        "approving_body": a.approving_body,
        "reason": a.reason,
    }


def record_term_adjustment(
    *,
    actor,
    org: Org,
    kind: str,
    approved_on: dt.date,
    approving_body: str,
    new_due_on: dt.date,
    reason: str,
    params: ElectionParams | None = None,
) -> TermAdjustment:
    p = params or election_params()
    org = Org.objects.get(pk=org.pk)  # the term as stored now
    approving_body, reason = (approving_body or "").strip(), (reason or "").strip()
    if org.type not in ELECTING_TYPES:
        raise ServiceError(
            _("%(type)s不实行换届选举。") % {"type": choice_label(OrgType, org.type)}, field="org"
        )
    if kind not in AdjustmentKind.values:
        raise ServiceError(_("请选择延期换届或提前换届。"), field="kind")
    if not approved_on:
        raise ServiceError(_("请填写批准日期。"), field="approved_on")
    if approved_on > dt.date.today():
        raise ServiceError(_("批准日期不能晚于今天：请在上级党组织批准后登记。"), field="approved_on")
    if not new_due_on:
        raise ServiceError(_("请填写批准的换届日期。"), field="new_due_on")
    if not approving_body:
        raise ServiceError(_("请填写批准机关。"), field="approving_body")
    if not reason:
        raise ServiceError(_("请填写延期或提前换届的理由。"), field="reason")
    term_end = org.term_end
    if term_end is None:
        raise ServiceError(_("该组织未登记本届开始日期（或成立日期），无法计算届满日期。"), field="org")
    if org.term_start is not None and approved_on < org.term_start:
        # an approval of this term's adjustment cannot predate the term (2020 typed for 2026)
        raise ServiceError(
            _("批准日期早于本届开始日期 %(date)s，请核对批准日期。") % {"date": f"{org.term_start:%Y-%m-%d}"},
            field="approved_on",
        )
    limit = p.max_adjust_months
    if kind == AdjustmentKind.POSTPONE:
        if new_due_on <= term_end:
            raise ServiceError(
                _("延期换届的日期应晚于本届届满日期 %(date)s。") % {"date": f"{term_end:%Y-%m-%d}"},
                field="new_due_on",
            )
        if new_due_on > add_months(term_end, limit):
            raise ServiceError(
                _("延期换届一般不超过%(n)s个月（EL-03）：最迟 %(date)s。")
                % {"n": limit, "date": f"{add_months(term_end, limit):%Y-%m-%d}"},
                field="new_due_on",
            )
    else:
        if new_due_on >= term_end:
            raise ServiceError(
                _("提前换届的日期应早于本届届满日期 %(date)s。") % {"date": f"{term_end:%Y-%m-%d}"},
                field="new_due_on",
            )
        if new_due_on < add_months(term_end, -limit):
            raise ServiceError(
                _("提前换届一般不超过%(n)s个月（EL-03）：最早 %(date)s。")
                % {"n": limit, "date": f"{add_months(term_end, -limit):%Y-%m-%d}"},
                field="new_due_on",
            )
    with transaction.atomic():
        require_org(actor, org, _("该组织不在您的管理范围内，不能登记换届批准。"))
        require_higher(
            actor, org
        )  # the approval is the higher organisation's to record, never the organisation's own
        a = TermAdjustment.objects.create(
            org=org,
            kind=kind,
            term_end=term_end,
            new_due_on=new_due_on,
            approved_on=approved_on,
            approving_body=approving_body,
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(actor=actor, action="create", obj=a, org_path=org.path, after=adjustment_snapshot(a))
    return a


# --- election records ------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """An election's input resolved against the roster on its date, and its tally."""

    roster: list  # RosterEntry of the 正式党员 on the date
    expected: int
    tally: T.Tally
    # the roster less the approved exclusions (EL-12): the expected voters unless typed in; None for a 党员代表大会
    # whose 应到会代表 were typed in (its expected are its delegates, not counted from the roll)
    derived: int | None = 0
    reason: str = ""  # why the expected voters typed in differ from `derived`
    members: int = 0  # 正式 and 预备 on the roll of the organisation (and its subtree) on the date


def _int(value, name: str, label: str, minimum: int = 0) -> int:
    """`label`: the number's name as it reads inside a sentence, translated."""
    if value is None or value == "":
        raise ServiceError(_("请填写%(label)s。") % {"label": label}, field=name)
    if not isinstance(value, int) or value < minimum:
        raise ServiceError(
            _("%(label)s应为不小于%(min)s的整数。") % {"label": label, "min": minimum}, field=name
        )
    return value


def prepare_election(
    *,
    org: Org,
    held_on: dt.date,
    present,
    seats,
    ballots_issued,
    ballots_returned,
    candidates: list[dict],
    exclusions: list[dict] = (),
    has_preselection: bool = False,
    expected=None,
    expected_reason: str = "",
    params: ElectionParams | None = None,
    form: str = ElectionForm.ASSEMBLY,
) -> Prepared:
    """Validates the input (ServiceError on a mistake in it) and computes the checks; writes nothing. The
    tally's blocking checks (quorum, ballots) decide whether record_election accepts it. The expected voters
    are the roster's 正式党员 on the date less the approved exclusions (EL-12); a different number typed in
    needs its reason (a member whose rights are suspended under 留置 or 逮捕, 选举条例 第五条, is one).

    At a 党员代表大会 (`form`) those expected and present are its 代表: the number typed in is the delegates, not
    compared with the roll and needing no reason (the page asks for it; left out, it is counted from the roll as
    for a 党员大会), and the checks speak of 代表."""
    p = params or election_params()
    delegates = form == ElectionForm.CONGRESS and expected not in (None, "")
    if org.type not in ELECTING_TYPES:
        raise ServiceError(
            _("%(type)s不实行换届选举。") % {"type": choice_label(OrgType, org.type)}, field="org"
        )
    if not held_on:
        raise ServiceError(_("请填写选举日期。"), field="held_on")
    if held_on > dt.date.today():
        raise ServiceError(_("选举日期不能晚于今天：登记的是已经进行的选举。"), field="held_on")
    present = _int(present, "present", pgettext("in a sentence", "实到会有选举权人数"))
    seats = _int(seats, "seats", pgettext("in a sentence", "应选名额"), 1)
    ballots_issued = _int(ballots_issued, "ballots_issued", pgettext("in a sentence", "发出选票数"))
    ballots_returned = _int(ballots_returned, "ballots_returned", pgettext("in a sentence", "收回选票数"))
    everyone = roll(org, held_on)
    roster = voters(org, held_on, everyone)
    on_roster = {e.member_id: e for e in roster}
    excluded = set()
    for x in exclusions:
        member = x.get("member")
        if member is None or member.pk not in on_roster:
            name = getattr(member, "name", "")
            raise ServiceError(
                _("%(name)s不是%(date)s本组织的正式党员，无需排除。")
                % {"name": name, "date": f"{held_on:%Y-%m-%d}"},
                field="exclusions",
            )
        if member.pk in excluded:
            raise ServiceError(_("%(name)s重复排除。") % {"name": member.name}, field="exclusions")
        if x.get("reason") not in ExclusionReason.values:
            raise ServiceError(
                _("请选择%(name)s不计入应到会人数的情形（EL-12）。") % {"name": member.name},
                field="exclusions",
            )
        if not (x.get("approval") or "").strip():
            raise ServiceError(
                _("请填写%(name)s不计入应到会人数的批准情况（上级党组织批准、党员大会同意，EL-12）。")
                % {"name": member.name},
                field="exclusions",
            )
        excluded.add(member.pk)
    computed = len(roster) - len(excluded)
    if delegates:
        expected = _int(expected, "expected", pgettext("in a sentence", "应到会代表人数"), 1)
    else:
        expected = (
            computed
            if expected in (None, "")
            else _int(expected, "expected", pgettext("in a sentence", "应到会有选举权人数"), 1)
        )
    reason = (expected_reason or "").strip() if expected != computed and not delegates else ""
    if expected != computed and not reason and not delegates:
        raise ServiceError(
            _(
                "应到会有选举权人数（%(expected)s）与按名册计算的人数（%(computed)s：选举日名册中有选举权的"
                "正式党员%(roster)s人，经批准不计入%(excluded)s人）不同，请填写理由。"
            )
            % {"expected": expected, "computed": computed, "roster": len(roster), "excluded": len(excluded)},
            field="expected_reason",
        )
    if expected < 1:
        raise ServiceError(
            _("%(date)s本组织没有有选举权的正式党员（名册%(roster)s人，排除%(excluded)s人）。")
            % {"date": f"{held_on:%Y-%m-%d}", "roster": len(roster), "excluded": len(excluded)},
            field="expected",
        )
    if present > expected:
        if delegates:
            message = _("实到会代表人数（%(present)s）不能多于应到会代表人数（%(expected)s）。")
        else:
            message = _("实到会人数（%(present)s）不能多于应到会有选举权人数（%(expected)s）。")
        raise ServiceError(message % {"present": present, "expected": expected}, field="present")
    if ballots_issued > present:
        # one ballot to each voter present (no proxy or absentee vote): more ballots than voters is a figure typed
        # wrongly, and it would let a candidate's votes exceed the voters present
        if delegates:
            message = _(
                "发出选票（%(issued)s张）不能多于实到会代表人数（%(present)s名）：每名到会代表领取一张选票，请核对。"
            )
        else:
            message = _(
                "发出选票（%(issued)s张）不能多于实到会有选举权人数（%(present)s人）：每名到会的有选举权党员"
                "领取一张选票，请核对。"
            )
        raise ServiceError(message % {"issued": ballots_issued, "present": present}, field="ballots_issued")
    if not candidates:
        raise ServiceError(_("请填写候选人及得票。"), field="candidates")
    entries, seen = [], set()
    for c in candidates:
        member = c.get("member")
        if member is None:
            raise ServiceError(_("候选人必须是本组织的党员。"), field="candidates")
        if member.pk not in on_roster:
            raise ServiceError(
                _("%(name)s不是%(date)s本组织的正式党员，不能作为候选人（EL-05）。")
                % {"name": member.name, "date": f"{held_on:%Y-%m-%d}"},
                field="candidates",
            )
        if member.pk in excluded:
            raise ServiceError(
                _("%(name)s已不计入应到会人数，不能作为候选人。") % {"name": member.name}, field="candidates"
            )
        if member.pk in seen:
            raise ServiceError(_("候选人%(name)s重复。") % {"name": member.name}, field="candidates")
        seen.add(member.pk)
        if c.get("title", PostTitle.COMMITTEE) not in COMMITTEE_TITLES:
            raise ServiceError(_("%(name)s的拟任职务无效。") % {"name": member.name}, field="candidates")
        for key, label in (
            ("votes", pgettext("in a sentence", "得票")),
            ("prevotes", pgettext("in a sentence", "预选得票")),
        ):
            value = c.get(key)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ServiceError(
                    _("%(name)s的%(label)s应为不小于0的整数。") % {"name": member.name, "label": label},
                    field="candidates",
                )
            if value is not None and value > ballots_returned:
                raise ServiceError(
                    _("%(name)s的%(label)s（%(value)s）多于收回的选票（%(returned)s）。")
                    % {"name": member.name, "label": label, "value": value, "returned": ballots_returned},
                    field="candidates",
                )
        if has_preselection and c.get("prevotes") is None:
            raise ServiceError(
                _("进行了预选，请填写%(name)s的预选得票。") % {"name": member.name}, field="candidates"
            )
        entries.append(T.Entry(member.pk, member.name, c.get("votes"), c.get("prevotes")))
    total = sum(e.votes for e in entries if e.votes is not None)
    if total > ballots_returned * seats:
        # a ballot marks at most as many names as there are seats (one marking more is invalid)
        raise ServiceError(
            _(
                "候选人得票合计%(total)s票，多于收回选票%(returned)s张×应选名额%(seats)s名＝%(most)s票："
                "每张选票最多选%(seats)s名，请核对得票。"
            )
            % {
                "total": total,
                "returned": ballots_returned,
                "seats": seats,
                "most": ballots_returned * seats,
            },
            field="candidates",
        )
    result = T.tally(
        expected=expected,
        present=present,
        seats=seats,
        ballots_issued=ballots_issued,
        ballots_returned=ballots_returned,
        entries=entries,
        has_preselection=has_preselection,
        params=p,
        delegates=delegates,
    )
    for r in result.results:
        if r.formal and r.votes is None:
            raise ServiceError(_("请填写正式候选人%(name)s的得票。") % {"name": r.name}, field="candidates")
    return Prepared(roster, expected, result, None if delegates else computed, reason, len(everyone))


def election_snapshot(e: Election) -> dict[str, Any]:
    return {
        "org": e.org.code,
        "held_on": e.held_on,
        "form": chinese_label(ElectionForm, e.form),
        "expected": e.expected,
        "present": e.present,
        "seats": e.seats,
        "ballots_issued": e.ballots_issued,
        "ballots_returned": e.ballots_returned,
        "threshold_basis": e.threshold_basis,
        "roll_members": e.roll_members,
        "derived_expected": e.derived_expected,
        "expected_reason": e.expected_reason,
        "form_approval_ref": e.form_approval_ref,
        "form_approved_on": e.form_approved_on,
        "elected": [c.member.name for c in e.candidates.filter(elected=True).select_related("member")],
        "approved_on": e.approved_on,
        "approving_body": e.approving_body,
    }


_REFUSAL_FIELDS = {"ELECT-QUORUM": "present", "EL-13": "ballots_returned"}


def record_election(
    *,
    actor,
    org: Org,
    held_on: dt.date,
    form: str,
    present,
    seats,
    ballots_issued,
    ballots_returned,
    candidates: list[dict],
    exclusions: list[dict] = (),
    has_preselection: bool = False,
    expected=None,
    expected_reason: str = "",
    form_approval_ref: str = "",
    form_approved_on: dt.date | None = None,
    note: str = "",
    params: ElectionParams | None = None,
) -> Election:
    """Records an election; `candidates` are dicts of member, title (拟任职务), votes, prevotes; `exclusions` of
    member, reason (ExclusionReason), approval. Refused, citing the rule, when the quorum or the ballots fail.
    A 党员代表大会 is held with the higher organisation's approval (EL-04): its 文号 and date, recorded when
    given (ELECT-CONGRESS-FORM reports one without)."""
    p = params or election_params()
    if form not in ElectionForm.values:
        raise ServiceError(_("请选择会议形式（党员大会或党员代表大会）。"), field="form")
    form_approval_ref = (form_approval_ref or "").strip()
    if form == ElectionForm.ASSEMBLY and (form_approval_ref or form_approved_on):
        raise ServiceError(_("召开党员大会无需登记召开党员代表大会的批准。"), field="form_approval_ref")
    if bool(form_approval_ref) != bool(form_approved_on):
        raise ServiceError(
            _("召开党员代表大会的批准文号和批准日期应同时填写。"),
            field="form_approved_on" if form_approval_ref else "form_approval_ref",
        )
    if form_approved_on and held_on and form_approved_on > held_on:
        raise ServiceError(
            _("召开党员代表大会须事先经上级党组织批准：批准日期不能晚于选举日期。"), field="form_approved_on"
        )
    prepared = prepare_election(
        org=org,
        held_on=held_on,
        present=present,
        seats=seats,
        ballots_issued=ballots_issued,
        ballots_returned=ballots_returned,
        candidates=candidates,
        exclusions=exclusions,
        has_preselection=has_preselection,
        expected=expected,
        expected_reason=expected_reason,
        params=p,
        form=form,
    )
    refusals = prepared.tally.refusals
    if refusals:
        errors: dict[str, list[str]] = {}
        for c in refusals:
            errors.setdefault(_REFUSAL_FIELDS[c.rule], []).append(c.message)
        raise ServiceError(refusals[0].message, errors=errors)
    results = {r.key: r for r in prepared.tally.results}
    with transaction.atomic():
        require_org(actor, org, _("该组织不在您的管理范围内，不能登记选举。"))
        Org.objects.select_for_update().filter(
            pk=org.pk
        ).first()  # one record of the organisation's day at a time
        _refuse_repeat(org, held_on, seats, candidates)
        carried = ""
        if form_approval_ref:
            _require_higher(
                actor, org, "form_approval_ref"
            )  # the approval is the higher organisation's record
        elif form == ElectionForm.CONGRESS:
            day = _congress_approval_of_day(org, held_on)
            if day is not None:  # the day's 党员代表大会 was approved: its approval holds for this record too
                form_approval_ref, form_approved_on = day
                carried = "召开党员代表大会的批准沿用同日选举记录中登记的批准"
        election = Election.objects.create(
            org=org,
            held_on=held_on,
            form=form,
            roster_voters=len(prepared.roster),
            roll_members=prepared.members,
            derived_expected=prepared.derived,
            expected=prepared.expected,
            expected_reason=prepared.reason,
            present=present,
            seats=seats,
            has_preselection=has_preselection,
            ballots_issued=ballots_issued,
            ballots_returned=ballots_returned,
            threshold_basis=p.threshold_basis,
            form_approval_ref=form_approval_ref,
            form_approved_on=form_approved_on,
            note=(note or "").strip(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        Exclusion.objects.bulk_create(
            Exclusion(
                election=election, member=x["member"], reason=x["reason"], approval=x["approval"].strip()
            )
            for x in exclusions
        )
        Candidate.objects.bulk_create(
            Candidate(
                election=election,
                member=c["member"],
                title=c.get("title") or PostTitle.COMMITTEE,
                votes=c.get("votes"),
                prevotes=c.get("prevotes"),
                formal=results[c["member"].pk].formal,
                elected=results[c["member"].pk].elected,
            )
            for c in candidates
        )
        audit.record(
            actor=actor,
            action="create",
            obj=election,
            org_path=org.path,
            after=election_snapshot(election),
            note=carried,
        )
    return election


class RepeatRefused(ServiceError):
    """A second record of an organisation's election on a date, refused; `election` is the record already there
    that the refusal is about (the page links to it)."""

    def __init__(self, message: str, *, field: str, election: Election):
        super().__init__(message, field=field)
        self.election = election


def _refuse_repeat(org: Org, held_on: dt.date, seats: int, candidates: list[dict]) -> None:
    """Refuses a second record of an election of `org` on `held_on`: a repeat (the seats of that day filled, or the
    same candidates with the same votes), or one with more seats than the day left unfilled or a candidate
    already elected that day. What remains is a 另行选举 or 重新投票 of the unfilled seats (EL-10). A mistaken
    record is deleted first (delete_election). The refusal (RepeatRefused) names the record it is about: the
    one repeated, the one that elected the candidate again, or else the day's first."""
    earlier = list(
        Election.objects.filter(org=org, held_on=held_on)
        .order_by("pk")
        .prefetch_related("candidates__member")
    )
    if not earlier:
        return
    first = earlier[0]
    # who the day elected, and by which record
    elected = {c.member_id: (c.member.name, e) for e in earlier for c in e.candidates.all() if c.elected}
    unfilled = first.seats - len(elected)
    entered = {(c["member"].pk, c.get("votes")) for c in candidates}
    same = next((e for e in earlier if {(c.member_id, c.votes) for c in e.candidates.all()} == entered), None)
    names = {
        "org": org.name,
        "date": f"{held_on:%Y-%m-%d}",
        "form": choice_label(ElectionForm, first.form),
        "seats": first.seats,
        "elected": len(elected),
    }
    if unfilled <= 0 or same:
        raise RepeatRefused(
            _(
                "%(org)s %(date)s的选举已登记（%(form)s，应选%(seats)s名，当选%(elected)s名），不能重复登记。"
                "如已登记的记录有误，请在其选举结果页删除后重新登记。"
            )
            % names,
            field="held_on",
            election=same or first,
        )
    if seats > unfilled:
        raise RepeatRefused(
            _(
                "%(org)s %(date)s的选举已登记（%(form)s，应选%(seats)s名，当选%(elected)s名），尚有%(n)s个名额"
                "未选出：同日另行选举的应选名额不能超过%(n)s名。如已登记的记录有误，请在其选举结果页删除后重新登记。"
            )
            % {**names, "n": unfilled},
            field="seats",
            election=first,
        )
    again = [c["member"].pk for c in candidates if c["member"].pk in elected]
    if again:
        raise RepeatRefused(
            _("%(names)s已在%(date)s的选举中当选，不能作为同日另行选举的候选人。")
            % {"names": enumeration([elected[pk][0] for pk in again]), "date": names["date"]},
            field="candidates",
            election=elected[again[0]][1],
        )


def election_tally(election: Election, params: ElectionParams | None = None) -> T.Tally:
    """The checks of a recorded election, recomputed with its stored threshold basis (for the detail page)."""
    p = params or election_params()
    p = ElectionParams(**{**p.__dict__, "threshold_basis": election.threshold_basis})
    cands = list(election.candidates.select_related("member").order_by("pk"))
    return T.tally(
        expected=election.expected,
        present=election.present,
        seats=election.seats,
        ballots_issued=election.ballots_issued,
        ballots_returned=election.ballots_returned,
        entries=[T.Entry(c.member_id, c.member.name, c.votes, c.prevotes) for c in cands],
        has_preselection=election.has_preselection,
        params=p,
        delegates=counts_delegates(election),
    )


def counts_delegates(election: Election) -> bool:
    """Whether the election's 应到会 and 实到会 are the 代表 of a 党员代表大会: held as one, with the delegates typed
    in (not counted from the roll, `prepare_election`)."""
    return election.form == ElectionForm.CONGRESS and election.derived_expected is None


def _require_higher(actor, org: Org, field: str) -> None:
    """`require_higher`, its refusal under the form's field."""
    try:
        require_higher(actor, org)
    except ServiceError as exc:
        raise ServiceError(exc.message, field=field) from None


def _congress_approval_of_day(org: Org, held_on: dt.date) -> tuple[str, dt.date] | None:
    """The approval to hold the 党员代表大会 that `org` held on `held_on` (文号, date), recorded by the higher
    organisation: as a record of that day carries it, or else as the last deleted record of that day carried it
    (its deletion's audit event keeps it). The approval is the day's 党员代表大会's, not one record's: a 另行选举
    of that day, or the record entered again after a mistaken one was deleted, holds it too."""
    on_record = (
        Election.objects.filter(org=org, held_on=held_on, form=ElectionForm.CONGRESS)
        .exclude(form_approval_ref="")
        .order_by("pk")
        .values_list("form_approval_ref", "form_approved_on")
        .first()
    )
    if on_record is not None:
        return on_record
    deleted = AuditEvent.objects.filter(
        object_type=Election._meta.label_lower, action="delete", org_path=org.path
    ).order_by("-pk")
    for before in deleted.values_list("before", flat=True):
        if (
            isinstance(before, dict)
            and before.get("held_on") == held_on.isoformat()
            and before.get("form_approval_ref")
            and before.get("form_approved_on")
        ):
            return before["form_approval_ref"], dt.date.fromisoformat(before["form_approved_on"])
    return None


def _share_congress_approval(actor, election: Election, note: str) -> None:
    """Gives the congress approval `election` carries to the other records of its organisation's 党员代表大会 of
    that day that have none (a 另行选举 recorded before the approval was)."""
    others = (
        Election.objects.select_for_update()
        .select_related("org")
        .filter(org=election.org, held_on=election.held_on, form=ElectionForm.CONGRESS, form_approval_ref="")
        .exclude(pk=election.pk)
        .order_by("pk")
    )
    for other in others:
        _save_approval(
            actor,
            other,
            election_snapshot(other),
            note,
            form_approval_ref=election.form_approval_ref,
            form_approved_on=election.form_approved_on,
        )


def record_congress_approval(
    *, actor, election: Election, approval_ref: str, approved_on: dt.date
) -> Election:
    """Records the higher organisation's approval to hold the election as a 党员代表大会 (EL-04): its 文号 and date,
    no later than the election. Recorded by an admin of an organisation above the one that held it, once."""
    approval_ref = (approval_ref or "").strip()
    if not approval_ref:
        raise ServiceError(_("请填写召开党员代表大会的批准文号。"), field="approval_ref")
    if not approved_on:
        raise ServiceError(_("请填写召开党员代表大会的批准日期。"), field="approved_on")
    with transaction.atomic():
        election = Election.objects.select_for_update().select_related("org").get(pk=election.pk)
        org = election.org
        require_org(actor, org, _("该组织不在您的管理范围内，不能登记召开党员代表大会的批准。"))
        _require_higher(actor, org, "approval_ref")
        if election.form != ElectionForm.CONGRESS:
            raise ServiceError(_("召开党员大会无需登记召开党员代表大会的批准。"))
        if election.form_approved_on is not None:
            raise ServiceError(
                _("召开党员代表大会的批准已登记（%(ref)s）。") % {"ref": election.form_approval_ref}
            )
        if approved_on > election.held_on:
            raise ServiceError(
                _("召开党员代表大会须事先经上级党组织批准：批准日期不能晚于选举日期。"), field="approved_on"
            )
        _save_approval(
            actor,
            election,
            election_snapshot(election),
            "上级党组织批准召开党员代表大会",
            form_approval_ref=approval_ref[:100],
            form_approved_on=approved_on,
        )
        _share_congress_approval(
            actor, election, "上级党组织批准召开党员代表大会（登记于同日的另一选举记录）"
        )
    return election


def correct_congress_approval(
    *, actor, election: Election, approval_ref: str, approved_on: dt.date
) -> Election:
    """Corrects the 文号 or date of the approval to hold a 党员代表大会 recorded for the election (a mistyped 文号),
    by whoever may record it (an admin of an organisation above the one that held it), while the result of no
    record of that day carrying it is approved (the approval opened the term). The approval is the day's: every
    record of that day carrying it is corrected, each with its audit event (before and after)."""
    approval_ref = (approval_ref or "").strip()
    if not approval_ref:
        raise ServiceError(_("请填写召开党员代表大会的批准文号。"), field="approval_ref")
    if not approved_on:
        raise ServiceError(_("请填写召开党员代表大会的批准日期。"), field="approved_on")
    with transaction.atomic():
        election = Election.objects.select_for_update().select_related("org").get(pk=election.pk)
        org = election.org
        require_org(actor, org, _("该组织不在您的管理范围内，不能更正召开党员代表大会的批准。"))
        _require_higher(actor, org, "approval_ref")
        if election.form != ElectionForm.CONGRESS:
            raise ServiceError(_("召开党员大会无需登记召开党员代表大会的批准。"))
        if election.form_approved_on is None:
            raise ServiceError(_("召开党员代表大会的批准尚未登记，请先登记。"))
        day = list(
            Election.objects.select_for_update()
            .select_related("org")
            .filter(
                org=org,
                held_on=election.held_on,
                form=ElectionForm.CONGRESS,
                form_approval_ref=election.form_approval_ref,
                form_approved_on=election.form_approved_on,
            )
            .order_by("pk")
        )
        day = [election if e.pk == election.pk else e for e in day]
        approved = next((e for e in day if e.approved_on is not None), None)
        if approved is not None:
            raise ServiceError(
                _(
                    "%(date)s的选举结果已于%(approved)s登记批准，新一届任期已据此开始，"
                    "召开党员代表大会的批准不能再更正。"
                )
                % {"date": f"{approved.held_on:%Y-%m-%d}", "approved": f"{approved.approved_on:%Y-%m-%d}"}
            )
        if approved_on > election.held_on:
            raise ServiceError(
                _("召开党员代表大会须事先经上级党组织批准：批准日期不能晚于选举日期。"), field="approved_on"
            )
        approval_ref = approval_ref[:100]
        if (approval_ref, approved_on) == (election.form_approval_ref, election.form_approved_on):
            raise ServiceError(
                _("批准文号和批准日期与已登记的相同，没有需要更正的内容。"), field="approval_ref"
            )
        for record in day:
            _save_approval(
                actor,
                record,
                election_snapshot(record),
                "更正召开党员代表大会的批准文号或日期",
                form_approval_ref=approval_ref,
                form_approved_on=approved_on,
            )
    return election


def _save_approval(actor, election: Election, before: dict, note: str, **fields) -> None:
    """Writes an approval's fields on the (locked) election and records the audit event."""
    for name, value in fields.items():
        setattr(election, name, value)
    election.save(update_fields=list(fields))
    audit.record(
        actor=actor,
        action="update",
        obj=election,
        org_path=election.org.path,
        before=before,
        after=election_snapshot(election),
        note=note,
    )


# --- the result's approval ---------------------------------------------------------------------------------


def approve_result(*, actor, election: Election, approved_on: dt.date, approving_body: str) -> Election:
    """Records the higher organisation's approval of the result (EL-15): the new term starts on the election
    date, the elected take their posts from `approved_on` (one re-elected to the post they hold keeps it), and
    the previous committee's other posts end then (`_record_posts`)."""
    approving_body = (approving_body or "").strip()
    if not approved_on:
        raise ServiceError(_("请填写上级党组织的批准日期。"), field="approved_on")
    if not approving_body:
        raise ServiceError(_("请填写批准机关。"), field="approving_body")
    with transaction.atomic():
        election = Election.objects.select_for_update().select_related("org").get(pk=election.pk)
        org = election.org
        require_org(actor, org, _("该组织不在您的管理范围内，不能登记选举结果的批准。"))
        require_higher(actor, org)
        if election.approved_on is not None:
            raise ServiceError(
                _("该选举结果已于%(date)s登记批准。") % {"date": f"{election.approved_on:%Y-%m-%d}"}
            )
        if approved_on < election.held_on:
            raise ServiceError(_("批准日期不能早于选举日期。"), field="approved_on")
        if approved_on > dt.date.today():
            raise ServiceError(_("批准日期不能晚于今天：请在上级党组织批准后登记。"), field="approved_on")
        later = (
            Election.objects.filter(org=org, held_on__gt=election.held_on, approved_on__isnull=False)
            .order_by("-held_on")
            .first()
        )
        if later is not None:
            # the later election's approval opened the term in force and its committee's posts: approving an
            # earlier one now would reopen posts since ended and move the term back
            raise ServiceError(
                _(
                    "本组织%(date)s的选举结果已经批准，现任一届和委员职务按那次选举登记；更早的这次选举只作记录，"
                    "不能再登记批准。"
                )
                % {"date": f"{later.held_on:%Y-%m-%d}"}
            )
        elected = list(election.candidates.filter(elected=True).select_related("member").order_by("pk"))
        if not elected:
            raise ServiceError(_("本次选举没有人当选，无需批准；请另行选举。"))
        if sum(1 for c in elected if c.title == PostTitle.SECRETARY) > 1:
            raise ServiceError(_("当选人中拟任书记的超过一名，请核对拟任职务。"))
        before = election_snapshot(election)
        _record_posts(actor, org, elected, approved_on)
        update_org(actor=actor, org=org, data={"term_started_on": election.held_on})
        _save_approval(
            actor,
            election,
            before,
            "选举结果经上级党组织批准，开始新一届任期",
            approved_on=approved_on,
            approving_body=approving_body,
        )
    return election


def _record_posts(actor, org: Org, elected: list[Candidate], approved_on: dt.date) -> None:
    """The committee from `approved_on`. A member elected to the post they hold keeps that post as it is (the
    任职日期 stays: a re-election neither ends it nor starts another; a 离任日期 recorded for it after
    `approved_on` stays too — they were re-elected, then left), as does one whose post was already recorded from
    a later date; every other committee post held on `approved_on` ends then; the other elected take their posts
    from `approved_on`."""
    posts = list(
        Post.objects.filter(org=org, title__in=COMMITTEE_TITLES)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=approved_on))
        .select_related("member", "org")
        .order_by("-started_on", "-pk")
    )
    mine = {(p.member_id, p.title): p for p in posts}  # each one's earliest post not ended by approved_on
    kept = {
        (c.member_id, c.title): mine[(c.member_id, c.title)]
        for c in elected
        if (c.member_id, c.title) in mine
    }
    kept_ids = {p.pk for p in kept.values()}
    for post in reversed(posts):
        if post.pk in kept_ids or post.started_on > approved_on:
            continue
        if post.started_on == approved_on:
            raise ServiceError(
                _("%(name)s的%(title)s职务任职日期不早于批准日期，请先核对该职务。")
                % {"name": post.member.name, "title": choice_label(PostTitle, post.title)}
            )
        update_post(actor=actor, post=post, data={"ended_on": approved_on})
    for c in elected:
        if (c.member_id, c.title) not in kept:
            create_post(
                actor=actor,
                data={"member": c.member, "org": org, "title": c.title, "started_on": approved_on},
            )


# --- deleting a mistaken record ----------------------------------------------------------------------------


def delete_election(*, actor, election: Election) -> None:
    """Deletes an election recorded by mistake or twice, with its candidates and exclusions, while its result is
    not approved (the approval opened the new term and posts: the record stays). The approval to hold the day's
    党员代表大会 is the higher organisation's, not the record's: it stays with the day's other records, and a
    record of that day entered again takes it (`_congress_approval_of_day`). The deletion is audited on the
    organisation's path, which refreshes its kept results like any write."""
    with transaction.atomic():
        current = Election.objects.select_for_update().select_related("org").get(pk=election.pk)
        require_org(actor, current.org, _("该选举不在您的管理范围内，未删除。"))
        if current.approved_on is not None:
            raise ServiceError(
                _(
                    "该选举结果已于%(date)s经%(body)s批准，新一届任期和当选人的职务已据此登记，不能删除。"
                    "如批准登记有误，请联系上级党组织的管理员。"
                )
                % {"date": f"{current.approved_on:%Y-%m-%d}", "body": current.approving_body}
            )
        if current.form_approval_ref:  # the day's 党员代表大会's approval stays with the day's other records
            _share_congress_approval(
                actor, current, "召开党员代表大会的批准沿用同日删除的选举记录中登记的批准"
            )
        audit.record(
            actor=actor,
            action="delete",
            obj=current,
            org_path=current.org.path,
            before=election_snapshot(current),
        )
        current.delete()
