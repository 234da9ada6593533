"""A 支部管理员's path through the real pages in headless Chromium."""

import re

import pytest

from dangjian.conftest import unique_id_number
from dangjian.core.pii import mask_id_number
from dangjian.members.models import Member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_admin_adds_a_member_and_cannot_see_another_branch(
    live_server, browser_page, users, tree, make_member, login
):
    page = browser_page
    other = make_member(tree.a2, name="甲二党员")
    make_member(tree.a1, name="甲一老党员")
    login("branch_a1")

    # Only their own branch (and its 党小组) in the tree.
    page.goto(f"{live_server.url}/orgs/")
    tree_text = page.locator("main").inner_text()
    assert "甲一支部" in tree_text and "甲一第一党小组" in tree_text
    assert "甲二支部" not in tree_text and "乙一支部" not in tree_text

    # Add a member through the form.
    new_id = unique_id_number(male=False)
    page.goto(f"{live_server.url}/members/new/")
    page.locator("[name=name]").fill("新党员")
    page.locator("[name=id_number]").fill(new_id)
    page.locator("[name=phone]").fill("13911112222")
    page.locator("[name=category]").select_option("formal")
    page.locator("[name=joined_on]").fill("2015-06-30")
    page.locator("[name=confirmed_on]").fill("2016-06-30")
    page.locator("[name=org]").select_option(str(tree.a1.pk))
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert Member.objects.filter(name="新党员", org=tree.a1).exists()

    # It is in the list, with the 身份证号 masked.
    page.goto(f"{live_server.url}/members/?q=新党员")
    row = page.locator("tr", has_text="新党员")
    assert row.count() == 1
    row_text = row.inner_text()
    assert mask_id_number(new_id) in row_text
    assert new_id not in page.content()
    assert "甲二党员" not in page.locator("main").inner_text()

    # Another branch's member is a 404.
    response = page.goto(f"{live_server.url}/members/{other.pk}/")
    assert response.status == 404
    assert re.search("不存在|不在您的管理范围", page.locator("main").inner_text())
