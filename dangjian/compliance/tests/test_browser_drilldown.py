"""The drill-down of one 党支部 of the demo data, read on a laptop (1366 px) and on a phone (390 px): the rules
that fail or are pending come first, "只看不符合" is on by default and can be turned off (links that keep the
other parameters, so without script too), each rule is a <details> (the failing ones open), and the page is a
fraction of the height it has with every rule listed (headless Chromium)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from dangjian.orgs.models import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRANCH = "U001-JW-ZB01"  # 市民政局办公室党支部 of `seed --scale small --seed 1`


def heights(page, url: str) -> dict[str, int]:
    """The page's full height on a laptop and on a phone."""
    found = {}
    for name, size in (("laptop", (1366, 768)), ("phone", (390, 844))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.goto(url)
        found[name] = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1366, "height": 768})
    return found


def test_the_drill_down_shows_what_is_wrong_first_and_is_short(live_server, browser_page, make_user, login):
    call_command("seed", "--scale", "small", "--seed", "1", stdout=StringIO())
    make_user("gw_admin", "gongwei_admin", Org.objects.get(parent__isnull=True))
    branch = Org.objects.get(code=BRANCH)
    page = browser_page
    login("gw_admin")
    url = f"{live_server.url}/compliance/org/{branch.pk}/"
    year = page.evaluate("new Date().getFullYear()")

    short = heights(page, f"{url}?year={year}")
    page.goto(f"{url}?year={year}")
    cards = page.locator("details.dj-rule")
    statuses = [cards.nth(i).get_attribute("data-status") for i in range(cards.count())]
    assert "fail" in statuses and set(statuses) <= {"fail", "pending"}
    assert statuses == sorted(statuses, key=["fail", "pending"].index)  # failing first
    opened = page.locator("details.dj-rule[open]")
    assert opened.count() == statuses.count("fail")  # the failing ones open, the pending ones closed
    assert page.locator("[data-testid=show-failing]").get_attribute("aria-current") == "true"
    hidden = int(re.search(r"另有 (\d+) 条", page.locator("[data-testid=hidden-note]").inner_text()).group(1))

    # A pending rule opens with a click on its summary (no script involved: <details>).
    pending = page.locator("details.dj-rule[data-status=pending]").first
    pending.locator("summary.dj-rule-head").click()
    assert pending.get_attribute("open") is not None

    # 全部: every rule, the year kept; the passing ones closed.
    page.locator("[data-testid=show-all]").click()
    page.wait_for_url(re.compile(rf"\?year={year}&show=all$"))
    assert page.locator("details.dj-rule").count() == len(statuses) + hidden
    assert page.locator("details.dj-rule[data-status=pass][open]").count() == 0
    full = heights(page, page.url)
    print(f"drill-down of {BRANCH}: 只看不符合 {short}, 全部 {full}")
    assert short["laptop"] < full["laptop"] and short["phone"] < full["phone"]
    page.locator("[data-testid=show-failing]").click()
    page.wait_for_url(re.compile(rf"/compliance/org/{branch.pk}/\?year={year}$"))
