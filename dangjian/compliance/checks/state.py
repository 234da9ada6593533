"""State checks (ORG-*): the organisation as it stands on D; not applicable once it is dissolved."""

from __future__ import annotations

import datetime as dt
from typing import Literal, NamedTuple

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _l
from pydantic import Field, model_validator

from dangjian.compliance.facts import OrgFacts, committee_size, holders, register_facts
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Link,
    Outcome,
    Params,
    PostTitleName,
    choice_label,
    dissolved,
    iso,
    register,
    register_area,
    register_param_labels,
    register_short_titles,
    register_value_labels,
    title_name,
)
from dangjian.core.dates import add_months
from dangjian.core.messages import Join, Message
from dangjian.orgs.choices import OrgType, PostTitle
from dangjian.orgs.models import Post


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


# --- ORG-SHAPE-BY-SIZE: the organisation's form follows its member count (机关条例 第五条、第六条) ---------------


class ShapeParams(Params):
    zongzhi_from: int = Field(ge=1)  # members from which a 党总支 is set up (第六条: 50人以上)
    dangwei_from: int = Field(ge=1)  # members from which a 党委 is set up (第五条: 100人以上)
    # 第六条: a 党总支 of fewer than `zongzhi_from` members needs the higher organisation's approval too
    zongzhi_below_needs_approval: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> ShapeParams:
        if self.zongzhi_from >= self.dangwei_from:
            raise ValueError("zongzhi_from 应小于 dangwei_from")
        return self


def _approved(facts: OrgFacts, on: dt.date) -> bool:
    return facts.setup_approved_on is not None and facts.setup_approved_on <= on


@register(
    "org_shape_by_size",
    ShapeParams,
    label=_l("组织形式与党员人数相符"),
    link=_link("orgs:edit", _l("登记批准")),
)
def org_shape_by_size(facts: OrgFacts, window: Window, p: ShapeParams) -> Outcome:
    """A 党支部 of `zongzhi_from` or more members should be at least a 党总支, a 党支部 or 党总支 of `dangwei_from`
    or more a 党委, unless the higher organisation's approval of its form is recorded by D; with
    `zongzhi_below_needs_approval`, a 党总支 of fewer than `zongzhi_from` members needs that approval too."""
    if window.closed:
        return dissolved(window)
    n, on, kind = facts.members, iso(window.as_of), facts.ref.type
    if kind not in (OrgType.ZHIBU, OrgType.ZONGZHI):
        return Outcome("not_applicable", Message("不适用：本规则检查党支部和党总支的设置。"))
    own = choice_label(OrgType, kind)
    want = None
    if n >= p.dangwei_from:
        want, limit = OrgType.DANGWEI, p.dangwei_from
    elif n >= p.zongzhi_from and kind == OrgType.ZHIBU:
        want, limit = OrgType.ZONGZHI, p.zongzhi_from
    smaller = kind == OrgType.ZONGZHI and n < p.zongzhi_from and p.zongzhi_below_needs_approval
    if want is None and not smaller:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(day)s有党员%(n)s名（含下属组织），设置为%(type)s与党员人数相符。",
                day=on,
                n=n,
                type=own,
            ),
        )
    if _approved(facts, window.as_of):
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(day)s有党员%(n)s名（含下属组织），设置为%(type)s已经上级党组织批准（%(ref)s，%(approved)s）。",
                day=on,
                n=n,
                type=own,
                ref=facts.setup_approval_ref,
                approved=iso(facts.setup_approved_on),
            ),
        )
    if want is not None:
        return Outcome(
            "fail",
            Message.plural(
                "%(day)s有党员%(n)s名（含下属组织），达到%(min)s名，一般应设立%(want)s；"
                "如经上级党组织批准保留%(type)s，请登记批准文号和日期。",
                day=on,
                n=n,
                min=limit,
                want=choice_label(OrgType, want),
                type=own,
            ),
        )
    return Outcome(
        "fail",
        Message.plural(
            "%(day)s党总支仅有党员%(n)s名（含下属组织），不足%(min)s名；党员不足%(min)s名设立党总支须经上级党组织批准，"
            "请登记批准文号和日期。",
            day=on,
            n=n,
            min=p.zongzhi_from,
        ),
    )


# --- ORG-SECRETARY-PARTY-AGE: the 书记's 党龄 on the 任职日期 (支部条例 第二十三条) ---------------------------


class Secretary(NamedTuple):
    member_id: int
    name: str
    started_on: dt.date  # 任职日期 of the post held on D
    joined_on: dt.date
    confirmed_on: dt.date | None


