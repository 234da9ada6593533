"""State rules, windows and the JSON shape end to end (database)."""

import datetime as dt

import pytest

from dangjian.compliance.evaluator import STATUSES, evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.conftest import END, Y
from dangjian.members.services import update_member
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org, update_org

D = dt.date
V2 = load_ruleset(2)  # the counts below are those of version 2 (later versions add rules)


def statuses(evaluation, org):
    return {r.rule.id: r.status for r in evaluation.results if r.org.id == org.pk}


def test_formal_members_include_the_party_group_and_exclude_probationary(tree, branch, make_member, result):
    make_member(tree.a2, name="二支部甲")
    make_member(tree.a2, name="二支部乙")
    make_member(
        tree.a2, name="二支部预备", category="probationary", confirmed_on=None, joined_on=D(2024, 1, 1)
    )
    a1 = result(Org.objects.all(), "ORG-BRANCH-MIN-MEMBERS", tree.a1)
    assert (a1.status, a1.message) == ("pass", f"已满足：{Y}-12-31有正式党员4名（含党小组），不少于3名。")
    a2 = result(Org.objects.all(), "ORG-BRANCH-MIN-MEMBERS", tree.a2)
    assert (a2.status, a2.message) == ("fail", f"{Y}-12-31正式党员仅2名（含党小组），少于3名。")
    cap = result(Org.objects.all(), "ORG-BRANCH-MAX-MEMBERS", tree.a1)
    assert (cap.status, cap.rule.severity) == ("pass", "advisory")
    assert "有党员5名" in cap.message


def test_members_are_counted_as_they_were_on_as_of(tree, make_member, result):
    make_member(tree.a2, name="甲")
    make_member(tree.a2, name="乙")
    make_member(tree.a2, name="转正晚", category="formal", joined_on=D(2024, 8, 1), confirmed_on=D(Y, 8, 1))
    make_member(tree.a2, name="入党晚", category="probationary", confirmed_on=None, joined_on=D(Y, 9, 1))
    assert result(Org.objects.all(), "ORG-BRANCH-MIN-MEMBERS", tree.a2, as_of=D(Y, 7, 31)).status == "fail"
    assert result(Org.objects.all(), "ORG-BRANCH-MIN-MEMBERS", tree.a2, as_of=D(Y, 8, 1)).status == "pass"
    assert (
        "有党员3名" in result(Org.objects.all(), "ORG-BRANCH-MAX-MEMBERS", tree.a2, as_of=D(Y, 8, 31)).message
    )
    assert (
        "有党员4名" in result(Org.objects.all(), "ORG-BRANCH-MAX-MEMBERS", tree.a2, as_of=D(Y, 9, 1)).message
    )


def test_a_member_who_moved_after_as_of_counts_where_they_were(tree, branch, make_member, result):
    make_member(tree.a2, name="甲")
    make_member(tree.a2, name="乙")
    update_member(actor=None, member=branch["小组"], data={"org": tree.a2}, effective_on=D(Y, 9, 1))
    before = evaluate(Org.objects.all(), year=Y, as_of=D(Y, 8, 31))
    assert statuses(before, tree.a2)["ORG-BRANCH-MIN-MEMBERS"] == "fail"
    assert "有正式党员4名" in before.for_org(tree.a1.pk)[0].message
    after = evaluate(Org.objects.all(), year=Y, as_of=D(Y, 9, 1))
    assert statuses(after, tree.a2)["ORG-BRANCH-MIN-MEMBERS"] == "pass"
    assert "有正式党员3名" in after.for_org(tree.a1.pk)[0].message


def test_member_moved_after_as_of_is_counted_even_when_only_the_old_branch_is_in_scope(tree, branch, result):
    update_member(actor=None, member=branch["小组"], data={"org": tree.b1}, effective_on=D(Y, 9, 1))
    only_a1 = Org.objects.filter(pk=tree.a1.pk)
    assert "有正式党员4名" in result(only_a1, "ORG-BRANCH-MIN-MEMBERS", tree.a1, as_of=D(Y, 8, 31)).message
    assert "有正式党员3名" in result(only_a1, "ORG-BRANCH-MIN-MEMBERS", tree.a1, as_of=D(Y, 9, 1)).message


