"""换届选举 checks (ORG-TERM-REMINDER, ELECT-*): pure functions over the "elections" facts
(dangjian.elections.facts): the approvals to postpone or advance the 换届 and the elections held in the window.
The election numbers are checked by the same functions as while recording (dangjian.elections.tally)."""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from django.utils.translation import gettext_lazy as _l
from pydantic import Field

from dangjian.compliance.facts import OrgFacts
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Outcome,
    Params,
    dissolved,
    iso,
    month_count,
    register,
    register_param_labels,
    register_short_titles,
)
from dangjian.core.messages import Join, Message
from dangjian.elections import facts as _elections_facts  # noqa: F401  (registers the "elections" provider)


def _facts(facts: OrgFacts):
    value = facts.extra.get("elections")
    if value is None:
        raise ValueError("换届选举数据未加载")
    return value


class TermReminderParams(Params):
    months_ahead: int = Field(ge=1)
    max_adjust_months: int = Field(ge=1)


@register("term_reminder", TermReminderParams, facts=("elections",), label=_l("换届提醒"))
def term_reminder(facts: OrgFacts, window: Window, p: TermReminderParams) -> Outcome:
    """Fail when the term (as postponed or advanced by a recorded approval for this term) ends within
    `months_ahead` months of D, or has ended without a new term; pass otherwise."""
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
    if status == "violation":
        return Outcome(
            "fail",
            Message(
                "%(term)s，至%(day)s尚未换届，超期已逾%(months)s且无延期批准，属于违规。",
                term=term,
                day=day,
                months=month_count(p.max_adjust_months),
            ),
            [iso(due)],
        )
    if status == "overdue":
        return Outcome("fail", Message("%(term)s，至%(day)s尚未换届。", term=term, day=day), [iso(due)])
    months = month_count(p.months_ahead)
    if status == "due":
        return Outcome(
            "fail",
            Message(
                "%(term)s，距%(day)s不足%(months)s，请及时做好换届准备。", term=term, day=day, months=months
            ),
            [iso(due)],
        )
    return Outcome(
        "pass", Message("已满足：%(term)s，距%(day)s超过%(months)s。", term=term, day=day, months=months)
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


@register("election_quorum", QuorumParams, facts=("elections",), label=_l("选举到会人数"))
def election_quorum(facts: OrgFacts, window: Window, p: QuorumParams) -> Outcome:
    from dangjian.elections.tally import quorum_ok

    elections = _in_window(facts, window)
    if not elections:
        return _none(window)
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


register_param_labels(
    {
        "months_ahead": _l("提前提醒月数"),
        "max_adjust_months": _l("延期或提前换届至多（月）"),
        "margin_percent": _l("差额比例（%）"),
        "basis": _l("计算基数"),
    }
)


# the overview's column headings
register_short_titles(
    {
        "ORG-TERM-REMINDER": _l("换届提醒"),
        "ELECT-QUORUM": _l("选举到会"),
        "ELECT-MARGIN": _l("差额比例"),
        "ELECT-THRESHOLD": _l("当选票数"),
    }
)
