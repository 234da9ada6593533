"""MEM-ORGLIFE-ABSENT-6M (党章 第九条, CONST-01) and MEM-LEADER-DUAL-LIFE (LEAD-04), v5: who took part in the
branch's organizational life, on hand-built facts."""

from dangjian.meetings.attendance import last_complete_month, month_label
from dangjian.meetings.facts import LifeFacts, LifeMember, LifeRecord
from dangjian.meetings.tests.builders import D, check_in, facts, meeting_ids_of, post

ABSENT_RULE, LEADER_RULE = "MEM-ORGLIFE-ABSENT-6M", "MEM-LEADER-DUAL-LIFE"
BRANCH, GROUP = 1, 2
ZHANG = LifeMember(10, "张三", BRANCH, D(2010, 7, 1))
LI = LifeMember(11, "李四", GROUP, D(2010, 7, 1))
_ids = iter(range(1, 100000))


def rec(day, *types, org=BRANCH, absent=None, meeting_id=None):
    return LifeRecord(meeting_id or next(_ids), org, day, frozenset(types or ("theme_day",)), absent or {})


def monthly(months, *, year=2026, day=15, absent=None, org=BRANCH, types=("theme_day",)):
    """A record on the 15th of each month, with the same absentees."""
    return [rec(D(year, m, day), *types, org=org, absent=absent) for m in months]


def life(records, members=(ZHANG,), committee=(), start=None):
    start = start or D(2025, 1, 1)
    records = sorted(records, key=lambda r: (r.date, r.meeting_id))
    return facts(
        extra={"orglife": LifeFacts(BRANCH, start, tuple(members), tuple(records), tuple(committee))}
    )


def test_the_last_complete_month():
    assert month_label(last_complete_month(D(2026, 6, 29))) == "2026-05"
    assert month_label(last_complete_month(D(2026, 6, 30))) == "2026-06"
    assert month_label(last_complete_month(D(2026, 12, 31))) == "2026-12"


# --- MEM-ORGLIFE-ABSENT-6M ------------------------------------------------------------------------------


def test_six_months_absent_without_a_reason_fails_on_the_last_day_of_the_sixth():
    org = life(monthly(range(1, 8), absent={ZHANG.id: ""}))
    before = check_in(5, ABSENT_RULE, org, as_of=D(2026, 6, 29))
    assert (before.status, before.message) == (
        "pass",
        "已满足：截至2026-06-29没有连续6个月未参加组织生活、未注明原因且未经支部审查的党员。",
    )
    on = check_in(5, ABSENT_RULE, org, as_of=D(2026, 6, 30))
    assert (on.status, on.missing) == ("fail", ["2026-01~2026-06"])
    assert on.message == (
        "1名党员连续6个月以上未参加组织生活且未注明原因，尚无支部审查记录：张三（2026-01至2026-06，6个月）。"
    )
    assert check_in(5, ABSENT_RULE, org, as_of=D(2026, 7, 31)).missing == ["2026-01~2026-07"]


def test_a_month_attended_or_excused_breaks_the_run():
    attended = monthly([1, 2, 3, 5, 6, 7], absent={ZHANG.id: ""}) + monthly([4])
    assert check_in(5, ABSENT_RULE, life(attended), as_of=D(2026, 7, 31)).status == "pass"
    excused = monthly([1, 2, 3, 5, 6, 7], absent={ZHANG.id: ""}) + monthly([4], absent={ZHANG.id: "sick"})
    assert check_in(5, ABSENT_RULE, life(excused), as_of=D(2026, 7, 31)).status == "pass"


def test_one_absence_without_a_reason_makes_the_month_unexcused():
    records = [
        *monthly(range(1, 7), absent={ZHANG.id: ""}),
        rec(D(2026, 4, 28), absent={ZHANG.id: "official"}),
    ]
    assert check_in(5, ABSENT_RULE, life(records), as_of=D(2026, 6, 30)).missing == ["2026-01~2026-06"]


def test_a_month_without_any_record_neither_counts_nor_breaks():
    records = monthly([1, 2, 3, 5, 6, 7], absent={ZHANG.id: ""})
    assert check_in(5, ABSENT_RULE, life(records), as_of=D(2026, 6, 30)).status == "pass"  # five months
    assert check_in(5, ABSENT_RULE, life(records), as_of=D(2026, 7, 31)).missing == ["2026-01~2026-07"]


def test_a_run_from_the_previous_year_counts():
    records = monthly(range(9, 13), year=2025, absent={ZHANG.id: ""}) + monthly([1, 2], absent={ZHANG.id: ""})
    outcome = check_in(5, ABSENT_RULE, life(records), as_of=D(2026, 2, 28))
    assert (outcome.status, outcome.missing) == ("fail", ["2025-09~2026-02"])


