"""A member's page on a phone (390 px): the 党内职务 table reads as one block per post — 组织, 职务 and 任职期间 each
on its own labelled line — instead of three columns in which the organisation's name broke into two characters a
line (headless Chromium)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.orgs.services import create_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_members_posts_read_as_labelled_lines_on_a_phone(
    live_server, browser_page, users, tree, make_member, login
):
    member = make_member(tree.a1, name="职务党员")
    for title, start in (("zuzhi", dt.date(2021, 5, 1)), ("xuanchuan", dt.date(2019, 3, 1))):
        create_post(actor=None, data={"member": member, "org": tree.a1, "title": title, "started_on": start})
    page = browser_page
    login("branch_a1")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{reverse('members:detail', args=[member.pk])}")
    table = page.get_by_test_id("posts")
    org = table.get_by_role("link", name=tree.a1.name).first
    box = org.bounding_box()
    assert box is not None and box["height"] < 30, box  # the organisation's name on one line
    first_row = table.locator("tbody tr").first
    labels = first_row.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == ['"组织："', '"职务："', '"任职期间："']
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
