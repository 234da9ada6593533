"""Rulebook v9: MTG-MEMBER-REVIEW-ANNUAL (member_review_annual) credits a 民主评议党员 completed on the platform
as well as a meeting of that type; v8 (annual_meeting) keeps its published results: the meeting only."""

from __future__ import annotations

import pytest

from dangjian.compliance.evaluator import evaluate, todo
from dangjian.compliance.registry import EvidenceRef
from dangjian.compliance.rulebook import load_ruleset
from dangjian.evaluations import services
from dangjian.evaluations.tests.test_rules import D, graded, run_to
from dangjian.evaluations.tests.test_rules import y as y  # the fixture
from dangjian.orgs.models import Org

pytestmark = pytest.mark.django_db

RULE = "MTG-MEMBER-REVIEW-ANNUAL"


def found(y, org, version: int, as_of):
    rs = load_ruleset(version)
    rs = rs.model_copy(update={"rules": [rs.rule(RULE)]})
    (result,) = evaluate(Org.objects.filter(pk=org.pk), year=y, as_of=as_of, ruleset=rs).for_rule(RULE)
    return result


def test_v9_changes_the_check_only():
    v8, v9 = load_ruleset(8).rule(RULE), load_ruleset(9).rule(RULE)
    assert (v8.check, v9.check) == ("annual_meeting", "member_review_annual")
    assert v8.params == v9.params and "第9版更正" in v9.note and "第9版" not in v8.note


def test_a_completed_evaluation_fails_v8_and_passes_v9(branch, y):
    ev = graded(y, branch)
    v8, v9 = found(y, branch.org, 8, D(y, 12, 31)), found(y, branch.org, 9, D(y, 12, 31))
    assert (v8.status, v8.missing) == ("fail", [str(y)])
    assert v9.status == "pass" and v9.missing == []
    assert f"已满足：{y}-06-01在平台完成民主评议党员，评定9名党员。" == str(v9.message)
    assert v9.evidence == [EvidenceRef("evaluation", ev.pk)]
    # not before its completion day
    assert found(y, branch.org, 9, D(y, 5, 31)).status == "pending"


def test_v9_an_unfinished_evaluation_is_as_v8_and_its_todo_is_the_work_list(branch, y):
    ev = services.open_evaluation(
        actor=branch.admin, org=branch.org, year=y, opened_on=D(y, 3, 1), organ="assembly"
    )
    run_to(ev, "voting", branch.admin, D(y, 4, 1))
    # under way: said so, with the evaluation as evidence; failing at the year's end as v8 does
    pending = found(y, branch.org, 9, D(y, 6, 30))
    assert pending.status == "pending" and EvidenceRef("evaluation", ev.pk) in pending.evidence
    assert str(pending.message) == (
        f"待完成：{y}年民主评议党员正在平台上进行（党员互评和民主测评），走完各步骤并评定等次后即为符合。"
    )
    failed = found(y, branch.org, 9, D(y, 12, 31))
    assert found(y, branch.org, 8, D(y, 12, 31)).status == failed.status == "fail"
    assert failed.missing == [str(y)] and "停在“党员互评和民主测评”" in str(failed.message)
    due = {i.rule.id for i in todo(Org.objects.filter(pk=branch.org.pk), on=D(y, 6, 30))}
    assert RULE not in due  # the open evaluation is on the work list at its step


def test_v9_without_an_evaluation_keeps_the_meeting_rule_and_its_todo(branch, y):
    due = [i for i in todo(Org.objects.filter(pk=branch.org.pk), on=D(y, 6, 30)) if i.rule.id == RULE]
    assert [(i.period, i.due_by) for i in due] == [(str(y), D(y, 12, 31))]
    assert "本年度尚未" in str(due[0].message)
    pending = found(y, branch.org, 9, D(y, 6, 30))
    assert pending.status == "pending"


def test_v9_a_meeting_of_the_type_still_satisfies_it_and_both_are_evidence(branch, y):
    from dangjian.meetings.services import create_meeting

    meeting = create_meeting(
        actor=None,
        data={"org": branch.org, "date": D(y, 2, 1), "topic": "民主评议", "lecturer": None},
        types=["member_review"],
        absentees={},
    )
    v9 = found(y, branch.org, 9, D(y, 12, 31))
    assert v9.status == "pass" and v9.evidence == [EvidenceRef("meeting", meeting.pk)]
    assert f"（{y}-02-01）" in str(v9.message)
    assert found(y, branch.org, 8, D(y, 12, 31)).status == "pass"


def test_v9_leads_to_the_evaluation_and_v8_to_recording_a_meeting(branch):
    from dangjian.compliance.registry import REGISTRY

    v8, v9 = load_ruleset(8).rule(RULE), load_ruleset(9).rule(RULE)
    org = branch.org
    assert "/meetings/new/" in REGISTRY[v8.check].link(v8, org, "pending").url
    link = REGISTRY[v9.check].link(v9, org, "pending")
    assert "/evaluations/" in link.url and link.label == "去开展民主评议"
    assert REGISTRY[v9.check].link(v9, org, "pass") is None
