"""换届选举 checks (ORG-TERM-REMINDER, ELECT-*): pure functions over the "elections" facts
(dangjian.elections.facts): the approvals to postpone or advance the 换届 and the elections held in the window.
The election numbers are checked by the same functions as while recording (dangjian.elections.tally)."""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _l
from pydantic import Field

from dangjian.compliance.facts import OrgFacts
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Link,
    Outcome,
    Params,
    dissolved,
    iso,
    month_count,
    register,
    register_area,
    register_param_labels,
    register_short_titles,
    register_value_labels,
)
from dangjian.core.messages import Join, Message
from dangjian.elections import facts as _elections_facts  # noqa: F401  (registers the "elections" provider)
from dangjian.elections.choices import ElectionForm


def _facts(facts: OrgFacts):
    value = facts.extra.get("elections")
    if value is None:
        raise ValueError("换届选举数据未加载")
    return value


class TermReminderParams(Params):
    months_ahead: int = Field(ge=1)
    max_adjust_months: int = Field(ge=1)
    # the result while the term ends within `months_ahead` months (a reminder): v4–v7 as published "fail",
    # v8 "pending" (待定); a term ended without a new term fails either way
    due_status: Literal["fail", "pending"] = "fail"


@register("term_reminder", TermReminderParams, facts=("elections",), label=_l("换届提醒"))
def term_reminder(facts: OrgFacts, window: Window, p: TermReminderParams) -> Outcome:
    """Fail when the term (as postponed or advanced by a recorded approval for this term) has ended without a
    new term; `due_status` (fail, or pending from v8) when it ends within `months_ahead` months of D; pass
    otherwise. When the organisation has recorded its election and the result awaits the higher organisation's
    approval (which opens the new term), the message says so, with the election's date, instead of asking it to
    prepare the 换届: the result and the due day stay as they are."""
    if window.closed:
        return dissolved(window)
    if facts.term_end is None:
        return Outcome(
            "not_applicable", Message("不适用：未登记本届开始日期（或成立日期），无法计算届满日期。")
        )
    from dangjian.elections.tally import classify_term

    adj = _facts(facts).adjusted_due(facts.term_end)
    on = window.as_of
    status, due = classify_term(
        facts.term_end, adj, on, months_ahead=p.months_ahead, max_adjust_months=p.max_adjust_months
    )
    adjusted: Message | str = ""
    if adj:
        adjusted = (
            Message("（经批准延期至%(day)s换届）", day=iso(due))
            if adj.kind == "postpone"
            else Message("（经批准提前至%(day)s换届）", day=iso(due))
        )
    term = Message("本届任期%(end)s届满%(adjusted)s", end=iso(facts.term_end), adjusted=adjusted)
    day = iso(on)
    # the election recorded for the next term, its result not approved yet (the latest, when several)
    awaiting = next(iter(_facts(facts).awaiting), None)
    held = iso(awaiting.held_on) if awaiting is not None else ""
    if status == "violation":
        months_over = month_count(p.max_adjust_months)
        return Outcome(
            "fail",
            Message(
                "%(term)s；%(held)s的换届选举已登记，至%(day)s选举结果尚未经上级党组织批准，"
                "超期已逾%(months)s且无延期批准，属于违规。",
                term=term,
                held=held,
                day=day,
                months=months_over,
            )
            if awaiting is not None
            else Message(
                "%(term)s，至%(day)s尚未换届，超期已逾%(months)s且无延期批准，属于违规。",
                term=term,
                day=day,
                months=months_over,
            ),
            [iso(due)],
        )
    if status == "overdue":
        return Outcome(
            "fail",
            Message(
                "%(term)s；%(held)s的换届选举已登记，至%(day)s选举结果尚未经上级党组织批准。",
                term=term,
                held=held,
                day=day,
            )
            if awaiting is not None
            else Message("%(term)s，至%(day)s尚未换届。", term=term, day=day),
            [iso(due)],
        )
    months = month_count(p.months_ahead)
    if status == "due":
        return Outcome(
            p.due_status,
            Message(
                "%(term)s；%(held)s的换届选举已登记，选举结果待上级党组织批准，批准后开始新一届任期。",
                term=term,
                held=held,
            )
            if awaiting is not None
            else Message(
                "%(term)s，距%(day)s不足%(months)s，请及时做好换届准备。", term=term, day=day, months=months
            ),
            [iso(due)],
        )
    return Outcome(
        "pass", Message("已满足：%(term)s，距%(day)s超过%(months)s。", term=term, day=day, months=months)
    )


