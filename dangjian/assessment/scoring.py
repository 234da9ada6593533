"""The arithmetic of the assessment, pure: from the failing rule results of a subject's organisations (and the
other inputs the scheme's methods read) to each indicator's score with its explanation, the total, the grade,
and a branch's tier. No database here: `selectors` reads the inputs set-based and calls these.

Every score explains itself (`IndicatorScore.explain`): the method, the results or figures used, the
arithmetic ("2 个缺项 × 0.5 = 1.0，5 − 1.0 = 4.0"), so that a unit can check it against the records."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dangjian.assessment.scheme import (
    GRADES,
    Condition,
    EvaluationIndicator,
    Grading,
    RulesIndicator,
    Scheme,
    Tiering,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Failing:
    """A failing kept result: which organisation, which rule, what is missing."""

    org_id: int
    org_code: str
    org_name: str
    rule_id: str
    missing: tuple[str, ...]

    @property
    def count(self) -> int:
        return max(1, len(self.missing))  # a failure that names no period still counts once


@dataclass(frozen=True)
class Deduction:
    failing: Failing
    items: int  # missing periods (per missing_period) or 1 (per failing_org, once per organisation)
    points: Decimal


@dataclass
class IndicatorScore:
    id: str
    group: str
    title: str
    method: str
    points: Decimal  # the indicator's full points (a cap for bonus and penalty)
    score: Decimal | None  # None: not scored yet (assessor items, or results not evaluated)
    deductions: list[Deduction] = field(default_factory=list)
    explain: str = ""

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "group": self.group,
            "title": self.title,
            "method": self.method,
            "points": str(self.points),
            "score": None if self.score is None else str(self.score),
            "explain": self.explain,
            "deductions": [
                {
                    "org": d.failing.org_code,
                    "org_name": d.failing.org_name,
                    "rule": d.failing.rule_id,
                    "missing": list(d.failing.missing),
                    "items": d.items,
                    "points": str(d.points),
                }
                for d in self.deductions
            ],
        }


def score_rules(indicator: RulesIndicator, failing: Iterable[Failing], *, group: str) -> IndicatorScore:
    """The indicator's points less its deduction per missing period (or per failing organisation) of the bound
    rules, never below zero. Per failing organisation counts an organisation once however many of the bound
    rules it fails."""
    bound = set(indicator.rules)
    relevant = sorted(
        (f for f in failing if f.rule_id in bound),
        key=lambda f: (f.org_code, indicator.rules.index(f.rule_id)),
    )
    deductions: list[Deduction] = []
    seen_orgs: set[int] = set()
    for f in relevant:
        if indicator.per == "missing_period":
            items = f.count
        else:
            if f.org_id in seen_orgs:
                continue
            seen_orgs.add(f.org_id)
            items = 1
        deductions.append(Deduction(f, items, cents(indicator.deduction * items)))
    items = sum(d.items for d in deductions)
    raw = indicator.deduction * items
    taken = min(raw, indicator.points)
    score = cents(indicator.points - taken)
    unit = "个缺项" if indicator.per == "missing_period" else "个组织未达标"
    if not deductions:
        explain = f"所依据规则均无不合规结果，得满分 {indicator.points}。"
    else:
        explain = f"{items} {unit} × {indicator.deduction} = {cents(raw)}"
        if raw > indicator.points:
            explain += f"，超过本项分值，按 {indicator.points} 扣完"
        explain += f"；{indicator.points} − {cents(taken)} = {score}。"
    return IndicatorScore(
        indicator.id, group, indicator.title, "rules", indicator.points, score, deductions, explain
    )


def score_review_completed(
    indicator: EvaluationIndicator, *, branches: int, completed: int, group: str
) -> IndicatorScore:
    """The points times the share of the unit's 党支部 whose 民主评议党员 of the year is completed; full points
    for a unit without branches (nothing to complete)."""
    if branches == 0:
        score, explain = indicator.points, f"本单位无党支部，得满分 {indicator.points}。"
    else:
        score = cents(indicator.points * completed / branches)
        explain = f"{branches} 个党支部中 {completed} 个完成民主评议党员：{indicator.points} × {completed}/{branches} = {score}。"
    return IndicatorScore(
        indicator.id, group, indicator.title, "evaluation", indicator.points, score, [], explain
    )


def score_appraisal(
    indicator: EvaluationIndicator, composite: Decimal | None, *, source: str, group: str
) -> IndicatorScore:
    """The points of the band the 述职评议's 综合 score falls in; none without a result (`source` says why, or
    which campaign and secretary the score is from)."""
    if composite is None:
        return IndicatorScore(
            indicator.id,
            group,
            indicator.title,
            "evaluation",
            indicator.points,
            cents(ZERO),
            [],
            f"{source}，得 0 分。",
        )
    band = next(b for b in indicator.mapping if composite >= b.min)
    explain = f"{source}综合得分 {composite}，在 {band.min} 分及以上一档，得 {band.points} 分。"
    return IndicatorScore(
        indicator.id, group, indicator.title, "evaluation", indicator.points, cents(band.points), [], explain
    )


def unscored(indicator, *, group: str, why: str) -> IndicatorScore:
    return IndicatorScore(
        indicator.id, group, indicator.title, indicator.method, indicator.points, None, [], why
    )


@dataclass
class Total:
    total: Decimal  # of the scored indicators (bonus added, penalty deducted), never below zero
    complete: bool  # every indicator scored


def total_of(scores: Sequence[IndicatorScore]) -> Total:
    total = ZERO
    for s in scores:
        if s.score is None:
            continue
        total += -s.score if s.method == "penalty" else s.score
    return Total(cents(max(total, ZERO)), all(s.score is not None for s in scores))


def grades_of(totals: Mapping[str, Decimal], grading: Grading) -> dict[str, str]:
    """The grade of each subject. Bands: the first band whose minimum the total reaches. Shares: the subjects
    ranked by total (ties keep the better grade together: a tie never splits across grades, the share being a
    maximum — so tied subjects at the edge all take the next grade down), each grade up to floor(share × n)
    subjects, the last grade the rest."""
    if grading.method == "bands":
        return {key: next(b.grade for b in grading.bands if total >= b.min) for key, total in totals.items()}
    n = len(totals)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    result: dict[str, str] = {}
    start = 0
    for band in grading.shares:
        cap = int(band.share * n)  # floor: the share is a maximum
        end = start + cap
        # a tie across the edge goes down together
        while end > start and end < n and ranked[end - 1][1] == ranked[end][1]:
            end -= 1
        for key, _t in ranked[start:end]:
            result[key] = band.grade
        start = end
    rest = next((g for g in GRADES if g not in {b.grade for b in grading.shares}), GRADES[-1])
    for key, _t in ranked[start:]:
        result[key] = rest
    return result


_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def last_month_of(label: str) -> dt.date | None:
    """The month (its first day) a missing-period label ends in: "2026-03", "2026-03-15", "2026-Q1" (March),
    "2026" (December), "2026-01~2026-04" (April); None for a label that names no period."""
    label = label.split("~")[-1].strip()
    if m := _MONTH.match(label):
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    if m := _QUARTER.match(label):
        return dt.date(int(m.group(1)), 3 * int(m.group(2)), 1)
    if m := _YEAR.match(label):
        return dt.date(int(m.group(1)), 12, 1)
    return None


def rule_named(rule_id: str, titles: Mapping[str, str]) -> str:
    """A rule as a reason names it: “its title” in the rulebook the results are of (as `compliance.plain` names a
    rule in a note); a rule that rulebook does not hold, by its id."""
    title = titles.get(rule_id)
    return f"“{title}”" if title else rule_id


def rules_named(rule_ids: Iterable[str], titles: Mapping[str, str]) -> str:
    return "、".join(rule_named(r, titles) for r in rule_ids)


def condition_met(
    condition: Condition, failing: Iterable[Failing], as_of: dt.date, titles: Mapping[str, str] | None = None
) -> tuple[bool, str]:
    """Whether none of the bound rules misses a period in the last `months` months up to `as_of` (a missing
    entry that names no period counts as recent: the result fails now). With the reason when not met, naming
    the rules that miss a period by their titles (`titles`: rule id → title), in the condition's order."""
    first = _months_back(as_of.replace(day=1), condition.no_missing_in_last_months - 1)
    bound = set(condition.rules)
    recent: set[str] = set()
    for f in failing:
        if f.rule_id not in bound:
            continue
        months = [last_month_of(m) for m in f.missing] or [None]
        if any(m is None or m >= first for m in months):
            recent.add(f.rule_id)
    if not recent:
        return True, ""
    named = rules_named((r for r in condition.rules if r in recent), titles or {})
    return False, f"不满足“{condition.label}”（{named}）"


