"""State rules (ORG-*) on hand-built facts (no database), and failing closed."""

import pytest

from dangjian.compliance.checks import REGISTRY, CheckKind
from dangjian.compliance.registry import Params
from dangjian.compliance.tests.builders import D, check, committee, facts, post

ON = D(2026, 6, 30)


@pytest.mark.parametrize(("formal", "status"), [(2, "fail"), (3, "pass")])
def test_branch_needs_three_formal_members(formal, status):
    outcome = check("ORG-BRANCH-MIN-MEMBERS", facts(formal_members=formal, members=formal + 5), as_of=ON)
    assert outcome.status == status


def test_branch_min_members_message():
    outcome = check("ORG-BRANCH-MIN-MEMBERS", facts(formal_members=2, members=4), as_of=ON)
    assert outcome.message == "2026-06-30正式党员仅2名（含党小组），少于3名。"


@pytest.mark.parametrize(("members", "status"), [(50, "pass"), (51, "fail")])
def test_branch_of_more_than_fifty_members_is_flagged(members, status):
    assert (
        check("ORG-BRANCH-MAX-MEMBERS", facts(members=members, formal_members=40), as_of=ON).status == status
    )


def test_state_rules_are_not_applicable_to_a_dissolved_organisation():
    org = facts(dissolved_on=D(2026, 6, 1), formal_members=1, members=1)
    for rule_id in (
        "ORG-BRANCH-MIN-MEMBERS",
        "ORG-BRANCH-MAX-MEMBERS",
        "ORG-COMMITTEE-REQUIRED",
        "ORG-SECRETARY-IN-POST",
        "ORG-TERM-ON-TIME",
    ):
        outcome = check(rule_id, org, as_of=ON)
        assert (outcome.status, outcome.message) == ("not_applicable", "不适用：该组织已于2026-06-01撤销。")


def test_state_rules_apply_while_dissolution_is_ahead():
    org = facts(dissolved_on=D(2026, 7, 1), formal_members=1)
    assert check("ORG-BRANCH-MIN-MEMBERS", org, as_of=ON).status == "fail"


def test_committee_not_required_below_seven_formal_members():
    outcome = check("ORG-COMMITTEE-REQUIRED", facts(formal_members=6), as_of=ON)
    assert (outcome.status, outcome.message) == (
        "not_applicable",
        "不适用：正式党员6名，不足7名，不要求设立支部委员会。",
    )


def test_committee_required_from_seven_formal_members():
    assert (
        check("ORG-COMMITTEE-REQUIRED", facts(formal_members=7, posts=committee(3)), as_of=ON).status
        == "pass"
    )
    outcome = check("ORG-COMMITTEE-REQUIRED", facts(formal_members=7, posts=committee(2)), as_of=ON)
    assert outcome.status == "fail"
    assert (
        outcome.message
        == "正式党员7名（不少于7名），应设立支部委员会，但2026-06-30在任委员仅2人（不足3人）。"
    )


def test_committee_posts_counted_on_as_of():
    posts = (*committee(2), post(300, "weiyuan", D(2026, 1, 1), ON))
    assert check("ORG-COMMITTEE-REQUIRED", facts(formal_members=9, posts=posts), as_of=ON).status == "fail"
    assert (
        check("ORG-COMMITTEE-REQUIRED", facts(formal_members=9, posts=posts), as_of=D(2026, 6, 29)).status
        == "pass"
    )


def test_party_group_leader_is_no_committee_post():
    posts = (*committee(2), post(300, "xiaozuzhang", D(2020, 1, 1)))
    assert check("ORG-COMMITTEE-REQUIRED", facts(formal_members=9, posts=posts), as_of=ON).status == "fail"


def test_secretary_in_post_on_as_of():
    started_today = facts(posts=[post(1, "shuji", ON)])
    assert check("ORG-SECRETARY-IN-POST", started_today, as_of=ON).status == "pass"
    left_today = facts(posts=[post(1, "shuji", D(2020, 1, 1), ON)])
    outcome = check("ORG-SECRETARY-IN-POST", left_today, as_of=ON)
    assert (outcome.status, outcome.message) == ("fail", "2026-06-30书记空缺，应及时配齐。")
    deputy_only = facts("dangzu", posts=[post(1, "fushuji", D(2020, 1, 1))])
    assert check("ORG-SECRETARY-IN-POST", deputy_only, as_of=ON).status == "fail"


def test_term_on_time_until_the_term_end_inclusive():
    org = facts("dangwei", term_start=D(2021, 6, 30), term_years=5, term_end=D(2026, 6, 30))
    assert check("ORG-TERM-ON-TIME", org, as_of=ON).status == "pass"
    outcome = check("ORG-TERM-ON-TIME", org, as_of=D(2026, 7, 1))
    assert (outcome.status, outcome.message) == (
        "fail",
        "本届任期已于2026-06-30届满，尚未换届（本届开始于2021-06-30，任期5年）。",
    )


def test_term_unknown_fails():
    outcome = check("ORG-TERM-ON-TIME", facts(founded_on=None), as_of=ON)
    assert outcome.status == "fail"
    assert "无法判断" in outcome.message


def test_a_check_that_raises_is_a_fail(monkeypatch):
    def broken(facts, window, params):
        raise ZeroDivisionError

    class NoParams(Params):
        pass

    monkeypatch.setitem(REGISTRY, "post_held", CheckKind("post_held", NoParams, broken))
    outcome = check("ORG-SECRETARY-IN-POST", facts(posts=[post(1, "shuji", D(2020, 1, 1))]), as_of=ON)
    assert outcome.status == "fail"
    assert outcome.message == "检查未能执行（ZeroDivisionError），按不合格处理，请联系系统管理员。"


def test_a_check_returning_an_unknown_status_is_a_fail(monkeypatch):
    from dangjian.compliance.checks import Outcome

    kind = REGISTRY["post_held"]
    monkeypatch.setitem(
        REGISTRY, "post_held", CheckKind("post_held", kind.params, lambda f, w, p: Outcome("ok", "好"))
    )
    assert check("ORG-SECRETARY-IN-POST", facts(), as_of=ON).status == "fail"
