"""DUES-ARREARS-CASE in v5 (`runs: all`) looks at every unreviewed run of 6 or more unpaid overdue months, not
only the latest one; v4 (`runs: latest`) keeps its published behaviour. Hand-built facts, both versions side by
side at the edges, then the database (the evaluation, the arrears page's rows and `dangjian dues arrears`)."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.compliance.evaluator import evaluate, run_check
from dangjian.compliance.periods import clamp_as_of, window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.builders import D, facts
from dangjian.dues.facts import DuesBaseRow, DuesFacts, DuesMember, DuesPaymentRow
from dangjian.dues.ledger import arrears
from dangjian.dues.models import ArrearsReview, DuesBase, DuesPayment
from dangjian.dues.rules import ArrearsCaseParams, case_runs
from dangjian.members.models import Member
from dangjian.orgs.models import Org

Y = 2026
PREV = DuesBaseRow(Y - 1, D(Y - 1, 1, 1), "active", Decimal("4000.00"))  # 40.00 a month
BASE = DuesBaseRow(Y, D(Y, 1, 1), "active", Decimal("4000.00"))


def paid(year, *months):
    return [DuesPaymentRow(D(year, m, 1), D(year, m, 1), Decimal("40.00")) for m in months]


def person(payments, reviewed=None, pk=1, name="党员甲"):
    return DuesMember(pk, name, D(2010, 1, 1), (PREV, BASE), (), tuple(payments), reviewed)


def check(version, members, as_of):
    org_facts = facts(extra={"dues": DuesFacts(None, tuple(members))})
    as_of = clamp_as_of(Y, as_of)
    window = window_for(Y, as_of, org_facts.founded_on, org_facts.dissolved_on)
    return run_check(load_ruleset(version).rule("DUES-ARREARS-CASE"), org_facts, window)


def both(members, as_of):
    """(v4 status, v4 missing), (v5 status, v5 missing)"""
    return tuple((o.status, o.missing) for o in (check(4, members, as_of), check(5, members, as_of)))


# January–July unpaid, August paid, September unpaid: the latest run is September alone.
MISSED_JAN_JUL = paid(Y - 1, *range(1, 13)) + paid(Y, 8)


def test_the_rulebooks_set_the_parameter():
    assert load_ruleset(4).rule("DUES-ARREARS-CASE").typed_params.runs == "latest"
    v5 = load_ruleset(5).rule("DUES-ARREARS-CASE")
    assert (v5.typed_params.case_months, v5.typed_params.runs) == (6, "all")
    assert "每一段" in v5.note
    assert ArrearsCaseParams(case_months=6).runs == "latest"  # the default keeps v2–v4 as published


def test_an_earlier_run_paid_after_is_still_a_case_in_v5_only():
    member = person(MISSED_JAN_JUL)
    v4, v5 = both([member], D(Y, 10, 1))  # September overdue on 1 October: the latest run is 1 month
    assert v4 == ("pass", [])
    assert v5 == ("fail", [f"{Y}-01~{Y}-07"])
    assert "党员甲（2026-01至2026-07，连续7个月）" in check(5, [member], D(Y, 10, 1)).message


def test_without_a_later_run_both_versions_see_the_case():
    # January–July unpaid, August and September paid: the latest run is January–July itself
    member = person(paid(Y - 1, *range(1, 13)) + paid(Y, 8, 9))
    assert both([member], D(Y, 10, 1)) == (("fail", [f"{Y}-01~{Y}-07"]), ("fail", [f"{Y}-01~{Y}-07"]))


def test_the_edge_five_months_is_no_case_six_is():
    five = person(paid(Y - 1, *range(1, 13)) + paid(Y, 6))  # Jan–May unpaid, June paid, July unpaid
    six = person(paid(Y - 1, *range(1, 13)) + paid(Y, 7))  # Jan–Jun unpaid, July paid, August unpaid
    assert both([five], D(Y, 8, 1)) == (("pass", []), ("pass", []))
    assert both([six], D(Y, 9, 1)) == (("pass", []), ("fail", [f"{Y}-01~{Y}-06"]))


def test_a_review_through_the_runs_last_month_covers_it():
    covered = person(MISSED_JAN_JUL, reviewed=D(Y, 7, 1))
    assert both([covered], D(Y, 10, 1)) == (("pass", []), ("pass", []))
    message = check(5, [covered], D(Y, 10, 1)).message
    assert "1名党员均已经支部审查" in message
    short = covered._replace(reviewed_through=D(Y, 6, 1))  # one month short of the run
    assert both([short], D(Y, 10, 1)) == (("pass", []), ("fail", [f"{Y}-01~{Y}-07"]))


def test_every_unreviewed_run_is_listed_and_one_review_covers_those_before_it():
    # Y-1: February–September unpaid (8); Y: January–June unpaid (6), July paid, August unpaid
    payments = paid(Y - 1, 1, 10, 11, 12) + paid(Y, 7)
    member = person(payments)
    v4, v5 = both([member], D(Y, 9, 1))
    assert v4 == ("pass", [])
    assert v5 == ("fail", [f"{Y - 1}-02~{Y - 1}-09", f"{Y}-01~{Y}-06"])
    outcome = check(
        5, [member, person(paid(Y - 1, *range(1, 13)) + paid(Y, 7), pk=2, name="党员乙")], D(Y, 9, 1)
    )
    assert outcome.message.startswith("2名党员连续6个月以上未交纳党费")  # members, not runs, are counted
    # a review of the first run leaves the second one open; a review through June covers both
    first_only = member._replace(reviewed_through=D(Y - 1, 9, 1))
    assert both([first_only], D(Y, 9, 1)) == (("pass", []), ("fail", [f"{Y}-01~{Y}-06"]))
    all_runs = member._replace(reviewed_through=D(Y, 6, 1))
    assert both([all_runs], D(Y, 9, 1)) == (("pass", []), ("pass", []))


def test_an_ongoing_run_needs_a_review_reaching_its_last_overdue_month_in_both():
    member = person(paid(Y - 1, *range(1, 13)), reviewed=D(Y, 6, 1))  # Jan–Aug unpaid on 1 September
    assert both([member], D(Y, 9, 1)) == (("fail", [f"{Y}-01~{Y}-08"]), ("fail", [f"{Y}-01~{Y}-08"]))


def test_a_run_settled_later_is_no_longer_a_case():
    settled = [*paid(Y - 1, *range(1, 13)), DuesPaymentRow(D(Y, 1, 1), D(Y, 7, 1), Decimal("280.00"))]
    assert both([person(settled + paid(Y, 8))], D(Y, 10, 1)) == (("pass", []), ("pass", []))


def test_case_runs_follows_the_parameter():
    code = "uuuuuuup" + "uuuuuup" + "u"
    first = 0
    latest = ArrearsCaseParams(case_months=6)
    every = ArrearsCaseParams(case_months=6, runs="all")
    assert case_runs(code, first, len(code) - 1, latest) == []
    assert case_runs(code, first, len(code) - 1, every) == [(7, 6), (6, 13)]


# --- the database ---------------------------------------------------------------------------------------------


def _declare_and_pay(member, unpaid_months):
    for year in (Y - 1, Y):
        DuesBase.objects.create(
            member=member,
            year=year,
            category="active",
            monthly_base=Decimal("4000.00"),
            effective_month=dt.date(year, 1, 1),
        )
    for year in (Y - 1, Y):
        for month in range(1, 13):
            if (year, month) not in unpaid_months and dt.date(year, month, 1) < dt.date(Y, 10, 1):
                DuesPayment.objects.create(
                    member=member,
                    first_month=dt.date(year, month, 1),
                    last_month=dt.date(year, month, 1),
                    amount=Decimal("40.00"),
                    paid_on=dt.date(year, month, 1),
                    method="cash",
                )


@pytest.fixture
def case(tree, make_member):
    """A member of A1 who missed January–July of Y, paid August and missed September: the evaluation, the
    arrears page's rows and the command, on 1 October."""
    member = make_member(tree.a1, name="欠缴甲")
    _declare_and_pay(member, {(Y, m) for m in (1, 2, 3, 4, 5, 6, 7, 9)})
    return member


