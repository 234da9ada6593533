"""The pair category of a 谈心谈话 (支部工作条例 第十九条, BR-17), derived — never typed in.

A 支委 is a member holding a committee post (orgs.choices.COMMITTEE_TITLES) of the talk's 党支部 on the talk's
date (任职日期 ≤ date < 离任日期, as Post.objects.current); everyone else is a 党员. A talk of two people has
one category; a talk of three or more counts for every category among its pairs of participants (a 书记, a
组织委员 and a 党员 talking together is both 支委之间 and 支委与党员). Pure functions, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from dangjian.orgs.choices import COMMITTEE_TITLES
from dangjian.talks.choices import CATEGORY_ORDER, TalkCategory


def committee_on(posts: Iterable, day: dt.date) -> set[int]:
    """Members holding a committee post on `day`, from post-like rows (member_id, title, started_on,
    ended_on) of one branch."""
    return {
        p.member_id
        for p in posts
        if p.title in COMMITTEE_TITLES and p.started_on <= day and (p.ended_on is None or p.ended_on > day)
    }


def categories_of(participant_ids: Iterable[int], committee_ids: set[int]) -> list[str]:
    """The categories of a talk among `participant_ids`, in CATEGORY_ORDER (empty for fewer than two)."""
    people = set(participant_ids)
    n_committee = len(people & committee_ids)
    n_members = len(people) - n_committee
    found = set()
    if n_committee >= 2:
        found.add(TalkCategory.COMMITTEE_COMMITTEE.value)
    if n_committee >= 1 and n_members >= 1:
        found.add(TalkCategory.COMMITTEE_MEMBER.value)
    if n_members >= 2:
        found.add(TalkCategory.MEMBER_MEMBER.value)
    return [c for c in CATEGORY_ORDER if c in found]


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(CATEGORY_ORDER, 0)
