"""The v5 corrections of the meeting rules, each at its edge with the published v4 verdict beside it.

- MTG-COMMITTEE-QUORUM: "半数以上" includes exactly half in v5 (4 委员, 2 present is enough); v4 keeps "超过半数".
- LECTURE-SECRETARY-ANNUAL: v5 also checks the 书记 of a 党委 that leads a department directly under the 工委
  (no 党组 of the same 单位); v4 checks 党支部 and 党组 only.
"""

import pytest

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.conftest import Y
from dangjian.meetings.tests.builders import D, check_in, facts, meeting_ids_of, post, rec
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post


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


# --- LECTURE-SECRETARY-ANNUAL: the 书记 of a 党委 that leads a department --------------------------------

SECRETARY = 1
SECRETARY_POSTS = (post(SECRETARY, "shuji", D(2024, 1, 1)),)


def lecture_by_secretary():
    return [rec("lecture", D(2026, 4, 1), lecturer_id=SECRETARY, org_id=50, meeting_id=9)]


def test_v4_never_applies_the_lecture_rule_to_a_party_committee():
    assert load_ruleset(4).rule("LECTURE-SECRETARY-ANNUAL").applies_to == ["zhibu", "dangzu"]
    v5 = load_ruleset(5).rule("LECTURE-SECRETARY-ANNUAL")
    assert (v5.applies_to, v5.typed_params.unit_head_only) == (["zhibu", "dangzu", "dangwei"], ["dangwei"])
    assert v5.typed_params.records_in["dangwei"] == "anywhere"


def test_committee_leading_its_department_passes_with_its_secretary_lecture_anywhere():
    org = facts("dangwei", posts=SECRETARY_POSTS, anywhere_records=lecture_by_secretary(), heads_unit=True)
    outcome = check_in(5, "LECTURE-SECRETARY-ANNUAL", org)
    assert (outcome.status, meeting_ids_of(outcome.evidence)) == ("pass", [9])
    assert outcome.message == "已满足：书记本年度已讲党课（2026-04-01）。"


def test_committee_leading_its_department_without_a_lecture_is_pending_then_fails():
    org = facts("dangwei", posts=SECRETARY_POSTS, heads_unit=True)
    assert check_in(5, "LECTURE-SECRETARY-ANNUAL", org, as_of=D(2026, 12, 30)).status == "pending"
    outcome = check_in(5, "LECTURE-SECRETARY-ANNUAL", org)  # the boundary day: 31 December
    assert (outcome.status, outcome.missing, outcome.message) == (
        "fail",
        ["2026"],
        "2026年未由在任书记讲党课。",
    )


def test_a_lecture_by_another_member_of_the_committee_does_not_count():
    other = [rec("lecture", D(2026, 4, 1), lecturer_id=77, org_id=50)]
    org = facts("dangwei", posts=SECRETARY_POSTS, anywhere_records=other, heads_unit=True)
    assert check_in(5, "LECTURE-SECRETARY-ANNUAL", org).status == "fail"


def test_organs_committee_of_a_department_led_by_a_party_group_is_not_applicable():
    org = facts("dangwei", posts=SECRETARY_POSTS, heads_unit=False)
    outcome = check_in(5, "LECTURE-SECRETARY-ANNUAL", org)
    assert (outcome.status, outcome.message) == (
        "not_applicable",
        "不适用：该党委不是直接隶属工委、领导本部门的党组织（本单位设有党组，由党组书记讲党课）。",
    )


def test_the_unit_head_restriction_does_not_touch_branches_and_party_groups():
    branch_facts = facts(posts=SECRETARY_POSTS, heads_unit=False)
    assert check_in(5, "LECTURE-SECRETARY-ANNUAL", branch_facts).status == "fail"
    group = facts("dangzu", posts=SECRETARY_POSTS, anywhere_records=lecture_by_secretary(), heads_unit=False)
    assert check_in(5, "LECTURE-SECRETARY-ANNUAL", group).status == "pass"


