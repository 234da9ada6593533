"""A member leaves one person of her 测评票 without a choice on a phone (390 px): the ballot is not submitted and
no "提交后不能修改" question is asked; the alert at the top of the form names that person and the page scrolls to
her row (headless Chromium)."""

from __future__ import annotations

import pytest

from dangjian.evaluations.models import Participation
from dangjian.evaluations.tests.conftest import advance_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_missing_choice_is_shown_before_the_question(live_server, browser_page, branch, opened, login):
    page = browser_page
    ev = advance_to(opened, "voting", branch.admin)
    m = branch.formal[0]
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.set_viewport_size({"width": 390, "height": 844})
    login(f"m{m.pk}")
    page.goto(f"{live_server.url}/evaluations/{ev.pk}/vote/")
    rows = page.locator("fieldset[data-member]")
    left = rows.last
    name = left.get_attribute("data-name")
    for k in range(rows.count() - 1):
        rows.nth(k).get_by_text("合格", exact=True).click()
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_test_id("submit-vote").click()
    alert = page.get_by_test_id("vote-missing")
    alert.wait_for(state="visible")
    assert asked == []  # no question: nothing was submitted
    assert "还有 1 名党员未选择测评等次" in alert.inner_text()
    assert page.get_by_test_id("vote-missing-link").all_inner_texts() == [name]
    assert "dj-vote-missing" in (left.get_attribute("class") or "")
    box = left.bounding_box()
    assert box is not None and 0 <= box["y"] < 844, "the page scrolled to the row without a choice"
    assert Participation.objects.count() == 0

    left.get_by_text("合格", exact=True).click()
    assert "dj-vote-missing" not in (left.get_attribute("class") or "")
    page.get_by_test_id("submit-vote").click()
    page.wait_for_selector("[data-testid=voted]")
    assert asked == ["提交后不能修改，确定提交？"]
    assert Participation.objects.filter(evaluation=ev).count() == 1
