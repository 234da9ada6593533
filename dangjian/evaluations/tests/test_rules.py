"""EVAL-REVIEW-ANNUAL and EVAL-EXCELLENT-CAP (rulebook v6) over evaluations run through the services, dated in
last year so that every step has a fixed day: pending, failing at the year's end, passing from the completion
day; the 优秀 share of the grades kept; the 待办; the evidence read through the viewer's scope."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.compliance.evaluator import evaluate, todo
from dangjian.compliance.rulebook import load_ruleset
from dangjian.evaluations import services
from dangjian.evaluations.models import Participant
from dangjian.evaluations.rules import resolve_evaluations
from dangjian.evaluations.tests.conftest import paper_vote
from dangjian.orgs.models import Org

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def y(today) -> int:
    """The year of these tests: last year, so that every step has a fixed day in the past."""
    return today.year - 1


def result(y, org, rule_id: str, as_of: dt.date):
    found = evaluate(Org.objects.filter(pk=org.pk), year=y, as_of=as_of).results
    return next(r for r in found if r.rule.id == rule_id)


def run_to(ev, step: str, actor, on: dt.date):
    from dangjian.evaluations.choices import STEP_ORDER

    ev.refresh_from_db()
    while STEP_ORDER.index(ev.step) < STEP_ORDER.index(step):
        ev = services.advance_step(actor=actor, evaluation=ev, on=on, confirm_gaps=True)
    return ev


def graded(y, branch, excellent: int = 3):
    """甲一's evaluation of `y`: opened 1 March, 测评 on paper in April (closed 1 May), graded 10 May (nine 正式党员,
    `excellent` of them 优秀), 公示 from 11 May, completed 1 June."""
    ev = services.open_evaluation(
        actor=branch.admin, org=branch.org, year=y, opened_on=D(y, 3, 1), organ="assembly"
    )
    paper_vote(run_to(ev, "voting", branch.admin, D(y, 4, 1)), branch.admin)
    ev = run_to(ev, "grading", branch.admin, D(y, 5, 1))
    grades = {}
    for p in ev.participants.order_by("pk"):
        if p.formal:
            grades[p.pk] = "excellent" if excellent > 0 else "qualified"
            excellent -= 1
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades, on=D(y, 5, 10))
    ev = run_to(ev, "publicity", branch.admin, D(y, 5, 11))
    return run_to(ev, "done", branch.admin, D(y, 6, 1))


def test_the_rules_are_in_the_latest_rulebook():
    rules = {rule.id: rule for rule in load_ruleset().rules}
    assert rules["EVAL-REVIEW-ANNUAL"].check == "evaluation_annual"
    assert rules["EVAL-EXCELLENT-CAP"].params == {"numerator": 1, "denominator": 3}
    assert "MTG-MEMBER-REVIEW-ANNUAL" in rules  # the meeting rule stays beside them


def test_a_branch_without_an_evaluation_is_pending_then_fails_at_the_years_end(branch, y):
    pending = result(y, branch.org, "EVAL-REVIEW-ANNUAL", D(y, 6, 30))
    assert pending.status == "pending" and "尚未在平台上开展民主评议党员" in str(pending.message)
    failed = result(y, branch.org, "EVAL-REVIEW-ANNUAL", D(y, 12, 31))
    assert failed.status == "fail" and failed.missing == [str(y)]
    assert result(y, branch.org, "EVAL-EXCELLENT-CAP", D(y, 12, 31)).status == "not_applicable"
    due = [
        i
        for i in todo(Org.objects.filter(pk=branch.org.pk), on=D(y, 6, 30))
        if i.rule.id == "EVAL-REVIEW-ANNUAL"
    ]
    assert [(i.period, i.due_by) for i in due] == [(str(y), D(y, 12, 31))]


def test_an_open_evaluation_is_pending_at_its_step_and_no_second_todo(branch, y):
    ev = services.open_evaluation(
        actor=branch.admin, org=branch.org, year=y, opened_on=D(y, 3, 1), organ="assembly"
    )
    run_to(ev, "voting", branch.admin, D(y, 4, 1))
    pending = result(y, branch.org, "EVAL-REVIEW-ANNUAL", D(y, 6, 30))
    assert pending.status == "pending" and "民主测评" in str(pending.message)
    assert [(ref.kind, ref.id) for ref in pending.evidence] == [("evaluation", ev.pk)]
    assert "EVAL-REVIEW-ANNUAL" not in {
        i.rule.id for i in todo(Org.objects.filter(pk=branch.org.pk), on=D(y, 6, 30))
    }
    assert result(y, branch.org, "EVAL-REVIEW-ANNUAL", D(y, 12, 31)).status == "fail"
    # as of a day before it was opened, there was none
    assert "尚未在平台上开展" in str(result(y, branch.org, "EVAL-REVIEW-ANNUAL", D(y, 2, 1)).message)


def test_a_completed_evaluation_passes_from_its_completion_day(branch, y):
    ev = graded(y, branch)
    assert result(y, branch.org, "EVAL-REVIEW-ANNUAL", D(y, 5, 31)).status == "pending"
    passed = result(y, branch.org, "EVAL-REVIEW-ANNUAL", D(y, 12, 31))
    assert passed.status == "pass" and "评定9名党员" in str(passed.message)
    assert [(ref.kind, ref.id) for ref in passed.evidence] == [("evaluation", ev.pk)]
    assert (
        result(y, branch.org, "EVAL-EXCELLENT-CAP", D(y, 5, 9)).status == "not_applicable"
    )  # not graded yet
    cap = result(y, branch.org, "EVAL-EXCELLENT-CAP", D(y, 5, 10))
    assert cap.status == "pass" and "优秀3名" in str(cap.message)  # exactly one third


def test_the_cap_fails_on_grades_above_one_third_kept(branch, y):
    ev = graded(y, branch)
    # grades given under other parameters (the page refuses a fourth 优秀 with the published ones)
    Participant.objects.filter(
        pk=ev.participants.filter(grade="qualified").order_by("pk").values("pk")[:1]
    ).update(grade="excellent")
    cap = result(y, branch.org, "EVAL-EXCELLENT-CAP", D(y, 12, 31))
    assert cap.status == "fail" and cap.missing == [str(y)]
    assert "优秀4名" in str(cap.message) and "至多3名" in str(cap.message)


def test_the_evidence_is_read_through_the_viewers_scope(branch, y):
    ev = graded(y, branch)
    own = resolve_evaluations(branch.admin, [ev.pk])[ev.pk]
    assert own.visible and str(y) in own.text and own.url.endswith(f"/{ev.pk}/")
    other = resolve_evaluations(branch.sibling, [ev.pk])[ev.pk]
    assert not other.visible and other.text == "" and other.url == "" and other.date == D(y, 6, 1)