def test_a_lecture_rule_restricting_a_type_it_does_not_apply_to_is_refused(tmp_path, settings):
    from dangjian.compliance.rulebook import RulebookError, load_ruleset_file

    text = (settings.RULES_DIR / "v5.yaml").read_text(encoding="utf-8")
    broken = text.replace("      unit_head_only: [dangwei]\n", "      unit_head_only: [zongzhi]\n", 1)
    assert broken != text
    (tmp_path / "v5.yaml").write_text(broken, encoding="utf-8")
    # a draft (not in the manifest): its parameters are checked, not its checksum
    manifest = (settings.RULES_DIR / "checksums.txt").read_text(encoding="utf-8").splitlines()
    (tmp_path / "checksums.txt").write_text(
        "\n".join(line for line in manifest if not line.endswith("v5.yaml")) + "\n", encoding="utf-8"
    )
    with pytest.raises(RulebookError, match="unit_head_only"):
        load_ruleset_file(tmp_path / "v5.yaml")


def test_department_committee_on_the_database_v4_and_v5(tree, make_member, meet):
    """乙委 has no 党组: its 党委 B leads the department. 甲委 has one: its 机关党委 A is not applicable."""
    b_secretary = make_member(tree.b1, name="乙委书记")
    a_secretary = make_member(tree.a2, name="甲委机关党委书记")
    for person, org in ((b_secretary, tree.b), (a_secretary, tree.a)):
        create_post(
            actor=None, data={"member": person, "org": org, "title": "shuji", "started_on": D(2024, 1, 1)}
        )
    orgs = Org.objects.all()
    assert not [
        r
        for r in evaluate(orgs, year=Y, as_of=D(Y, 12, 31), ruleset=load_ruleset(4)).results
        if r.rule.id == "LECTURE-SECRETARY-ANNUAL" and r.org.type == "dangwei"
    ]
    b = result_in(5, orgs, "LECTURE-SECRETARY-ANNUAL", tree.b)
    assert (b.status, b.missing) == ("fail", [str(Y)])
    assert result_in(5, orgs, "LECTURE-SECRETARY-ANNUAL", tree.a).status == "not_applicable"
    lecture = meet(tree.b1, D(Y, 6, 28), "lecture", lecturer=b_secretary)
    b = result_in(5, orgs, "LECTURE-SECRETARY-ANNUAL", tree.b)
    assert (b.status, meeting_ids_of(b.evidence)) == ("pass", [lecture.pk])
    # the 党组 of 甲委 dissolved before D: its 机关党委 now leads the department and is checked
    tree.a_dz.dissolved_on = D(Y, 3, 1)
    tree.a_dz.save(update_fields=["dissolved_on"])
    assert result_in(5, orgs, "LECTURE-SECRETARY-ANNUAL", tree.a).status == "fail"
    # ... but not on a day the 党组 still existed (its 撤销日期 is its last day)
    assert result_in(5, orgs, "LECTURE-SECRETARY-ANNUAL", tree.a, as_of=D(Y, 3, 1)).status == "not_applicable"


def test_the_meetings_provider_reads_unit_heads_in_one_more_query(tree, django_assert_num_queries):
    from dangjian.compliance.facts import build_facts
    from dangjian.compliance.tests.test_query_count import populate

    small, large = populate(tree.gw, 10), populate(tree.gw, 120)
    lecture = load_ruleset(5).rule("LECTURE-SECRETARY-ANNUAL")
    for orgs in (small, large):
        # 5 for the engine (a small scope); records, lectures anywhere, the 工委 and the 党组 of the 党委' 单位
        with django_assert_num_queries(8):
            built = build_facts(orgs, year=Y, as_of=D(Y, 10, 31), extra=["meetings"], rules=[lecture])
        heads = {
            f.ref.type: f.extra["meetings"].heads_unit for f in built if f.ref.type in ("dangwei", "zhibu")
        }
        assert heads == {"dangwei": True, "zhibu": None}  # populate's 党委 have no 单位: they lead it
