"""The pair category is derived from the committee posts held on the talk's date (pure functions)."""

import datetime as dt
from typing import NamedTuple

from dangjian.talks.categories import categories_of, committee_on

D = dt.date


class P(NamedTuple):
    member_id: int
    title: str
    started_on: dt.date
    ended_on: dt.date | None = None


def test_two_people_have_one_category():
    committee = {1, 2}
    assert categories_of([1, 2], committee) == ["committee_committee"]
    assert categories_of([1, 3], committee) == ["committee_member"]
    assert categories_of([3, 4], committee) == ["member_member"]
    assert categories_of([3], committee) == []


def test_three_people_count_for_every_category_among_their_pairs():
    assert categories_of([1, 2, 3], {1, 2}) == ["committee_committee", "committee_member"]
    assert categories_of([1, 3, 4], {1, 2}) == ["committee_member", "member_member"]


def test_a_post_counts_from_its_start_to_the_day_before_its_end():
    posts = [P(1, "zuzhi", D(2026, 3, 1), D(2026, 6, 1)), P(2, "xiaozuzhang", D(2020, 1, 1))]
    assert committee_on(posts, D(2026, 2, 28)) == set()
    assert committee_on(posts, D(2026, 3, 1)) == {1}
    assert committee_on(posts, D(2026, 5, 31)) == {1}
    assert committee_on(posts, D(2026, 6, 1)) == set()
    # a 党小组长 is not a 支委
    assert 2 not in committee_on(posts, D(2026, 4, 1))
