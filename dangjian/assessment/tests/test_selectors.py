"""The assessment read from the kept results: a unit is its 党组, 机关党委 and everything under them; each missing
period of a bound rule deducts; an organisation never evaluated leaves the rule indicators unscored; the 民主评议
share comes from the completed evaluations; grades only once every unit is completely scored; branches get a
tier. A fixed number of queries whatever the number of organisations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.assessment.selectors import assess, unit_of
from dangjian.assessment.tests.conftest import rewrite
from dangjian.compliance.evaluator import rule_orgs
from dangjian.compliance.kept import unit_key
from dangjian.compliance.models import KeptResult, KeptStamp
from dangjian.compliance.rulebook import load_ruleset
from dangjian.evaluations.models import Evaluation
from dangjian.orgs.models import Org

YEAR = 2026
D = Decimal


def stamp(orgs=None, as_of=dt.date(YEAR, 12, 31)) -> None:
    """Kept stamps (evaluated) for the organisations the rules apply to."""
    ruleset = load_ruleset()
    now = timezone.now()
    KeptStamp.objects.bulk_create(
        KeptStamp(
            version=ruleset.version,
            year=YEAR,
            org=o,
            unit_key=unit_key(o),
            org_path=o.path,
            as_of=as_of,
            evaluated_at=now,
        )
        for o in rule_orgs(orgs or Org.objects.all(), ruleset)
    )


def fail(org, rule_id, missing=()) -> None:
    KeptResult.objects.create(
        version=load_ruleset().version,
        year=YEAR,
        org=org,
        rule_id=rule_id,
        unit_key=unit_key(org),
        org_path=org.path,
        status="fail",
        missing=list(missing),
        evidence=[],
        message="",
        since=dt.date(YEAR, 1, 1),
        digest="x",
    )


def score(unit, indicator_id):
    return next(s for s in unit.scores if s.id == indicator_id)


def test_deductions_per_unit_from_the_failing_results(tree):
    stamp()
    fail(tree.a1, "MTG-COMMITTEE-MONTHLY", ["2026-03", "2026-04"])
    fail(tree.a2, "MTG-COMMITTEE-MONTHLY", ["2026-11"])
    fail(tree.a1, "MTG-COMMITTEE-QUORUM", ["2026-05-10"])  # a rule no indicator binds: no deduction
    fail(tree.b1, "ORG-TERM-ON-TIME")
    found = assess(YEAR)
    a, b = unit_of(found, "A"), unit_of(found, "B")
    assert (a.key, a.codes, a.branches) == ("甲委", ["A-DZ", "A"], 2) and unit_of(found, "A-DZ") is a
    assert score(a, "ORG-01").score == D("4.50") and score(b, "ORG-01").score == D("6.00")
    assert [(d.failing.org_code, d.items) for d in score(a, "ORG-01").deductions] == [("A1", 2), ("A2", 1)]
    assert score(b, "ORG-07").score == D("4.00") and score(a, "ORG-07").score == D("5.00")
    assert score(a, "POL-02").score is None and not a.total.complete and a.grade is None
    # the total of what is scored: automatic points less the deductions (the assessor items wait)
    automatic = sum(s.points for s in a.scores if s.method in ("rules", "evaluation"))
    assert a.total.total == automatic - D("1.5") - score(a, "ORG-06").points  # no 民主评议 completed


def test_a_unit_never_evaluated_is_not_scored_as_if_nothing_were_missing(tree):
    stamp(Org.objects.filter(unit="甲委"))
    found = assess(YEAR)
    b = unit_of(found, "B")
    assert (
        not b.evaluated
        and score(b, "ORG-01").score is None
        and "尚未生成检查结果" in score(b, "ORG-01").explain
        and "dangjian" not in score(b, "ORG-01").explain  # no server command for a 考评人员
    )
    assert unit_of(found, "A").evaluated and score(unit_of(found, "A"), "ORG-01").score == D("6.00")
    b1 = next(x for x in found.branches if x.org.code == "B1")
    assert (b1.evaluated, b1.tier.tier) == (False, None)


def test_the_review_share_counts_completed_evaluations_of_the_units_branches(tree):
    stamp()
    for branch, completed in (
        (tree.a1, dt.date(YEAR, 11, 30)),
        (tree.a2, None),
        (tree.b1, dt.date(YEAR - 1, 12, 1)),
    ):
        Evaluation.objects.create(
            org=branch,
            year=YEAR if completed is None or completed.year == YEAR else YEAR - 1,
            opened_on=dt.date(YEAR, 10, 8),
            organ="assembly",
            completed_on=completed,
        )
    found = assess(YEAR)
    assert score(unit_of(found, "A"), "ORG-06").score == D("1.50")  # 1 of 2 branches
    assert score(unit_of(found, "B"), "ORG-06").score == D("0.00")  # last year's does not count


def test_branches_are_tiered_from_their_own_results(tree):
    stamp()
    fail(tree.a2, "MTG-COMMITTEE-MONTHLY", ["2026-11"])  # recent: not 先进
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    fail(tree.b1, "MTG-COMMITTEE-MONTHLY", months)  # 6 (all of ORG-01)
    fail(tree.b1, "DUES-PAID-MONTHLY", months)  # 2.4
    fail(tree.b1, "MTG-THEME-DAY-MONTHLY", months)  # 2.4
    fail(tree.b1, "MTG-ASSEMBLY-QUARTERLY", ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"])  # 2
    fail(tree.b1, "ORG-TERM-ON-TIME")  # 1: 13.8 of the 55 points of the rule indicators
    tiers = {b.org.code: b for b in assess(YEAR).branches}
    assert tiers["A1"].tier.tier == "先进" and tiers["A1"].tier.score == D("100.00")
    assert tiers["A2"].tier.tier == "达标" and "最近三个月三会一课无缺项" in tiers["A2"].tier.reasons[0]
    b1 = tiers["B1"].tier
    assert (b1.score, b1.tier, b1.role) == (D("74.91"), "后进", "lagging")  # 41.2 / 55, just under 75


def test_grades_once_every_unit_is_completely_scored(tree, rules):
    def automatic_only(data):
        for g in data["groups"]:
            g["indicators"] = [i for i in g["indicators"] if i["method"] in ("rules", "evaluation")]
        data["groups"] = [g for g in data["groups"] if g["indicators"]]
        data["total"] = sum(i["points"] for g in data["groups"] for i in g["indicators"])

    rewrite(rules, automatic_only)
    stamp()
    fail(tree.b1, "DUES-PAID-MONTHLY", [f"2026-{m:02d}" for m in range(1, 13)])
    found = assess(YEAR)
    a, b = unit_of(found, "A"), unit_of(found, "B")
    assert a.total.complete and b.total.complete
    # ORG-06 (3 points) is 0 for both: nobody completed 民主评议; 乙委 also loses 12 × 0.2 of ORG-08
    total = found.loaded.scheme.total
    assert (a.total.total, b.total.total) == (total - 3, total - 3 - D("2.4"))
    assert a.grade is not None and b.grade is not None
    assert [u.key for u in found.units] == ["甲委", "乙委"]  # best first


def test_a_fixed_number_of_queries_whatever_the_number_of_organisations(tree, add_branches):
    stamp()
    with CaptureQueriesContext(connection) as few:
        assess(YEAR)
    add_branches(12, 1)
    KeptStamp.objects.all().delete()
    stamp()
    for o in Org.objects.filter(code__startswith="AX"):
        fail(o, "MTG-COMMITTEE-MONTHLY", ["2026-02"])
    with CaptureQueriesContext(connection) as many:
        found = assess(YEAR)
    assert len(many) == len(few) <= 5
    assert score(unit_of(found, "A"), "ORG-01").score == D("0.00")  # 12 × 0.5 = 6: used up exactly


def test_the_gongwei_is_not_a_unit_and_a_party_group_joins_its_organs_unit(tree):
    stamp()
    found = assess(YEAR)
    assert sorted(u.key for u in found.units) == ["乙委", "甲委"]
    assert all("GW" not in u.codes for u in found.units)