def _months_back(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class BranchTier:
    score: Decimal | None  # out of 100; None when not evaluated
    tier: str | None
    role: str | None
    reasons: list[str]  # why each higher tier was not reached: "未评为先进：得分 88.00 低于 95 分"


def branch_score(scheme: Scheme, failing: Sequence[Failing]) -> tuple[Decimal, list[IndicatorScore]]:
    """The `rules` indicators computed on one branch, as a share of their points, out of 100."""
    scores = [
        score_rules(i, failing, group=scheme.group_of[i.id]) for i in scheme.indicators if i.method == "rules"
    ]
    full = sum((s.points for s in scores), ZERO)
    got = sum((s.score or ZERO for s in scores), ZERO)
    return (cents(got * HUNDRED / full) if full else HUNDRED), scores


# how a reason read in a round frozen before the reasons were worded "未评为先进：…": "先进：得分 88.00 低于 95" (one
# already worded so, "未评为先进：不满足“…”", is not)
_BARE_REASON = re.compile(r"^(?!未评为)([^：，。（）]+)：(得分 \S+ 低于 [\d.]+|不满足“.*)$")
# how an unmet condition named its rules in a round frozen before they were named by title: "（MTG-LECTURE-QUARTERLY、
# MTG-GROUP-MONTHLY）" after the condition (the rulebook's pattern of a rule id)
_ID = r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+"
_CONDITION_IDS = re.compile(rf"(不满足“[^”]*”)（({_ID}(?:、{_ID})*)）")


def reworded(reason: str, titles: Mapping[str, str] | None = None) -> str:
    """A reason of a branch's tier as the pages show it: one frozen in an earlier wording reads like a new one —
    "先进：得分 88.00 低于 95" as "未评为先进：得分 88.00 低于 95 分", and the rule ids an unmet condition named
    ("不满足“最近三个月三会一课无缺项”（MTG-LECTURE-QUARTERLY）") by their titles in `titles` (rule id → title, of
    the rulebook the round was frozen on); any other is as it is."""
    m = _BARE_REASON.match(reason)
    if m is not None:
        why = m.group(2) + (" 分" if m.group(2).startswith("得分 ") else "")
        reason = f"未评为{m.group(1)}：{why}"
    if titles:
        reason = _CONDITION_IDS.sub(
            lambda c: f"{c.group(1)}（{rules_named(c.group(2).split('、'), titles)}）", reason
        )
    return reason


def tier_of(
    tiering: Tiering,
    score: Decimal,
    failing: Sequence[Failing],
    as_of: dt.date,
    titles: Mapping[str, str] | None = None,
) -> BranchTier:
    """The first tier whose band and conditions the branch meets, with why each higher one was not reached (an
    unmet condition names its rules by their titles in `titles`, rule id → title)."""
    reasons: list[str] = []
    for tier in tiering.tiers:
        if score < tier.min:
            reasons.append(f"未评为{tier.name}：得分 {score} 低于 {tier.min} 分")
            continue
        checked = (condition_met(c, failing, as_of, titles) for c in tier.conditions)
        unmet = [why for ok, why in checked if not ok]
        if unmet:
            reasons.append(f"未评为{tier.name}：" + "；".join(unmet))
            continue
        return BranchTier(score, tier.name, tier.role, reasons)
    raise AssertionError("the last tier takes every score")  # the scheme's validator guarantees it
