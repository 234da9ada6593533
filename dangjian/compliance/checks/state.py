"""State checks (ORG-*): the organisation as it stands on D; not applicable once it is dissolved."""

from __future__ import annotations

from pydantic import Field

from dangjian.compliance.checks.base import (
    Outcome,
    Params,
    PostTitleName,
    dissolved,
    iso,
    register,
    title_label,
)
from dangjian.compliance.facts import OrgFacts, committee_size, holders
from dangjian.compliance.periods import Window


class MinFormalParams(Params):
    min_formal: int = Field(ge=1)


@register("min_formal_members", MinFormalParams)
def min_formal_members(facts: OrgFacts, window: Window, p: MinFormalParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    n = facts.formal_members
    if n >= p.min_formal:
        return Outcome(
            "pass", f"已满足：{iso(window.as_of)}有正式党员{n}名（含党小组），不少于{p.min_formal}名。"
        )
    return Outcome("fail", f"{iso(window.as_of)}正式党员仅{n}名（含党小组），少于{p.min_formal}名。")


class MaxMembersParams(Params):
    max_members: int = Field(ge=1)


@register("max_members", MaxMembersParams)
def max_members(facts: OrgFacts, window: Window, p: MaxMembersParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    n = facts.members
    if n <= p.max_members:
        return Outcome(
            "pass", f"已满足：{iso(window.as_of)}有党员{n}名（含党小组），不超过{p.max_members}名。"
        )
    return Outcome(
        "fail",
        f"{iso(window.as_of)}有党员{n}名（含党小组），超过{p.max_members}名，宜调整组织设置（如分设党支部或成立党总支）。",
    )


class CommitteeParams(Params):
    committee_threshold: int = Field(ge=1)
    min_committee_posts: int = Field(ge=1)


@register("committee_required", CommitteeParams)
def committee_required(facts: OrgFacts, window: Window, p: CommitteeParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    n, on = facts.formal_members, iso(window.as_of)
    if n < p.committee_threshold:
        return Outcome(
            "not_applicable", f"不适用：正式党员{n}名，不足{p.committee_threshold}名，不要求设立支部委员会。"
        )
    size = committee_size(facts.posts, window.as_of)
    if size >= p.min_committee_posts:
        return Outcome("pass", f"已满足：正式党员{n}名，{on}设有支部委员会（在任委员{size}人）。")
    return Outcome(
        "fail",
        f"正式党员{n}名（不少于{p.committee_threshold}名），应设立支部委员会，"
        f"但{on}在任委员仅{size}人（不足{p.min_committee_posts}人）。",
    )


class PostHeldParams(Params):
    title: PostTitleName


@register("post_held", PostHeldParams)
def post_held(facts: OrgFacts, window: Window, p: PostHeldParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    title, on = title_label(p.title), iso(window.as_of)
    if holders(facts.posts, p.title, window.as_of):
        return Outcome("pass", f"已满足：{on}{title}在任。")
    return Outcome("fail", f"{on}{title}空缺，应及时配齐。")


class TermParams(Params):
    pass


@register("term_on_time", TermParams)
def term_on_time(facts: OrgFacts, window: Window, p: TermParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    if facts.term_end is None:
        return Outcome("fail", "未登记本届开始日期（或成立日期），无法判断是否按期换届，请补充。")
    term = f"本届开始于{iso(facts.term_start)}，任期{facts.term_years}年" if facts.term_start else "任期"
    if window.as_of <= facts.term_end:
        return Outcome("pass", f"已满足：{term}，至{iso(facts.term_end)}届满。")
    return Outcome("fail", f"本届任期已于{iso(facts.term_end)}届满，尚未换届（{term}）。")
