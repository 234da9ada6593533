"""The "training" facts through the compliance evaluator (rules/v4.yaml), and their fixed query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org
from dangjian.training.facts import load_training_facts
from dangjian.training.services import record_study

pytestmark = pytest.mark.django_db
D = dt.date


def statuses(ev, rule_id):
    return {r.org.code: r.status for r in ev.for_rule(rule_id)}


def test_the_secretary_appointed_on_15_march_through_the_evaluator(tree, make_member, appoint, train):
    sec = make_member(tree.a1, name="新书记")
    appoint(sec, tree.a1, D(2026, 3, 15))
    rs = load_ruleset(4)
    ev = evaluate(Org.objects.filter(code="A1"), year=2026, as_of=D(2026, 9, 15), ruleset=rs)
    assert statuses(ev, "TRAIN-SECRETARY-NEW-6M") == {"A1": "fail"}
    assert ev.for_rule("TRAIN-SECRETARY-NEW-6M")[0].missing == ["新书记"]
    train(tree.a, [sec], D(2026, 9, 15), level="other")
    ev = evaluate(Org.objects.filter(code="A1"), year=2026, as_of=D(2026, 9, 15), ruleset=rs)
    assert statuses(ev, "TRAIN-SECRETARY-NEW-6M") == {"A1": "pass"}


def test_the_rules_apply_to_the_right_types_and_count_hours(tree, make_member, appoint, train):
    old = make_member(tree.b1, name="老书记")
    appoint(old, tree.b1, D(2020, 1, 1))
    zz = make_member(tree.b1, name="总支书记")
    appoint(zz, tree.b_zz, D(2019, 1, 1))
    member = make_member(tree.b1, name="党员甲")
    train(tree.b, [old, member], D(2026, 5, 1), hours="24", ended_on=D(2026, 5, 3))
    record_study(actor=None, member=member, platform="sh_cadre", period="2026", hours="8")
    ev = evaluate(Org.objects.all(), year=2026, as_of=D(2026, 12, 31), ruleset=load_ruleset(4))
    annual = statuses(ev, "TRAIN-SECRETARY-ANNUAL")
    assert annual["B1"] == "pass" and annual["B-ZZ"] == "fail" and "A-DZ" not in annual
    hours = ev.for_rule("TRAIN-MEMBER-HOURS")
    b1 = next(r for r in hours if r.org.code == "B1")
    assert b1.status == "fail" and b1.missing == ["老书记", "总支书记"]  # 党员甲: 24 + 8 = 32; 老书记: 24
    cadre = next(r for r in ev.for_rule("TRAIN-CADRE-HOURS") if r.org.code == "B1")
    assert cadre.status == "fail" and cadre.missing == ["老书记"]
    ev = evaluate(Org.objects.all(), year=2026, as_of=D(2026, 6, 30), ruleset=load_ruleset(4))
    assert statuses(ev, "TRAIN-MEMBER-HOURS")["B1"] == "pending"


def _queries(orgs) -> int:
    org_list = list(orgs)
    with CaptureQueriesContext(connection) as ctx:
        load_training_facts(orgs.values("pk"), org_list, 2026, D(2026, 6, 30))
    return len(ctx.captured_queries)


def test_a_fixed_number_of_queries_for_2_or_many_branches(tree, make_member, appoint, train):
    def populate(parent, n):
        for i in range(n):
            branch = create_org(
                actor=None,
                data={
                    "code": f"{parent.code}-X{i}",
                    "name": f"支部{i}",
                    "type": "zhibu",
                    "parent": parent,
                    "founded_on": D(2018, 1, 1),
                },
            )
            sec = make_member(branch, name=f"书记{i}")
            appoint(sec, branch, D(2026, 2, 1))
            m = make_member(branch, name=f"党员{i}")
            train(parent, [sec, m], D(2026, 3, 1))
            record_study(actor=None, member=m, platform="xuexi", period="2026", hours=Decimal("3"))

    populate(tree.a, 2)
    few = _queries(Org.objects.filter(code__startswith="A-X"))
    populate(tree.b, 12)
    many = _queries(Org.objects.filter(code__startswith="B-X"))
    assert few == many == 4
    facts = load_training_facts(
        Org.objects.filter(code__startswith="B-X").values("pk"),
        list(Org.objects.filter(code__startswith="B-X")),
        2026,
        D(2026, 6, 30),
    )
    assert len(facts) == 12
    one = next(iter(facts.values()))
    assert len(one.members) == 2 and len(one.secretaries) == 1