def test_a_review_covers_the_months_up_to_its_through_month_and_later_absence_counts_afresh():
    records = monthly(range(1, 13), absent={ZHANG.id: ""})
    reviewed = ZHANG._replace(reviewed_through=D(2026, 6, 1))
    org = life(records, members=(reviewed,))
    assert check_in(5, ABSENT_RULE, org, as_of=D(2026, 11, 30)).status == "pass"  # July–November: five
    outcome = check_in(5, ABSENT_RULE, org)
    assert (outcome.status, outcome.missing) == ("fail", ["2026-07~2026-12"])
    short_review = ZHANG._replace(reviewed_through=D(2026, 5, 1))  # before the run's sixth month
    assert (
        check_in(5, ABSENT_RULE, life(records, members=(short_review,)), as_of=D(2026, 11, 30)).status
        == "fail"
    )


def test_months_before_the_member_came_or_joined_are_empty():
    newcomer = ZHANG._replace(since=D(2026, 3, 1))
    # recorded absent (no reason) from March, when they came; before that, not expected
    records = [r._replace(absent={ZHANG.id: ""} if r.date.month >= 3 else {}) for r in monthly(range(1, 9))]
    org = life(records, members=(newcomer,))
    assert check_in(5, ABSENT_RULE, org, as_of=D(2026, 7, 31)).status == "pass"
    assert check_in(5, ABSENT_RULE, org, as_of=D(2026, 8, 31)).missing == ["2026-03~2026-08"]
    joined = ZHANG._replace(joined_on=D(2026, 4, 1))
    records = [r._replace(absent={ZHANG.id: ""} if r.date.month >= 4 else {}) for r in monthly(range(1, 10))]
    assert check_in(5, ABSENT_RULE, life(records, members=(joined,)), as_of=D(2026, 9, 30)).missing == [
        "2026-04~2026-09"
    ]


def test_a_party_group_member_takes_part_in_the_group_or_the_branch():
    branch_only = monthly(range(1, 7), absent={LI.id: ""})
    group_meetings = monthly(range(1, 7), org=GROUP, day=20)
    assert (
        check_in(
            5, ABSENT_RULE, life(branch_only + group_meetings, members=(LI,)), as_of=D(2026, 6, 30)
        ).status
        == "pass"
    )
    # the member of the branch itself is not expected at the 党小组's meetings
    other_group = monthly(range(1, 7), org=3, day=20)
    outcome = check_in(5, ABSENT_RULE, life(branch_only + other_group, members=(LI,)), as_of=D(2026, 6, 30))
    assert outcome.missing == ["2026-01~2026-06"]


def test_a_committee_meeting_counts_for_the_committee_members():
    member = ZHANG
    theme_days = monthly(range(1, 7), absent={member.id: ""})
    committee = monthly(range(1, 7), types=("committee",), day=5)
    holder = (post(member.id, "zuzhi", D(2024, 1, 1)),)
    assert (
        check_in(5, ABSENT_RULE, life(theme_days + committee, committee=holder), as_of=D(2026, 6, 30)).status
        == "pass"
    )
    assert check_in(5, ABSENT_RULE, life(theme_days + committee), as_of=D(2026, 6, 30)).status == "fail"


def test_other_types_are_not_organizational_life():
    talks = monthly(range(1, 7), types=("talk",))
    records = monthly(range(1, 7), absent={ZHANG.id: ""}) + talks
    assert check_in(5, ABSENT_RULE, life(records), as_of=D(2026, 6, 30)).status == "fail"


def test_absence_rule_not_applicable_once_dissolved():
    org = facts(dissolved_on=D(2026, 5, 1), extra={"orglife": LifeFacts(BRANCH, D(2025, 1, 1))})
    assert check_in(5, ABSENT_RULE, org).status == "not_applicable"


# --- MEM-LEADER-DUAL-LIFE -------------------------------------------------------------------------------

BOSS = LifeMember(20, "王局长", BRANCH, D(2000, 7, 1), is_leader=True)
DEPUTY = LifeMember(21, "赵副局长", GROUP, D(2001, 7, 1), is_leader=True)


def test_leaders_who_attended_the_org_life_meeting_pass():
    meeting = rec(D(2026, 11, 20), "org_life", meeting_id=501)
    group_meeting = rec(D(2026, 11, 25), "org_life", org=GROUP, absent={}, meeting_id=502)
    outcome = check_in(5, LEADER_RULE, life([meeting, group_meeting], members=(ZHANG, BOSS, DEPUTY)))
    assert (outcome.status, meeting_ids_of(outcome.evidence)) == ("pass", [501, 502])
    assert outcome.message == "已满足：2名领导干部均参加了本支部（含党小组）的组织生活会。"


