"""A 预备党员's open case follows them when a transfer inside the system is accepted (with its audit event, shown on
the case page); a transfer out of the system leaves the case where it is. The approval recorded before the move is
still judged against the branch that held the case then."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core import idcard
from dangjian.core.errors import OutOfScope
from dangjian.core.models import AuditEvent
from dangjian.movements import services as movements
from dangjian.orgs.models import Org
from dangjian.pipeline import workbench
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.services import follow_member, open_case, record_step
from dangjian.pipeline.tests.helpers import advance, data_for, plan

pytestmark = pytest.mark.django_db


def pid(seq):
    return idcard.make("310230", dt.date(1996, 8, 8) + dt.timedelta(days=seq), seq % 999, True)


@pytest.fixture
def formal(tree, make_member):
    return [make_member(tree.a1, name=n) for n in ("联系人甲", "介绍人乙", "介绍人丙")]


@pytest.fixture
def admin_b1(make_user, tree):
    return make_user("branch_b1", "branch_admin", tree.b1)


def probationary(tree, formal, today, *, until="oath", applied=None, seq=1, dates=None):
    applied = applied or today - dt.timedelta(days=1200)
    case = open_case(actor=None, org=tree.a1, name=f"孙预备{seq}", id_number=pid(seq), applied_on=applied)
    advance(case, until, dates or plan(applied), contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    assert case.member_id is not None and case.status == "admitted"
    return case


def transfer(case, to_org, today, *, actor=None, started=None, accepted=None):
    started = started or today - dt.timedelta(days=3)
    accepted = accepted or today
    t = movements.start_transfer(
        actor=None, member=case.member, to_org=to_org, started_on=started, reason="工作调动"
    )
    return movements.accept_transfer(actor=actor, transfer=t, accepted_on=accepted)


def case_events(case):
    return AuditEvent.objects.filter(object_type="pipeline.developmentcase", object_id=str(case.pk))


def test_the_case_follows_an_accepted_transfer(client, users, tree, formal, admin_b1, today):
    case = probationary(tree, formal, today)
    before = case_events(case).count()
    transfer(case, tree.b1, today, actor=admin_b1)
    case.refresh_from_db()
    assert case.org_id == tree.b1.pk and case.status == "admitted"
    event = case_events(case).latest("id")
    assert case_events(case).count() == before + 1 and event.actor == admin_b1
    assert (event.before["org"], event.after["org"]) == ("A1", "B1") and event.org_path == tree.b1.path
    assert "组织关系转接" in event.note
    # the new branch sees it, with the move on its page; the old one no longer does, nor is reminded of it
    client.force_login(admin_b1)
    assert case.name in client.get(reverse("pipeline:index")).content.decode()
    html = client.get(reverse("pipeline:detail", args=[case.pk])).content.decode()
    assert 'data-testid="case-move"' in html and f"{today:%Y-%m-%d} 由甲一支部转至乙一支部" in html
    client.force_login(users["branch_a1"])
    assert client.get(reverse("pipeline:detail", args=[case.pk])).status_code == 404
    assert case.name not in client.get(reverse("pipeline:index")).content.decode()
    assert not [i for i in workbench.deadlines(users["branch_a1"], None, today) if case.name in i.title]


def test_a_move_within_the_branch_or_of_a_member_without_a_case_changes_no_case(tree, formal, today):
    case = probationary(tree, formal, today)
    before = case_events(case).count()
    # the member placed in the branch's own 党小组 (a move within the branch, not a 转接): the case is already
    # with its 党支部
    follow_member(actor=None, member=case.member, to_org=tree.a1g1, on=today)
    case.refresh_from_db()
    assert case.org_id == tree.a1.pk and case_events(case).count() == before
    # a formal member's transfer: nothing of the pipeline
    assert follow_member(actor=None, member=formal[0], to_org=tree.b1, on=today) == []


def test_to_a_group_the_case_goes_to_its_branch(tree, formal, make_user, today):
    from dangjian.orgs.services import create_org

    group = create_org(
        actor=None,
        data={
            "code": "B1G1",
            "name": "乙一第一党小组",
            "type": "xiaozu",
            "parent": tree.b1,
            "founded_on": dt.date(2018, 3, 1),
        },
    )
    case = probationary(tree, formal, today)
    # a 转接 goes to a 党支部 (movements refuses a 党小组); a member who lands in a group of another branch all
    # the same (placed there by a correction of the roll) has the case follow to that branch
    follow_member(actor=None, member=case.member, to_org=group, on=today)
    case.refresh_from_db()
    assert case.org_id == tree.b1.pk


def test_follow_needs_scope_over_the_receiving_organisation(users, tree, formal, today):
    case = probationary(tree, formal, today)
    with pytest.raises(OutOfScope):
        follow_member(actor=users["branch_a1"], member=case.member, to_org=tree.b1, on=today)
    case.refresh_from_db()
    assert case.org_id == tree.a1.pk


def test_a_transfer_out_of_the_system_leaves_the_case(tree, formal, today):
    case = probationary(tree, formal, today)
    before = case_events(case).count()
    movements.transfer_out(
        actor=None, member=case.member, letter_no="2026-001", destination="外省某党支部", transferred_on=today
    )
    case.refresh_from_db()
    assert case.org_id == tree.a1.pk and case_events(case).count() == before
    assert DevelopmentCase.objects.filter(org=tree.a1, pk=case.pk).exists()


def test_an_approval_before_the_move_is_judged_where_it_was_given(tree, formal, today):
    """Approved by 甲委 this year, then transferred to 乙一 (under 乙委): PIPE-APPROVER-AUTHORISED still passes."""
    applied = today - dt.timedelta(days=900)
    dates = {k: v for k, v in plan(applied).items() if k != "approval"}
    case = probationary(tree, formal, today, until="party_talk", applied=applied, seq=5, dates=dates)
    record_step(actor=None, case=case, key="approval", on=today, data=data_for("approval", approver=tree.a))
    transfer(case, tree.b1, today, started=today, accepted=today)
    case.refresh_from_db()
    assert case.org_id == tree.b1.pk
    ruleset = load_ruleset()
    ev = evaluate(Org.objects.all(), year=today.year, as_of=today, ruleset=ruleset)
    results = {r.org.code: r for r in ev.for_rule("PIPE-APPROVER-AUTHORISED")}
    assert results["B1"].status == "pass", results["B1"].message
