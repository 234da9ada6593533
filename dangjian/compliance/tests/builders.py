"""Hand-built facts for the pure check tests (no database)."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from dangjian.compliance.checks import Outcome
from dangjian.compliance.evaluator import run_check
from dangjian.compliance.facts import OrgFacts, OrgRef, PostSpan
from dangjian.compliance.periods import clamp_as_of, window_for
from dangjian.compliance.rulebook import Rule, Ruleset, load_ruleset

D = dt.date


def rule(rule_id: str):
    return load_ruleset(1).rule(rule_id)


def post(member_id: int, title: str, started_on: dt.date, ended_on: dt.date | None = None) -> PostSpan:
    return PostSpan(member_id, title, started_on, ended_on)


def committee(n: int, started_on: dt.date | None = None, ended_on: dt.date | None = None) -> tuple:
    started_on = started_on or D(2020, 1, 1)
    titles = ["shuji", "zuzhi", "xuanchuan", "jijian", "weiyuan", "fushuji"]
    return tuple(post(100 + i, titles[i % len(titles)], started_on, ended_on) for i in range(n))


def facts(org_type: str = "zhibu", *, extra: dict | None = None, **fields) -> OrgFacts:
    """An organisation's facts; `extra` holds the fact providers' values (provider name → value)."""
    fields.setdefault("founded_on", D(2018, 3, 1))
    if "posts" in fields:
        fields["posts"] = tuple(fields["posts"])
    return OrgFacts(
        ref=OrgRef(1, "X1", "测试组织", org_type, "00000001/", "测试单位"),
        extra=MappingProxyType(dict(extra or {})),
        **fields,
    )


def check(rule_id: str, org_facts: OrgFacts, *, year: int = 2026, as_of: dt.date | None = None) -> Outcome:
    """Runs a rule of version 1 on hand-built facts, as the evaluator does (D defaults to 31 December)."""
    as_of = clamp_as_of(year, as_of or D(year, 12, 31))
    window = window_for(year, as_of, org_facts.founded_on, org_facts.dissolved_on)
    assert window is not None, "the organisation has no window"
    return run_check(rule(rule_id), org_facts, window)


def make_ruleset(*checks, applies_to=("zhibu",)) -> Ruleset:
    """A test ruleset: rule TEST-Ri of each check kind; a check may be (kind, the types it applies to)."""
    rules = [
        Rule(
            id=f"TEST-R{i}",
            title="测试",
            clause="（十一）",
            basis="测试依据",
            key_sentence="测试",
            applies_to=list(check[1] if isinstance(check, tuple) else applies_to),
            weight=1.0,
            severity="required",
            check=check[0] if isinstance(check, tuple) else check,
            params={},
        )
        for i, check in enumerate(checks, 1)
    ]
    return Ruleset(id="test", version=1, title="测试", published=D(2026, 1, 1), rules=rules, checksum="x")
