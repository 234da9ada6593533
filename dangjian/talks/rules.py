"""谈心谈话 checks (TALK-*): pure functions over the talks facts.

TALK-ANNUAL (BR-17): each pair category (支委之间, 支委与党员, 党员之间) at least `min_per_category` talks in the
year per 党支部. A talk's categories are derived from the branch's committee posts on the talk's date
(talks.categories). Only the categories possible on D are required: 支委之间 when the branch has a 支部委员会
on D (at least `committee_min_posts` committee posts held); 支委与党员 when it has a post holder and another
member; 党员之间 when it has two members without a committee post (members on D, with its 党小组).
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _l
from pydantic import Field

from dangjian.compliance.facts import OrgFacts, committee_size
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    EvidenceItem,
    EvidenceRef,
    Outcome,
    Params,
    choice_label,
    iso,
    register,
    register_area,
    register_evidence,
    register_param_labels,
    register_short_titles,
)
from dangjian.core.messages import Join, Message
from dangjian.talks.categories import categories_of, committee_on, empty_counts
from dangjian.talks.choices import CATEGORY_ORDER, TalkCategory
from dangjian.talks.facts import load_talk_facts  # noqa: F401  (registers the "talks" provider)
from dangjian.talks.models import Talk


class TalkAnnualParams(Params):
    min_per_category: int = Field(ge=1)
    committee_min_posts: int = Field(ge=1)


def label(category: str) -> str:
    return _label(category, get_language())


@lru_cache(maxsize=32)
def _label(category: str, language: str | None) -> str:  # called for every branch of the city
    return str(TalkCategory(category).label)


def required_categories(facts: OrgFacts, day, p: TalkAnnualParams) -> list[str]:
    """The categories a branch can have on `day` (see the module docstring)."""
    holders = committee_on(facts.posts, day)
    others = max(0, facts.members - len(holders))
    required = []
    if committee_size(facts.posts, day) >= p.committee_min_posts and len(holders) >= 2:
        required.append(TalkCategory.COMMITTEE_COMMITTEE.value)
    if holders and others >= 1:
        required.append(TalkCategory.COMMITTEE_MEMBER.value)
    if others >= 2:
        required.append(TalkCategory.MEMBER_MEMBER.value)
    return required


@register_evidence("talk")
def resolve_talks(user, ids: list[int]) -> dict[int, EvidenceItem]:
    """The talks a result rests on, read through the user's scope (one query for the talks, one for their
    participants): a talk outside it shows its date only."""
    visible = Talk.objects.filter(org__in=_visible_orgs(user))
    inside = {
        pk: (day, org_name)
        for pk, day, org_name in visible.filter(pk__in=ids).values_list("id", "date", "org__name")
    }
    names: dict[int, list[str]] = {}
    for talk_id, name in (
        Talk.participants.through.objects.filter(talk_id__in=list(inside))
        .order_by("talk_id", "member__name_pinyin", "member__name")
        .values_list("talk_id", "member__name")
    ):
        names.setdefault(talk_id, []).append(name)
    found = {}
    for pk, day in Talk.objects.filter(pk__in=ids).values_list("id", "date"):
        ref = EvidenceRef("talk", pk)
        if pk in inside:
            text = f"{_l('谈心谈话')}：{'、'.join(names.get(pk, []))}"
            found[pk] = EvidenceItem(ref, day, text, inside[pk][1])
        else:
            found[pk] = EvidenceItem(ref, day, visible=False)
    return found


def _visible_orgs(user):
    from dangjian.orgs.models import Org

    return Org.objects.visible_to(user).values("pk")


register_param_labels(
    {"min_per_category": _l("每类至少次数"), "committee_min_posts": _l("设支委会的委员职务数")}
)


@register(
    "talk_annual", TalkAnnualParams, facts=("talks",), evidence="talk", label=_l("谈心谈话（每类每年）")
)
def talk_annual(facts: OrgFacts, window: Window, p: TalkAnnualParams) -> Outcome:
    talks = [t for t in (facts.extra.get("talks") or ()) if window.contains(t.date)]
    counts = empty_counts()
    for talk in talks:
        for category in categories_of(talk.members, committee_on(facts.posts, talk.date)):
            counts[category] += 1
    day = window.end  # D, or the 撤销日期 of a dissolved branch
    required = required_categories(facts, day, p)
    done = Join(
        Message("%(category)s%(n)s次", category=choice_label(TalkCategory, c), n=counts[c])
        for c in CATEGORY_ORDER
    )
    evidence = sorted(t.talk_id for t in talks)
    if not required:
        return Outcome(
            "not_applicable",
            Message("不适用：%(day)s本支部人数不足，无法开展谈心谈话。", day=iso(day)),
            [],
            evidence,
        )
    short = [c for c in required if counts[c] < p.min_per_category]
    missing = [label(c) for c in short]
    if not missing:
        return Outcome(
            "pass",
            Message("已满足：%(year)s年已开展谈心谈话（%(done)s）。", year=window.year, done=done),
            [],
            evidence,
        )
    what = Message.plural(
        "%(categories)s的谈心谈话（每类应至少%(n)s次；已有%(done)s）",
        categories=Join(choice_label(TalkCategory, c) for c in short),
        n=p.min_per_category,
        done=done,
    )
    if not window.closed and window.as_of < window.year_end:
        return Outcome(
            "pending",
            Message(
                "待完成：%(year)s年尚未开展%(what)s，截至%(day)s，应于年底前完成。",
                year=window.year,
                what=what,
                day=iso(window.as_of),
            ),
            missing,
            evidence,
        )
    if window.dissolved_on is not None and window.closed and window.dissolved_on < window.year_end:
        return Outcome(
            "not_applicable",
            Message(
                "不适用：该组织已于%(day)s撤销，%(year)s年未开展%(what)s。",
                day=iso(window.dissolved_on),
                year=window.year,
                what=what,
            ),
            missing,
            evidence,
        )
    return Outcome(
        "fail", Message("%(year)s年未开展%(what)s。", year=window.year, what=what), missing, evidence
    )


# the overview's column headings
register_short_titles(
    {
        "TALK-ANNUAL": _l("谈心谈话"),
    }
)

register_area("talks", _l("谈心谈话"), order=70, kinds=("talk_annual",))