@register_facts("secretaries")
def load_secretaries(ids_sq, orgs, year: int, as_of: dt.date) -> dict[int, tuple[Secretary, ...]]:
    """The 书记 of each organisation on D with the dates their 党龄 counts from: one query for the scope."""
    found: dict[int, list[Secretary]] = {}
    rows = (
        Post.objects.filter(org__in=ids_sq, title=PostTitle.SECRETARY, started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
        .order_by("org_id", "started_on", "id")
        .values_list(
            "org_id", "member_id", "member__name", "started_on", "member__joined_on", "member__confirmed_on"
        )
    )
    for org_id, *values in rows:
        found.setdefault(org_id, []).append(Secretary(*values))
    return {o.pk: tuple(found.get(o.pk, ())) for o in orgs}


class PartyAgeParams(Params):
    min_years: int = Field(ge=1)
    # 党章 第七条: 党龄 counts from 转正 (the end of probation); "joined" counts the probation too
    count_from: Literal["confirmed", "joined"]


def _party_age_ok(s: Secretary, p: PartyAgeParams) -> bool:
    since = s.confirmed_on if p.count_from == "confirmed" else s.joined_on
    return since is not None and since <= s.started_on and add_months(since, 12 * p.min_years) <= s.started_on


def _secretary_detail(s: Secretary, p: PartyAgeParams) -> Message:
    start = iso(s.started_on)
    if p.count_from == "joined":
        return Message(
            "%(name)s（%(since)s入党，%(start)s任职）", name=s.name, since=iso(s.joined_on), start=start
        )
    if s.confirmed_on is None or s.confirmed_on > s.started_on:
        return Message("%(name)s（%(start)s任职时尚未转正）", name=s.name, start=start)
    return Message(
        "%(name)s（%(since)s转正，%(start)s任职）", name=s.name, since=iso(s.confirmed_on), start=start
    )


@register(
    "secretary_party_age",
    PartyAgeParams,
    facts=("secretaries",),
    label=_l("书记任职时党龄"),
    link=_link("orgs:detail", _l("查看职务")),
)
def secretary_party_age(facts: OrgFacts, window: Window, p: PartyAgeParams) -> Outcome:
    """Each 书记 in post on D had at least `min_years` of 党龄 on the 任职日期 of that post (a re-appointment at
    换届 is a new 任职日期), counted from 转正日期 (`count_from: confirmed`) or from 入党日期 (`joined`)."""
    if window.closed:
        return dissolved(window)
    secretaries = facts.extra.get("secretaries")
    if secretaries is None:
        raise ValueError("书记数据未加载")
    if not secretaries:
        return Outcome(
            "not_applicable", Message("不适用：%(day)s书记空缺，无从检查党龄。", day=iso(window.as_of))
        )
    short = [s for s in secretaries if not _party_age_ok(s, p)]
    if not short:
        return Outcome(
            "pass",
            Message.plural(
                "已满足：书记任职时党龄满%(n)s年：%(details)s。",
                n=p.min_years,
                details=Join(_secretary_detail(s, p) for s in secretaries),
            ),
        )
    return Outcome(
        "fail",
        Message.plural(
            "书记任职时党龄不足%(n)s年：%(details)s；党支部书记一般应具有%(n)s年以上党龄。",
            n=p.min_years,
            details=Join(_secretary_detail(s, p) for s in short),
        ),
        [s.name for s in short],
    )


register_short_titles(
    {
        "ORG-BRANCH-MIN-MEMBERS": _l("正式党员数"),
        "ORG-BRANCH-MAX-MEMBERS": _l("支部规模"),
        "ORG-COMMITTEE-REQUIRED": _l("设支委会"),
        "ORG-SECRETARY-IN-POST": _l("书记在任"),
        "ORG-TERM-ON-TIME": _l("按期换届"),
        "ORG-SHAPE-BY-SIZE": _l("组织形式"),
        "ORG-SECRETARY-PARTY-AGE": _l("书记党龄"),
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
        "zongzhi_from": _l("设党总支的党员人数"),
        "dangwei_from": _l("设党委的党员人数"),
        "zongzhi_below_needs_approval": _l("党员不足时设党总支须批准"),
        "min_years": _l("党龄至少（年）"),
        "count_from": _l("党龄起算"),
    }
)
register_value_labels("count_from", {"confirmed": _l("转正日期"), "joined": _l("入党日期")})

register_area(
    "org",
    _l("组织设置"),
    order=10,
    kinds=(
        "min_formal_members",
        "max_members",
        "committee_required",
        "post_held",
        "org_shape_by_size",
        "secretary_party_age",
    ),
)
register_area("elections", _l("换届"), order=50, kinds=("term_on_time",))
