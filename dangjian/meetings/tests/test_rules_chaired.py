"""MTG-CHAIRED-BY-SECRETARY (v5, BR-23): who chaired the 支部党员大会, 支部委员会 and 党小组会."""

import datetime as dt

from dangjian.compliance.tests.conftest import Y
from dangjian.meetings.facts import ChairedRecord, ChairFacts
from dangjian.meetings.tests.builders import D, check_in, facts, meeting_ids_of, post
from dangjian.meetings.tests.test_rules_v5_corrections import result_in
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post, update_post

RULE = "MTG-CHAIRED-BY-SECRETARY"
SECRETARY, DEPUTY, MEMBER, LEADER, OUTSIDER = 1, 2, 3, 4, 5
POSTS = (
    post(SECRETARY, "shuji", D(2024, 1, 1), D(2026, 9, 1)),
    post(DEPUTY, "zuzhi", D(2024, 1, 1)),
)
GROUP_POSTS = {20: (post(LEADER, "xiaozuzhang", D(2024, 1, 1)),)}
NAMES = {SECRETARY: "书记甲", DEPUTY: "组织乙", MEMBER: "党员丙", LEADER: "组长丁", OUTSIDER: "外人"}


def chaired(kind, day, host, *, absent=(), meeting_id=None, org_id=1, org_name="甲一支部"):
    return ChairedRecord(
        meeting_id or hash((kind, day, host)) % 10000,
        org_id,
        org_name,
        kind,
        day,
        host,
        NAMES.get(host, ""),
        frozenset(absent),
    )


def group(day, host, *, absent=(), meeting_id=None):
    return chaired("group", day, host, absent=absent, meeting_id=meeting_id, org_id=20, org_name="第一党小组")


def branch(records=(), group_records=(), **fields):
    chairs = ChairFacts(tuple(records), tuple(group_records), GROUP_POSTS)
    return facts(posts=POSTS, extra={"meeting_chairs": chairs}, **fields)


def test_meetings_chaired_by_the_secretary_and_party_group_leader_pass():
    org = branch(
        [
            chaired("assembly", D(2026, 3, 5), SECRETARY, meeting_id=1),
            chaired("committee", D(2026, 4, 2), SECRETARY, meeting_id=2),
        ],
        [group(D(2026, 3, 20), LEADER, meeting_id=3)],
    )
    outcome = check_in(5, RULE, org)
    assert (outcome.status, meeting_ids_of(outcome.evidence)) == ("pass", [1, 2, 3])
    assert outcome.message == "已满足：3次会议均由书记（党小组会由党小组长）主持。"


def test_a_committee_member_may_chair_when_the_secretary_is_recorded_absent():
    org = branch([chaired("committee", D(2026, 4, 2), DEPUTY, absent=[SECRETARY], meeting_id=2)])
    outcome = check_in(5, RULE, org)
    assert outcome.status == "pass"
    assert (
        outcome.message
        == "已满足：1次会议均由书记（党小组会由党小组长）主持，其中1次书记或党小组长缺席、由他人主持。"
    )


def test_a_committee_member_chairing_while_the_secretary_attended_fails():
    org = branch([chaired("assembly", D(2026, 3, 5), DEPUTY, meeting_id=7)])
    outcome = check_in(5, RULE, org)
    assert (outcome.status, outcome.missing, meeting_ids_of(outcome.evidence)) == (
        "fail",
        ["2026-03-05"],
        [7],
    )
    assert (
        outcome.message
        == "1次会议的主持人不符合规定：2026-03-05支部党员大会（主持人组织乙不是书记，书记未记录缺席）。"
    )


def test_a_member_without_a_post_or_no_host_recorded_fails():
    org = branch(
        [
            chaired("assembly", D(2026, 6, 5), MEMBER, absent=[SECRETARY], meeting_id=8),
            chaired("committee", D(2026, 2, 5), None, meeting_id=9),
        ]
    )
    outcome = check_in(5, RULE, org)
    assert (outcome.status, outcome.missing) == ("fail", ["2026-02-05", "2026-06-05"])
    assert outcome.message == (
        "2次会议的主持人不符合规定：2026-02-05支部委员会（未记录主持人）；"
        "2026-06-05支部党员大会（主持人党员丙不是书记，也不担任副书记、组织委员、宣传委员、纪检委员、委员）。"
    )


def test_when_no_secretary_is_in_post_a_committee_member_chairs():
    # the 书记 left on 1 September (离任日期): from that day the post is vacant
    org = branch([chaired("committee", D(2026, 9, 1), DEPUTY, meeting_id=4)])
    assert check_in(5, RULE, org).status == "pass"
    # the day before, the 书记 was in post and attended
    org = branch([chaired("committee", D(2026, 8, 31), DEPUTY, meeting_id=4)])
    assert check_in(5, RULE, org).status == "fail"


def test_a_record_of_two_checked_types_is_one_meeting():
    both = [chaired(t, D(2026, 3, 5), DEPUTY, meeting_id=5) for t in ("assembly", "committee")]
    outcome = check_in(5, RULE, branch(both))
    assert (
        outcome.message
        == "1次会议的主持人不符合规定：2026-03-05支部党员大会、支部委员会（主持人组织乙不是书记，书记未记录缺席）。"
    )


