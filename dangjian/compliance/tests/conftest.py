import datetime as dt

import pytest

from dangjian.compliance.evaluator import evaluate
from dangjian.meetings.services import create_meeting
from dangjian.orgs.services import create_post

Y = 2025  # a past year: meetings cannot be recorded after today
END = dt.date(Y, 12, 31)


@pytest.fixture
def branch(tree, make_member):
    """A1: 3 正式党员 + 1 预备党员 in the branch, 1 正式党员 in its 党小组 A1G1; a committee of three since 2024."""
    people = {
        "书记": make_member(tree.a1, name="书记甲"),
        "组织": make_member(tree.a1, name="组织乙"),
        "宣传": make_member(tree.a1, name="宣传丙"),
        "小组": make_member(tree.a1g1, name="小组丁"),
        "预备": make_member(
            tree.a1, name="预备戊", category="probationary", confirmed_on=None, joined_on=dt.date(2024, 12, 1)
        ),
    }
    people["posts"] = {
        title: create_post(
            actor=None,
            data={"member": people[key], "org": tree.a1, "title": title, "started_on": dt.date(2024, 1, 1)},
        )
        for key, title in (("书记", "shuji"), ("组织", "zuzhi"), ("宣传", "xuanchuan"))
    }
    return people


@pytest.fixture
def meet():
    def _meet(org, day, *types, absent=(), lecturer=None, topic="组织生活"):
        return create_meeting(
            actor=None,
            data={"org": org, "date": day, "topic": topic, "lecturer": lecturer},
            types=list(types),
            absentees={m.pk: "请假" for m in absent},
        )

    return _meet


@pytest.fixture
def result():
    """result(orgs, rule_id, org, as_of=...) → the one Result of that rule for that organisation."""

    def _result(orgs, rule_id, org, *, as_of=END, year=Y):
        found = [
            r
            for r in evaluate(orgs, year=year, as_of=as_of).results
            if r.rule.id == rule_id and r.org.id == org.pk
        ]
        assert len(found) == 1, found
        return found[0]

    return _result
