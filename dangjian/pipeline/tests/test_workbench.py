"""发展党员 on the work list: a step past its deadline is listed as overdue unless a rule of the current rulebook
reports it (its kept PIPE-* result is then the item); a step the 党委 approves is the 党委's item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.compliance.rulebook import load_ruleset
from dangjian.core import idcard
from dangjian.pipeline import workbench
from dangjian.pipeline.rules import steps_reported_late
from dangjian.pipeline.services import open_case
from dangjian.pipeline.tests.helpers import advance, plan
from dangjian.pipeline.workflow import load_workflow
from dangjian.portal.workbench import work_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(today):
    return today - dt.timedelta(days=1200)


def pid(seq):
    return idcard.make("310230", dt.date(1997, 3, 3) + dt.timedelta(days=seq), seq % 999, True)


@pytest.fixture
def formal(tree, make_member):
    return [make_member(tree.a1, name=n) for n in ("联系人甲", "介绍人乙", "介绍人丙")]


@pytest.fixture
def waiting_for_conversion(tree, formal, applied, today):
    """A 预备党员 whose 支部大会 discussed the 转正 more than three months ago: 党委批准转正 is overdue (DEV-19)."""
    case = open_case(actor=None, org=tree.a1, name="钱待批", id_number=pid(1), applied_on=applied)
    dates = plan(applied)
    advance(case, "conversion_vote", dates, contacts=formal[:1], sponsors=formal[1:])
    assert dates["conversion_vote"] < today - dt.timedelta(days=100)
    return case


@pytest.fixture
def late_talk(tree, today):
    """An application without the talk after a month: PIPE-TALK-1M reports it."""
    return open_case(
        actor=None, org=tree.a1, name="孙未谈", id_number=pid(2), applied_on=today - dt.timedelta(days=70)
    )


def pipeline_items(work):
    return {i.title: i for i in work.items if i.category == "pipeline"}


def test_the_current_rulebook_reports_no_late_conversion_approval():
    reported = steps_reported_late(load_ruleset())
    assert {"talk", "assessment", "approval", "conversion_vote"} <= reported
    assert "conversion_approval" not in reported
    assert steps_reported_late(load_ruleset(2)) == frozenset()  # no PIPE-* rule yet


def test_overdue_conversion_approval_is_the_partys_item(
    users, tree, waiting_for_conversion, late_talk, today
):
    wf = load_workflow()
    step = wf.step("conversion_approval")
    # the branch's work list: listed, overdue, naming the 党委 that must approve and record it
    items = pipeline_items(work_list(users["branch_a1"], on=today))
    item = items[f"钱待批：{step.name}"]
    assert item.overdue and item.due is not None and item.due < today
    assert item.org.id == tree.a.pk and item.org.name == "甲委机关党委"
    assert "由上级党委审批并登记" in item.detail and "已逾期（DEV-19）" in item.detail
    assert item.link is not None and item.link.url.endswith(f"/pipeline/{waiting_for_conversion.pk}/")
    # the talk is reported by PIPE-TALK-1M: its kept result is the overdue item, the provider adds none
    assert not any(title.startswith("孙未谈") for title in items)
    # the 党委's work list (its calendar, the reminders' summary) and its drill-down of the branch list it too
    assert pipeline_items(work_list(users["dangwei_a"], on=today))[item.title].org.id == tree.a.pk
    assert item.title in pipeline_items(work_list(users["dangwei_a"], org=tree.a1, on=today))
    # another branch's admin sees nothing of it
    assert not pipeline_items(work_list(users["branch_a2"], on=today))


def test_a_rulebook_without_the_rule_lists_the_late_talk(users, late_talk, monkeypatch, today):
    """Which steps are left to the kept results is read from the rulebook: without PIPE-TALK-1M (rulebook v2) the
    late talk is the provider's overdue item, the branch's."""
    monkeypatch.setattr(workbench, "load_ruleset", lambda: load_ruleset(2))
    items = pipeline_items(work_list(users["branch_a1"], on=today))
    item = items["孙未谈：党组织派人谈话"]
    assert item.overdue and item.org.id == late_talk.org_id and "已逾期（DEV-03）" in item.detail


def test_provider_queries_are_bounded(
    users, tree, formal, waiting_for_conversion, django_assert_max_num_queries, applied, today
):
    # the cases, their steps, and the 党委 above the branches of the 党委's steps: whatever the number of cases
    for i in range(3):
        case = open_case(
            actor=None, org=tree.a1, name=f"李待批{i}", id_number=pid(10 + i), applied_on=applied
        )
        advance(case, "conversion_vote", plan(applied), contacts=formal[:1], sponsors=formal[1:])
    with django_assert_max_num_queries(4):
        items = workbench.deadlines(users["dangwei_a"], None, today)
    assert sum(1 for i in items if i.overdue and i.org.id == tree.a.pk) == 4


def test_the_partys_approval_is_on_its_home_page(client, users, tree, waiting_for_conversion, make_user):
    """The 党委's home page lists its own items apart from the roll-up of its branches: the 发展党员 steps it
    approves are among them (before, only the drill-down of each branch showed them)."""
    title = f"钱待批：{load_workflow().step('conversion_approval').name}"
    client.force_login(users["dangwei_a"])
    home = client.get(reverse("dashboard")).content.decode()
    assert title in home and reverse("pipeline:detail", args=[waiting_for_conversion.pk]) in home
    client.force_login(users["gongwei"])
    assert title in client.get(reverse("portal:work_org", args=[tree.a.pk])).content.decode()
    assert title not in client.get(reverse("dashboard")).content.decode()  # the 工委's home: not its decision
    client.force_login(make_user("dangwei_b", "dangwei_admin", tree.b))  # another 党委
    assert title not in client.get(reverse("dashboard")).content.decode()
