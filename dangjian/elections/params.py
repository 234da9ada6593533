"""The numbers of 换届选举 are rulebook parameters (rules/vN.yaml, the latest version): the pages, services and
the command read them from the rules of the check kinds term_reminder, election_quorum, election_margin and
election_threshold (ORG-TERM-REMINDER, ELECT-* in v4), so that
the checks while recording and the rules in the evaluation use the same numbers. The threshold basis (EL-10:
sources differ) can be overridden per deployment with `settings.ELECTIONS_THRESHOLD_BASIS`."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings

from dangjian.compliance.rulebook import RulebookError, load_ruleset


@dataclass(frozen=True)
class ElectionParams:
    months_ahead: int  # reminder before the term ends (EL-02)
    max_adjust_months: int  # postponing or advancing a 换届 at most (EL-03)
    quorum: Fraction  # present voters more than this share of the expected (EL-09)
    margin_percent: int  # committee candidates at least this % more than seats (EL-07)
    threshold: Fraction  # yes votes more than this share of the basis (EL-10)
    threshold_basis: str  # "expected" | "present"


def _rule(ruleset, check: str):
    """The parameters of the ruleset's rule of check kind `check` (elections/rules.py)."""
    rule = next((r for r in ruleset.rules if r.check == check), None)
    if rule is None:
        raise RulebookError(
            f"规则库第 {ruleset.version} 版缺少检查类型为 {check} 的规则，无法进行换届选举检查。"
        )
    return rule.typed_params


def from_ruleset(ruleset) -> ElectionParams:
    reminder = _rule(ruleset, "term_reminder")
    quorum = _rule(ruleset, "election_quorum")
    margin = _rule(ruleset, "election_margin")
    threshold = _rule(ruleset, "election_threshold")
    basis = getattr(settings, "ELECTIONS_THRESHOLD_BASIS", None) or threshold.basis
    return ElectionParams(
        months_ahead=reminder.months_ahead,
        max_adjust_months=reminder.max_adjust_months,
        quorum=Fraction(quorum.numerator, quorum.denominator),
        margin_percent=margin.margin_percent,
        threshold=Fraction(threshold.numerator, threshold.denominator),
        threshold_basis=basis,
    )


def election_params() -> ElectionParams:
    """The parameters of the latest rulebook version (cached by the rulebook loader)."""
    return from_ruleset(load_ruleset())