class TermOnTimeParams(Params):
    pass


def _record_election(rule, org, status: str) -> Link | None:
    if status != "fail":
        return None
    return Link(f"{reverse('elections:create')}?{urlencode({'org': org.id})}", str(_l("登记选举")))


@register(
    "term_on_time_adjusted",
    TermOnTimeParams,
    facts=("elections",),
    label=_l("按期换届（含批准的延期或提前）"),
    link=_record_election,
)
def term_on_time_adjusted(facts: OrgFacts, window: Window, p: TermOnTimeParams) -> Outcome:
    """ORG-TERM-ON-TIME from v5: D is not after the date the 换届 is due, i.e. the term end or, when the higher
    organisation's approval to postpone or advance the 换届 of this term is recorded by D, the approved date
    (as ORG-TERM-REMINDER and `dangjian elections terms`). Without an approval, the result and its message are
    those of the engine's `term_on_time` (v1–v4)."""
    from dangjian.elections.tally import adjusted_due

    if window.closed:
        return dissolved(window)
    if facts.term_end is None:
        return Outcome("fail", Message("未登记本届开始日期（或成立日期），无法判断是否按期换届，请补充。"))
    term = (
        Message.plural("本届开始于%(start)s，任期%(n)s年", start=iso(facts.term_start), n=facts.term_years)
        if facts.term_start and facts.term_years is not None  # both set whenever term_end is
        else Message("任期")
    )
    end, on = iso(facts.term_end), window.as_of
    adj = _facts(facts).adjusted_due(facts.term_end)
    if adj is None:
        if on <= facts.term_end:
            return Outcome("pass", Message("已满足：%(term)s，至%(end)s届满。", term=term, end=end))
        return Outcome("fail", Message("本届任期已于%(end)s届满，尚未换届（%(term)s）。", end=end, term=term))
    due = adjusted_due(facts.term_end, adj)
    adjusted = (
        Message("延期至%(day)s换届", day=iso(due))
        if adj.kind == "postpone"
        else Message("提前至%(day)s换届", day=iso(due))
    )
    if on <= due:
        return Outcome(
            "pass",
            Message(
                "已满足：%(term)s，至%(end)s届满，已于%(approved)s经批准%(adjusted)s。",
                term=term,
                end=end,
                adjusted=adjusted,
                approved=iso(adj.approved_on),
            ),
        )
    return Outcome(
        "fail",
        Message(
            "%(term)s，至%(end)s届满，已于%(approved)s经批准%(adjusted)s，至%(day)s尚未换届。",
            term=term,
            end=end,
            adjusted=adjusted,
            approved=iso(adj.approved_on),
            day=iso(on),
        ),
        [iso(due)],
    )


def _in_window(facts: OrgFacts, window: Window):
    return [e for e in _facts(facts).elections if window.contains(e.held_on)]


def _none(window: Window) -> Outcome:
    return Outcome(
        "pass",
        Message(
            "已满足：%(year)s年截至%(day)s未进行选举，无需检查。", year=window.year, day=iso(window.as_of)
        ),
    )


class QuorumParams(Params):
    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)
    # v5: the expected voters are checked against the roll (the roster's 正式党员 less the approved exclusions,
    # EL-12): a different number needs its reason, which the result shows; one without a reason fails
    explain_expected: bool = False


def _differs(e) -> bool:
    return e.derived_expected is not None and e.expected != e.derived_expected


def _expected_detail(e) -> Message:
    if e.expected_reason:
        return Message(
            "%(day)s登记应到会%(expected)s人，按名册计算为%(derived)s人，理由：%(reason)s",
            day=iso(e.held_on),
            expected=e.expected,
            derived=e.derived_expected,
            reason=e.expected_reason,
        )
    return Message(
        "%(day)s登记应到会%(expected)s人，按名册计算为%(derived)s人，未说明理由",
        day=iso(e.held_on),
        expected=e.expected,
        derived=e.derived_expected,
    )


