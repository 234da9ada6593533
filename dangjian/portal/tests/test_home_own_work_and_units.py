"""A 党委/工委 administrator's home page: the roll-up of the organisations below, the overseen organisation's own
items under it (as on its drill-down page, with the same counts), each 单位 row of the roll-up opening the roll-up of
exactly what it counts, dates labelled for what they are, and the summary figures linking to what they count."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from urllib.parse import quote

import pytest
import time_machine
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.members import figures
from dangjian.movements import services as movements
from dangjian.orgs.models import Org
from dangjian.portal import workbench

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def frozen():
    with time_machine.travel(
        dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        yield


@pytest.fixture
def populated(tree, make_member, frozen):
    for org in (tree.a1, tree.a2, tree.b1):
        make_member(org, name="王一")
    make_member(tree.a1g1, name="王二", work_status="retired", is_mobile=True)
    kept.refresh(Org.objects.all(), on=TODAY)
    figures.refresh()


def counts(rollup) -> tuple[int, int, int]:
    return rollup.total_orgs, rollup.behind, rollup.overdue


def test_a_committee_admins_home_lists_its_own_items_as_its_drill_down_page_does(
    client, users, tree, populated
):
    own = workbench.own_work(tree.a, on=TODAY).items
    assert own and all(i.org.id == tree.a.pk for i in own)  # e.g. 书记和委员的学时, 书记述职评议
    client.force_login(users["dangwei_a"])
    home = client.get(reverse("dashboard"))
    page = client.get(reverse("portal:work_org", args=[tree.a.pk]))
    listed = home.context["work"].items
    assert [(i.rule_id, i.title, i.org.id) for i in listed] == [(i.rule_id, i.title, i.org.id) for i in own]
    assert listed == page.context["work"].items
    html = home.content.decode()
    assert 'data-testid="own-work"' in html and "本组织自身的待办" in html
    assert f"本组织自身的待办 {len(own)} 项" in html and 'href="#dj-own-work"' in html
    for item in own:
        assert html_lib.escape(item.title) in html
    # the roll-up above them counts the organisations below the 党委, on the home page as on its page
    assert counts(home.context["rollup"]) == counts(page.context["rollup"])
    assert all(r.org.pk != tree.a.pk for r in home.context["rollup"].rows)


def test_a_branch_admins_home_is_its_work_list_without_a_roll_up(client, users, tree, populated):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("dashboard"))
    assert "rollup" not in response.context
    assert 'data-testid="own-work"' not in response.content.decode()
    assert response.context["work"].items


def test_a_units_row_opens_the_roll_up_of_what_it_counts(client, users, tree, populated):
    """甲委's 党组 sits beside its 机关党委: the unit's row counts both, and its link shows both."""
    client.force_login(users["gongwei"])
    home = client.get(reverse("dashboard"))
    units = {u.name: u for u in home.context["rollup"].units}
    jia = units["甲委"]
    assert jia.orgs == 4  # 甲委党组, 甲委机关党委, 甲一 (with its 党小组), 甲二
    assert [t.pk for t in jia.tops] == [tree.a.pk, tree.a_dz.pk]  # the 机关党委, holding the branches, first
    html = home.content.decode()
    link = f'href="?unit={quote("甲委")}"'
    assert link in html
    narrowed = client.get(reverse("dashboard") + f"?unit={quote('甲委')}")
    rollup = narrowed.context["rollup"]
    assert counts(rollup) == (jia.orgs, jia.behind, jia.overdue)
    assert all(Org.objects.get(pk=r.org.pk).unit == "甲委" for r in rollup.rows)
    page = narrowed.content.decode()
    assert f"{jia.orgs} 个组织中 {jia.behind} 个有逾期事项，共 {jia.overdue} 项" in page
    # the unit's organisations' own pages, and the way back to every unit
    for top in (tree.a, tree.a_dz):
        assert reverse("portal:work_org", args=[top.pk]) in page
    assert 'href="?">显示全部单位' in page
    # the units sum up to the whole roll-up: nothing counted twice or left out
    whole = home.context["rollup"]
    assert sum(u.overdue for u in whole.units) == whole.overdue
    assert sum(u.orgs for u in whole.units) == whole.total_orgs


def test_the_drill_down_page_narrows_to_a_unit_too(client, users, tree, populated):
    client.force_login(users["gongwei"])
    page = client.get(reverse("portal:work_org", args=[tree.gw.pk]) + f"?unit={quote('乙委')}")
    rollup = page.context["rollup"]
    assert rollup.unit.name == "乙委" and rollup.total_orgs == 3  # 乙委机关党委, 乙总支, 乙一
    unknown = client.get(reverse("dashboard") + f"?unit={quote('无此单位')}")
    assert counts(unknown.context["rollup"]) == (0, 0, 0)
    assert "该单位的组织目前没有逾期事项。" in unknown.content.decode()


def test_dates_are_labelled_for_what_they_are(client, users, tree, make_member, populated):
    lost = make_member(tree.a1, name="失联者")
    movements.record_lost_contact(actor=None, member=lost, lost_on=dt.date(2025, 11, 10))  # 6 months: 05-10
    make_member(tree.a1, name="周年者", joined_on=dt.date(2010, 6, 3))  # 政治生日 this month
    client.force_login(users["branch_a1"])
    response = client.get(reverse("dashboard"))
    items = response.context["work"].items
    html = response.content.decode()
    suggestion = next(i for i in items if "失联者" in i.title)
    assert suggestion.due is None and suggestion.since == dt.date(2026, 5, 10)
    assert "自 2026-05-10 起" in html and "截止 2026-05-10" not in html
    # a failed result without a day of its own: the day a check first found it, not a start nor a deadline
    found = [i for i in items if i.rule_id and i.due is None and i.since]
    assert found
    assert f"检查发现于 {found[0].since:%Y-%m-%d}" in html
    assert not re.search(r"(?<!自 )\d{4}-\d{2}-\d{2} 起</span>", html)
    # a 政治生日 is the day itself, not a deadline; every other day given is one
    birthday = next(i for i in items if i.category == "birthdays")
    assert birthday.due == dt.date(2026, 6, 3) and "截止 2026-06-03" not in html
    assert re.search(r'data-testid="work-due">2026-06-03</span>', html)
    # (a rule's missed months of one organisation are one entry, dated by the earliest: portal.worklist)
    entries = response.context["entries"]
    assert sum(e.count for e in entries) == len(items)
    for entry in entries:
        item = entry.item
        if item.due and item.category != "birthdays":
            word = "最早截止" if entry.periods else "截止"
            assert f"{word} {item.due:%Y-%m-%d}" in html


def test_the_summary_figures_link_to_the_members_and_organisations_they_count(client, users, tree, populated):
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("dashboard"))
    board = response.context["board"]
    html = response.content.decode()
    assert f'href="{reverse("orgs:tree")}" data-testid="stat-link">{board.org_total}<' in html
    members = reverse("members:list")
    for query, figure in (
        ("", board.members.total),
        ("?category=formal", board.members.formal),
        ("?category=probationary", board.members.probationary),
        ("?work_status=active", board.members.active),
        ("?work_status=retired", board.members.retired),
        ("?is_mobile=1", board.members.mobile),
    ):
        assert f'href="{members}{query}"' in html, query
        listed = client.get(members + query)
        assert listed.context["counts"]["total"] == figure, query
    assert board.members.mobile == 1 and board.members.retired == 1
