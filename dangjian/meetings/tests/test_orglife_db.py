"""MEM-ORGLIFE-ABSENT-6M and MEM-LEADER-DUAL-LIFE on the database: records made through the meetings service,
the branch's review (OrgLifeReview) through its service and page, kept results refreshed after the review."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.compliance.models import KeptResult
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.conftest import Y
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.meetings.models import OrgLifeReview
from dangjian.meetings.services import record_orglife_review
from dangjian.meetings.tests.test_rules_v5_corrections import result_in
from dangjian.orgs.models import Org

D = dt.date
ABSENT_RULE, LEADER_RULE = "MEM-ORGLIFE-ABSENT-6M", "MEM-LEADER-DUAL-LIFE"


@pytest.fixture
def half_year(tree, branch, hold):
    """A1's 主题党日 on the 15th of January–July of Y: 宣传丙 absent without a reason every time, 组织乙 absent
    on sick leave every time, 小组丁 absent from the branch's but at their 党小组's meeting each month."""
    for month in range(1, 8):
        hold(
            tree.a1,
            D(Y, month, 15),
            "theme_day",
            absent={branch["宣传"]: "", branch["组织"]: ("sick", ""), branch["小组"]: ""},
        )
        hold(tree.a1g1, D(Y, month, 20), "group")
    return branch


def review(member, *, on=None, through=None, actor=None, decision="contact", reason="已电话联系，核实中"):
    on, through = on or D(Y, 7, 10), through or D(Y, 6, 1)
    return record_orglife_review(
        actor=actor, member=member, reviewed_on=on, through_month=through, decision=decision, reason=reason
    )


def test_six_months_absent_without_a_reason_is_a_case_until_reviewed(tree, half_year):
    orgs = Org.objects.all()
    assert result_in(5, orgs, ABSENT_RULE, tree.a1, as_of=D(Y, 6, 29)).status == "pass"
    r = result_in(5, orgs, ABSENT_RULE, tree.a1, as_of=D(Y, 6, 30))
    assert (r.status, r.missing) == ("fail", [f"{Y}-01~{Y}-06"])
    assert r.message == (
        f"1名党员连续6个月以上未参加组织生活且未注明原因，尚无支部审查记录：宣传丙（{Y}-01至{Y}-06，6个月）。"
    )
    review(half_year["宣传"])
    assert result_in(5, orgs, ABSENT_RULE, tree.a1, as_of=D(Y, 7, 9)).status == "fail"  # not yet reviewed
    assert result_in(5, orgs, ABSENT_RULE, tree.a1, as_of=D(Y, 7, 31)).status == "pass"
    # a branch dissolved by D: not applicable
    tree.a1.dissolved_on = D(Y, 7, 1)
    tree.a1.save(update_fields=["dissolved_on"])
    assert result_in(5, orgs, ABSENT_RULE, tree.a1).status == "not_applicable"
    # v4 has neither rule
    assert not {ABSENT_RULE, LEADER_RULE} & {rule.id for rule in load_ruleset(4).rules}


def test_the_review_is_scoped_audited_and_changes_no_status(tree, half_year, users):
    member = half_year["宣传"]
    events = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        review(member, actor=users["branch_a2"])
    assert (OrgLifeReview.objects.count(), AuditEvent.objects.count()) == (0, events)
    done = review(member, actor=users["branch_a1"], decision="not_justified", reason="经谈话无正当理由")
    assert (done.through_month, done.reviewed_by) == (D(Y, 6, 1), users["branch_a1"])
    event = AuditEvent.objects.get(object_type="meetings.orglifereview")
    assert (event.action, event.org_path, event.after["decision"], event.after["member"]) == (
        "create",
        tree.a1.path,
        "无正当理由，按规定处理",
        "宣传丙",
    )
    member.refresh_from_db()
    assert (member.status, member.inactive_from) == ("normal", None)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reason": " "}, "reason", "请填写理由"),
        ({"decision": "expel"}, "decision", "结论“expel”无效"),
        ({"on": lambda today: today + dt.timedelta(days=1)}, "reviewed_on", "审查日期无效"),  # tomorrow
        ({"through": D(Y, 8, 1)}, "through_month", "审查所涉截至月份不能晚于审查日期"),
    ],
)
def test_a_review_is_refused_with_its_reason(tree, half_year, change, field, message, today):
    change = {key: value(today) if callable(value) else value for key, value in change.items()}
    with pytest.raises(ServiceError, match=message) as refused:
        review(half_year["宣传"], **change)
    assert refused.value.field == field
    assert not OrgLifeReview.objects.exists()


def test_the_through_month_is_a_month(tree, half_year):
    assert review(half_year["宣传"], through=D(Y, 6, 17)).through_month == D(Y, 6, 1)


def test_the_page_lists_cases_and_records_the_review(client, users, tree, half_year):
    client.force_login(users["branch_a1"])
    url = reverse("meetings:absences")
    page = client.get(url).content.decode()
    member = half_year["宣传"]
    # evaluated today: January–July of Y lie within the months from January of last year
    assert f'data-member="{member.pk}" data-level="case"' in page
    assert f"{Y}-01~{Y}-07，无故未参加 7 个月" in page
    assert half_year["组织"].name not in page and half_year["小组"].name not in page
    assert 'name="through_month"' in page and f'value="{Y}-07"' in page
    from dangjian.meetings.tests.test_double_submit import token_of

    review = {
        "member": member.pk,
        "reviewed_on": D(Y, 8, 10).isoformat(),
        "through_month": f"{Y}-07",
        "decision": "justified",
        "reason": "长期借调外地，已在借调单位参加组织生活",
        "once_token": token_of(page),  # the review form carries its one-time token
    }
    response = client.post(url, review)
    assert response.status_code == 302 and response["Location"] == url
    assert client.post(url, review).status_code == 409  # sent again: recorded once
    assert OrgLifeReview.objects.get().member == member
    assert f'data-member="{member.pk}"' not in client.get(url).content.decode()


def test_the_page_refuses_another_branchs_member_and_shows_form_errors(client, users, tree, half_year):
    client.force_login(users["branch_a2"])
    url = reverse("meetings:absences")
    assert half_year["宣传"].name not in client.get(url).content.decode()
    data = {
        "member": half_year["宣传"].pk,
        "reviewed_on": D(Y, 8, 10).isoformat(),
        "through_month": f"{Y}-07",
    }
    assert client.post(url, {**data, "decision": "justified", "reason": "x"}).status_code == 404
    client.force_login(users["branch_a1"])
    response = client.post(url, {**data, "decision": "justified", "reason": ""})
    assert response.status_code == 400
    assert not OrgLifeReview.objects.exists()


def test_the_review_refreshes_the_kept_result(tree, half_year, django_capture_on_commit_callbacks):
    kept.refresh()
    year = dt.date.today().year
    assert year in (Y, Y + 1)  # the months of Y lie within the evaluated span (from January of last year)
    assert KeptResult.objects.get(org=tree.a1, rule_id=ABSENT_RULE, year=year).status == "fail"
    with django_capture_on_commit_callbacks(execute=True):
        review(half_year["宣传"], through=D(Y, 7, 1), on=D(Y, 8, 1))
    assert KeptResult.objects.get(org=tree.a1, rule_id=ABSENT_RULE, year=year).status == "pass"


# --- MEM-LEADER-DUAL-LIFE -------------------------------------------------------------------------------


def test_leaders_at_the_org_life_meeting_on_the_database(tree, branch, make_member, hold):
    boss = make_member(tree.a1, name="王局长", is_leader=True)
    deputy = make_member(tree.a1g1, name="赵副局长", is_leader=True)
    orgs = Org.objects.all()
    none_held = result_in(5, orgs, LEADER_RULE, tree.a1)
    assert (
        none_held.message
        == f"{Y}年有领导干部未参加本支部的组织生活会：王局长（本支部未召开）、赵副局长（本支部未召开）。"
    )
    assert result_in(5, orgs, LEADER_RULE, tree.a1, as_of=D(Y, 12, 30)).status == "pending"
    meeting = hold(
        tree.a1, D(Y, 11, 20), "org_life", "member_review", absent={boss: "", deputy: ("official", "赴京")}
    )
    r = result_in(5, orgs, LEADER_RULE, tree.a1)
    assert (r.status, r.message) == (
        "fail",
        f"{Y}年有领导干部未参加本支部的组织生活会：王局长（缺席且未注明原因）。",
    )
    from dangjian.meetings.services import update_meeting

    update_meeting(
        actor=None,
        meeting=meeting,
        data={},
        absentees={boss.pk: ("other", "陪同外宾"), deputy.pk: ("official", "赴京")},
    )
    r = result_in(5, orgs, LEADER_RULE, tree.a1)
    assert (r.status, r.message) == (
        "pass",
        "已满足：2名领导干部均已参加本支部（含党小组）的组织生活会或注明缺席原因；因故缺席并注明原因：王局长、赵副局长。",
    )
    update_meeting(actor=None, meeting=meeting, data={}, absentees={})
    r = result_in(5, orgs, LEADER_RULE, tree.a1)
    assert (r.status, [e.id for e in r.evidence]) == ("pass", [meeting.pk])
    assert result_in(5, orgs, LEADER_RULE, tree.a2).status == "not_applicable"


def test_the_orglife_provider_runs_a_fixed_number_of_queries(tree, django_assert_num_queries):
    from dangjian.compliance.facts import build_facts
    from dangjian.compliance.tests.test_query_count import populate

    small, large = populate(tree.gw, 10), populate(tree.gw, 120)
    rules = [load_ruleset(5).rule(r) for r in (ABSENT_RULE, LEADER_RULE)]
    for orgs in (small, large):
        # the engine's five (a small scope); the branches and their 党小组 (a small scope's list), members,
        # moves, reviews, absences, records, committee posts
        with django_assert_num_queries(5 + 7):
            built = build_facts(orgs, year=Y, as_of=D(Y, 10, 31), extra=["orglife"], rules=rules)
        life = [f.extra["orglife"] for f in built if f.ref.type == "zhibu"]
        assert life and all(len(f.members) >= 3 and len(f.records) >= 3 for f in life)
        assert {f.start for f in life} == {D(Y - 1, 1, 1)}


def test_a_record_of_several_types_is_one_organizational_life_record(tree, branch, hold):
    """The provider gathers a meeting's types from its adjacent rows of the scan: a 支部党员大会 that is also the
    党课 is one record with both types, a meeting of the same day beside it another, each with its absentees."""
    from dangjian.compliance.facts import build_facts

    both = hold(tree.a1, D(Y, 3, 10), "assembly", "lecture", absent={branch["宣传"]: ""})
    same_day = hold(tree.a1, D(Y, 3, 10), "theme_day")
    group = hold(tree.a1g1, D(Y, 3, 12), "group", "lecture")
    rules = [load_ruleset(5).rule(ABSENT_RULE)]
    built = build_facts(Org.objects.all(), year=Y, as_of=D(Y, 10, 31), extra=["orglife"], rules=rules)
    life = next(f.extra["orglife"] for f in built if f.ref.id == tree.a1.pk)
    assert [(r.meeting_id, r.org_id, r.date, sorted(r.types)) for r in life.records] == [
        (both.pk, tree.a1.pk, D(Y, 3, 10), ["assembly", "lecture"]),
        (same_day.pk, tree.a1.pk, D(Y, 3, 10), ["theme_day"]),
        (group.pk, tree.a1g1.pk, D(Y, 3, 12), ["group", "lecture"]),
    ]
    assert dict(life.records[0].absent) == {branch["宣传"].pk: ""} and not life.records[1].absent
