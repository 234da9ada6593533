"""The arithmetic of the assessment at its edges: deductions that exactly use up an indicator and more than it,
a failing organisation counted once, grade bands and shares (ties never split), tier conditions over the last
months, the period labels the kept results use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.assessment.scheme import (
    Band,
    Condition,
    EvaluationIndicator,
    Grading,
    RulesIndicator,
    ShareBand,
    Tier,
    Tiering,
)
from dangjian.assessment.scoring import (
    Failing,
    IndicatorScore,
    condition_met,
    grades_of,
    last_month_of,
    score_review_completed,
    score_rules,
    tier_of,
    total_of,
)

D = Decimal


def rules_indicator(points="6", deduction="0.5", per="missing_period", rules=("MTG-COMMITTEE-MONTHLY",)):
    return RulesIndicator(
        id="ORG-01",
        title="支委会",
        points=D(points),
        method="rules",
        rules=rules,
        per=per,
        deduction=D(deduction),
    )


def failing(org_id, rule="MTG-COMMITTEE-MONTHLY", missing=("2026-01",)):
    return Failing(org_id, f"B{org_id}", f"第{org_id}支部", rule, tuple(missing))


def test_no_failing_result_gives_the_full_points():
    s = score_rules(rules_indicator(), [], group="组织建设")
    assert s.score == D("6.00") and s.deductions == [] and "满分" in s.explain


def test_each_missing_period_deducts_and_the_arithmetic_is_shown():
    s = score_rules(
        rules_indicator(), [failing(1, missing=("2026-01", "2026-02")), failing(2)], group="组织建设"
    )
    assert s.score == D("4.50")
    assert [d.items for d in s.deductions] == [2, 1]
    assert s.explain == "3 个缺项 × 0.5 = 1.50；6 − 1.50 = 4.50。"


def test_deductions_that_use_up_the_points_exactly_give_zero():
    twelve = [failing(1, missing=tuple(f"2026-{m:02d}" for m in range(1, 13)))]
    s = score_rules(rules_indicator(), twelve, group="组织建设")
    assert s.score == D("0.00") and "扣完" not in s.explain  # 12 × 0.5 = 6: exactly the points


def test_deductions_beyond_the_points_stop_at_zero_and_say_so():
    thirteen = [failing(1, missing=tuple(f"2026-{m:02d}" for m in range(1, 13))), failing(2)]
    s = score_rules(rules_indicator(), thirteen, group="组织建设")
    assert s.score == D("0.00")
    assert "13 个缺项 × 0.5 = 6.50，超过本项分值，按 6 扣完" in s.explain


def test_per_failing_org_counts_an_organisation_once_across_the_bound_rules():
    indicator = rules_indicator(
        points="5", deduction="1", per="failing_org", rules=("ORG-TERM-ON-TIME", "ORG-SECRETARY-IN-POST")
    )
    found = [
        failing(1, "ORG-TERM-ON-TIME", ()),
        failing(1, "ORG-SECRETARY-IN-POST", ()),
        failing(2, "ORG-SECRETARY-IN-POST", ()),
        failing(3, "MTG-COMMITTEE-MONTHLY"),  # not bound: ignored
    ]
    s = score_rules(indicator, found, group="组织建设")
    assert s.score == D("3.00") and [d.failing.org_id for d in s.deductions] == [1, 2]


def test_a_failure_that_names_no_period_still_counts_once_per_missing_period():
    s = score_rules(rules_indicator(), [failing(1, missing=())], group="组织建设")
    assert s.score == D("5.50")


def test_review_completed_is_the_share_of_branches():
    indicator = EvaluationIndicator(
        id="ORG-06", title="民主评议", points=D(3), method="evaluation", source="review_completed"
    )
    assert score_review_completed(indicator, branches=3, completed=2, group="g").score == D("2.00")
    assert score_review_completed(indicator, branches=7, completed=7, group="g").score == D("3.00")
    assert score_review_completed(indicator, branches=0, completed=0, group="g").score == D("3")


def test_the_total_adds_bonus_deducts_penalty_and_is_complete_only_when_all_are_scored():
    def s(method, score):
        return IndicatorScore("X", "g", "t", method, D(10), None if score is None else D(score))

    t = total_of([s("rules", "8"), s("assessor", "9"), s("bonus", "2"), s("penalty", "3")])
    assert (t.total, t.complete) == (D("16.00"), True)
    t = total_of([s("rules", "8"), s("assessor", None)])
    assert (t.total, t.complete) == (D("8.00"), False)
    assert total_of([s("rules", "1"), s("penalty", "5")]).total == D("0.00")  # never below zero


BANDS = Grading(
    method="bands",
    bands=(
        Band(grade="好", min=D(90)),
        Band(grade="较好", min=D(80)),
        Band(grade="一般", min=D(60)),
        Band(grade="差", min=D(0)),
    ),
    basis="x",
)


def test_grade_bands_at_their_edges():
    totals = {"a": D("90.00"), "b": D("89.99"), "c": D("80"), "d": D("59.99"), "e": D("0")}
    assert grades_of(totals, BANDS) == {"a": "好", "b": "较好", "c": "较好", "d": "差", "e": "差"}


def test_grade_shares_are_maxima_and_ties_at_the_edge_go_down_together():
    shares = Grading(
        method="shares",
        shares=(ShareBand(grade="好", share=D("0.3")), ShareBand(grade="较好", share=D("0.4"))),
        basis="x",
    )
    ten = {f"u{i}": D(100 - i) for i in range(10)}
    got = grades_of(ten, shares)
    assert [got[f"u{i}"] for i in range(10)] == ["好"] * 3 + ["较好"] * 4 + ["一般"] * 3
    tied = dict(ten, u3=D(98))  # u2 and u3 tie at the edge of 好 (3 of 10)
    got = grades_of(tied, shares)
    assert (got["u2"], got["u3"]) == ("较好", "较好") and [got[f"u{i}"] for i in (0, 1)] == ["好", "好"]
    assert grades_of({"only": D(100)}, shares) == {"only": "一般"}  # floor(0.3 × 1) = 0


@pytest.mark.parametrize(
    ("label", "month"),
    [
        ("2026-03", dt.date(2026, 3, 1)),
        ("2026-03-15", dt.date(2026, 3, 1)),
        ("2026-Q1", dt.date(2026, 3, 1)),
        ("2026-Q4", dt.date(2026, 12, 1)),
        ("2026", dt.date(2026, 12, 1)),
        ("2026-01~2026-04", dt.date(2026, 4, 1)),
        ("张三", None),
    ],
)
def test_last_month_of_a_missing_label(label, month):
    assert last_month_of(label) == month


THREE_MEETINGS = Condition(
    no_missing_in_last_months=3, rules=("MTG-COMMITTEE-MONTHLY",), label="最近三个月三会一课无缺项"
)


def test_a_condition_looks_at_the_last_months_only():
    as_of = dt.date(2026, 12, 31)
    assert condition_met(THREE_MEETINGS, [failing(1, missing=("2026-09",))], as_of) == (True, "")
    ok, why = condition_met(THREE_MEETINGS, [failing(1, missing=("2026-09", "2026-10"))], as_of)
    assert not ok and "最近三个月三会一课无缺项" in why and "MTG-COMMITTEE-MONTHLY" in why
    assert condition_met(THREE_MEETINGS, [failing(1, "TALK-ANNUAL", ("2026-12",))], as_of)[0]  # not bound
    assert not condition_met(THREE_MEETINGS, [failing(1, missing=("某某",))], as_of)[0]  # no period: counts


TIERS = Tiering(
    tiers=(
        Tier(name="先进", min=D(95), role="model", conditions=(THREE_MEETINGS,)),
        Tier(name="达标", min=D(75), role="standard"),
        Tier(name="后进", min=D(0), role="lagging"),
    ),
    basis="x",
)


def test_tiers_by_band_and_condition():
    day = dt.date(2026, 12, 31)
    assert tier_of(TIERS, D(95), [], day).tier == "先进"
    recent = [failing(1, missing=("2026-11",))]
    found = tier_of(TIERS, D(99), recent, day)
    assert (found.tier, found.role) == ("达标", "standard") and found.reasons[0].startswith(
        "未评为先进：不满足"
    )
    assert tier_of(TIERS, D("94.99"), [], day).tier == "达标"
    low = tier_of(TIERS, D("74.99"), [], day)
    assert (low.tier, low.role) == ("后进", "lagging") and len(low.reasons) == 2
