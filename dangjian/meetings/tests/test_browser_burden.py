"""减负, measured in the browser: a 支部管理员 records a 支部党员大会 with two absentees from the home page in at most
10 clicks (7 today) — every click counted, the clicks into the fields to type in included (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dangjian.meetings.models import Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recording_a_general_assembly_with_two_absentees_takes_at_most_ten_clicks(
    live_server, browser_page, users, tree, make_member, login
):
    members = [make_member(tree.a2, name=f"党员{i:02d}") for i in range(12)]
    absent = members[3:5]
    page = browser_page
    clicks = 0

    def click(locator) -> None:
        nonlocal clicks
        clicks += 1
        locator.click()

    login("branch_a2")  # lands on the home page
    click(page.get_by_role("link", name="组织生活", exact=True))
    page.wait_for_url(re.compile(r"/meetings/"))
    click(page.locator("[data-testid=create]"))
    page.wait_for_url(re.compile(r"/meetings/new/"))
    click(page.locator("label[for=id_types_assembly]"))
    date = page.locator("[name=date]")
    if not date.input_value():  # the day of the meeting, typed in
        click(date)
        date.fill(dt.date.today().isoformat())
    click(page.locator("[name=topic]"))
    page.locator("[name=topic]").fill("学习贯彻全会精神")
    page.wait_for_selector("[data-testid=roster] .dj-roster-row")
    for member in absent:
        click(page.locator(f"label[for=dj-absent-{member.pk}]"))
    click(page.locator("[data-testid=save]"))
    page.wait_for_url(re.compile(r"/meetings/\d+/$"))

    meeting = Meeting.objects.get(org=tree.a2, topic="学习贯彻全会精神")
    assert set(meeting.absences.values_list("member_id", flat=True)) == {m.pk for m in absent}
    kind = meeting.kinds.get(type="assembly")
    assert (kind.expected, kind.present) == (len(members), len(members) - len(absent))
    print(f"clicks: {clicks}")
    assert clicks <= 10, clicks
