"""PIPE-* checks over the pipeline facts: the facts cost a fixed number of queries whatever the number of
branches; each rule fails, passes and is not applicable as documented."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.compliance.checks import REGISTRY
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.facts import EXTRA_FACTS
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core import idcard
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.services import StepData, open_case, record_step
from dangjian.pipeline.tests.helpers import advance, plan

pytestmark = pytest.mark.django_db


def pid(seq):
    return idcard.make("310230", dt.date(1995, 1, 1) + dt.timedelta(days=seq), seq % 999, True)


def run(rule_id, today):
    rs = load_ruleset(3)
    ev = evaluate(Org.objects.all(), year=today.year, as_of=today, ruleset=rs)
    return {r.org.code: r for r in ev.for_rule(rule_id)}


def test_facts_fixed_queries(tree, make_member, today):
    loader = EXTRA_FACTS["pipeline"].loader
    ids_sq = Org.objects.values("pk")

    def count():
        orgs = list(Org.objects.order_by("path"))
        with CaptureQueriesContext(connection) as ctx:
            facts = loader(ids_sq, orgs, today.year, today)
        assert sum(len(f.cases) for f in facts.values()) == DevelopmentCase.objects.count()
        return len(ctx.captured_queries)

    open_case(actor=None, org=tree.a1, name="甲", id_number=pid(1), applied_on=today - dt.timedelta(days=5))
    few = count()
    for i in range(6):
        branch = create_org(
            actor=None,
            data={
                "code": f"X{i}",
                "name": f"新支部{i}",
                "type": "zhibu",
                "parent": tree.a,
                "founded_on": dt.date(2020, 1, 1),
            },
        )
        for j in range(3):
            open_case(
                actor=None,
                org=branch,
                name=f"乙{i}{j}",
                id_number=pid(10 + i * 3 + j),
                applied_on=today - dt.timedelta(days=9),
            )
    assert count() == few == 1


def test_talk_within_one_month(tree, today):
    open_case(
        actor=None, org=tree.a1, name="未谈", id_number=pid(2), applied_on=today - dt.timedelta(days=70)
    )
    open_case(
        actor=None, org=tree.a2, name="新申请", id_number=pid(3), applied_on=today - dt.timedelta(days=3)
    )
    ontime = open_case(
        actor=None, org=tree.b1, name="按时", id_number=pid(4), applied_on=today - dt.timedelta(days=60)
    )
    record_step(actor=None, case=ontime, key="talk", on=today - dt.timedelta(days=45))
    results = run("PIPE-TALK-1M", today)
    assert (
        results["A1"].status == "fail" and "未谈" in results["A1"].missing[0]
    )  # still missing: always counts
    assert results["A2"].status == "not_applicable"  # deadline not reached yet
    assert results["B1"].status in ("pass", "not_applicable")  # not_applicable when settled last year
    assert "B" not in results and "A" not in results  # applies to 党支部 only


def test_approval_and_probation_due(tree, make_member, today):
    formal = [make_member(tree.a1, name=n) for n in ("联甲", "联乙", "联丙")]
    applied = today - dt.timedelta(days=1200)
    case = open_case(actor=None, org=tree.a1, name="待批", id_number=pid(5), applied_on=applied)
    advance(case, "admission_vote", plan(applied), contacts=formal[:1], sponsors=formal[1:])
    assert run("PIPE-APPROVAL-3M", today)["A1"].status == "fail"  # never approved
    probation = run("PIPE-PROBATION-DUE", today)["A1"]
    assert probation.status == "fail" and "待批" in probation.missing[0]
    record_step(actor=None, case=case, key="cancellation", on=today, data=StepData(note="预备期内不履行义务"))
    assert run("PIPE-PROBATION-DUE", today)["A1"].status == "pass"  # decided (cancelled), late but decided


def test_checks_are_pure_over_hand_built_facts():
    from types import MappingProxyType

    from dangjian.compliance.facts import OrgFacts, OrgRef
    from dangjian.compliance.periods import Window
    from dangjian.pipeline.facts import CaseFacts, PipelineFacts

    D = dt.date
    ref = OrgRef(1, "Z", "支部", "zhibu", "00000001/", "")
    cases = (
        CaseFacts(
            1, "甲", (("admission_vote", D(2026, 1, 10)), ("approval", D(2026, 4, 10))), None, D(2027, 1, 10)
        ),
        CaseFacts(
            2, "乙", (("admission_vote", D(2026, 1, 10)), ("approval", D(2026, 4, 11))), None, D(2027, 1, 10)
        ),
        CaseFacts(3, "丙", (("admission_vote", D(2025, 12, 1)),), None, D(2026, 12, 1)),
        CaseFacts(4, "丁", (("activist", D(2025, 10, 1)), ("assessment", D(2026, 4, 1))), None, None),
        CaseFacts(5, "戊", (("activist", D(2025, 9, 1)),), None, None),
        CaseFacts(6, "己", (("admission_vote", D(2025, 6, 1)),), None, D(2026, 6, 1)),
    )
    facts = OrgFacts(ref=ref, extra=MappingProxyType({"pipeline": PipelineFacts(cases)}))
    window = Window(2026, D(2026, 8, 1), D(2026, 1, 1), D(2026, 8, 1))
    rs = load_ruleset(3)
    approval = rs.rule("PIPE-APPROVAL-3M")
    out = REGISTRY[approval.check].run(facts, window, approval.typed_params)
    # 甲: exactly 3 months (on the boundary) passes; 乙: one day late; 丙: missing for 8 months, beyond 6
    assert out.status == "fail"
    assert [m.split("（")[0] for m in out.missing] == ["乙", "丙", "己"]  # 己: still missing since 2025
    assert "已超过最长6个月" in out.missing[1]
    assess = rs.rule("PIPE-ASSESS-6M")
    out = REGISTRY[assess.check].run(facts, window, assess.typed_params)
    assert out.status == "fail" and [m.split("（")[0] for m in out.missing] == ["戊"]
    probation = rs.rule("PIPE-PROBATION-DUE")
    out = REGISTRY[probation.check].run(facts, window, probation.typed_params)
    assert out.status == "fail" and [m.split("（")[0] for m in out.missing] == ["己"]
    empty = OrgFacts(ref=ref, extra=MappingProxyType({"pipeline": PipelineFacts(())}))
    assert REGISTRY[probation.check].run(empty, window, probation.typed_params).status == "not_applicable"
