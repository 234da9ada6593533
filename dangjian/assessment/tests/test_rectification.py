"""后进 branches after 审定: a 整顿 plan (measures, who, by when) written by whoever administers the branch, first
on their work list until it is marked done; refused before 审定, for a branch not tiered 后进, out of scope, with a
date in the past or more than a year ahead, and once done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.assessment.models import FrozenBranch, Rectification, Round
from dangjian.assessment.services import complete_rectification, save_rectification
from dangjian.assessment.workbench import lagging_branches
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent

TODAY = dt.date(2027, 2, 10)


@pytest.fixture
def approved(tree):
    """The 2026 round approved on 2027-02-01 with 甲二 tiered 后进 and 甲一 先进 (frozen rows as 审定 writes them)."""
    found = Round.objects.create(
        year=2026,
        scheme_version=1,
        scheme_checksum="x" * 64,
        stage="approved",
        opened_on=dt.date(2027, 1, 5),
        approved_on=dt.date(2027, 2, 1),
    )
    for org, tier, role, score in (
        (tree.a1, "先进", "model", "99.00"),
        (tree.a2, "后进", "lagging", "61.20"),
    ):
        FrozenBranch.objects.create(
            round=found,
            org=org,
            score=score,
            tier=tier,
            data={
                "org": org.code,
                "name": org.name,
                "unit": "甲委",
                "evaluated": True,
                "score": score,
                "tier": tier,
                "role": role,
                "reasons": [],
            },
        )
    return found


def plan(actor, found, org, **extra):
    values = {"measures": "每月按时召开支委会", "responsible": "王书记", "due": dt.date(2027, 6, 30)} | extra
    return save_rectification(actor=actor, round=found, org=org, on=TODAY, **values)


def test_a_plan_for_a_lagging_branch_then_done(users, tree, approved):
    found = plan(users["branch_a2"], approved, tree.a2)
    assert (found.responsible, found.due, found.done_on) == ("王书记", dt.date(2027, 6, 30), None)
    plan(users["dangwei_a"], approved, tree.a2, responsible="李委员")  # the 党委 revises it
    assert Rectification.objects.get().responsible == "李委员"
    complete_rectification(
        actor=users["branch_a2"], plan=found, outcome="支委会已按月召开", on=dt.date(2027, 6, 1)
    )
    with pytest.raises(ServiceError, match="整顿已完成"):
        plan(users["branch_a2"], approved, tree.a2)
    with pytest.raises(ServiceError, match="已于 2027-06-01 完成"):
        complete_rectification(actor=users["branch_a2"], plan=found, outcome="再次")
    assert AuditEvent.objects.filter(object_type="assessment.rectification").count() == 3


def test_refusals_change_nothing(users, tree, approved):
    cases = [
        (dict(actor=users["branch_a1"]), OutOfScope, None),
        (dict(actor=users["dangwei_a"], org=tree.a1), ServiceError, "未被定为后进"),
        (dict(due=TODAY - dt.timedelta(days=1)), ServiceError, "不能早于今天"),
        (dict(due=TODAY + dt.timedelta(days=367)), ServiceError, "不能超过一年"),
        (dict(measures=" "), ServiceError, "请填写整顿措施"),
        (dict(responsible=""), ServiceError, "请填写责任人"),
    ]
    for overrides, error, message in cases:
        args = dict(actor=users["branch_a2"], found=approved, org=tree.a2) | overrides
        with pytest.raises(error, match=message):
            plan(args.pop("actor"), args.pop("found"), args.pop("org"), **args)
    approved.stage = "review"
    approved.save()
    with pytest.raises(ServiceError, match="审定后才有分类定级结果"):
        plan(users["branch_a2"], approved, tree.a2)
    assert not Rectification.objects.exists()


def test_the_work_list_puts_the_lagging_branch_first_until_its_plan_is_done(users, tree, approved):
    items = lagging_branches(users["dangwei_a"], None, TODAY)
    assert [(i.org.name, i.due, i.overdue) for i in items] == [("甲二支部", dt.date(2027, 3, 3), False)]
    assert "制定整顿计划" in items[0].title and items[0].link.url == reverse(
        "assessment:rectification", args=[2026, tree.a2.pk]
    )
    assert lagging_branches(users["branch_a1"], None, TODAY) == []  # not theirs
    found = plan(users["branch_a2"], approved, tree.a2)
    item = lagging_branches(users["branch_a2"], None, dt.date(2027, 7, 1))[0]
    assert (item.due, item.overdue, "整顿" in item.title) == (dt.date(2027, 6, 30), True, True)
    complete_rectification(actor=users["branch_a2"], plan=found, outcome="已整改")
    assert lagging_branches(users["dangwei_a"], None, TODAY) == []


def test_the_page_writes_the_plan_and_marks_it_done(client, users, tree, approved):
    client.force_login(users["branch_a2"])
    url = reverse("assessment:rectification", args=[2026, tree.a2.pk])
    html = client.get(url).content.decode()
    assert "2026年度考核得分 61.20，定为“后进”。" in html
    due = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    response = client.post(
        url, {"action": "save", "measures": "书记讲专题党课", "responsible": "王书记", "due": due}
    )
    assert response.status_code == 302 and Rectification.objects.get().measures == "书记讲专题党课"
    response = client.post(url, {"action": "save", "measures": "x", "responsible": "王", "due": "2000-01-01"})
    assert response.status_code == 400 and "完成期限不能早于今天" in response.content.decode()
    client.post(url, {"action": "done", "outcome": "党课已讲，组织生活恢复正常"})
    assert Rectification.objects.get().done_on == dt.date.today()
    assert 'data-testid="done"' in client.get(url).content.decode()
    assert client.get(reverse("assessment:rectification", args=[2026, tree.a1.pk])).status_code == 404  # 先进


def test_the_partys_home_lists_its_lagging_branches_above_the_roll_up(client, users, tree, approved):
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("dashboard")).content.decode()
    card = html.index('data-testid="lagging"')
    assert (
        "甲二支部" in html[card : card + 2000]
        and "2026年度考核定为后进：制定整顿计划" in html[card : card + 2000]
    )
    assert card < html.index('data-testid="rollup"')
    client.force_login(users["branch_a2"])  # the branch itself: the item on its own work list
    assert "2026年度考核定为后进：制定整顿计划" in client.get(reverse("dashboard")).content.decode()
    client.force_login(users["branch_a1"])  # another branch: nothing of 甲二
    assert "制定整顿计划" not in client.get(reverse("dashboard")).content.decode()