@register("election_quorum", QuorumParams, facts=("elections",), label=_l("选举到会人数"))
def election_quorum(facts: OrgFacts, window: Window, p: QuorumParams) -> Outcome:
    elections = _in_window(facts, window)
    if not elections:
        return _none(window)
    outcome = _quorum(elections, p)
    if not p.explain_expected:
        return outcome
    differing = [e for e in elections if _differs(e)]
    if not differing:
        return outcome
    unexplained = [e for e in differing if not e.expected_reason]
    expected = Message(
        "应到会人数与名册计算不同：%(details)s。", details=Join(_expected_detail(e) for e in differing)
    )
    message = Message("%(result)s%(expected)s", result=outcome.message, expected=expected)
    if outcome.status == "pass" and not unexplained:
        return Outcome("pass", message)
    missing = sorted({*outcome.missing, *(iso(e.held_on) for e in unexplained)})
    return Outcome("fail", message, missing)


def _quorum(elections, p: QuorumParams) -> Outcome:
    from dangjian.elections.tally import quorum_ok

    share = Fraction(p.numerator, p.denominator)
    bad = [e for e in elections if not quorum_ok(e.present, e.expected, share)]
    if not bad:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(n)s次选举到会人数均超过应到会人数的%(num)s/%(den)s。",
                n=len(elections),
                num=p.numerator,
                den=p.denominator,
            ),
        )
    details = Join(
        Message(
            "%(day)s（应到%(expected)s人，实到%(present)s人）",
            day=iso(e.held_on),
            expected=e.expected,
            present=e.present,
        )
        for e in bad
    )
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s次选举到会人数未超过应到会人数的%(num)s/%(den)s：%(details)s。",
            n=len(bad),
            num=p.numerator,
            den=p.denominator,
            details=details,
        ),
        [iso(e.held_on) for e in bad],
    )


class MarginParams(Params):
    margin_percent: int = Field(ge=0)


def _formal(e):
    """正式候选人 (after the 预选, those who passed it, as computed when recorded)."""
    return [c for c in e.candidates if c.formal]


@register("election_margin", MarginParams, facts=("elections",), label=_l("候选人差额比例"))
def election_margin(facts: OrgFacts, window: Window, p: MarginParams) -> Outcome:
    """Committee candidates (正式候选人: after a 预选, those who passed it) at least `margin_percent`% more than seats."""
    from dangjian.elections.tally import margin_ok, min_margin_candidates

    elections = _in_window(facts, window)
    if not elections:
        return _none(window)
    bad = [e for e in elections if not margin_ok(len(_formal(e)), e.seats, p.margin_percent)]
    if not bad:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(n)s次选举的候选人数均比应选名额多%(percent)s%%以上。",
                n=len(elections),
                percent=p.margin_percent,
            ),
        )
    details = Join(
        Message(
            "%(day)s（应选%(seats)s名，候选人%(candidates)s名，至少应%(min)s名）",
            day=iso(e.held_on),
            seats=e.seats,
            candidates=len(_formal(e)),
            min=min_margin_candidates(e.seats, p.margin_percent),
        )
        for e in bad
    )
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s次选举候选人差额不足%(percent)s%%：%(details)s。",
            n=len(bad),
            percent=p.margin_percent,
            details=details,
        ),
        [iso(e.held_on) for e in bad],
    )


class ThresholdParams(Params):
    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)
    basis: Literal["expected", "present"]


@register("election_threshold", ThresholdParams, facts=("elections",), label=_l("当选票数"))
def election_threshold(facts: OrgFacts, window: Window, p: ThresholdParams) -> Outcome:
    """Every candidate recorded as elected got more than numerator/denominator of the basis (应到会 or 实到会
    有选举权人数)."""
    from dangjian.elections.tally import min_passing, passes

    elections = _in_window(facts, window)
    if not elections:
        return _none(window)
    share = Fraction(p.numerator, p.denominator)
    expected = p.basis == "expected"
    bad = []
    for e in elections:
        basis = e.expected if p.basis == "expected" else e.present
        under = [c for c in e.candidates if c.elected and not passes(c.votes, basis, share)]
        if under:
            bad.append((e, basis, under))
    if not bad:
        counts = {"n": len(elections), "num": p.numerator, "den": p.denominator}
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(n)s次选举的当选人得票均超过应到会有选举权人数的%(num)s/%(den)s。", **counts
            )
            if expected
            else Message.plural(
                "已满足：%(n)s次选举的当选人得票均超过实到会有选举权人数的%(num)s/%(den)s。", **counts
            ),
        )
    details = Join(
        Message.plural(
            "%(day)s：%(candidates)s，至少应%(n)s票",
            day=iso(e.held_on),
            # an elected candidate's votes are recorded
            candidates=Join(
                Message.plural("%(name)s（%(n)s票）", name=c.name, n=c.votes or 0) for c in under
            ),
            n=min_passing(basis, share),
        )
        for e, basis, under in bad
    )
    kw: dict[str, object] = {"num": p.numerator, "den": p.denominator, "details": details}
    return Outcome(
        "fail",
        Message("当选人得票未超过应到会有选举权人数的%(num)s/%(den)s：%(details)s。", **kw)
        if expected
        else Message("当选人得票未超过实到会有选举权人数的%(num)s/%(den)s：%(details)s。", **kw),
        [c.name for _e, _b, under in bad for c in under],
    )


