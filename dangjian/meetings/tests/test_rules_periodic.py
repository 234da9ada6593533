"""Frequency rules on hand-built facts (no database)."""

from dangjian.meetings.tests.builders import D, check, committee, facts, meeting_ids_of, rec


def test_assembly_on_the_last_day_of_each_quarter_passes():
    records = [rec("assembly", D(2026, m, d)) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]
    outcome = check("MTG-ASSEMBLY-QUARTERLY", facts(records=records))
    assert outcome.status == "pass"
    assert outcome.missing == []
    assert meeting_ids_of(outcome.evidence) == sorted(r.meeting_id for r in records)
    assert outcome.message == "已满足：2026年需检查的4个季度均有支部党员大会记录（共4次）。"


def test_assembly_on_the_first_day_of_a_quarter_does_not_count_for_the_previous_one():
    records = [
        rec("assembly", D(2026, 4, 1)),
        rec("assembly", D(2026, 7, 1)),
        rec("assembly", D(2026, 10, 1)),
    ]
    outcome = check("MTG-ASSEMBLY-QUARTERLY", facts(records=records))
    assert outcome.status == "fail"
    assert outcome.missing == ["2026-Q1"]


def test_missing_quarters_are_listed_in_the_message():
    outcome = check("MTG-ASSEMBLY-QUARTERLY", facts(), as_of=D(2026, 10, 15))
    assert outcome.status == "fail"
    assert outcome.missing == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert outcome.message == "2026年缺少3个季度的支部党员大会：2026-Q1、2026-Q2、2026-Q3。"


def test_pending_until_the_first_quarter_ends_then_fail():
    assert check("MTG-ASSEMBLY-QUARTERLY", facts(), as_of=D(2026, 3, 30)).status == "pending"
    assert check("MTG-ASSEMBLY-QUARTERLY", facts(), as_of=D(2026, 3, 31)).status == "fail"


def test_a_record_after_as_of_does_not_count():
    outcome = check(
        "MTG-ASSEMBLY-QUARTERLY", facts(records=[rec("assembly", D(2026, 4, 2))]), as_of=D(2026, 4, 1)
    )
    assert (outcome.status, outcome.missing, meeting_ids_of(outcome.evidence)) == ("fail", ["2026-Q1"], [])


def test_as_of_after_the_year_requires_every_quarter():
    records = [rec("assembly", D(2026, m, 1)) for m in (1, 4, 7)]
    outcome = check("MTG-ASSEMBLY-QUARTERLY", facts(records=records), as_of=D(2027, 2, 1))
    assert outcome.missing == ["2026-Q4"]


def test_organisation_set_up_mid_quarter_owes_only_later_quarters():
    org = facts(founded_on=D(2026, 2, 10), records=[rec("assembly", D(2026, 5, 5))])
    assert check("MTG-ASSEMBLY-QUARTERLY", org, as_of=D(2026, 6, 30)).status == "pass"
    assert check("MTG-ASSEMBLY-QUARTERLY", org, as_of=D(2026, 6, 29)).status == "pending"


def test_organisation_dissolved_mid_quarter_owes_only_earlier_quarters():
    org = facts(dissolved_on=D(2026, 5, 15), records=[rec("assembly", D(2026, 2, 1))])
    assert check("MTG-ASSEMBLY-QUARTERLY", org).status == "pass"
    assert check("MTG-ASSEMBLY-QUARTERLY", facts(dissolved_on=D(2026, 5, 15))).missing == ["2026-Q1"]


def test_organisation_dissolved_before_any_full_period_is_pending():
    # The semantics: a periodic rule with no required period is pending, dissolved or not.
    outcome = check("MTG-ASSEMBLY-QUARTERLY", facts(dissolved_on=D(2026, 2, 1)))
    assert outcome.status == "pending"
    assert outcome.message == "待定：该组织已于2026-02-01撤销，2026年没有完整的季度需要检查。"


