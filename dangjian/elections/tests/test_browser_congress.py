"""The entry form in a browser (headless Chromium): choosing 党员代表大会 turns 应到会/实到会 into the delegates'
numbers, with the help text that says they are not counted from the roll; choosing 党员大会 again turns them back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choosing_a_congress_asks_for_the_delegates(live_server, browser_page, users, tree, login):
    page = browser_page
    login("dangwei_a")
    page.goto(
        f"{live_server.url}{reverse('elections:create')}?org={tree.a1.pk}&held_on={dt.date.today():%Y-%m-%d}"
    )
    form = page.locator("[data-testid=election-form]")
    help_text = form.locator("[data-testid=congress-expected-help]")
    expect(form.get_by_label("应到会有选举权人数")).to_be_visible()
    expect(help_text).to_be_hidden()
    expect(form.locator("details", has_text="经批准不计入应到会人数的党员")).to_be_visible()

    form.get_by_label("会议形式").select_option(label="党员代表大会")
    expect(form.get_by_label("应到会代表人数")).to_be_visible()
    expect(form.get_by_label("实到会代表人数")).to_be_visible()
    expect(help_text).to_be_visible()
    expect(help_text).to_contain_text("不按党员名册计算")
    expect(form.get_by_label("应到会人数与名册计算不同的理由")).to_be_hidden()
    expect(form.locator("details", has_text="经批准不计入应到会人数的党员")).to_be_hidden()

    form.get_by_label("会议形式").select_option(label="党员大会")
    expect(form.get_by_label("应到会有选举权人数")).to_be_visible()
    expect(help_text).to_be_hidden()
