"""The dashboard: statistics within the user's scope for admins, one's own record for a member,
a friendly page for a user without a role; a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.compliance.evaluator import evaluate
from dangjian.members import figures
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org
from dangjian.portal import selectors


@pytest.fixture
def population(users, tree, make_member):
    """Besides 李党员 (A1, 正式, 在职): a 预备党员 in A1G1, a retired 流动党员 in A2, one in B1 (other 党委)."""
    make_member(
        tree.a1g1, name="钱预备", category="probationary", joined_on=dt.date(2025, 7, 1), confirmed_on=None
    )
    make_member(tree.a2, name="孙退休", work_status="retired", is_mobile=True)
    make_member(tree.b1, name="吴乙一")
    figures.refresh()  # the member figures the pages read, kept as the refresh after the writes' commit keeps them
    return users


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/"


def test_dangwei_admin_sees_figures_of_own_subtree_only(client, population):
    client.force_login(population["dangwei_a"])
    response = client.get(reverse("dashboard"))
    board = response.context["board"]
    assert response.status_code == 200
    assert board.org_total == 4
    assert [(t, n) for t, _, n in board.org_types if n] == [("dangwei", 1), ("zhibu", 2), ("xiaozu", 1)]
    m = board.members
    assert (m.total, m.formal, m.probationary, m.active, m.retired, m.mobile) == (3, 2, 1, 2, 1, 1)
    assert board.scope_lines == ["党委管理员：甲委机关党委（含下级）"]
    assert response.context["chart_data"] == {
        "category": [{"name": "正式党员", "value": 2}, {"name": "预备党员", "value": 1}],
        "work_status": [{"name": "在职", "value": 2}, {"name": "离退休", "value": 1}],
        "groups": {"names": ["甲一支部", "甲二支部"], "values": [2, 1]},
        "labels": {"category": "人员类别", "work_status": "工作状态", "members": "党员"},
    }
    html = response.content.decode()
    assert '<script id="dj-dashboard-data" type="application/json">' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert "您的管理范围" in html and "党委管理员：甲委机关党委（含下级）" in html
    assert "吴乙一" not in html and "乙委机关党委" not in html


def test_gongwei_admin_sees_everything_grouped_by_dangwei(client, population):
    client.force_login(population["gongwei"])
    response = client.get(reverse("dashboard"))
    board = response.context["board"]
    assert board.org_total == 9
    assert [(t, n) for t, _, n in board.org_types] == [
        ("gongwei", 1),
        ("dangzu", 1),
        ("dangwei", 2),
        ("zongzhi", 1),
        ("zhibu", 3),
        ("xiaozu", 1),
    ]
    assert board.members.total == 4
    assert board.groups == [("甲委机关党委", 3), ("乙委机关党委", 1)]
    assert (board.group_level, board.group_total) == ("党委/党组", 2)


def test_a_branchs_own_members_are_a_bar_named_as_its_own(client, population):
    """A branch's bars are its 党小组 and, for its members in none of them, the branch itself: named 直属, not listed
    as one of its 下级组织."""
    client.force_login(population["branch_a1"])
    board = client.get(reverse("dashboard")).context["board"]
    assert board.group_level == "下级组织"
    assert sorted(board.groups) == [("甲一支部（直属）", 1), ("甲一第一党小组", 1)]


def test_bar_chart_keeps_only_the_largest_groups(client, population, monkeypatch):
    monkeypatch.setattr(selectors, "TOP_GROUPS", 1)
    client.force_login(population["gongwei"])
    response = client.get(reverse("dashboard"))
    assert (response.context["board"].groups, response.context["board"].group_total) == (
        [("甲委机关党委", 3)],
        2,
    )
    assert "（前 1 名，共 2 个）" in response.content.decode()


def test_dissolved_orgs_are_not_counted(client, users, tree):
    create_org(
        actor=None,
        data={
            "code": "A3",
            "name": "甲三支部",
            "type": "zhibu",
            "parent": tree.a,
            "founded_on": dt.date(2015, 1, 1),
            "dissolved_on": dt.date(2020, 1, 1),
        },
    )
    client.force_login(users["dangwei_a"])
    assert client.get(reverse("dashboard")).context["board"].org_total == 4


def test_member_without_admin_role_sees_own_record_masked(client, users, tree):
    own = users["own_member"]
    client.force_login(users["member_a1"])
    response = client.get(reverse("dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["member"] == own
    assert own.id_number_masked in html
    assert own.id_number not in html
    for text in ("李党员", "甲一支部", "正式党员", "2010-07-01"):
        assert text in html
    assert f'href="{reverse("members:detail", args=[own.pk])}"' in html
    assert "board" not in response.context


def test_user_without_role_gets_a_friendly_page(client, users):
    client.force_login(users["norole"])
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["member"] is None
    assert "您的账号尚未分配角色" in response.content.decode()


def test_dashboard_query_count_does_not_grow(client, users, tree, make_member, django_assert_max_num_queries):
    branches = []
    for i in range(12):
        parent = tree.a if i % 2 else tree.b_zz
        branches.append(
            create_org(
                actor=None,
                data={"code": f"D{i}", "name": f"统计第{i}支部", "type": "zhibu", "parent": parent},
            )
        )
    for i in range(60):
        make_member(branches[i % 12], name=f"统计党员{i}", is_mobile=i % 5 == 0)
    figures.refresh()  # kept after the writes commit
    client.force_login(users["gongwei"])
    # session, user, scope, org types, member figures, members per 党委, names; no kept results yet: 1; the
    # roll-up of the organisations most behind: the failed kept results, the organisations
    # +1: the header's unread count; +2: the latest approved assessment (分类定级 and 后进 branches, none here)
    # +2: the 工委's own items (its kept results and 待办), listed under the roll-up; +1: the elections whose result
    # awaits its approval (the 发展党员 steps a 党委 approves are not read for the 工委)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("dashboard"))
    assert response.context["board"].members.total == 61
    from dangjian.compliance import kept

    kept.refresh()
    # with kept results: when (stamps), the 单位 in scope, their totals, their tallies
    # +1: the header's unread count, +2 the latest approved assessment, +2 the 工委's own items, +1 its decisions
    with django_assert_max_num_queries(19):
        response = client.get(reverse("dashboard"))
    assert response.context["compliance"].tally.evaluated > 0
    assert response.context["board"].members.mobile == 12
    client.force_login(users["member_a1"])
    # session, user, scope, own record; the member's page (a fixed number): one ledger from last January for this
    # month and the arrears (payments, bases, reliefs), the 集中交纳日, the reviews, the branch's latest activities
    # (their types only when there are some: none here), its planned meetings, the hours (trainings, study
    # records), the evaluations' ballots and 个人自评 (one query), the 述职评议 ballots, the header's unread count;
    # +1: the member's posts in the branch (whether the 支部委员会's meetings concern them)
    with django_assert_max_num_queries(17):
        assert client.get(reverse("dashboard")).status_code == 200


def test_the_dashboard_shows_the_kept_compliance_results_and_when(client, users, tree):
    from dangjian.compliance import kept

    client.force_login(users["dangwei_a"])
    before = client.get(reverse("dashboard")).content.decode()
    assert "本年度的检查结果尚未保存" in before
    kept.refresh()
    response = client.get(reverse("dashboard"))
    summary = response.context["compliance"]
    fresh = [
        r for r in evaluate(Org.objects.visible_to(users["dangwei_a"]), year=dt.date.today().year).results
    ]
    assert summary.tally.evaluated == len(fresh)
    assert summary.tally.failed == sum(r.status == "fail" for r in fresh)
    assert "结果更新于" in response.content.decode()
    # "适用" is said of rules on the compliance pages: the results counted here are those to check
    tally = summary.tally
    assert f"符合 {tally.passed} 项 / 应检查 {tally.applicable} 项（不含不适用）" in response.content.decode()


@pytest.mark.parametrize("who", ["branch_a1", "dangwei_a", "gongwei"])
def test_the_summary_counts_a_branch_at_once_and_a_larger_scope_by_units_alike(
    users, tree, monkeypatch, django_assert_num_queries, who
):
    """A branch's home counts its results in one query after the stamps; a 党委's and the 工委's count through the
    单位 tallies. Either way the figures are the same, and equal a live evaluation."""
    from dangjian.compliance import kept

    kept.refresh()
    user = users[who]
    branch = who == "branch_a1"
    with django_assert_num_queries(
        3 if branch else 5
    ):  # the scope, the stamps, the counts (or 单位, totals, tallies)
        usual = selectors.compliance_summary(user)
    monkeypatch.setattr(selectors, "_count_at_once", lambda scope: not branch)
    other = selectors.compliance_summary(user)
    fresh = evaluate(Org.objects.visible_to(user), year=dt.date.today().year).results
    for summary in (usual, other):
        tally = summary.tally
        assert tally.evaluated == len(fresh) > 0
        assert tally.failed == sum(r.status == "fail" for r in fresh)
        assert tally.pending == sum(r.status == "pending" for r in fresh)
        assert tally.passed == sum(r.status == "pass" for r in fresh)
