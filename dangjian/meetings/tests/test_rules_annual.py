"""Annual rules and the secretary's lecture on hand-built facts (no database)."""

from dangjian.meetings.tests.builders import D, check, facts, meeting_ids_of, post, rec


def test_annual_passes_with_a_record_in_the_window():
    org = facts(records=[rec("org_life", D(2026, 11, 20), meeting_id=5)])
    outcome = check("MTG-ORG-LIFE-ANNUAL", org)
    assert (outcome.status, outcome.missing, meeting_ids_of(outcome.evidence)) == ("pass", [], [5])
    assert outcome.message == "已满足：本年度已召开组织生活会（2026-11-20）。"


def test_annual_is_pending_before_31_december_then_fails():
    pending = check("MTG-ORG-LIFE-ANNUAL", facts(), as_of=D(2026, 12, 30))
    assert (pending.status, pending.missing) == ("pending", [])
    assert pending.message == "待完成：2026年尚未召开组织生活会（截至2026-12-30），应于年底前完成。"
    failed = check("MTG-ORG-LIFE-ANNUAL", facts(), as_of=D(2026, 12, 31))
    assert (failed.status, failed.missing, failed.message) == ("fail", ["2026"], "2026年未召开组织生活会。")
    assert check("MTG-ORG-LIFE-ANNUAL", facts(), as_of=D(2027, 1, 5)).status == "fail"


def test_annual_not_applicable_for_an_organisation_dissolved_before_31_december():
    outcome = check("MTG-ORG-LIFE-ANNUAL", facts(dissolved_on=D(2026, 6, 30)))
    assert outcome.status == "not_applicable"
    assert outcome.message == "不适用：该组织已于2026-06-30撤销，2026年未召开组织生活会。"


def test_annual_pending_while_dissolution_is_still_ahead():
    org = facts(dissolved_on=D(2026, 9, 1))
    assert check("MTG-ORG-LIFE-ANNUAL", org, as_of=D(2026, 8, 31)).status == "pending"
    assert check("MTG-ORG-LIFE-ANNUAL", org, as_of=D(2026, 9, 1)).status == "not_applicable"


def test_annual_dissolved_on_31_december_without_a_record_fails():
    assert check("MTG-ORG-LIFE-ANNUAL", facts(dissolved_on=D(2026, 12, 31))).status == "fail"


def test_annual_record_held_before_dissolution_passes():
    org = facts(dissolved_on=D(2026, 6, 30), records=[rec("member_review", D(2026, 6, 30))])
    assert check("MTG-MEMBER-REVIEW-ANNUAL", org).status == "pass"


def test_annual_record_before_founding_or_after_as_of_is_outside_the_window():
    org = facts(
        founded_on=D(2026, 3, 1), records=[rec("org_life", D(2026, 2, 28)), rec("org_life", D(2026, 12, 1))]
    )
    assert check("MTG-ORG-LIFE-ANNUAL", org, as_of=D(2026, 11, 30)).status == "pending"


def test_org_life_and_member_review_in_one_record_satisfy_both():
    org = facts(
        records=[
            rec("org_life", D(2026, 12, 3), meeting_id=9),
            rec("member_review", D(2026, 12, 3), meeting_id=9),
        ]
    )
    assert meeting_ids_of(check("MTG-ORG-LIFE-ANNUAL", org).evidence) == [9]
    assert meeting_ids_of(check("MTG-MEMBER-REVIEW-ANNUAL", org).evidence) == [9]


def test_democratic_life_for_a_leading_party_group():
    org = facts("dangzu", records=[rec("democratic_life", D(2026, 12, 20))])
    assert check("MTG-DEMOCRATIC-LIFE-ANNUAL", org).status == "pass"
    assert check("MTG-DEMOCRATIC-LIFE-ANNUAL", facts("dangzu")).status == "fail"


# --- the secretary's lecture ------------------------------------------------------------------------

OLD, NEW = 1, 2
POSTS = (post(OLD, "shuji", D(2023, 1, 1), D(2026, 6, 1)), post(NEW, "shuji", D(2026, 6, 1)))


def test_lecture_by_the_secretary_in_office_passes():
    org = facts(posts=POSTS, records=[rec("lecture", D(2026, 5, 31), lecturer_id=OLD, meeting_id=3)])
    outcome = check("LECTURE-SECRETARY-ANNUAL", org)
    assert (outcome.status, meeting_ids_of(outcome.evidence)) == ("pass", [3])
    assert outcome.message == "已满足：书记本年度已讲党课（2026-05-31）。"


def test_lecture_by_the_former_secretary_after_the_change_does_not_count():
    for day in (D(2026, 6, 1), D(2026, 9, 1)):
        org = facts(posts=POSTS, records=[rec("lecture", day, lecturer_id=OLD)])
        outcome = check("LECTURE-SECRETARY-ANNUAL", org)
        assert (outcome.status, outcome.missing) == ("fail", ["2026"])
        assert outcome.message == "2026年未由在任书记讲党课。"


def test_lecture_by_the_new_secretary_counts_from_the_day_of_the_change():
    org = facts(posts=POSTS, records=[rec("lecture", D(2026, 6, 1), lecturer_id=NEW)])
    assert check("LECTURE-SECRETARY-ANNUAL", org).status == "pass"


def test_lecture_by_someone_else_or_an_outside_speaker_does_not_count():
    org = facts(
        posts=POSTS, records=[rec("lecture", D(2026, 3, 1), lecturer_id=99), rec("lecture", D(2026, 3, 2))]
    )
    assert check("LECTURE-SECRETARY-ANNUAL", org, as_of=D(2026, 10, 1)).status == "pending"


def test_branch_secretary_lecture_may_be_recorded_in_a_party_group():
    org = facts(posts=POSTS, child_records=[rec("lecture", D(2026, 3, 1), lecturer_id=OLD, org_id=2)])
    assert check("LECTURE-SECRETARY-ANNUAL", org).status == "pass"


def test_branch_secretary_lecture_recorded_elsewhere_does_not_count():
    org = facts(posts=POSTS, anywhere_records=[rec("lecture", D(2026, 3, 1), lecturer_id=OLD, org_id=50)])
    assert check("LECTURE-SECRETARY-ANNUAL", org).status == "fail"


def test_leading_party_group_secretary_lecture_counts_anywhere():
    anywhere = [rec("lecture", D(2026, 4, 1), lecturer_id=OLD, org_id=50, meeting_id=8)]
    outcome = check("LECTURE-SECRETARY-ANNUAL", facts("dangzu", posts=POSTS, anywhere_records=anywhere))
    assert meeting_ids_of(outcome.evidence) == [8]


def test_secretary_lecture_not_applicable_for_a_branch_dissolved_before_year_end():
    org = facts(posts=POSTS, dissolved_on=D(2026, 4, 30))
    assert check("LECTURE-SECRETARY-ANNUAL", org).status == "not_applicable"
