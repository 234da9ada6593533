"""Rulebook v8 in the movements app: MEM-TRANSFER-DUE leaves out the members away abroad (出国（境）), who are
not asked to transfer their 组织关系 (MEM-MOBILE-CONTACT and MEM-ABROAD-STUDY-5Y cover them). v7 (and v3–v6:
the parameter's default) keep their published results."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from dangjian.compliance.evaluator import evaluate, run_check
from dangjian.compliance.facts import OrgFacts, OrgRef
from dangjian.compliance.periods import window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.movements import services
from dangjian.movements.facts import AwayMember, MovementFacts
from dangjian.movements.rules import TransferDueParams
from dangjian.orgs.models import Org

D = dt.date
RULE = "MEM-TRANSFER-DUE"
ON = D(2026, 11, 30)


def run(version, away, as_of=ON):
    facts = OrgFacts(
        ref=OrgRef(1, "A1", "甲一支部", "zhibu", "00000001/", "甲委"),
        founded_on=D(2018, 3, 1),
        extra=MappingProxyType({"movements": MovementFacts(tuple(away))}),
    )
    window = window_for(as_of.year, as_of, facts.founded_on, None)
    return run_check(load_ruleset(version).rule(RULE), facts, window)


SCHOLAR = AwayMember(1, "秦亮骏", "英国伦敦（访问学者）", D(2025, 10, 7), True, True, abroad_purpose="study")
AT_HOME = AwayMember(2, "张三", "北京某单位", D(2026, 1, 31), True, False)


def test_v8_sets_the_parameter_and_the_default_keeps_earlier_versions():
    v8 = load_ruleset(8).rule(RULE)
    assert v8.params == {"away_months": 6, "exclude_abroad": True} and "第8版更正" in v8.note
    for version in (3, 4, 5, 6, 7):
        assert load_ruleset(version).rule(RULE).typed_params.exclude_abroad is False
    assert TransferDueParams(away_months=6).exclude_abroad is False


def test_a_member_abroad_fails_v7_and_is_left_out_in_v8():
    v7 = run(7, [SCHOLAR])
    assert v7.status == "fail" and v7.missing == ["秦亮骏"]
    assert "秦亮骏（2025-10-07起在英国伦敦（访问学者））" in str(v7.message)
    assert run(8, [SCHOLAR]).status == "pass"


def test_v8_still_lists_members_at_a_fixed_place_at_home():
    v7, v8 = run(7, [SCHOLAR, AT_HOME]), run(8, [SCHOLAR, AT_HOME])
    assert v7.status == "fail" and sorted(v7.missing) == ["张三", "秦亮骏"]
    assert v8.status == "fail" and v8.missing == ["张三"] and "秦亮骏" not in str(v8.message)
    # the boundary is unchanged: left 31 January, due on 31 July
    assert run(8, [AT_HOME], D(2026, 7, 30)).status == "pass"
    assert run(8, [AT_HOME], D(2026, 7, 31)).status == "fail"


def test_on_the_database_v7_and_v8_side_by_side(tree, make_member):
    scholar = make_member(tree.a1, name="秦亮骏")
    services.start_stint(
        actor=None,
        member=scholar,
        destination="英国伦敦（访问学者）",
        fixed_place=True,
        abroad=True,
        abroad_purpose="study",
        left_on=D(2025, 10, 7),
    )
    found = {}
    for version in (7, 8):
        rs = load_ruleset(version)
        rs = rs.model_copy(update={"rules": [rs.rule(RULE)]})
        ev = evaluate(Org.objects.filter(code="A1"), year=ON.year, as_of=ON, ruleset=rs)
        (found[version],) = ev.for_rule(RULE)
    assert found[7].status == "fail" and found[7].missing == ["秦亮骏"]
    assert found[8].status == "pass"