def test_committee_required_from_seven_formal_members(tree, branch, make_member, result):
    assert result(Org.objects.all(), "ORG-COMMITTEE-REQUIRED", tree.a1).status == "not_applicable"
    for n in range(3):
        make_member(tree.a1g1, name=f"新党员{n}")
    assert result(Org.objects.all(), "ORG-COMMITTEE-REQUIRED", tree.a1).status == "pass"
    assert result(Org.objects.all(), "ORG-COMMITTEE-REQUIRED", tree.a1, as_of=D(Y, 1, 1)).status == "pass"


def test_secretary_in_post(tree, branch, result):
    assert result(Org.objects.all(), "ORG-SECRETARY-IN-POST", tree.a1).status == "pass"
    assert result(Org.objects.all(), "ORG-SECRETARY-IN-POST", tree.a2).status == "fail"
    assert result(Org.objects.all(), "ORG-SECRETARY-IN-POST", tree.a1, as_of=D(Y, 1, 1)).status == "pass"


def test_term_on_time_until_the_term_end_inclusive(tree, result):
    update_org(actor=None, org=tree.a2, data={"term_started_on": D(2022, 6, 30)})
    assert result(Org.objects.all(), "ORG-TERM-ON-TIME", tree.a2, as_of=D(Y, 6, 30)).status == "pass"
    late = result(Org.objects.all(), "ORG-TERM-ON-TIME", tree.a2, as_of=D(Y, 7, 1))
    assert (late.status, late.message) == (
        "fail",
        "本届任期已于2025-06-30届满，尚未换届（本届开始于2022-06-30，任期3年）。",
    )


def test_term_falls_back_to_the_founding_date_and_default_years(tree, result):
    assert result(Org.objects.all(), "ORG-TERM-ON-TIME", tree.a1).message.startswith(
        "本届任期已于2021-03-01届满"
    )
    assert result(Org.objects.all(), "ORG-TERM-ON-TIME", tree.a).message.startswith(
        "本届任期已于2023-03-01届满"
    )


def test_term_ending_on_31_december_is_on_time_for_an_as_of_after_the_year(tree, result):
    update_org(actor=None, org=tree.a2, data={"term_started_on": D(2022, 12, 31)})
    assert result(Org.objects.all(), "ORG-TERM-ON-TIME", tree.a2, as_of=D(Y + 1, 1, 1)).status == "pass"


def test_dissolved_branch(tree, branch, meet, result):
    meet(tree.a2, D(Y, 2, 1), "assembly")
    update_org(actor=None, org=tree.a2, data={"dissolved_on": D(Y, 6, 30)})
    evaluation = evaluate(Org.objects.all(), year=Y, as_of=END)
    got = statuses(evaluation, tree.a2)
    assert got["ORG-SECRETARY-IN-POST"] == got["ORG-BRANCH-MIN-MEMBERS"] == "not_applicable"
    assert got["MTG-ORG-LIFE-ANNUAL"] == got["LECTURE-SECRETARY-ANNUAL"] == "not_applicable"
    assembly = next(r for r in evaluation.for_org(tree.a2.pk) if r.rule.id == "MTG-ASSEMBLY-QUARTERLY")
    assert (assembly.status, assembly.missing) == ("fail", [f"{Y}-Q2"])


def test_organisation_set_up_after_as_of_is_not_evaluated(tree, result):
    a3 = create_org(
        actor=None,
        data={"code": "A3", "name": "甲三支部", "type": "zhibu", "parent": tree.a, "founded_on": D(Y, 7, 2)},
    )
    assert evaluate(Org.objects.all(), year=Y, as_of=D(Y, 7, 1)).for_org(a3.pk) == []
    assert len(evaluate(Org.objects.all(), year=Y, as_of=D(Y, 7, 2), ruleset=V2).for_org(a3.pk)) == 17
    assert result(Org.objects.all(), "MTG-ASSEMBLY-QUARTERLY", a3).missing == [f"{Y}-Q4"]