def _status(version, org, as_of):
    ev = evaluate(Org.objects.filter(pk=org.pk), year=Y, as_of=as_of, ruleset=load_ruleset(version))
    result = next(r for r in ev.for_org(org.pk) if r.rule.id == "DUES-ARREARS-CASE")
    return result.status, result.missing


@pytest.mark.django_db
def test_database_v4_and_v5_side_by_side_and_the_review_that_closes_it(tree, case):
    as_of = dt.date(Y, 10, 1)
    assert _status(4, tree.a1, as_of) == ("pass", [])
    assert _status(5, tree.a1, as_of) == ("fail", [f"{Y}-01~{Y}-07"])
    ArrearsReview.objects.create(
        member=case,
        reviewed_on=dt.date(Y, 9, 20),
        through_month=dt.date(Y, 8, 1),
        decision="contact",
        reason="联系中",
    )
    assert _status(5, tree.a1, as_of) == ("pass", [])


@pytest.mark.django_db
def test_the_arrears_rows_derive_cases_as_the_latest_rulebook(tree, case):
    as_of = dt.date(Y, 10, 1)
    (row,) = arrears(Member.objects.filter(pk=case.pk), as_of)
    assert row.consecutive == 1  # the latest run: September
    assert row.case_runs == [f"{Y}-01~{Y}-07"]
    assert row.unreviewed_runs == [f"{Y}-01~{Y}-07"]
    assert row.level == "case"
    ArrearsReview.objects.create(
        member=case,
        reviewed_on=dt.date(Y, 9, 20),
        through_month=dt.date(Y, 8, 1),
        decision="contact",
        reason="联系中",
    )
    (row,) = arrears(Member.objects.filter(pk=case.pk), as_of)
    assert (row.case_runs, row.unreviewed_runs, row.level) == ([f"{Y}-01~{Y}-07"], [], "reviewed")
    # a review dated after the day asked for does not count on that day
    (row,) = arrears(Member.objects.filter(pk=case.pk), dt.date(Y, 9, 19))
    assert row.level == "case"


