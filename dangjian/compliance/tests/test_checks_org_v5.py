"""Rulebook v5's organisation rules of the engine (ORG-SHAPE-BY-SIZE, ORG-SECRETARY-PARTY-AGE): on hand-built
facts (pass, fail, not applicable, the boundary day) and on the database, with the member counts of 党总支 and
党委 (their whole subtree, moves after D undone) in the engine's four queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.compliance.checks.state import Secretary
from dangjian.compliance.evaluator import evaluate, run_check
from dangjian.compliance.facts import build_facts
from dangjian.compliance.periods import clamp_as_of, window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.builders import facts, post
from dangjian.compliance.tests.test_query_count import member, populate
from dangjian.core.errors import ServiceError
from dangjian.members.models import Member
from dangjian.members.services import update_member
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post, update_org

D = dt.date
ON = D(2026, 6, 30)
V5 = 5
SHAPE, AGE = "ORG-SHAPE-BY-SIZE", "ORG-SECRETARY-PARTY-AGE"


def v5(rule_id: str):
    return load_ruleset(V5).rule(rule_id)


def check(rule_id, org_facts, *, as_of=ON, params=None):
    as_of = clamp_as_of(as_of.year, as_of)
    window = window_for(as_of.year, as_of, org_facts.founded_on, org_facts.dissolved_on)
    rule = v5(rule_id)
    typed = rule.typed_params.model_copy(update=params) if params else None
    return run_check(rule, org_facts, window, typed)


def test_the_rules_and_their_parameters_in_v5_only():
    rules = {r.id: r for r in load_ruleset(V5).rules}
    assert rules[SHAPE].params == {
        "zongzhi_from": 50,
        "dangwei_from": 100,
        "zongzhi_below_needs_approval": True,
    }
    assert rules[SHAPE].applies_to == ["zhibu", "zongzhi"] and rules[SHAPE].severity == "advisory"
    assert rules[AGE].params == {"min_years": 1, "count_from": "confirmed"}
    assert rules[AGE].applies_to == ["zhibu", "zongzhi"] and rules[AGE].severity == "advisory"
    v4 = {r.id for r in load_ruleset(4).rules}
    assert SHAPE not in v4 and AGE not in v4


# --- ORG-SHAPE-BY-SIZE on hand-built facts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("org_type", "members", "status"),
    [
        ("zhibu", 49, "pass"),
        ("zhibu", 50, "fail"),  # 50人以上: the boundary belongs to the 党总支
        ("zhibu", 99, "fail"),
        ("zhibu", 100, "fail"),
        ("zongzhi", 50, "pass"),
        ("zongzhi", 99, "pass"),
        ("zongzhi", 100, "fail"),  # 100人以上: a 党委
        ("zongzhi", 49, "fail"),  # fewer than 50 needs approval too (第六条)
    ],
)
def test_shape_follows_the_member_count(org_type, members, status):
    assert check(SHAPE, facts(org_type, members=members)).status == status


def test_shape_messages_name_the_form_expected():
    assert check(SHAPE, facts("zhibu", members=60)).message == (
        "2026-06-30有党员60名（含下属组织），达到50名，一般应设立党总支；如经上级党组织批准保留党支部，请登记批准文号和日期。"
    )
    assert check(SHAPE, facts("zhibu", members=120)).message == (
        "2026-06-30有党员120名（含下属组织），达到100名，一般应设立党委；如经上级党组织批准保留党支部，请登记批准文号和日期。"
    )
    assert check(SHAPE, facts("zongzhi", members=30)).message == (
        "2026-06-30党总支仅有党员30名（含下属组织），不足50名；党员不足50名设立党总支须经上级党组织批准，请登记批准文号和日期。"
    )
    assert check(SHAPE, facts("zhibu", members=20)).message == (
        "已满足：2026-06-30有党员20名（含下属组织），设置为党支部与党员人数相符。"
    )


def test_a_small_general_branch_passes_when_the_parameter_is_off():
    assert check(
        SHAPE, facts("zongzhi", members=30), params={"zongzhi_below_needs_approval": False}
    ).status == ("pass")


def test_an_approval_recorded_by_d_keeps_the_form():
    approved = facts("zhibu", members=60, setup_approval_ref="甲委党发〔2026〕3号", setup_approved_on=ON)
    outcome = check(SHAPE, approved)
    assert (outcome.status, outcome.message) == (
        "pass",
        "已满足：2026-06-30有党员60名（含下属组织），设置为党支部已经上级党组织批准（甲委党发〔2026〕3号，2026-06-30）。",
    )
    assert check(SHAPE, approved, as_of=D(2026, 6, 29)).status == "fail"  # approved the day after D


def test_shape_not_applicable_once_dissolved():
    outcome = check(SHAPE, facts("zhibu", members=80, dissolved_on=D(2026, 6, 1)))
    assert (outcome.status, outcome.message) == ("not_applicable", "不适用：该组织已于2026-06-01撤销。")


def test_shape_parameters_must_be_ordered():
    with pytest.raises(ValueError, match="zongzhi_from"):
        v5(SHAPE).typed_params.model_validate({"zongzhi_from": 100, "dangwei_from": 100})


# --- ORG-SECRETARY-PARTY-AGE on hand-built facts ----------------------------------------------------------


def secretary(started_on, confirmed_on, name="书记甲"):
    """A 书记 who joined the Party on 1 January 2024."""
    return Secretary(1, name, started_on, D(2024, 1, 1), confirmed_on)


def with_secretaries(*people, **fields):
    return facts("zhibu", extra={"secretaries": tuple(people)}, **fields)


def test_party_age_counts_from_confirmation_with_the_boundary_day():
    exactly = with_secretaries(secretary(D(2026, 3, 10), D(2025, 3, 10)))
    outcome = check(AGE, exactly)
    assert (outcome.status, outcome.message) == (
        "pass",
        "已满足：书记任职时党龄满1年：书记甲（2025-03-10转正，2026-03-10任职）。",
    )
    short = with_secretaries(secretary(D(2026, 3, 9), D(2025, 3, 10)))
    outcome = check(AGE, short)
    assert (outcome.status, outcome.missing) == ("fail", ["书记甲"])
    assert outcome.message == (
        "书记任职时党龄不足1年：书记甲（2025-03-10转正，2026-03-09任职）；党支部书记一般应具有1年以上党龄。"
    )


def test_probation_does_not_count_unless_the_parameter_says_so():
    # joined 2024-01-01, confirmed 2025-01-01, appointed 2025-06-01: 党龄 five months, in the Party 17 months
    person = with_secretaries(secretary(D(2025, 6, 1), D(2025, 1, 1)))
    assert check(AGE, person).status == "fail"
    outcome = check(AGE, person, params={"count_from": "joined"})
    assert (outcome.status, outcome.message) == (
        "pass",
        "已满足：书记任职时党龄满1年：书记甲（2024-01-01入党，2025-06-01任职）。",
    )


def test_a_secretary_still_on_probation_when_appointed_fails():
    outcome = check(AGE, with_secretaries(secretary(D(2026, 2, 1), D(2026, 5, 1))))
    assert outcome.status == "fail"
    assert "书记甲（2026-02-01任职时尚未转正）" in outcome.message


def test_party_age_not_applicable_without_a_secretary_or_once_dissolved():
    outcome = check(AGE, with_secretaries())
    assert (outcome.status, outcome.message) == (
        "not_applicable",
        "不适用：2026-06-30书记空缺，无从检查党龄。",
    )
    gone = with_secretaries(secretary(D(2020, 1, 1), D(2011, 1, 1)), dissolved_on=D(2026, 6, 1))
    assert check(AGE, gone).status == "not_applicable"


# --- on the database ------------------------------------------------------------------------------------


def test_general_branch_and_committee_count_their_whole_subtree(tree, make_member):
    """B-ZZ counts B1; B counts B-ZZ and B1; A counts A1 with its 党小组 and A2; a move after D is undone."""
    make_member(tree.b1, name="乙一甲")
    make_member(tree.b1, name="乙一乙", category="probationary", confirmed_on=None, joined_on=D(2026, 1, 1))
    make_member(tree.a1, name="甲一甲")
    mover = make_member(tree.a1g1, name="小组甲")
    make_member(tree.a2, name="甲二甲")
    update_member(actor=None, member=mover, data={"org": tree.b1}, effective_on=D(2026, 9, 1))
    on = D(2026, 6, 30)
    got = {
        f.ref.code: (f.members, f.formal_members) for f in build_facts(Org.objects.all(), year=2026, as_of=on)
    }
    assert got == {
        "GW": (5, 4),
        "A-DZ": (0, 0),
        "A": (3, 3),
        "A1": (2, 2),
        "A1G1": (1, 1),
        "A2": (1, 1),
        "B": (2, 1),
        "B-ZZ": (2, 1),
        "B1": (2, 1),
    }
    later = {f.ref.code: f.members for f in build_facts(Org.objects.all(), year=2026, as_of=D(2026, 9, 1))}
    assert (later["A"], later["B-ZZ"], later["B"], later["GW"]) == (2, 3, 3, 5)
    # a scope holding the 党总支 without its branches counts the same
    alone = build_facts(Org.objects.filter(code__in=["B-ZZ", "A"]), year=2026, as_of=on)
    assert {f.ref.code: f.members for f in alone} == {"A": 3, "B-ZZ": 2}


def test_member_counts_and_the_secretaries_cost_a_fixed_number_of_queries(tree):
    small, large = populate(tree.gw, 10), populate(tree.gw, 200)
    on = D(2025, 10, 31)
    counts = []
    for orgs in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            built = build_facts(orgs, year=2025, as_of=on, extra=("secretaries",))
        counts.append(len(ctx.captured_queries))
    # the engine's four, the organisations where the counted members sit (a small scope: a list of ids, so the
    # roll is read through its organisation index), and the secretaries
    assert counts == [6, 6]
    committee = next(f for f in built if f.ref.type == "dangwei")
    branches = [f for f in built if f.ref.type == "zhibu"]
    assert committee.members == sum(f.members for f in branches) > 0
    assert all(len(f.extra["secretaries"]) == 1 for f in branches)


def result(rule_id, org, *, as_of=ON):
    ruleset = load_ruleset(V5)
    ruleset = ruleset.model_copy(update={"rules": [r for r in ruleset.rules if r.id == rule_id]})
    found = [
        r
        for r in evaluate(
            Org.objects.filter(pk=org.pk), year=as_of.year, as_of=as_of, ruleset=ruleset
        ).results
        if r.org.id == org.pk
    ]
    assert len(found) == 1
    return found[0]


def test_shape_on_the_database_with_an_approval_through_the_service(tree):
    Member.objects.bulk_create([member(tree.b1, i) for i in range(60)])
    assert result(SHAPE, tree.b1).status == "fail"  # 60 in a 党支部
    assert result(SHAPE, tree.b_zz).status == "pass"  # 60 in the 党总支 above it
    assert result(SHAPE, tree.a1).status == "pass"  # nobody
    update_org(
        actor=None,
        org=tree.b1,
        data={"setup_approval_ref": "乙委党发〔2026〕1号", "setup_approved_on": D(2026, 3, 1)},
    )
    assert result(SHAPE, tree.b1).status == "pass"
    assert result(SHAPE, tree.b1, as_of=D(2026, 2, 28)).status == "fail"


def test_setup_approval_needs_both_reference_and_date(tree):
    for data in ({"setup_approval_ref": "文号"}, {"setup_approved_on": D(2026, 3, 1)}):
        with pytest.raises(ServiceError, match="应同时填写"):
            update_org(actor=None, org=tree.b1, data=data)
    tree.b1.refresh_from_db()
    assert (tree.b1.setup_approval_ref, tree.b1.setup_approved_on) == ("", None)


def test_party_age_on_the_database(tree, make_member):
    young = make_member(tree.a1, name="新党员", joined_on=D(2024, 5, 1), confirmed_on=D(2025, 5, 1))
    post_a1 = create_post(
        actor=None, data={"member": young, "org": tree.a1, "title": "shuji", "started_on": D(2026, 4, 30)}
    )
    veteran = make_member(tree.b1, name="老党员")
    create_post(
        actor=None, data={"member": veteran, "org": tree.b_zz, "title": "shuji", "started_on": D(2024, 1, 1)}
    )
    assert result(AGE, tree.a1).status == "fail"
    assert result(AGE, tree.b_zz).status == "pass"
    assert result(AGE, tree.a2).status == "not_applicable"
    # appointed again a day later (a new 任职日期): exactly one year
    from dangjian.orgs.services import update_post

    update_post(actor=None, post=post_a1, data={"started_on": D(2026, 5, 1)})
    assert result(AGE, tree.a1).status == "pass"
    assert result(AGE, tree.a1, as_of=D(2026, 4, 30)).status == "not_applicable"  # not yet in post


def test_party_age_fails_closed_without_its_facts():
    outcome = check(AGE, facts("zhibu", posts=(post(1, "shuji", D(2020, 1, 1)),)))
    assert outcome.status == "fail"