def test_organisation_dissolved_before_the_year_is_not_evaluated(tree):
    update_org(actor=None, org=tree.a2, data={"dissolved_on": D(Y - 1, 12, 31)})
    assert evaluate(Org.objects.all(), year=Y, as_of=END).for_org(tree.a2.pk) == []


def test_one_result_per_rule_and_organisation_of_its_types(tree):
    evaluation = evaluate(Org.objects.all(), year=Y, as_of=END, ruleset=V2)
    # Version 2: 3 党支部 × 17 branch rules (14 of version 1 + 3 DUES-*), 1 党小组 × 1, 1 党组 × 4,
    # 3 党委/党总支 × 2 (书记, 换届).
    assert len(evaluation.results) == 3 * 17 + 1 + 4 + 3 * 2
    assert {r.org.code for r in evaluation.results} == {"A1", "A2", "B1", "A1G1", "A-DZ", "A", "B", "B-ZZ"}
    assert {r.status for r in evaluation.results} <= set(STATUSES)
    rule_order = [r.rule.id for r in evaluation.results]
    assert rule_order == sorted(rule_order, key=[r.id for r in evaluation.ruleset.rules].index)


def test_subtree_scope(tree):
    evaluation = evaluate(Org.objects.subtree(tree.a1), year=Y, as_of=END)
    assert {r.org.code for r in evaluation.results} == {"A1", "A1G1"}


def test_to_json_has_exactly_the_shape_of_the_issue(tree, branch, meet):
    meet(tree.a1, D(Y, 3, 31), "assembly")
    evaluation = evaluate(Org.objects.subtree(tree.a1), year=Y, as_of=D(Y + 1, 2, 1))
    data = evaluation.to_json()
    assert list(data) == ["ruleset", "year", "as_of", "results"]
    assert data["ruleset"] == {"id": "shanghai-jiguan", "version": load_ruleset().version}
    assert (data["year"], data["as_of"]) == (Y, f"{Y}-12-31")
    first = next(r for r in data["results"] if r["rule"] == "MTG-ASSEMBLY-QUARTERLY")
    assert first == {
        "rule": "MTG-ASSEMBLY-QUARTERLY",
        "org": "A1",
        "status": "fail",
        "missing": [f"{Y}-Q2", f"{Y}-Q3", f"{Y}-Q4"],
        "clause": "（十一）",
        "basis": "《中国共产党支部工作条例（试行）》第十一条（BR-07）",
        "message": f"{Y}年缺少3个季度的支部党员大会：{Y}-Q2、{Y}-Q3、{Y}-Q4。",
    }
    assert all(
        list(r) == ["rule", "org", "status", "missing", "clause", "basis", "message"] for r in data["results"]
    )


def test_as_of_before_the_year_is_refused(tree):
    with pytest.raises(ValueError, match="早于"):
        evaluate(Org.objects.all(), year=Y, as_of=D(Y - 1, 12, 31))


def test_as_of_defaults_to_today(tree, time_machine):
    time_machine.move_to(dt.datetime(Y, 5, 20, 10, 0))
    assert evaluate(Org.objects.all(), year=Y).as_of == D(Y, 5, 20)


def test_a_list_of_organisations_is_accepted(tree):
    evaluation = evaluate([tree.a2], year=Y, as_of=END)
    assert {r.org.code for r in evaluation.results} == {"A2"}


def test_a_sliced_queryset_is_accepted(tree):
    evaluation = evaluate(Org.objects.filter(type="zhibu").order_by("code")[:1], year=Y, as_of=END)
    assert {r.org.code for r in evaluation.results} == {"A1"}


def test_rules_and_results_can_be_grouped_by_rule(tree):
    evaluation = evaluate(Org.objects.all(), year=Y, as_of=END, ruleset=V2)
    by_rule = {}
    for r in evaluation.results:
        by_rule.setdefault(r.rule, []).append(r.org.code)
    assert len(by_rule) == 20  # version 2: the 17 rules of version 1 and the 3 DUES-* rules
    assert by_rule[evaluation.ruleset.rule("MTG-GROUP-MONTHLY")] == ["A1G1"]