def test_party_group_meetings_are_chaired_by_the_party_group_leader():
    by_secretary = branch(group_records=[group(D(2026, 3, 20), SECRETARY, meeting_id=6)])
    outcome = check_in(5, RULE, by_secretary)
    assert (
        outcome.message
        == "1次会议的主持人不符合规定：2026-03-20第一党小组党小组会（主持人书记甲不是党小组长，党小组长未记录缺席）。"
    )
    stand_in = branch(group_records=[group(D(2026, 3, 20), MEMBER, absent=[LEADER])])
    assert check_in(5, RULE, stand_in).status == "pass"
    leaderless = ChairFacts((), (group(D(2026, 3, 20), MEMBER),), {})
    outcome = check_in(5, RULE, facts(posts=POSTS, extra={"meeting_chairs": leaderless}))
    assert (
        outcome.message
        == "1次会议的主持人不符合规定：2026-03-20第一党小组党小组会（当日没有在任的党小组长）。"
    )


def test_other_types_and_records_after_d_are_not_checked():
    org = branch([chaired("lecture", D(2026, 3, 5), MEMBER), chaired("assembly", D(2026, 11, 5), MEMBER)])
    outcome = check_in(5, RULE, org, as_of=D(2026, 11, 4))
    assert (outcome.status, outcome.message) == (
        "not_applicable",
        "不适用：2026年（截至2026-11-04）没有支部党员大会、支部委员会、党小组会记录需要检查主持人。",
    )
    # the boundary day: the meeting of 5 November counts from that day
    assert check_in(5, RULE, org, as_of=D(2026, 11, 5)).status == "fail"


def test_not_applicable_without_any_record():
    assert check_in(5, RULE, facts(posts=POSTS)).status == "not_applicable"


# --- on the database --------------------------------------------------------------------------------


def test_chairs_on_the_database(tree, branch, hold):
    """A1's 书记甲, 组织乙 and 宣传丙 since 2024; 小组丁 in A1G1."""
    create_post(
        actor=None,
        data={
            "member": branch["小组"],
            "org": tree.a1g1,
            "title": "xiaozuzhang",
            "started_on": D(2024, 1, 1),
        },
    )
    orgs = Org.objects.all()
    ok = hold(tree.a1, D(Y, 3, 5), "assembly", host=branch["书记"])
    stand_in = hold(tree.a1, D(Y, 4, 2), "committee", host=branch["组织"], absent={branch["书记"]: ""})
    grouped = hold(tree.a1g1, D(Y, 3, 20), "group", host=branch["小组"])
    r = result_in(5, orgs, RULE, tree.a1)
    assert (r.status, meeting_ids_of(r.evidence)) == ("pass", sorted([ok.pk, stand_in.pk, grouped.pk]))
    wrong = hold(tree.a1, D(Y, 5, 6), "committee", host=branch["宣传"])
    assert result_in(5, orgs, RULE, tree.a1, as_of=D(Y, 5, 5)).status == "pass"  # the day before it
    r = result_in(5, orgs, RULE, tree.a1, as_of=D(Y, 5, 6))
    assert r.status == "fail"
    r = result_in(5, orgs, RULE, tree.a1)
    assert (r.status, r.missing, meeting_ids_of(r.evidence)) == ("fail", [f"{Y}-05-06"], [wrong.pk])
    assert (
        r.message
        == f"1次会议的主持人不符合规定：{Y}-05-06支部委员会（主持人宣传丙不是书记，书记未记录缺席）。"
    )
    # the 党小组长 steps down: a later 党小组会 has no 党小组长 to chair it
    update_post(actor=None, post=tree.a1g1.posts.get(), data={"ended_on": D(Y, 6, 1)})
    hold(tree.a1g1, D(Y, 6, 20), "group", host=branch["小组"])
    assert result_in(5, orgs, RULE, tree.a1).missing == [f"{Y}-05-06", f"{Y}-06-20"]
    # a branch without such a record: not applicable
    assert result_in(5, orgs, RULE, tree.a2).status == "not_applicable"
    # v4 has no such rule
    from dangjian.compliance.rulebook import load_ruleset

    assert RULE not in {r.id for r in load_ruleset(4).rules}


def test_the_chairs_provider_runs_four_queries_whatever_the_scope(tree, django_assert_num_queries):
    from dangjian.compliance.facts import build_facts
    from dangjian.compliance.rulebook import load_ruleset
    from dangjian.compliance.tests.test_query_count import populate

    small, large = populate(tree.gw, 10), populate(tree.gw, 120)
    rule = load_ruleset(5).rule(RULE)
    for orgs in (small, large):
        # the engine's five (a small scope); the branches and their 党小组 (a small scope's list), records,
        # absences, 党小组长 posts (and the hosts' names when a record names its host: populate's don't)
        with django_assert_num_queries(5 + 4):
            built = build_facts(
                orgs, year=Y, as_of=dt.date(Y, 10, 31), extra=["meeting_chairs"], rules=[rule]
            )
        branches = [f for f in built if f.ref.type == "zhibu"]
        assert branches and {len(f.extra["meeting_chairs"].records) for f in branches} == {3}, {
            len(f.extra["meeting_chairs"].records) for f in branches
        }
        # populate's 党小组 hold a 党小组会 in March, June and September; the last branch may have none
        assert {len(f.extra["meeting_chairs"].group_records) for f in branches} <= {0, 3}
        assert sum(len(f.extra["meeting_chairs"].group_records) for f in branches) >= 3 * (len(branches) - 1)
