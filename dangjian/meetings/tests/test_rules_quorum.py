"""Quorum rules on hand-built facts (no database)."""

from dangjian.meetings.tests.builders import D, check, facts, meeting_ids_of, rec


def assembly(
    day, expected_formal, present_formal, *, probationary=0, probationary_present=0, meeting_id=None
):
    return rec(
        "assembly",
        day,
        meeting_id=meeting_id,
        expected=expected_formal + probationary,
        present=present_formal + probationary_present,
        expected_formal=expected_formal,
        present_formal=present_formal,
    )


def test_no_meetings_pass_every_quorum_rule():
    for rule_id, org_type in (
        ("MTG-ASSEMBLY-QUORUM", "zhibu"),
        ("MTG-COMMITTEE-QUORUM", "zhibu"),
        ("MTG-DEMOCRATIC-LIFE-QUORUM", "dangzu"),
    ):
        outcome = check(rule_id, facts(org_type))
        assert (outcome.status, outcome.missing) == ("pass", [])
    assert (
        check("MTG-ASSEMBLY-QUORUM", facts()).message == "已满足：本年度没有需要检查出席人数的支部党员大会。"
    )


def test_exactly_half_of_the_formal_members_falls_short():
    org = facts(
        records=[assembly(D(2026, 3, 5), 8, 4, meeting_id=1), assembly(D(2026, 6, 5), 8, 5, meeting_id=2)]
    )
    outcome = check("MTG-ASSEMBLY-QUORUM", org)
    assert (outcome.status, outcome.missing, meeting_ids_of(outcome.evidence)) == (
        "fail",
        ["2026-03-05"],
        [2],
    )
    assert outcome.message == (
        "1次支部党员大会未达到出席要求（实到正式党员超过应到正式党员的半数）：2026-03-05（应到8，实到4）。"
    )


def test_probationary_members_do_not_count_toward_the_assembly_quorum():
    # 5 正式 + 2 预备 expected; 2 正式 and both 预备 present: 4 of 7 people, but only 2 of 5 voters.
    short = facts(records=[assembly(D(2026, 4, 1), 5, 2, probationary=2, probationary_present=2)])
    assert check("MTG-ASSEMBLY-QUORUM", short).missing == ["2026-04-01"]
    # 3 of 5 voters present with both 预备 absent: quorate.
    enough = facts(records=[assembly(D(2026, 4, 1), 5, 3, probationary=2, probationary_present=0)])
    assert check("MTG-ASSEMBLY-QUORUM", enough).status == "pass"


def test_assembly_with_no_formal_member_expected_falls_short():
    org = facts(records=[assembly(D(2026, 4, 1), 0, 0, probationary=3, probationary_present=3)])
    assert check("MTG-ASSEMBLY-QUORUM", org).status == "fail"


def test_quorum_shortfalls_list_sorted_distinct_dates():
    records = [
        assembly(D(2026, 9, 1), 6, 3),
        assembly(D(2026, 2, 1), 6, 2),
        assembly(D(2026, 9, 1), 6, 1),
        assembly(D(2026, 5, 1), 6, 4),
    ]
    assert check("MTG-ASSEMBLY-QUORUM", facts(records=records)).missing == ["2026-02-01", "2026-09-01"]


def test_quorum_ignores_meetings_outside_the_window():
    org = facts(records=[assembly(D(2026, 11, 1), 6, 1)])
    assert check("MTG-ASSEMBLY-QUORUM", org, as_of=D(2026, 10, 31)).status == "pass"


def test_quorum_ignores_other_types_of_the_same_record():
    records = [rec("lecture", D(2026, 3, 1), meeting_id=4, expected=10, present=1)]
    assert check("MTG-ASSEMBLY-QUORUM", facts(records=records)).status == "pass"


def test_committee_quorum_is_more_than_half_of_the_committee():
    ok = rec("committee", D(2026, 1, 10), expected=5, present=3, meeting_id=1)
    half = rec("committee", D(2026, 2, 10), expected=4, present=2, meeting_id=2)
    outcome = check("MTG-COMMITTEE-QUORUM", facts(records=[ok, half]))
    assert (outcome.status, outcome.missing, meeting_ids_of(outcome.evidence)) == (
        "fail",
        ["2026-02-10"],
        [1],
    )
    assert "实到人数超过应到人数的半数" in outcome.message


def test_democratic_life_quorum_is_at_least_two_thirds():
    exactly = rec("democratic_life", D(2026, 12, 1), expected=9, present=6)
    assert check("MTG-DEMOCRATIC-LIFE-QUORUM", facts("dangzu", records=[exactly])).status == "pass"
    short = rec("democratic_life", D(2026, 12, 2), expected=9, present=5)
    outcome = check("MTG-DEMOCRATIC-LIFE-QUORUM", facts("dangzu", records=[short]))
    assert (outcome.status, outcome.missing) == ("fail", ["2026-12-02"])
    assert "实到人数不少于应到人数的三分之二" in outcome.message


def test_quorum_judged_for_a_dissolved_branch_up_to_its_dissolution():
    org = facts(dissolved_on=D(2026, 5, 1), records=[assembly(D(2026, 4, 20), 4, 2)])
    assert check("MTG-ASSEMBLY-QUORUM", org).status == "fail"