class CongressFormParams(Params):
    congress_from: int = Field(
        ge=1
    )  # 第四条: 党员人数在500名以上 (or dispersed) may elect through a 代表大会


def _congress_detail(e, p: CongressFormParams) -> Message | str:
    if e.roll_members is None:  # recorded before the number was kept
        return iso(e.held_on)
    if e.roll_members >= p.congress_from:
        return Message.plural("%(day)s（党员%(n)s名）", day=iso(e.held_on), n=e.roll_members)
    return Message.plural(
        "%(day)s（党员%(n)s名，不足%(min)s名，须以所辖党组织驻地分散为由经批准）",
        day=iso(e.held_on),
        n=e.roll_members,
        min=p.congress_from,
    )


@register("election_congress_form", CongressFormParams, facts=("elections",), label=_l("选举会议形式"))
def election_congress_form(facts: OrgFacts, window: Window, p: CongressFormParams) -> Outcome:
    """Every election in the window held through a 党员代表大会 has the higher organisation's approval recorded,
    dated on or before the election (选举条例 第四条: the committee is generally elected by the 党员大会; with
    `congress_from` or more members, or 所辖党组织驻地分散, a 党员代表大会 may be held with that approval). An
    election through a 党员大会 always passes, whatever the number of members."""
    elections = _in_window(facts, window)
    if not elections:
        return _none(window)
    congress = [e for e in elections if e.form == ElectionForm.CONGRESS]
    bad = [e for e in congress if e.form_approved_on is None or e.form_approved_on > e.held_on]
    if bad:
        return Outcome(
            "fail",
            Message.plural(
                "%(n)s次选举召开党员代表大会，未登记上级党组织的批准：%(details)s；党员%(min)s名以上或所辖党组织"
                "驻地分散的，经上级党组织批准方可召开党员代表大会进行选举，请登记批准文号和日期。",
                n=len(bad),
                min=p.congress_from,
                details=Join(_congress_detail(e, p) for e in bad),
            ),
            [iso(e.held_on) for e in bad],
        )
    if not congress:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(n)s次选举均召开党员大会。",
                n=len(elections),
            ),
        )
    return Outcome(
        "pass",
        Message.plural(
            "已满足：%(n)s次选举中召开党员代表大会的均经上级党组织批准：%(details)s。",
            n=len(elections),
            details=Join(
                Message(
                    "%(election)s，%(ref)s（%(approved)s批准）",
                    election=_congress_detail(e, p),
                    ref=e.form_approval_ref,
                    approved=iso(e.form_approved_on),
                )
                for e in congress
            ),
        ),
    )


register_param_labels(
    {
        "months_ahead": _l("提前提醒月数"),
        "max_adjust_months": _l("延期或提前换届至多（月）"),
        "due_status": _l("即将届满时的结果"),
        "margin_percent": _l("差额比例（%）"),
        "basis": _l("计算基数"),
        "explain_expected": _l("应到会人数与名册核对"),
        "congress_from": _l("可召开党员代表大会的党员人数"),
    }
)
register_value_labels("basis", {"expected": _l("应到会人数"), "present": _l("实到会人数")})
register_value_labels("due_status", {"fail": _l("不符合"), "pending": _l("待定")})


# the overview's column headings
register_short_titles(
    {
        "ORG-TERM-REMINDER": _l("换届提醒"),
        "ELECT-QUORUM": _l("选举到会"),
        "ELECT-MARGIN": _l("差额比例"),
        "ELECT-THRESHOLD": _l("当选票数"),
        "ELECT-CONGRESS-FORM": _l("会议形式"),
    }
)

register_area(
    "elections",
    _l("换届"),
    order=50,
    kinds=(
        "term_reminder",
        "term_on_time_adjusted",
        "election_quorum",
        "election_margin",
        "election_threshold",
        "election_congress_form",
    ),
)