def test_a_record_with_several_types_counts_for_each():
    shared = 77
    records = [
        rec("theme_day", D(2026, 1, 20), meeting_id=shared),
        rec("lecture", D(2026, 1, 20), meeting_id=shared),
        rec("assembly", D(2026, 1, 20), meeting_id=shared),
    ]
    org = facts(records=records)
    for rule_id in ("MTG-ASSEMBLY-QUARTERLY", "MTG-LECTURE-QUARTERLY"):
        outcome = check(rule_id, org, as_of=D(2026, 3, 31))
        assert (outcome.status, meeting_ids_of(outcome.evidence)) == ("pass", [shared])
    theme = check("MTG-THEME-DAY-MONTHLY", org, as_of=D(2026, 3, 31))
    assert (theme.status, theme.missing, meeting_ids_of(theme.evidence)) == (
        "fail",
        ["2026-02", "2026-03"],
        [shared],
    )


def test_frequency_ignores_attendance():
    org = facts(records=[rec("assembly", D(2026, 2, 1), expected=8, present=1)])
    assert check("MTG-ASSEMBLY-QUARTERLY", org, as_of=D(2026, 3, 31)).status == "pass"


def test_theme_day_month_boundaries():
    records = [rec("theme_day", D(2026, 1, 31)), rec("theme_day", D(2026, 2, 1))]
    org = facts(records=records)
    assert check("MTG-THEME-DAY-MONTHLY", org, as_of=D(2026, 2, 28)).status == "pass"
    assert check("MTG-THEME-DAY-MONTHLY", org, as_of=D(2026, 3, 31)).missing == ["2026-03"]
    assert check("MTG-THEME-DAY-MONTHLY", facts(), as_of=D(2026, 1, 30)).status == "pending"


def test_branch_lecture_recorded_in_a_party_group_does_not_count_for_the_quarter():
    org = facts(child_records=[rec("lecture", D(2026, 2, 1), org_id=2)])
    assert check("MTG-LECTURE-QUARTERLY", org, as_of=D(2026, 3, 31)).missing == ["2026-Q1"]


def test_group_meeting_monthly():
    org = facts("xiaozu", records=[rec("group", D(2026, 1, 5)), rec("group", D(2026, 3, 31))])
    outcome = check("MTG-GROUP-MONTHLY", org, as_of=D(2026, 3, 31))
    assert (outcome.status, outcome.missing) == ("fail", ["2026-02"])
    assert outcome.message == "2026年缺少1个月的党小组会：2026-02。"


def test_committee_monthly_is_not_applicable_without_a_committee_on_as_of():
    outcome = check("MTG-COMMITTEE-MONTHLY", facts(posts=committee(2)), as_of=D(2026, 5, 1))
    assert outcome.status == "not_applicable"
    assert outcome.message == "不适用：2026-05-01未设支部委员会（在任委员2人，不足3人）。"


def test_committee_monthly_with_three_posts_requires_every_month():
    org = facts(posts=committee(3), records=[rec("committee", D(2026, m, 10)) for m in (1, 2, 4)])
    outcome = check("MTG-COMMITTEE-MONTHLY", org, as_of=D(2026, 5, 1))
    assert (outcome.status, outcome.missing) == ("fail", ["2026-03"])


def test_committee_whose_posts_ended_on_as_of_is_no_committee():
    org = facts(posts=committee(3, ended_on=D(2026, 5, 1)))
    assert check("MTG-COMMITTEE-MONTHLY", org, as_of=D(2026, 5, 1)).status == "not_applicable"
    assert check("MTG-COMMITTEE-MONTHLY", org, as_of=D(2026, 4, 30)).status == "fail"


def test_committee_of_a_dissolved_branch_is_judged_on_its_last_day():
    org = facts(posts=committee(3), dissolved_on=D(2026, 3, 15), records=[rec("committee", D(2026, 1, 9))])
    outcome = check("MTG-COMMITTEE-MONTHLY", org)
    assert (outcome.status, outcome.missing) == ("fail", ["2026-02"])
