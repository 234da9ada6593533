"""The data part of the 述职报告 in the browser: a 支部管理员 downloads it from the link of the workbench page, and
the Word document names the branch and gives the figures of the records (headless Chromium)."""

from __future__ import annotations

import re

import pytest
from docx import Document

from dangjian.meetings.services import create_meeting
from dangjian.members.models import Member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_branch_downloads_its_report_data_from_the_workbench(
    live_server, browser_page, users, tree, make_member, login, today
):
    for name in ("述甲", "述乙"):
        make_member(tree.a1, name=name)
    make_member(tree.b1, name="述丙")  # another 党委's: not counted
    for day in (1, 4, 7):
        create_meeting(
            actor=None,
            data={
                "org": tree.a1,
                "date": today.replace(day=day) if today.day >= day else today,
                "topic": "主题党日",
            },
            types=["theme_day"],
        )
    page = browser_page
    login("branch_a1")
    # the home page's 常用功能 and the workbench page of the branch link the same download
    home_link = page.get_by_test_id("report-docx").first
    href = home_link.get_attribute("href")
    assert href.startswith(f"/workbench/{tree.a1.pk}/report.docx")
    page.goto(f"{live_server.url}/workbench/{tree.a1.pk}/")
    link = page.get_by_test_id("report-docx")
    assert link.get_attribute("href") == href
    with page.expect_download() as download:
        link.click()
    saved = download.value.path()
    assert re.search(r"甲一支部\d{4}年度述职报告数据\.docx$", download.value.suggested_filename)
    document = Document(str(saved))
    body = "\n".join(p.text for p in document.paragraphs)
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert "甲一支部" in body and "乙一支部" not in body
    on_roll = Member.objects.on_roll(today).filter(org__path__startswith=tree.a1.path).count()
    assert on_roll == 3 and f"党员{on_roll}名" in body  # the two and the 党员 user's own member
    held = {row[0]: row[1] for row in rows if len(row) == 2}
    assert held["主题党日"] == "3"
