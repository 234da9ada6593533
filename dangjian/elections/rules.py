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
    register,
    register_param_labels,
    register_short_titles,
)
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
        return Outcome("not_applicable", "不适用：未登记本届开始日期（或成立日期），无法计算届满日期。")
    from dangjian.elections.tally import classify_term

    adj = _facts(facts).adjusted_due(facts.term_end)
    on = window.as_of
    status, due = classify_term(
        facts.term_end, adj, on, months_ahead=p.months_ahead, max_adjust_months=p.max_adjust_months
    )
    label = f"本届任期{iso(facts.term_end)}届满" + (
        f"（经批准{'延期' if adj.kind == 'postpone' else '提前'}至{iso(due)}换届）" if adj else ""
    )
    if status == "violation":
        return Outcome(
            "fail",
            f"{label}，至{iso(on)}尚未换届，超期已逾{p.max_adjust_months}个月且无延期批准，属于违规。",
            [iso(due)],
        )
    if status == "overdue":
        return Outcome("fail", f"{label}，至{iso(on)}尚未换届。", [iso(due)])
    if status == "due":
        return Outcome(
            "fail", f"{label}，距{iso(on)}不足{p.months_ahead}个月，请及时做好换届准备。", [iso(due)]
        )
    return Outcome("pass", f"已满足：{label}，距{iso(on)}超过{p.months_ahead}个月。")


def _in_window(facts: OrgFacts, window: Window):
    return [e for e in _facts(facts).elections if window.contains(e.held_on)]


def _none(window: Window) -> Outcome:
    return Outcome("pass", f"已满足：{window.year}年截至{iso(window.as_of)}未进行选举，无需检查。")


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
            "pass", f"已满足：{len(elections)}次选举到会人数均超过应到会人数的{p.numerator}/{p.denominator}。"
        )
    details = "、".join(f"{iso(e.held_on)}（应到{e.expected}人，实到{e.present}人）" for e in bad)
    return Outcome(
        "fail",
        f"{len(bad)}次选举到会人数未超过应到会人数的{p.numerator}/{p.denominator}：{details}。",
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
            "pass", f"已满足：{len(elections)}次选举的候选人数均比应选名额多{p.margin_percent}%以上。"
        )
    details = "、".join(
        f"{iso(e.held_on)}（应选{e.seats}名，候选人{len(_formal(e))}名，至少应{min_margin_candidates(e.seats, p.margin_percent)}名）"
        for e in bad
    )
    return Outcome(
        "fail",
        f"{len(bad)}次选举候选人差额不足{p.margin_percent}%：{details}。",
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
    label = "应到会" if p.basis == "expected" else "实到会"
    bad = []
    for e in elections:
        basis = e.expected if p.basis == "expected" else e.present
        under = [c for c in e.candidates if c.elected and not passes(c.votes, basis, share)]
        if under:
            bad.append((e, basis, under))
    if not bad:
        return Outcome(
            "pass",
            f"已满足：{len(elections)}次选举的当选人得票均超过{label}有选举权人数的{p.numerator}/{p.denominator}。",
        )
    details = "、".join(
        f"{iso(e.held_on)}：{'、'.join(f'{c.name}（{c.votes}票）' for c in under)}，至少应{min_passing(basis, share)}票"
        for e, basis, under in bad
    )
    return Outcome(
        "fail",
        f"当选人得票未超过{label}有选举权人数的{p.numerator}/{p.denominator}：{details}。",
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
