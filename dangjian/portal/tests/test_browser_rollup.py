"""The 党委's roll-up home page in headless Chromium: a 党委管理员 sees the units and the organisations of the
scope with their overdue items, the most behind first; opens a branch's work list (`portal:work_org`), whose
overdue items are those counted; and comes back to the home page by the breadcrumb."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.compliance import kept
from dangjian.meetings.services import create_meeting
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def behind(tree, make_member):
    """甲一 holds its 主题党日 and its 党小组's meetings every month of the last twelve; 甲二 and a branch of
    another unit under the same 党委 (甲委直属中心) hold none: they are further behind."""
    centre = create_org(
        actor=None,
        data={
            "code": "A3",
            "name": "直属中心支部",
            "type": "zhibu",
            "parent": tree.a,
            "founded_on": dt.date(2018, 3, 1),
            "unit": "甲委直属中心",
        },
    )
    for org in (tree.a1, tree.a2, centre):
        make_member(org, name="王一")
    make_member(tree.a1g1, name="王二")
    first = dt.date.today().replace(day=1)
    for back in range(1, 13):  # the twelve months before this one
        index = first.year * 12 + first.month - 1 - back
        day = dt.date(index // 12, index % 12 + 1, 10)
        for org, kind in ((tree.a1, "theme_day"), (tree.a1g1, "group")):
            create_meeting(actor=None, data={"org": org, "date": day, "topic": "例会"}, types=[kind])
    kept.refresh(Org.objects.all())
    return centre


def test_a_committee_admin_goes_from_the_most_behind_branch_to_its_work_list_and_back(
    live_server, browser_page, users, tree, behind, login
):
    page, base = browser_page, live_server.url
    login("dangwei_a")
    rollup = page.get_by_test_id("rollup")
    rows = rollup.get_by_test_id("rollup-row")
    expect(rows.first).to_be_visible()
    listed = [
        (int(row.get_attribute("data-org")), int(row.locator("td").nth(2).inner_text())) for row in rows.all()
    ]
    counts = dict(listed)
    assert [n for _org, n in listed] == sorted(counts.values(), reverse=True)  # the most behind first
    assert counts[tree.a2.pk] > counts.get(tree.a1.pk, 0) and counts[behind.pk] > counts.get(tree.a1.pk, 0)
    assert tree.b1.pk not in counts  # another 党委's branch
    summary = rollup.locator("#dj-rollup-title + span").inner_text()
    assert f"共 {sum(counts.values())} 项" in summary

    units = {
        row.locator("td").nth(0).inner_text(): int(row.locator("td").nth(3).inner_text())
        for row in page.get_by_test_id("rollup-units").get_by_test_id("unit-row").all()
    }
    assert units == {
        "甲委": sum(n for pk, n in counts.items() if pk != behind.pk),
        "甲委直属中心": counts[behind.pk],
    }

    # the most behind: its work list, with the overdue items counted
    first_org, first_count = listed[0]
    name = Org.objects.get(pk=first_org).name
    rows.first.get_by_role("link", name="查看待办").click()
    page.wait_for_url(f"{base}{reverse('portal:work_org', args=[first_org])}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{name}的待办")
    # (an entry of a rule's missed months stands for as many items: data-periods)
    late = page.locator("[data-testid=work-item][data-overdue='1']")
    late.first.wait_for()
    shown = late.evaluate_all("items => items.reduce((n, i) => n + Number(i.dataset.periods || 1), 0)")
    assert shown == first_count
    assert page.locator("[data-testid=work-item][data-periods]").count() > 0  # months missed, grouped
    # overdue items come first
    flags = page.get_by_test_id("work-item").evaluate_all("items => items.map(i => i.dataset.overdue)")
    assert flags == sorted(flags, reverse=True)

    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="工作台").click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/$"))
    expect(page.get_by_test_id("rollup")).to_be_visible()


def test_on_a_phone_each_behind_organisation_is_one_line_that_opens_its_work_list(
    live_server, browser_page, users, tree, behind, login
):
    """At 390 px the list of the organisations most behind is a line per organisation (its name, a link, with its
    单位 under it, and the count on the right) instead of a stacked card of four labelled fields each: the 工委's
    twenty come before the figures within a few screens, with no sideways scrolling."""
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    login("dangwei_a")
    rows = page.get_by_test_id("rollup").get_by_test_id("rollup-row")
    expect(rows.first).to_be_visible()
    for row in rows.all():
        box = row.bounding_box()
        assert box is not None and box["height"] < 80, box  # 140 px as four stacked fields
        count = row.locator("td").nth(2).bounding_box()
        name = row.locator("td").first.bounding_box()
        assert count is not None and name is not None
        assert abs(count["y"] + count["height"] / 2 - (name["y"] + name["height"] / 2)) < 20  # side by side
        expect(row.get_by_role("link", name="查看待办")).to_be_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the home page is {width} px wide on a 390 px phone"
    first = int(rows.first.get_attribute("data-org"))
    rows.first.get_by_role("link", name=Org.objects.get(pk=first).name).click()
    page.wait_for_url(f"{base}{reverse('portal:work_org', args=[first])}")
