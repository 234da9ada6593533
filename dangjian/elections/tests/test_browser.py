"""The issue's browser journey (headless Chromium): a 党委管理员 imports a 学习强国 export and sees the hours
per member, then records an election for 甲一支部 that is refused for a missing quorum, corrects the present
count, records the approval of the result and sees the branch's term renewed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from dangjian.core.dates import add_months
from dangjian.elections.models import Election
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import update_org
from dangjian.training.tests.test_browser import import_xuexi_export_and_check_hours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dangwei_admin_imports_study_hours_then_records_an_election_and_renews_the_term(
    live_server, browser_page, users, tree, make_member, settings, tmp_path, login
):
    settings.VAR_DIR = tmp_path
    today = dt.date.today()
    # 甲一's term (3 years) ends in 3 months: it is on the due list
    update_org(actor=None, org=tree.a1, data={"term_started_on": add_months(today, -33)})
    for i in range(7):
        make_member(tree.a1, name=f"党员{i:02d}")  # with 李党员 and the two members of the import: 10 voters
    page = browser_page
    base = live_server.url
    login("dangwei_a")
    import_xuexi_export_and_check_hours(page, base, tree, make_member, tmp_path)

    page.locator("#dj-nav").get_by_role("link", name="换届选举", exact=True).click()
    page.wait_for_url(re.compile(r"/elections/"))
    row = page.locator("[data-testid=terms] tr[data-org=A1]")
    assert row.get_attribute("data-status") == "due"
    row.get_by_role("link", name="登记选举").click()
    page.wait_for_url(re.compile(r"/elections/new/"))
    assert "名册中有选举权的正式党员 10 人" in page.locator("main").inner_text()

    form = page.locator("[data-testid=election-form]")
    form.get_by_label("实到会有选举权人数").fill("8")  # 8 = 4/5 of 10: not more than
    form.get_by_label("应选名额").fill("3")
    form.get_by_label("发出选票").fill("8")
    form.get_by_label("收回选票").fill("8")
    for i, (name, votes) in enumerate((("党员00", "8"), ("党员01", "7"), ("党员02", "6"), ("党员03", "1"))):
        page.locator(f"select[name=c-{i}-member]").select_option(label=name)
        page.locator(f"input[name=c-{i}-votes]").fill(votes)
    page.locator("select[name=c-0-title]").select_option(label="书记")
    page.get_by_role("button", name="检查并登记").click()
    checks = page.locator("[data-testid=checks]")
    checks.wait_for()
    assert checks.locator("[data-rule=ELECT-QUORUM]").get_attribute("data-ok") == "0"
    assert "到会人数不足" in page.locator("[data-testid=election-form]").inner_text()
    assert not Election.objects.exists()

    # correct the present count (the form kept everything else)
    form.get_by_label("实到会有选举权人数").fill("10")
    form.get_by_label("发出选票").fill("10")
    form.get_by_label("收回选票").fill("10")
    page.locator("input[name=c-0-votes]").fill("9")
    page.get_by_role("button", name="检查并登记").click()
    page.wait_for_url(re.compile(r"/elections/\d+/$"))
    results = page.locator("[data-testid=results]")
    assert results.locator("tr[data-elected='1']").count() == 3
    assert page.locator("[data-testid=checks] [data-rule=ELECT-QUORUM]").get_attribute("data-ok") == "1"

    approval = page.locator("[data-testid=approval]")
    approval.get_by_label("上级党组织批准日期").fill(today.isoformat())
    approval.get_by_label("批准机关").fill("甲委机关党委")
    approval.get_by_role("button", name="登记选举结果的批准").click()
    new_end = add_months(today, 36)
    expect(page.locator("[data-testid=term]")).to_contain_text(
        f"本届任期：{today:%Y-%m-%d} 至 {new_end:%Y-%m-%d}"
    )
    expect(approval).to_contain_text("甲委机关党委已于")
    assert Org.objects.get(pk=tree.a1.pk).term_started_on == today
    assert Post.objects.holders(tree.a1, "shuji", today).get().member.name == "党员00"

    page.locator("#dj-nav").get_by_role("link", name="换届选举", exact=True).click()
    page.wait_for_url(re.compile(r"/elections/$"))
    assert page.locator("[data-testid=terms] tr[data-org=A1]").count() == 0  # no longer due
