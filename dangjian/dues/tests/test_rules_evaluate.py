"""党费 rules (DUES-*) evaluated from the database: facts built from the dues records, consistent with the
ledger (dangjian.dues.ledger)."""

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.compliance.evaluator import evaluate
from dangjian.dues.ledger import arrears
from dangjian.dues.models import ArrearsReview, CollectionDay, DuesBase, DuesPayment, DuesRelief
from dangjian.members.models import Member
from dangjian.orgs.models import Org

Y = 2025
D = dt.date


def base(member, year=Y, month=1, amount="4000.00", category="active"):
    return DuesBase.objects.create(
        member=member,
        year=year,
        category=category,
        monthly_base=Decimal(amount),
        effective_month=D(year, month, 1),
    )


def pay(member, first, last=None, amount="40.00", **extra):
    return DuesPayment.objects.create(
        member=member,
        first_month=first,
        last_month=last or first,
        amount=Decimal(amount),
        paid_on=extra.pop("paid_on", first),
        method="transfer",
        **extra,
    )


@pytest.fixture
def dues(branch):
    """Every member of A1 (and its 党小组) declared at 4000 (40.00 a month) for Y-1 and Y, all paid through
    Y-1; in Y: January–March paid by everyone by a range payment."""
    people = [branch[k] for k in ("书记", "组织", "宣传", "小组", "预备")]
    for m in people:
        base(m, Y - 1)
        base(m, Y)
        pay(m, D(Y - 1, 1, 1), D(Y - 1, 12, 1), "480.00", paid_on=D(Y - 1, 12, 1))
        pay(m, D(Y, 1, 1), D(Y, 3, 1), "120.00", paid_on=D(Y, 1, 10))
    return people


def statuses(as_of, org):
    ev = evaluate(Org.objects.all(), year=Y, as_of=as_of)
    return {r.rule.id: r for r in ev.for_org(org.pk) if r.rule.id.startswith("DUES-")}


def test_all_paid_and_declared(tree, dues):
    got = statuses(D(Y, 4, 30), tree.a1)  # April is due on its last day: overdue from 1 May
    assert {k: r.status for k, r in got.items()} == {
        "DUES-BASE-DECLARED": "pass",
        "DUES-PAID-MONTHLY": "pass",
        "DUES-ARREARS-CASE": "pass",
    }
    assert got["DUES-PAID-MONTHLY"].to_json()["clause"] == "（十二）"


def test_unpaid_month_of_a_group_member_fails_the_branch(tree, dues, branch):
    for m in dues:
        if m != branch["小组"]:
            pay(m, D(Y, 4, 1))
    got = statuses(D(Y, 5, 1), tree.a1)["DUES-PAID-MONTHLY"]
    assert (got.status, got.missing) == ("fail", [f"{Y}-04"])
    assert "1人" in got.message


def test_collection_day_makes_a_month_overdue_earlier(tree, dues):
    CollectionDay.objects.create(org=tree.a1, day=10)
    for m in dues:
        pay(m, D(Y, 4, 1))
    assert statuses(D(Y, 5, 31), tree.a1)["DUES-PAID-MONTHLY"].missing == [f"{Y}-05"]
    CollectionDay.objects.all().delete()
    assert statuses(D(Y, 5, 31), tree.a1)["DUES-PAID-MONTHLY"].status == "pass"


def test_exemption_and_extra_payments(tree, dues, branch):
    for m in dues:
        if m != branch["书记"]:
            pay(m, D(Y, 4, 1))
    DuesRelief.objects.create(
        member=branch["书记"],
        kind="exempt",
        start_month=D(Y, 4, 1),
        end_month=D(Y, 4, 1),
        approved_by=tree.a,
        approved_on=D(Y, 3, 1),
    )
    pay(branch["组织"], D(Y, 5, 1), amount="1000.00", is_extra=True)  # kept apart: May is still unpaid
    got = statuses(D(Y, 6, 1), tree.a1)["DUES-PAID-MONTHLY"]
    assert got.missing == [f"{Y}-05"]


def test_member_without_a_base(tree, dues, make_member):
    newcomer = make_member(
        tree.a1, name="新党员", joined_on=D(Y, 3, 5), confirmed_on=None, category="probationary"
    )
    got = statuses(D(Y, 4, 30), tree.a1)["DUES-BASE-DECLARED"]
    assert (got.status, got.missing) == ("fail", [f"{Y}-03", f"{Y}-04"])
    assert "新党员" in got.message
    base(newcomer, Y, 3, "2000.00")
    assert statuses(D(Y, 4, 30), tree.a1)["DUES-BASE-DECLARED"].status == "pass"


def test_arrears_case_needs_a_review_and_agrees_with_the_ledger(tree, dues, branch):
    for m in dues:
        if m != branch["宣传"]:
            pay(m, D(Y, 4, 1), D(Y, 9, 1), "240.00")
    as_of = D(Y, 10, 1)  # 宣传丙: April–September unpaid, overdue
    rows = arrears(Member.objects.filter(org__in=[tree.a1, tree.a1g1]), as_of)
    assert [(r.member_name, r.consecutive, r.level) for r in rows] == [("宣传丙", 6, "case")]
    got = statuses(as_of, tree.a1)["DUES-ARREARS-CASE"]
    assert (got.status, got.missing) == ("fail", [f"{Y}-04~{Y}-09"])
    ArrearsReview.objects.create(
        member=branch["宣传"],
        reviewed_on=D(Y, 9, 30),
        through_month=D(Y, 9, 1),
        decision="contact",
        reason="联系中",
    )
    assert statuses(as_of, tree.a1)["DUES-ARREARS-CASE"].status == "pass"
    # a review dated after D does not count for D
    ArrearsReview.objects.all().update(reviewed_on=D(Y, 10, 2))
    assert statuses(as_of, tree.a1)["DUES-ARREARS-CASE"].status == "fail"


def test_dues_rules_apply_to_branches_only(tree, dues):
    ev = evaluate(Org.objects.all(), year=Y, as_of=D(Y, 12, 31))
    orgs = {r.org.code for r in ev.results if r.rule.id.startswith("DUES-")}
    assert orgs == {"A1", "A2", "B1"}


def test_version_1_still_evaluates_without_dues_rules(tree, dues):
    from dangjian.compliance.rulebook import load_ruleset

    ev = evaluate(Org.objects.all(), year=Y, as_of=D(Y, 12, 31), ruleset=load_ruleset(1))
    assert ev.ruleset.version == 1
    assert not [r for r in ev.results if r.rule.id.startswith("DUES-")]
