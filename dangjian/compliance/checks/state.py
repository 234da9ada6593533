"""State checks (ORG-*): the organisation as it stands on D; not applicable once it is dissolved."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l
from pydantic import Field

from dangjian.compliance.facts import OrgFacts, committee_size, holders
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Link,
    Outcome,
    Params,
    PostTitleName,
    dissolved,
    iso,
    register,
    register_param_labels,
    register_short_titles,
    title_name,
)
from dangjian.core.messages import Message


def _link(url_name: str, label):
    """A button to where a failed state rule is put right (the URL takes the organisation's pk)."""

    def link(rule, org, status: str) -> Link | None:
        return Link(reverse(url_name, args=[org.id]), str(label)) if status == "fail" else None

    return link


class MinFormalParams(Params):
    min_formal: int = Field(ge=1)


@register(
    "min_formal_members",
    MinFormalParams,
    label=_l("正式党员人数下限"),
    link=_link("orgs:detail", _l("查看党员")),
)
def min_formal_members(facts: OrgFacts, window: Window, p: MinFormalParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    n, on = facts.formal_members, iso(window.as_of)
    if n >= p.min_formal:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(day)s有正式党员%(n)s名（含党小组），不少于%(min)s名。",
                day=on,
                n=n,
                min=p.min_formal,
            ),
        )
    return Outcome(
        "fail",
        Message.plural(
            "%(day)s正式党员仅%(n)s名（含党小组），少于%(min)s名。", day=on, n=n, min=p.min_formal
        ),
    )


class MaxMembersParams(Params):
    max_members: int = Field(ge=1)


@register(
    "max_members",
    MaxMembersParams,
    label=_l("党员人数上限"),
    link=_link("orgs:detail", _l("查看党员")),
)
def max_members(facts: OrgFacts, window: Window, p: MaxMembersParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    n, on = facts.members, iso(window.as_of)
    if n <= p.max_members:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(day)s有党员%(n)s名（含党小组），不超过%(max)s名。", day=on, n=n, max=p.max_members
            ),
        )
    return Outcome(
        "fail",
        Message(
            "%(day)s有党员%(n)s名（含党小组），超过%(max)s名，宜调整组织设置（如分设党支部或成立党总支）。",
            day=on,
            n=n,
            max=p.max_members,
        ),
    )


class CommitteeParams(Params):
    committee_threshold: int = Field(ge=1)
    min_committee_posts: int = Field(ge=1)


@register(
    "committee_required",
    CommitteeParams,
    label=_l("设立支部委员会"),
    link=_link("orgs:post_create", _l("任命职务")),
)
def committee_required(facts: OrgFacts, window: Window, p: CommitteeParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    n, on = facts.formal_members, iso(window.as_of)
    if n < p.committee_threshold:
        return Outcome(
            "not_applicable",
            Message.plural(
                "不适用：正式党员%(n)s名，不足%(min)s名，不要求设立支部委员会。",
                n=n,
                min=p.committee_threshold,
            ),
        )
    size = committee_size(facts.posts, window.as_of)
    if size >= p.min_committee_posts:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：正式党员%(n)s名，%(day)s设有支部委员会（在任委员%(size)s人）。",
                n=n,
                day=on,
                size=size,
            ),
        )
    return Outcome(
        "fail",
        Message.plural(
            "正式党员%(n)s名（不少于%(min)s名），应设立支部委员会，但%(day)s在任委员仅%(size)s人（不足%(posts)s人）。",
            n=n,
            min=p.committee_threshold,
            day=on,
            size=size,
            posts=p.min_committee_posts,
        ),
    )


class PostHeldParams(Params):
    title: PostTitleName


@register(
    "post_held",
    PostHeldParams,
    label=_l("职务在任"),
    link=_link("orgs:post_create", _l("任命职务")),
)
def post_held(facts: OrgFacts, window: Window, p: PostHeldParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    title, on = title_name(p.title), iso(window.as_of)
    if holders(facts.posts, p.title, window.as_of):
        return Outcome("pass", Message("已满足：%(day)s%(title)s在任。", day=on, title=title))
    return Outcome("fail", Message("%(day)s%(title)s空缺，应及时配齐。", day=on, title=title))


class TermParams(Params):
    pass


@register(
    "term_on_time",
    TermParams,
    label=_l("按期换届"),
    link=_link("orgs:edit", _l("登记换届")),
)
def term_on_time(facts: OrgFacts, window: Window, p: TermParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    if facts.term_end is None:
        return Outcome("fail", Message("未登记本届开始日期（或成立日期），无法判断是否按期换届，请补充。"))
    term = (
        Message.plural("本届开始于%(start)s，任期%(n)s年", start=iso(facts.term_start), n=facts.term_years)
        if facts.term_start and facts.term_years is not None  # both set whenever term_end is
        else Message("任期")
    )
    end = iso(facts.term_end)
    if window.as_of <= facts.term_end:
        return Outcome("pass", Message("已满足：%(term)s，至%(end)s届满。", term=term, end=end))
    return Outcome("fail", Message("本届任期已于%(end)s届满，尚未换届（%(term)s）。", end=end, term=term))


register_short_titles(
    {
        "ORG-BRANCH-MIN-MEMBERS": _l("正式党员数"),
        "ORG-BRANCH-MAX-MEMBERS": _l("支部规模"),
        "ORG-COMMITTEE-REQUIRED": _l("设支委会"),
        "ORG-SECRETARY-IN-POST": _l("书记在任"),
        "ORG-TERM-ON-TIME": _l("按期换届"),
    }
)
register_param_labels(
    {
        "period": _l("周期"),
        "min_count": _l("至少次数"),
        "title": _l("职务"),
        "min_formal": _l("正式党员至少"),
        "max_members": _l("党员至多"),
        "committee_threshold": _l("设委员会的正式党员人数"),
        "min_committee_posts": _l("委员会至少职务数"),
    }
)
