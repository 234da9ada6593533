"""An election recorded and awaiting the higher organisation's approval: ORG-TERM-REMINDER keeps its verdict (status
and due day, in every published rulebook) but no longer asks the branch to prepare the 换届 — it says the election of
that day is recorded and awaits the 上级党组织's approval; the branch's item opens that election instead of 登记选举;
and the approval is the 党委's item on its work list (as its 发展党员 approvals are), gone once recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.accounts.scope import scope_for
from dangjian.compliance import kept, workbench
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.registry import Link
from dangjian.compliance.rulebook import load_ruleset
from dangjian.elections import workbench as elections_workbench
from dangjian.elections.facts import load_election_facts
from dangjian.elections.services import approve_result
from dangjian.elections.tests.conftest import cands
from dangjian.elections.tests.test_services import record
from dangjian.orgs.models import Org
from dangjian.orgs.services import update_org
from dangjian.portal.workbench import work_list

RULE, ON_TIME = "ORG-TERM-REMINDER", "ORG-TERM-ON-TIME"
D = dt.date
HELD = D(2026, 8, 20)  # 甲一支部's election, before its term ends on 2026-09-01 (a1_voters)
PREPARE = "请及时做好换届准备"


def result(version, as_of, rule=RULE):
    rs = load_ruleset(version)
    rs = rs.model_copy(update={"rules": [r for r in rs.rules if r.id == rule]})
    ev = evaluate(Org.objects.filter(code="A1"), year=as_of.year, as_of=as_of, ruleset=rs)
    (found,) = ev.for_rule(rule)
    return found


def verdicts(as_of):
    """(status, missing) of ORG-TERM-REMINDER in every published rulebook that has it."""
    return {v: (r.status, r.missing) for v in (4, 5, 6, 7, 8, 9) for r in [result(v, as_of)]}


def items(on, version=9):
    orgs = Org.objects.filter(code="A1")
    ruleset = load_ruleset(version)
    kept.refresh(orgs, on=on, year=on.year, ruleset=ruleset)
    return {i.rule_id: i for i in workbench.kept_items(orgs, on=on, ruleset=ruleset)}


@pytest.fixture
def recorded(tree, a1_voters):
    return record(tree.a1, a1_voters, held_on=HELD)


# --- the rule's message: the verdict stays -----------------------------------------------------------------


def test_the_reminder_says_the_election_awaits_approval_and_keeps_its_verdict(tree, a1_voters):
    days = (D(2026, 8, 25), D(2026, 10, 1), D(2027, 9, 2))  # due, overdue, beyond 12 months (违规)
    before = {day: verdicts(day) for day in days}
    assert PREPARE in str(result(9, days[0]).message)
    record(tree.a1, a1_voters, held_on=HELD)
    assert {day: verdicts(day) for day in days} == before
    for version in (7, 9):  # due: failed as published in v7, pending from v8
        assert str(result(version, days[0]).message) == (
            "本届任期2026-09-01届满；2026-08-20的换届选举已登记，选举结果待上级党组织批准，批准后开始新一届任期。"
        )
    assert str(result(9, days[1]).message) == (
        "本届任期2026-09-01届满；2026-08-20的换届选举已登记，至2026-10-01选举结果尚未经上级党组织批准。"
    )
    late = str(result(9, days[2]).message)
    assert (
        "2026-08-20的换届选举已登记，至2027-09-02选举结果尚未经上级党组织批准" in late and "属于违规" in late
    )
    # before the election day, nothing is recorded yet as of that day
    assert PREPARE in str(result(9, D(2026, 8, 19)).message)


def test_an_approved_election_opens_the_new_term(users, tree, recorded):
    assert "选举结果待上级党组织批准" in str(result(9, D(2026, 8, 25)).message)
    approve_result(
        actor=users["dangwei_a"], election=recorded, approved_on=D(2026, 9, 5), approving_body="甲委机关党委"
    )
    assert result(9, D(2026, 10, 1)).status == "pass"  # the new term, from the election day
    # its next term's reminder asks for the 换届 again: the approved election is no longer awaiting
    assert PREPARE in str(result(9, D(2029, 3, 1)).message)


def test_only_an_election_for_the_next_term_with_someone_elected_awaits_approval(tree, a1_voters):
    # one held before the term in force started (a record only: the term opened otherwise), one where nobody was
    # elected (not approved: the election is held again)
    record(tree.a1, a1_voters, held_on=D(2023, 8, 1))
    record(tree.a1, a1_voters, held_on=HELD, candidates=cands(a1_voters, (5, 4, 3, 2)))
    assert PREPARE in str(result(9, D(2026, 8, 25)).message)
    record(tree.a1, a1_voters, held_on=D(2026, 8, 22))
    assert "2026-08-22的换届选举已登记，选举结果待上级党组织批准" in str(result(9, D(2026, 8, 25)).message)


def test_the_fact_loader_reads_the_awaiting_elections_in_one_more_query(tree, a1_voters, make_member):
    a2_voters = [make_member(tree.a2, name=f"乙党员{i:02d}") for i in range(10)]
    update_org(actor=None, org=tree.a2, data={"term_started_on": D(2023, 9, 1)})
    for org, members in ((tree.a1, a1_voters), (tree.a2, a2_voters)):
        org.refresh_from_db()
        record(org, members, held_on=HELD)
        record(org, members, held_on=D(2026, 8, 22))
    orgs = list(Org.objects.all())
    with CaptureQueriesContext(connection) as ctx:
        facts = load_election_facts(Org.objects.values("pk"), orgs, 2026, D(2026, 12, 31))
    assert len(ctx.captured_queries) == 3
    assert [a.held_on for a in facts[tree.a1.pk].awaiting] == [D(2026, 8, 22), HELD]  # the latest first
    assert [a.held_on for a in facts[tree.a2.pk].awaiting] == [D(2026, 8, 22), HELD]
    assert facts[tree.a.pk].awaiting == ()


# --- the branch's item: the election as its button ------------------------------------------------------------


def test_the_branchs_item_opens_the_election_awaiting_approval(tree, a1_voters):
    due_day, overdue_day = D(2026, 8, 25), D(2026, 10, 1)
    before = items(due_day)[RULE]
    create = f"{reverse('elections:create')}?org={tree.a1.pk}"
    assert before.link == Link(create, "登记选举", primary=True) and PREPARE in before.detail
    # ORG-TERM-ON-TIME keeps its own link (登记选举) while no election is recorded
    assert items(overdue_day)[ON_TIME].link == Link(create, "登记选举")
    election = record(tree.a1, a1_voters, held_on=HELD)
    after = items(due_day)[RULE]
    assert (after.due, after.overdue, after.category, after.title) == (
        before.due,
        before.overdue,
        before.category,
        before.title,
    )
    assert after.detail == (
        "本届任期2026-09-01届满；2026-08-20的换届选举已登记，选举结果待上级党组织批准，批准后开始新一届任期。"
    )
    detail = reverse("elections:detail", args=[election.pk])
    assert after.link == Link(detail, "查看选举", primary=True)
    late = items(overdue_day)
    assert late[RULE].overdue and late[RULE].link == late[ON_TIME].link == Link(
        detail, "查看选举", primary=True
    )


def test_the_category_reads_the_awaiting_elections_in_one_query(tree, a1_voters):
    election = record(tree.a1, a1_voters, held_on=HELD)
    rules = {r.id: r for r in load_ruleset(9).rules}

    def open_result(rule_id, org):
        ref = workbench.OrgRef(org.pk, org.type, org.name, org.path)
        return workbench.OpenResult(rules[rule_id], ref, "fail", 2026)

    terms = [open_result(RULE, tree.a1), open_result(ON_TIME, tree.a1), open_result(RULE, tree.a2)]
    with CaptureQueriesContext(connection) as ctx:
        found = elections_workbench._prepare(terms, D(2026, 10, 1))
    assert found == {tree.a1.pk: election.pk} and len(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:  # no term result on the list: nothing to read
        assert elections_workbench._prepare([open_result("ELECT-QUORUM", tree.a1)], D(2026, 10, 1)) == {}
    assert len(ctx.captured_queries) == 0


# --- the 党委's item: the approval ----------------------------------------------------------------------------


def approvals_in(work):
    return {i.title: i for i in work.items if i.category == "elections" and not i.rule_id}


def test_the_approval_is_the_dangweis_item_until_recorded(users, tree, recorded, today):
    title = "甲一支部换届选举结果待批准"
    (item,) = approvals_in(work_list(users["dangwei_a"], on=today)).values()
    assert item.title == title
    assert item.org.id == tree.a.pk and item.org.name == "甲委机关党委"
    assert item.due is None and not item.overdue and item.since == HELD
    assert item.detail == (
        "甲一支部2026-08-20的换届选举已登记，选举结果待上级党组织批准；批准后新一届任期自选举日期开始，"
        "当选人自批准之日起任职。"
    )
    assert item.link == Link(reverse("elections:detail", args=[recorded.pk]), "去批准", primary=True)
    # the 党委's drill-down of the branch and the 工委 list it too; the branch, which cannot approve, does not (its
    # own item is the reminder's), nor another branch
    assert title in approvals_in(work_list(users["dangwei_a"], org=tree.a1, on=today))
    assert title in approvals_in(work_list(users["gongwei"], on=today))
    assert not approvals_in(work_list(users["branch_a1"], on=today))
    assert not approvals_in(work_list(users["branch_a2"], on=today))
    approve_result(
        actor=users["dangwei_a"], election=recorded, approved_on=today, approving_body="甲委机关党委"
    )
    assert not approvals_in(work_list(users["dangwei_a"], on=today))


def test_the_approvals_read_a_fixed_number_of_queries(users, tree, a1_voters, make_member, today):
    branch, dangwei = users["branch_a1"], users["dangwei_a"]
    scope_for(branch), scope_for(dangwei)  # read once per request
    record(tree.a1, a1_voters, held_on=HELD)
    with CaptureQueriesContext(connection) as ctx:
        assert elections_workbench.approvals(branch, None, today) == []
    assert len(ctx.captured_queries) == 0  # a 支部管理员 approves nothing: not even asked
    with CaptureQueriesContext(connection) as ctx:
        one = elections_workbench.approvals(dangwei, None, today)
    a2_voters = [make_member(tree.a2, name=f"乙党员{i:02d}") for i in range(10)]
    update_org(actor=None, org=tree.a2, data={"term_started_on": D(2023, 9, 1)})
    tree.a2.refresh_from_db()
    record(tree.a2, a2_voters, held_on=HELD)
    with CaptureQueriesContext(connection) as more:
        two = elections_workbench.approvals(dangwei, None, today)
    assert (len(one), len(two)) == (1, 2)
    assert len(ctx.captured_queries) == len(more.captured_queries) == 2  # the elections, the 党委 above them


def test_the_approval_is_on_the_dangweis_home_page_and_drill_down(client, users, tree, recorded, make_user):
    """The 党委's home page lists its own items apart from the roll-up of its branches: the approvals awaiting it
    are among them (before, only the drill-down of each branch showed them); the 工委 sees them on the 党委's
    drill-down, where it may record them too."""
    title = "甲一支部换届选举结果待批准"
    client.force_login(users["dangwei_a"])
    home = client.get(reverse("dashboard")).content.decode()
    assert title in home and reverse("elections:detail", args=[recorded.pk]) in home
    client.force_login(users["gongwei"])
    assert title in client.get(reverse("portal:work_org", args=[tree.a.pk])).content.decode()
    client.force_login(make_user("dangwei_b", "dangwei_admin", tree.b))  # another 党委
    assert title not in client.get(reverse("dashboard")).content.decode()
