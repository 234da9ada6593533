"""党费 rules (DUES-*, rulebook version 2) on hand-built facts (no database)."""

from decimal import Decimal

import pytest

from dangjian.compliance.evaluator import run_check
from dangjian.compliance.periods import clamp_as_of, window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.builders import D, facts
from dangjian.dues.facts import DuesBaseRow, DuesFacts, DuesMember, DuesPaymentRow, DuesReliefRow

Y = 2026
LONG_AGO = D(2010, 1, 1)
BASE = DuesBaseRow(Y, D(Y, 1, 1), "active", Decimal("4000.00"))  # 1% → 40.00 a month


def person(pk=1, name="党员甲", joined_on=LONG_AGO, bases=(BASE,), payments=(), reliefs=(), reviewed=None):
    return DuesMember(pk, name, joined_on, tuple(bases), tuple(reliefs), tuple(payments), reviewed)


def paid(first, last=None, amount="40.00"):
    return DuesPaymentRow(first, last or first, Decimal(amount))


def monthly(first_month, last_month, year=Y, amount="40.00"):
    return [paid(D(year, m, 1), amount=amount) for m in range(first_month, last_month + 1)]


def check(rule_id, members, *, as_of, day=None, **org):
    org_facts = facts(extra={"dues": DuesFacts(day, tuple(members))}, **org)
    as_of = clamp_as_of(Y, as_of)
    window = window_for(Y, as_of, org_facts.founded_on, org_facts.dissolved_on)
    return run_check(load_ruleset(2).rule(rule_id), org_facts, window)


# --- the rules --------------------------------------------------------------------------------------


def test_version_2_is_version_1_and_three_dues_rules():
    v1, v2 = load_ruleset(1), load_ruleset(2)
    assert v2.rules[:17] == v1.rules
    assert [r.id for r in v2.rules[17:]] == ["DUES-BASE-DECLARED", "DUES-PAID-MONTHLY", "DUES-ARREARS-CASE"]
    for rule in v2.rules[17:]:
        assert (rule.clause, rule.applies_to, rule.severity) == ("（十二）", ["zhibu"], "required")
        assert "FEE-" in rule.basis


# --- DUES-BASE-DECLARED -----------------------------------------------------------------------------


def test_base_declared_passes_when_every_member_has_a_base():
    outcome = check("DUES-BASE-DECLARED", [person(), person(2, "党员乙")], as_of=D(Y, 6, 30))
    assert outcome.status == "pass"


def test_base_declared_lists_the_months_without_a_base():
    late = person(2, "党员乙", bases=[DuesBaseRow(Y, D(Y, 4, 1), "active", Decimal("3000"))])
    outcome = check("DUES-BASE-DECLARED", [person(), late], as_of=D(Y, 6, 30))
    assert (outcome.status, outcome.missing) == ("fail", [f"{Y}-01", f"{Y}-02", f"{Y}-03"])
    assert "党员乙" in outcome.message and "党员甲" not in outcome.message


def test_base_of_the_previous_year_does_not_count():
    old = person(bases=[DuesBaseRow(Y - 1, D(Y - 1, 1, 1), "active", Decimal("3000"))])
    outcome = check("DUES-BASE-DECLARED", [old], as_of=D(Y, 2, 10))
    assert (outcome.status, outcome.missing) == ("fail", [f"{Y}-01", f"{Y}-02"])


def test_base_needed_only_from_the_month_of_joining():
    joined = person(joined_on=D(Y, 5, 20), bases=[DuesBaseRow(Y, D(Y, 5, 1), "active", Decimal("3000"))])
    assert check("DUES-BASE-DECLARED", [joined], as_of=D(Y, 6, 30)).status == "pass"


@pytest.mark.parametrize(
    "base",
    [
        DuesBaseRow(Y, D(Y, 1, 1), "active", None),  # a bracket category needs a base
        DuesBaseRow(Y, D(Y, 1, 1), "other", None, None),  # 其他 needs an amount
    ],
)
def test_a_base_without_an_amount_is_not_declared(base):
    assert check("DUES-BASE-DECLARED", [person(bases=[base])], as_of=D(Y, 1, 31)).status == "fail"


def test_flat_and_fixed_categories_are_declared():
    members = [
        person(1, bases=[DuesBaseRow(Y, D(Y, 1, 1), "student")]),
        person(2, bases=[DuesBaseRow(Y, D(Y, 1, 1), "other", None, Decimal("5"))]),
    ]
    assert check("DUES-BASE-DECLARED", members, as_of=D(Y, 3, 31)).status == "pass"


def test_base_declared_not_applicable_once_dissolved():
    outcome = check("DUES-BASE-DECLARED", [person(bases=())], as_of=D(Y, 6, 30), dissolved_on=D(Y, 6, 1))
    assert outcome.status == "not_applicable"


# --- DUES-PAID-MONTHLY ------------------------------------------------------------------------------


def test_paid_monthly_passes_when_every_overdue_month_is_paid():
    outcome = check("DUES-PAID-MONTHLY", [person(payments=monthly(1, 5))], as_of=D(Y, 6, 30))
    assert outcome.status == "pass"  # June is not overdue on its last day


def test_a_month_counts_once_complete_and_past_the_collection_day():
    member = person(payments=monthly(1, 5))
    assert check("DUES-PAID-MONTHLY", [member], as_of=D(Y, 6, 30)).status == "pass"  # due on the 30th
    outcome = check("DUES-PAID-MONTHLY", [member], as_of=D(Y, 6, 30), day=15)
    assert (outcome.status, outcome.missing) == ("fail", [f"{Y}-06"])
    # overdue from 16 June, but June is required only once it lies entirely inside the window
    assert check("DUES-PAID-MONTHLY", [member], as_of=D(Y, 6, 16), day=15).status == "pass"


