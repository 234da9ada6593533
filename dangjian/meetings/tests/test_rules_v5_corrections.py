"""The v5 corrections of the meeting rules, each at its edge with the published v4 verdict beside it.

- MTG-COMMITTEE-QUORUM: "半数以上" includes exactly half in v5 (4 委员, 2 present is enough); v4 keeps "超过半数".
"""

from dangjian.compliance.evaluator import evaluate, run_check
from dangjian.compliance.periods import clamp_as_of, window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.conftest import Y
from dangjian.meetings.tests.builders import D, facts, meeting_ids_of, rec
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post


def check_in(version: int, rule_id: str, org_facts, *, year: int = 2026, as_of=None):
    """Runs the rule of rulebook `version` on hand-built facts, as the evaluator does."""
    as_of = clamp_as_of(year, as_of or D(year, 12, 31))
    window = window_for(year, as_of, org_facts.founded_on, org_facts.dissolved_on)
    return run_check(load_ruleset(version).rule(rule_id), org_facts, window)


def result_in(version: int, orgs, rule_id: str, org, *, as_of=None, year=Y):
    found = [
        r
        for r in evaluate(
            orgs, year=year, as_of=as_of or D(year, 12, 31), ruleset=load_ruleset(version)
        ).results
        if r.rule.id == rule_id and r.org.id == org.pk
    ]
    assert len(found) == 1, found
    return found[0]


# --- MTG-COMMITTEE-QUORUM ---------------------------------------------------------------------------


def test_committee_quorum_exactly_half_fails_in_v4_and_passes_in_v5():
    half = rec("committee", D(2026, 2, 10), expected=4, present=2, meeting_id=7)
    org = facts(records=[half])
    v4, v5 = check_in(4, "MTG-COMMITTEE-QUORUM", org), check_in(5, "MTG-COMMITTEE-QUORUM", org)
    assert (v4.status, v4.missing, v4.evidence) == ("fail", ["2026-02-10"], [])
    assert (
        v4.message
        == "1次支部委员会未达到出席要求（实到人数超过应到人数的半数）：2026-02-10（应到4，实到2）。"
    )
    assert (v5.status, v5.missing, meeting_ids_of(v5.evidence)) == ("pass", [], [7])
    assert v5.message == "已满足：1次支部委员会均达到出席要求（实到人数不少于应到人数的半数）。"


def test_committee_quorum_below_half_fails_in_both_versions():
    short = rec("committee", D(2026, 2, 10), expected=5, present=2)
    org = facts(records=[short])
    assert [check_in(v, "MTG-COMMITTEE-QUORUM", org).status for v in (4, 5)] == ["fail", "fail"]
    assert check_in(5, "MTG-COMMITTEE-QUORUM", org).message == (
        "1次支部委员会未达到出席要求（实到人数不少于应到人数的半数）：2026-02-10（应到5，实到2）。"
    )


def test_committee_quorum_with_nobody_expected_still_falls_short_in_v5():
    org = facts(records=[rec("committee", D(2026, 2, 10), expected=0, present=0)])
    assert check_in(5, "MTG-COMMITTEE-QUORUM", org).status == "fail"


def test_committee_quorum_strictness_is_a_parameter_of_the_rule():
    assert load_ruleset(4).rule("MTG-COMMITTEE-QUORUM").typed_params.strict is True
    v5 = load_ruleset(5).rule("MTG-COMMITTEE-QUORUM")
    assert v5.typed_params.strict is False
    assert "strict" in v5.note and "恰好半数即满足" in v5.note
    # the assembly keeps "超过半数" (BR-08) in v5
    assert load_ruleset(5).rule("MTG-ASSEMBLY-QUORUM").typed_params.strict is True


def test_committee_of_four_with_two_present_on_the_database(tree, branch, make_member, meet):
    fourth = make_member(tree.a1, name="纪检己")
    create_post(
        actor=None, data={"member": fourth, "org": tree.a1, "title": "jijian", "started_on": D(2024, 1, 1)}
    )
    half = meet(tree.a1, D(Y, 3, 10), "committee", absent=[branch["组织"], branch["宣传"]])
    assert (half.kinds.get().expected, half.kinds.get().present) == (4, 2)
    orgs = Org.objects.all()
    v4 = result_in(4, orgs, "MTG-COMMITTEE-QUORUM", tree.a1)
    v5 = result_in(5, orgs, "MTG-COMMITTEE-QUORUM", tree.a1)
    assert (v4.status, v4.missing) == ("fail", [f"{Y}-03-10"])
    assert (v5.status, meeting_ids_of(v5.evidence)) == ("pass", [half.pk])
    # one more absent: below half in both
    meet(tree.a1, D(Y, 4, 10), "committee", absent=[branch["组织"], branch["宣传"], fourth])
    assert result_in(5, orgs, "MTG-COMMITTEE-QUORUM", tree.a1).missing == [f"{Y}-04-10"]
