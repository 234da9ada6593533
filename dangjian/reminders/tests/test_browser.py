"""The notification centre in the browser: a 支部管理员 signs in after the daily reminders ran, sees the unread count
on the bell, opens the list and goes from one notification to the page that settles it (headless Chromium)."""

from __future__ import annotations

import re

import pytest

from dangjian.compliance import kept
from dangjian.orgs.models import Org
from dangjian.reminders.models import Notification
from dangjian.reminders.services import send_reminders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_branch_admin_goes_from_the_bell_to_the_page_that_settles_a_reminder(
    live_server, browser_page, users, tree, make_member, login
):
    make_member(tree.a1, name="王一")
    kept.refresh(Org.objects.all())
    send_reminders()
    mine = Notification.objects.filter(recipient=users["branch_a1"])
    unread = mine.count()
    assert unread > 0

    page = browser_page
    login("branch_a1")
    bell = page.locator("[data-testid=bell]")
    assert bell.locator("[data-testid=unread]").inner_text().startswith(str(unread))
    bell.click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    first = page.get_by_role("button", name="去办理").first
    first.click()
    page.wait_for_load_state("networkidle")
    assert "/notifications/" not in page.url  # the page that settles it
    assert mine.filter(read_at__isnull=True).count() == unread - 1
    counts = page.locator("[data-testid=bell] [data-testid=unread]")
    if unread > 1:
        assert counts.inner_text().startswith(str(unread - 1))
    else:
        assert counts.count() == 0