def test_paid_monthly_lists_months_with_any_unpaid_or_partial_member():
    a = person(payments=monthly(1, 3))
    b = person(2, "党员乙", payments=[*monthly(1, 1), paid(D(Y, 2, 1), amount="39.99"), *monthly(3, 3)])
    outcome = check("DUES-PAID-MONTHLY", [a, b], as_of=D(Y, 4, 30))
    assert (outcome.status, outcome.missing) == ("fail", [f"{Y}-02"])


def test_range_payment_is_allocated_in_order_each_month_up_to_its_due():
    member = person(payments=[paid(D(Y, 1, 1), D(Y, 3, 1), "100.00")])  # 40 + 40 + 20
    outcome = check("DUES-PAID-MONTHLY", [member], as_of=D(Y, 4, 30))
    assert (outcome.status, outcome.missing) == ("fail", [f"{Y}-03"])


def test_over_payment_does_not_spill_into_other_months():
    member = person(payments=[paid(D(Y, 1, 1), amount="80.00")])
    outcome = check("DUES-PAID-MONTHLY", [member], as_of=D(Y, 3, 1))
    assert outcome.missing == [f"{Y}-02"]


def test_base_change_mid_year_changes_the_due():
    raised = DuesBaseRow(Y, D(Y, 3, 1), "active", Decimal("5000.01"))  # 1.5% → 75.00
    member = person(bases=[BASE, raised], payments=[*monthly(1, 2), paid(D(Y, 3, 1))])
    outcome = check("DUES-PAID-MONTHLY", [member], as_of=D(Y, 4, 1))
    assert outcome.missing == [f"{Y}-03"]


def test_exempt_months_and_months_before_joining_need_nothing():
    exempt = person(reliefs=[DuesReliefRow("exempt", D(Y, 1, 1), D(Y, 2, 1))], payments=monthly(3, 3))
    reduced = person(
        2,
        reliefs=[DuesReliefRow("reduce", D(Y, 1, 1), D(Y, 3, 1), Decimal("1.00"))],
        payments=monthly(1, 3, amount="1.00"),
    )
    newcomer = person(3, joined_on=D(Y, 3, 10), payments=monthly(3, 3))
    assert check("DUES-PAID-MONTHLY", [exempt, reduced, newcomer], as_of=D(Y, 4, 1)).status == "pass"


def test_paid_monthly_pending_while_no_month_is_overdue():
    assert check("DUES-PAID-MONTHLY", [person()], as_of=D(Y, 1, 31)).status == "pending"


def test_a_month_partly_outside_the_window_is_not_required():
    outcome = check("DUES-PAID-MONTHLY", [person()], as_of=D(Y, 3, 31), founded_on=D(Y, 1, 2))
    assert outcome.missing == [f"{Y}-02"]


# --- DUES-ARREARS-CASE ------------------------------------------------------------------------------


def previous_year_paid():
    return monthly(1, 12, year=Y - 1)


PREV = DuesBaseRow(Y - 1, D(Y - 1, 1, 1), "active", Decimal("4000.00"))


def test_five_unpaid_months_are_not_a_case():
    member = person(bases=[PREV, BASE], payments=previous_year_paid())
    assert check("DUES-ARREARS-CASE", [member], as_of=D(Y, 6, 30)).status == "pass"  # Jan–May


def test_six_unpaid_overdue_months_without_a_review_fail():
    member = person(bases=[PREV, BASE], payments=previous_year_paid())
    outcome = check("DUES-ARREARS-CASE", [member], as_of=D(Y, 7, 1))
    assert (outcome.status, outcome.missing) == ("fail", [f"{Y}-01~{Y}-06"])
    assert "党员甲" in outcome.message


def test_the_run_depends_on_the_collection_day():
    member = person(bases=[PREV, BASE], payments=previous_year_paid())
    assert check("DUES-ARREARS-CASE", [member], as_of=D(Y, 6, 20), day=20).status == "pass"
    assert check("DUES-ARREARS-CASE", [member], as_of=D(Y, 6, 21), day=20).status == "fail"


def test_a_run_across_the_new_year_counts():
    member = person(bases=[PREV, BASE], payments=monthly(1, 9, year=Y - 1))  # Oct Y-1 … Mar Y unpaid
    outcome = check("DUES-ARREARS-CASE", [member], as_of=D(Y, 4, 1))
    assert outcome.missing == [f"{Y - 1}-10~{Y}-03"]


def test_a_review_through_the_last_month_of_the_run_covers_it():
    covered = person(bases=[PREV, BASE], payments=previous_year_paid(), reviewed=D(Y, 6, 1))
    assert check("DUES-ARREARS-CASE", [covered], as_of=D(Y, 7, 1)).status == "pass"
    stale = covered._replace(reviewed_through=D(Y, 5, 1))
    assert check("DUES-ARREARS-CASE", [stale], as_of=D(Y, 7, 1)).status == "fail"


def test_a_paid_month_ends_the_run():
    member = person(bases=[PREV, BASE], payments=[*previous_year_paid(), paid(D(Y, 3, 1))])
    assert check("DUES-ARREARS-CASE", [member], as_of=D(Y, 7, 1)).status == "pass"  # Apr–Jun: 3


def test_missing_dues_facts_fail_closed():
    org_facts = facts()
    window = window_for(Y, D(Y, 6, 30), org_facts.founded_on, None)
    outcome = run_check(load_ruleset(2).rule("DUES-PAID-MONTHLY"), org_facts, window)
    assert outcome.status == "fail"
