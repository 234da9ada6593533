"""Rulebook v9 in the dues app: DUES-PAID-MONTHLY counts a member without a declared base in a month they were
a member as not paid in full (undeclared: unpaid). v2–v8 (the parameter's default) keep their published
results: such months are not looked at, and a branch that declared no base passes."""

from __future__ import annotations

from decimal import Decimal

from dangjian.compliance.evaluator import evaluate, run_check
from dangjian.compliance.periods import clamp_as_of, window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.builders import D, facts
from dangjian.dues.facts import DuesBaseRow, DuesFacts, DuesMember, DuesPaymentRow
from dangjian.dues.rules import PaidMonthlyParams
from dangjian.dues.tests.test_rules_evaluate import base, pay
from dangjian.orgs.models import Org

Y = 2026
RULE = "DUES-PAID-MONTHLY"
BASE = DuesBaseRow(Y, D(Y, 1, 1), "active", Decimal("4000.00"))  # 40.00 a month
LONG_AGO = D(2010, 1, 1)


def person(pk, name, *, joined_on=LONG_AGO, bases=(BASE,), paid_through=0):
    payments = tuple(
        DuesPaymentRow(D(Y, m, 1), D(Y, m, 1), Decimal("40.00")) for m in range(1, paid_through + 1)
    )
    return DuesMember(pk, name, joined_on, tuple(bases), (), payments, None)


def check(version, members, as_of):
    org_facts = facts(extra={"dues": DuesFacts(None, tuple(members))})
    as_of = clamp_as_of(Y, as_of)
    window = window_for(Y, as_of, org_facts.founded_on, org_facts.dissolved_on)
    return run_check(load_ruleset(version).rule(RULE), org_facts, window)


def test_v9_sets_the_parameter_and_the_default_keeps_earlier_versions():
    v9 = load_ruleset(9).rule(RULE)
    assert v9.params == {"undeclared": "unpaid"} and "第9版更正" in v9.note
    for version in (2, 3, 4, 5, 6, 7, 8):
        assert load_ruleset(version).rule(RULE).typed_params.undeclared == "ignored"
    assert PaidMonthlyParams().undeclared == "ignored"


def test_a_branch_that_declared_no_base_passes_v8_and_fails_v9():
    members = [person(1, "党员甲", bases=()), person(2, "党员乙", bases=())]
    v8 = check(8, members, D(Y, 3, 15))
    assert v8.status == "pass" and "均已交清" in str(v8.message)
    v9 = check(9, members, D(Y, 3, 15))
    assert (v9.status, v9.missing) == ("fail", [f"{Y}-01", f"{Y}-02"])
    assert str(v9.message) == (
        "2026年有2个月党员未交清党费（未交、部分交纳，或未申报缴费基数而无法确认足额交纳）："
        "2026-01~2026-02（每月2人，其中2人未申报缴费基数）。涉及党员：党员甲、党员乙。"
    )


def test_v9_counts_a_member_only_from_the_month_they_joined():
    members = [
        person(1, "党员甲", paid_through=3),
        person(2, "新党员", joined_on=D(Y, 3, 20), bases=()),  # a member from March, no base
    ]
    v9 = check(9, members, D(Y, 4, 15))
    assert (v9.status, v9.missing) == ("fail", [f"{Y}-03"])
    assert "：2026-03（1人，其中1人未申报缴费基数）。涉及党员：新党员。" in str(v9.message)
    assert check(8, members, D(Y, 4, 15)).status == "pass"


def test_v9_unpaid_and_undeclared_in_one_month_and_a_declared_branch_unchanged():
    members = [person(1, "党员甲", paid_through=1), person(2, "党员乙", bases=())]
    v9 = check(9, members, D(Y, 3, 15))
    # months of different figures apart; both members named, the one who paid January only as well
    assert "：2026-01（1人，其中1人未申报缴费基数）、2026-02（2人，其中1人未申报缴费基数）。" in str(
        v9.message
    )
    assert str(v9.message).endswith("涉及党员：党员甲、党员乙。")
    declared = [person(1, "党员甲", paid_through=2), person(2, "党员乙", paid_through=1)]
    for version in (8, 9):
        outcome = check(version, declared, D(Y, 3, 15))
        assert (outcome.status, outcome.missing) == ("fail", [f"{Y}-02"])
        assert "未申报缴费基数" not in str(outcome.message)
    assert str(check(9, declared, D(Y, 3, 15)).message).endswith("2026-02（1人）。涉及党员：党员乙。")
    assert "涉及党员" not in str(check(8, declared, D(Y, 3, 15)).message)


def test_on_the_database_v8_and_v9_side_by_side(tree, branch):
    people = [branch[k] for k in ("书记", "组织", "宣传", "小组", "预备")]
    for m in people[:-1]:  # the 预备党员 has no base
        base(m, Y)
        pay(m, D(Y, 1, 1), D(Y, 2, 1), "80.00", paid_on=D(Y, 1, 10))
    found = {}
    for version in (8, 9):
        rs = load_ruleset(version)
        rs = rs.model_copy(update={"rules": [rs.rule(RULE)]})
        ev = evaluate(Org.objects.filter(code="A1"), year=Y, as_of=D(Y, 3, 15), ruleset=rs)
        (found[version],) = ev.for_rule(RULE)
    assert found[8].status == "pass"
    assert (found[9].status, found[9].missing) == ("fail", [f"{Y}-01", f"{Y}-02"])
    assert "2026-01~2026-02（每月1人，其中1人未申报缴费基数）" in str(found[9].message)
    assert str(found[9].message).endswith(f"涉及党员：{branch['预备'].name}。")


def test_v9_results_lead_to_the_collection_sheet():
    from dangjian.compliance.registry import REGISTRY
    from dangjian.compliance.tests.builders import facts as org_facts

    org = org_facts().ref
    for rule_id, label in (("DUES-PAID-MONTHLY", "去收缴党费"), ("DUES-BASE-DECLARED", "去申报缴费基数")):
        rule = load_ruleset(9).rule(rule_id)
        link = REGISTRY[rule.check].link(rule, org, "fail")
        assert link.label == label and link.url == f"/dues/?org={org.id}"
        assert REGISTRY[rule.check].link(rule, org, "pass") is None
