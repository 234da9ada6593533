"""A 支部管理员 sees last month's 支部委员会 missing on the compliance page, records it through the entry
form, and sees the rule turn to pass (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dangjian.meetings.models import Meeting
from dangjian.meetings.services import create_meeting
from dangjian.orgs.services import create_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULE = "MTG-COMMITTEE-MONTHLY"


def last_month(today: dt.date) -> tuple[int, int]:
    """(year, month) of the month before `today`'s (December of last year in January)."""
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def test_branch_admin_records_the_missing_committee_meeting_and_the_rule_passes(
    live_server, browser_page, users, tree, make_member, login
):
    today = dt.date.today()
    year, month = last_month(today)
    # A branch founded long ago with a committee of three since 2020, and a 支部委员会 in every month of
    # the year before last month.
    committee = [make_member(tree.a1, name=name) for name in ("书记甲", "组织乙", "宣传丙")]
    for member, title in zip(committee, ("shuji", "zuzhi", "xuanchuan"), strict=True):
        create_post(
            actor=None,
            data={"member": member, "org": tree.a1, "title": title, "started_on": dt.date(2020, 1, 1)},
        )
    for earlier in range(1, month):
        create_meeting(
            actor=None,
            data={"org": tree.a1, "date": dt.date(year, earlier, 10), "topic": f"{earlier}月支委会"},
            types=["committee"],
        )

    page = browser_page
    base = live_server.url
    login("branch_a1")

    # The overview: the branch's row shows the committee rule failing; its name leads to the drill-down.
    page.goto(f"{base}/compliance/?year={year}")
    row = page.locator("tr.dj-co[data-org='A1']")
    assert row.locator(f"td[data-rule='{RULE}']").get_attribute("data-status") == "fail"
    assert page.locator("tr.dj-co").count() == 2  # the branch and its 党小组, nothing else
    row.get_by_role("link", name="甲一支部").click()
    page.wait_for_url(re.compile(rf"/compliance/org/{tree.a1.pk}/"))

    card = page.locator(f"#rule-{RULE}")
    assert card.get_attribute("data-status") == "fail"
    assert "不符合" in card.locator(".dj-s").inner_text()
    missing = card.locator(".dj-missing")
    assert missing.all_inner_texts() == [f"{year}年{month}月"]
    assert missing.first.get_attribute("data-period") == f"{year}-{month:02d}"

    # 去录入: the entry form opens for this branch with 支部委员会 ticked.
    card.get_by_role("link", name=re.compile("去录入")).click()
    page.wait_for_url(re.compile(r"/meetings/new/\?"))
    page.locator("[name=org]").select_option(str(tree.a1.pk))
    page.wait_for_load_state("networkidle")
    box = page.locator("[name=types][value=committee]")
    if not box.is_checked():
        page.locator("label[for=id_types_committee]").click()
    assert box.is_checked()
    page.locator("[name=date]").fill(f"{year}-{month:02d}-15")
    page.locator("[name=topic]").fill(f"{month}月支部委员会")
    page.wait_for_load_state("networkidle")
    page.locator("[data-testid=save]").click()
    page.wait_for_url(re.compile(r"/meetings/\d+/$"))
    recorded = Meeting.objects.get(org=tree.a1, date=dt.date(year, month, 15))
    assert list(recorded.kinds.values_list("type", "expected", "present")) == [("committee", 3, 3)]

    # Back on the compliance page the rule passes, with the new record among its evidence.
    # 只看不符合 (the default) no longer lists it; 全部 lists it, closed, with its evidence.
    page.goto(f"{base}/compliance/org/{tree.a1.pk}/?year={year}")
    assert page.locator(f"#rule-{RULE}").count() == 0
    page.locator("[data-testid=show-all]").click()
    page.wait_for_url(re.compile(rf"/compliance/org/{tree.a1.pk}/\?year={year}&show=all$"))
    card = page.locator(f"#rule-{RULE}")
    assert card.get_attribute("data-status") == "pass"
    assert card.get_attribute("open") is None
    assert card.locator(".dj-s").inner_text() == "符合"
    assert card.locator(".dj-missing").count() == 0
    assert card.locator(f"a[href='/meetings/{recorded.pk}/']").count() == 1
    page.goto(f"{base}/compliance/?year={year}")
    cell = page.locator(f"tr.dj-co[data-org='A1'] td[data-rule='{RULE}']")
    assert cell.get_attribute("data-status") == "pass"


def test_a_unit_row_opens_to_its_organisations_and_closes_again(
    live_server, browser_page, users, tree, monkeypatch, login
):
    from dangjian.compliance import selectors

    monkeypatch.setattr(selectors, "INLINE_ORGS", 3)  # the scope is "large": unit rows only
    page = browser_page
    login("gongwei")
    page.goto(f"{live_server.url}/compliance/?year={dt.date.today().year}")
    assert page.locator("tr.dj-co").count() == 0
    unit = page.locator("tbody.dj-cu[data-unit='乙委']")
    toggle = unit.locator(".dj-cu-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    page.wait_for_selector("tbody.dj-cu[data-unit='乙委'] tr.dj-co[data-org='B1']")
    assert [r.get_attribute("data-org") for r in unit.locator("tr.dj-co").all()] == ["B", "B-ZZ", "B1"]
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("tbody.dj-cu[data-unit='甲委'] tr.dj-co").count() == 0
    toggle.click()
    assert unit.locator("tr.dj-co:visible").count() == 0
    toggle.click()  # opened again without fetching twice
    assert unit.locator("tr.dj-co:visible").count() == 3
    unit.locator("tr.dj-co[data-org='B1'] a").click()
    page.wait_for_url(re.compile(rf"/compliance/org/{tree.b1.pk}/"))
