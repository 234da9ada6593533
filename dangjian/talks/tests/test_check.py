"""TALK-ANNUAL at its edges, evaluated through the evaluator; the "talks" facts in one query for any scope."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.compliance.evaluator import evaluate, extra_needs
from dangjian.compliance.rulebook import Rule, Ruleset, load_ruleset
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org
from dangjian.talks import services
from dangjian.talks.facts import load_talk_facts

D = dt.date


def ruleset(min_per_category=1, committee_min_posts=3):
    rule = Rule(
        id="TALK-ANNUAL",
        title="谈心谈话",
        clause="（九）",
        basis="《中国共产党支部工作条例（试行）》第十九条（BR-17）",
        key_sentence="坚持完善谈心谈话制度",
        applies_to=["zhibu"],
        weight=1.0,
        severity="required",
        check="talk_annual",
        params={"min_per_category": min_per_category, "committee_min_posts": committee_min_posts},
    )
    return Ruleset(id="t", version=1, title="测试", published=D(2026, 1, 1), rules=[rule], checksum="x")


def result(org, as_of, rs=None):
    ev = evaluate(Org.objects.filter(pk=org.pk), year=as_of.year, as_of=as_of, ruleset=rs or ruleset())
    [r] = ev.for_rule("TALK-ANNUAL")
    return r


def talk(a1, day, *people):
    return services.record_talk(actor=None, org=a1.org, date=day, participants=people)


def test_the_rule_is_in_the_v4_rulebook():
    rule = load_ruleset(4).rule("TALK-ANNUAL")
    assert rule.check == "talk_annual"
    assert rule.applies_to == ["zhibu"]
    assert rule.typed_params.min_per_category == 1
    assert "BR-17" in rule.basis and "第十九条" in rule.basis
    assert extra_needs(load_ruleset(4)) >= {"talks"}


def test_pending_before_31_december_then_fail_listing_the_missing_categories(a1):
    talk(a1, D(2025, 4, 1), a1.shuji, a1.zuzhi)  # 支委之间
    r = result(a1.org, D(2025, 12, 30))
    assert r.status == "pending"
    assert r.missing == ["支委与党员", "党员之间"]
    r = result(a1.org, D(2025, 12, 31))
    assert r.status == "fail"
    assert r.missing == ["支委与党员", "党员之间"]
    assert "支委之间1次" in r.message


def test_pass_when_each_category_is_met(a1):
    talk(a1, D(2025, 4, 1), a1.shuji, a1.zuzhi, a1.m1)  # 支委之间 and 支委与党员
    talk(a1, D(2025, 12, 31), a1.m1, a1.m2)  # 党员之间 on the last day
    assert result(a1.org, D(2025, 12, 30)).status == "pending"
    r = result(a1.org, D(2025, 12, 31))
    assert r.status == "pass"
    assert len(r.evidence) == 2


def test_the_minimum_is_a_parameter(a1):
    talk(a1, D(2025, 4, 1), a1.shuji, a1.zuzhi, a1.m1)
    talk(a1, D(2025, 5, 1), a1.m1, a1.m2)
    assert result(a1.org, D(2025, 12, 31)).status == "pass"
    r = result(a1.org, D(2025, 12, 31), ruleset(min_per_category=2))
    assert r.status == "fail" and r.missing == ["支委之间", "支委与党员", "党员之间"]


def test_talks_of_another_year_do_not_count(a1):
    talk(a1, D(2024, 12, 31), a1.shuji, a1.zuzhi, a1.m1)
    talk(a1, D(2024, 12, 31), a1.m1, a1.m2)
    assert result(a1.org, D(2025, 12, 31)).status == "fail"


def test_a_branch_without_a_committee_is_not_required_to_hold_committee_talks(tree, make_member):
    from dangjian.orgs.services import create_post

    shuji = make_member(tree.a2, name="书记")
    m1, m2 = make_member(tree.a2, name="甲"), make_member(tree.a2, name="乙")
    create_post(
        actor=None, data={"member": shuji, "org": tree.a2, "title": "shuji", "started_on": D(2020, 1, 1)}
    )
    services.record_talk(actor=None, org=tree.a2, date=D(2025, 3, 1), participants=[shuji, m1])
    r = result(tree.a2, D(2025, 12, 31))
    assert r.status == "fail" and r.missing == ["党员之间"]  # 支委之间 impossible with one post holder
    services.record_talk(actor=None, org=tree.a2, date=D(2025, 3, 2), participants=[m1, m2])
    assert result(tree.a2, D(2025, 12, 31)).status == "pass"


def test_a_branch_with_one_member_is_not_applicable(tree, make_member):
    make_member(tree.a2, name="独一")
    assert result(tree.a2, D(2025, 12, 31)).status == "not_applicable"


def _branches(codes, parent, make_member):
    branches = []
    for code in codes:
        b = create_org(
            actor=None,
            data={
                "code": code,
                "name": f"支部{code}",
                "type": "zhibu",
                "parent": parent,
                "founded_on": D(2018, 1, 1),
            },
        )
        people = [make_member(b, name=f"{code}-{k}") for k in range(3)]
        services.record_talk(actor=None, org=b, date=D(2025, 3, 1), participants=people[:2])
        services.record_talk(actor=None, org=b, date=D(2025, 4, 1), participants=people[1:])
        branches.append(b)
    return branches


def _measure(branches):
    orgs = Org.objects.filter(pk__in=[b.pk for b in branches])
    listed = list(orgs)
    with CaptureQueriesContext(connection) as ctx:
        facts = load_talk_facts(orgs.values("pk"), listed, 2025, D(2025, 12, 31))
    assert len(ctx.captured_queries) == 1
    assert len(facts) == len(branches) and all(len(v) == 2 for v in facts.values())
    with CaptureQueriesContext(connection) as ctx:
        ev = evaluate(orgs, year=2025, as_of=D(2025, 12, 31), ruleset=ruleset())
    assert {r.status for r in ev.for_rule("TALK-ANNUAL")} == {"pass"}  # no committee: only 党员之间
    return len(ctx.captured_queries)


def test_the_facts_take_one_query_whatever_the_number_of_branches(tree, make_member):
    two = _branches(["X1", "X2"], tree.a, make_member)
    few = _measure(two)
    many = two + _branches([f"Y{i}" for i in range(7)], tree.b, make_member)
    assert _measure(many) == few
