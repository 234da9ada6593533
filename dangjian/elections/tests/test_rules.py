"""ORG-TERM-REMINDER and ELECT-* in the evaluator (rulebook v4), and the fact provider's query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.facts import OrgFacts, OrgRef
from dangjian.compliance.periods import Window
from dangjian.compliance.rulebook import load_ruleset
from dangjian.elections.facts import CandidateRow, ElectionFacts, ElectionRow, load_election_facts
from dangjian.elections.rules import election_margin, election_threshold
from dangjian.elections.services import record_election, record_term_adjustment
from dangjian.elections.tests.conftest import cands
from dangjian.orgs.models import Org

V4 = 4
RULES = ("ORG-TERM-REMINDER", "ELECT-QUORUM", "ELECT-MARGIN", "ELECT-THRESHOLD")


def ours():
    """v4 restricted to the 换届选举 rules (other domains' providers are not needed here)."""
    rs = load_ruleset(V4)
    return rs.model_copy(update={"rules": [r for r in rs.rules if r.id in RULES]})


def statuses(as_of, code="A1"):
    ev = evaluate(Org.objects.filter(code=code), year=as_of.year, as_of=as_of, ruleset=ours())
    return {rid: next(r for r in ev.for_rule(rid)) for rid in RULES}


def test_rules_are_in_v4_with_their_parameters():
    rules = {r.id: r for r in load_ruleset(V4).rules}
    assert rules["ORG-TERM-REMINDER"].severity == "advisory"
    assert rules["ORG-TERM-REMINDER"].params == {"months_ahead": 6, "max_adjust_months": 12}
    assert rules["ELECT-QUORUM"].params == {"numerator": 4, "denominator": 5}
    assert rules["ELECT-MARGIN"].params == {"margin_percent": 20}
    assert rules["ELECT-THRESHOLD"].params["basis"] == "expected"
    assert all(rules[r].clause == "（十）" for r in RULES)


def test_term_reminder_six_months_ahead_and_postponement(tree, a1_voters):
    # term 2023-09-01 → 2026-09-01
    assert statuses(dt.date(2026, 2, 28))["ORG-TERM-REMINDER"].status == "pass"
    r = statuses(dt.date(2026, 3, 1))["ORG-TERM-REMINDER"]  # 6 months before the end: reminded
    assert r.status == "fail" and r.missing == ["2026-09-01"] and "2026-09-01" in r.message
    assert statuses(dt.date(2026, 10, 1))["ORG-TERM-REMINDER"].status == "fail"
    record_term_adjustment(
        actor=None,
        org=tree.a1,
        kind="postpone",
        approved_on=dt.date(2026, 8, 1),
        approving_body="甲委机关党委",
        new_due_on=dt.date(2027, 8, 1),
        reason="机构改革",
    )
    r = statuses(dt.date(2026, 12, 1))["ORG-TERM-REMINDER"]
    assert r.status == "pass" and "延期至2027-08-01" in r.message
    r = statuses(dt.date(2027, 3, 1))["ORG-TERM-REMINDER"]
    assert r.status == "fail" and r.missing == ["2027-08-01"]


def test_elect_rules_pass_when_no_election_and_on_a_recorded_one(tree, a1_voters):
    on = dt.date(2026, 12, 31)
    assert all(statuses(on)[rid].status == "pass" for rid in RULES[1:])
    record_election(
        actor=None,
        org=tree.a1,
        held_on=dt.date(2026, 9, 1),
        form="assembly",
        present=9,
        seats=3,
        ballots_issued=9,
        ballots_returned=9,
        candidates=cands(a1_voters, (9, 8, 7)),  # no margin: 3 candidates for 3 seats
    )
    result = statuses(on)
    assert result["ELECT-QUORUM"].status == "pass"
    assert result["ELECT-MARGIN"].status == "fail" and result["ELECT-MARGIN"].missing == ["2026-09-01"]
    assert result["ELECT-THRESHOLD"].status == "pass"


def _facts(*candidates, expected=10, present=9, seats=2):
    e = ElectionRow(
        1, dt.date(2026, 5, 1), expected, present, seats, False, present, present, tuple(candidates)
    )
    return OrgFacts(
        ref=OrgRef(1, "A1", "甲一支部", "zhibu", "1/", ""), extra={"elections": ElectionFacts((), (e,))}
    )


WINDOW = Window(2026, dt.date(2026, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_threshold_check_reads_its_basis():
    rules = {r.id: r for r in load_ruleset(V4).rules}
    p = rules["ELECT-THRESHOLD"].typed_params
    facts = _facts(CandidateRow(1, "甲", 5, None, True, True), CandidateRow(2, "乙", 6, None, True, True))
    out = election_threshold(facts, WINDOW, p)  # 5 is exactly half of 10 expected
    assert out.status == "fail" and out.missing == ["甲"]
    present = p.model_copy(update={"basis": "present"})
    assert election_threshold(facts, WINDOW, present).status == "pass"  # 5 > 4.5


def test_margin_check_exact_edge():
    p = {r.id: r for r in load_ruleset(V4).rules}["ELECT-MARGIN"].typed_params
    five = [CandidateRow(i, str(i), 9, None, True, False) for i in range(6)]
    assert election_margin(_facts(*five, seats=5), WINDOW, p).status == "pass"  # 6 = 5 × 1.2
    assert election_margin(_facts(*five[:5], seats=5), WINDOW, p).status == "fail"
    not_formal = [*five[:5], CandidateRow(9, "预选未过", None, 3, False, False)]
    assert election_margin(_facts(*not_formal, seats=5), WINDOW, p).status == "fail"


@pytest.mark.parametrize("n_elections", [1, 3])
def test_fact_loader_fixed_queries(tree, a1_voters, make_member, n_elections):
    for i in range(n_elections):
        record_election(
            actor=None,
            org=tree.a1,
            held_on=dt.date(2026, 3 + i, 1),
            form="assembly",
            present=10,
            seats=3,
            ballots_issued=10,
            ballots_returned=10,
            candidates=cands(a1_voters, (9, 8, 7, 1)),
        )
    orgs = list(Org.objects.all())
    with CaptureQueriesContext(connection) as ctx:
        facts = load_election_facts(Org.objects.values("pk"), orgs, 2026, dt.date(2026, 12, 31))
    # the approvals to postpone or advance, the year's elections with their candidates, those awaiting approval
    assert len(ctx.captured_queries) == 3
    assert len(facts[tree.a1.pk].elections) == n_elections
    assert len(facts[tree.a1.pk].elections[0].candidates) == 4