@pytest.mark.django_db
def test_the_command_lists_the_unreviewed_runs(tree, case):
    out = StringIO()
    call_command("dues", "arrears", "--as-of", f"{Y}-10-01", "--org", "A1", "--format", "json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["consecutive"] == 1
    assert (row["case_runs"], row["unreviewed_runs"], row["level"]) == (
        [f"{Y}-01~{Y}-07"],
        [f"{Y}-01~{Y}-07"],
        "case",
    )


@pytest.mark.django_db
def test_the_arrears_page_shows_the_unreviewed_run_and_then_the_review(client, users, tree, make_member):
    """On today's page: a member who missed 8 months up to 10 months ago and paid since, except last month."""
    today = dt.date.today()
    month = today.replace(day=1)
    member = make_member(tree.a1, name="欠缴乙")
    for year in (today.year - 1, today.year):
        DuesBase.objects.create(
            member=member,
            year=year,
            category="active",
            monthly_base=Decimal("4000.00"),
            effective_month=dt.date(year, 1, 1),
        )

    def add(m, n):
        index = m.year * 12 + m.month - 1 + n
        return dt.date(index // 12, index % 12 + 1, 1)

    run_first, run_last = add(month, -10), add(month, -3)  # 8 months unpaid
    start = dt.date(today.year - 1, 1, 1)
    m = start
    while m < add(month, -1):  # everything else paid up to two months ago; last month unpaid
        if not run_first <= m <= run_last:
            DuesPayment.objects.create(
                member=member, first_month=m, last_month=m, amount=Decimal("40.00"), paid_on=m, method="cash"
            )
        m = add(m, 1)
    client.force_login(users["branch_a1"])
    response = client.get(reverse("dues:arrears"))
    item = next(i for i in response.context["items"] if i.row.member_id == member.pk)
    assert (item.row.level, item.row.consecutive) == ("case", 1)
    label = f"{run_first:%Y-%m}~{run_last:%Y-%m}"
    assert item.row.unreviewed_runs == [label]
    assert label in response.content.decode() and item.form is not None
    from dangjian.dues.models import ArrearsReview
    from dangjian.meetings.tests.test_double_submit import token_of

    review = {
        "member": member.pk,
        "reviewed_on": today.isoformat(),
        "through_month": f"{run_last:%Y-%m}",
        "decision": "justified",
        "reason": "长期病休，已补交",
        "once_token": token_of(response.content.decode()),  # the review form carries its one-time token
    }
    response = client.post(reverse("dues:arrears"), review)
    assert response.status_code == 302
    assert client.post(reverse("dues:arrears"), review).status_code == 409  # sent again: recorded once
    assert ArrearsReview.objects.filter(member=member).count() == 1
    response = client.get(reverse("dues:arrears"))
    item = next(i for i in response.context["items"] if i.row.member_id == member.pk)
    assert (item.row.level, item.row.unreviewed_runs) == ("reviewed", [])
    assert "已审查" in response.content.decode()


@settings(max_examples=300, deadline=None)
@given(
    code=st.text(alphabet="-xpqueo", min_size=0, max_size=30),
    first=st.integers(min_value=24000, max_value=24400),
    months=st.integers(min_value=0, max_value=30),
)
def test_the_runs_are_those_of_the_kernel_for_every_ledger(code, first, months):
    """runs_of reads the runs of unpaid codes with a regular expression: the same runs as the kernel's
    unpaid_runs over the months' flags (the arrears pages use that one), and a ledger too short fails."""
    from dangjian.dues.kernel import UNPAID_CODES, unpaid_runs
    from dangjian.dues.rules import runs_of

    until = first + months - 1
    if months > len(code):
        with pytest.raises(IndexError):
            runs_of(code, first, until)
        return
    flags = [code[i] in UNPAID_CODES for i in range(months)]
    expected = [(length, first + start + length - 1) for start, length in unpaid_runs(flags)]
    assert runs_of(code, first, until) == expected