def test_a_leader_in_a_party_group_may_attend_the_groups_meeting():
    branch_meeting = rec(D(2026, 11, 20), "org_life", absent={DEPUTY.id: ""})
    group_meeting = rec(D(2026, 11, 25), "org_life", org=GROUP)
    assert check_in(5, LEADER_RULE, life([branch_meeting, group_meeting], members=(DEPUTY,))).status == "pass"


def test_absence_with_a_reason_is_listed_not_failed():
    meeting = rec(D(2026, 11, 20), "org_life", absent={BOSS.id: "official"})
    outcome = check_in(5, LEADER_RULE, life([meeting], members=(BOSS,)))
    assert (outcome.status, outcome.message) == (
        "pass",
        "已满足：1名领导干部均已参加本支部（含党小组）的组织生活会或注明缺席原因；因故缺席并注明原因：王局长。",
    )


def test_absence_without_a_reason_is_pending_until_the_last_day_of_the_year():
    meeting = rec(D(2026, 11, 20), "org_life", absent={BOSS.id: ""})
    org = life([meeting], members=(BOSS, DEPUTY))
    pending = check_in(5, LEADER_RULE, org, as_of=D(2026, 12, 30))
    assert (pending.status, pending.message) == (
        "pending",
        "待完成：2026年尚有领导干部未参加本支部的组织生活会：王局长（截至2026-12-30），应于年底前完成。",
    )
    failed = check_in(5, LEADER_RULE, org)
    assert (failed.status, failed.missing) == ("fail", ["2026"])
    assert failed.message == "2026年有领导干部未参加本支部的组织生活会：王局长（缺席且未注明原因）。"


def test_no_org_life_meeting_held_fails_at_the_end_of_the_year():
    outcome = check_in(5, LEADER_RULE, life([rec(D(2026, 3, 1), "theme_day")], members=(BOSS,)))
    assert outcome.message == "2026年有领导干部未参加本支部的组织生活会：王局长（本支部未召开）。"


def test_a_leader_who_came_after_the_meeting_is_listed():
    newcomer = BOSS._replace(since=D(2026, 12, 1))
    outcome = check_in(5, LEADER_RULE, life([rec(D(2026, 11, 20), "org_life")], members=(newcomer,)))
    assert (outcome.status, outcome.message) == (
        "pass",
        "已满足：1名领导干部均已参加本支部（含党小组）的组织生活会或注明缺席原因；到本支部前已召开：王局长。",
    )


def test_last_years_org_life_meeting_does_not_count():
    last_year = rec(D(2025, 12, 20), "org_life")
    assert check_in(5, LEADER_RULE, life([last_year], members=(BOSS,))).status == "fail"


def test_leader_rule_not_applicable_without_leaders_or_after_dissolution():
    outcome = check_in(5, LEADER_RULE, life([rec(D(2026, 11, 20), "org_life")]))
    assert (outcome.status, outcome.message) == (
        "not_applicable",
        "不适用：2026-12-31本支部没有标记为领导干部的党员。",
    )
    gone = facts(
        dissolved_on=D(2026, 6, 30), extra={"orglife": LifeFacts(BRANCH, D(2026, 1, 1), (BOSS,), (), ())}
    )
    assert check_in(5, LEADER_RULE, gone).status == "not_applicable"


# --- links and 待办 -------------------------------------------------------------------------------------


def test_links_and_todo_of_the_attendance_rules(db):
    from dangjian.compliance.periods import window_for
    from dangjian.compliance.registry import REGISTRY
    from dangjian.compliance.rulebook import load_ruleset

    rules = load_ruleset(5)
    org = facts().ref
    review = REGISTRY["orglife_absence"].link(rules.rule(ABSENT_RULE), org, "fail")
    assert (review.url, review.label, review.primary) == ("/meetings/absences/?org=1", "去审查", True)
    assert REGISTRY["orglife_absence"].link(rules.rule(ABSENT_RULE), org, "pass") is None
    record = REGISTRY["leader_org_life"].link(rules.rule(LEADER_RULE), org, "pending")
    assert (record.url, record.label) == ("/meetings/new/?org=1&type=org_life", "去录入组织生活会")
    leader = rules.rule(LEADER_RULE)
    org_facts = life([rec(D(2026, 3, 1), "theme_day")], members=(BOSS, ZHANG))
    on = D(2026, 10, 8)
    window = window_for(2026, on, org_facts.founded_on, None)
    (due,) = REGISTRY["leader_org_life"].todo(org_facts, window, leader.typed_params, on)
    assert (due.period, due.due_by, str(due.message)) == (
        "2026",
        D(2026, 12, 31),
        "本年度尚有领导干部未参加本支部的组织生活会：王局长。",
    )
    done = life([rec(D(2026, 3, 1), "org_life")], members=(BOSS,))
    assert REGISTRY["leader_org_life"].todo(done, window, leader.typed_params, on) == []
