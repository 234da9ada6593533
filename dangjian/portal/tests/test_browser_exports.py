"""A large export in the browser: a 党委管理员 exports the member roll, waits on the job's page (which refreshes
itself while the task worker makes the file) and downloads the workbook (headless Chromium)."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from dangjian.core import exports
from dangjian.core.models import ExportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_large_roll_is_waited_for_on_its_page_and_downloaded(
    live_server, browser_page, users, tree, make_member, login, settings, tmp_path, monkeypatch
):
    settings.EXPORT_BACKGROUND_ROWS = 2  # this small roll counts as large
    settings.VAR_DIR = tmp_path
    make_member(tree.a1, name="名册甲")
    make_member(tree.a2, name="名册乙")
    queued = []  # the task worker is busy: the job waits until the test runs it
    task = exports.run_export
    monkeypatch.setattr(exports, "run_export", SimpleNamespace(enqueue=queued.append))
    page = browser_page
    login("dangwei_a")
    page.goto(f"{live_server.url}/members/")
    page.get_by_role("link", name="导出 Excel").click()
    page.wait_for_url(re.compile(r"/exports/[0-9a-f-]+/$"))
    card = page.locator("[data-testid=export-job]")
    assert card.get_attribute("data-status") == "queued"
    assert "排队" in card.inner_text() and page.locator("[role=progressbar]").is_visible()

    assert len(queued) == 1 and task.func(queued[0]) == "done"
    page.wait_for_selector("[data-testid=export-download]", timeout=10_000)  # the page refreshed itself
    with page.expect_download() as download:
        page.locator("[data-testid=export-download]").click()
    content = download.value.path().read_bytes()
    book = load_workbook(io.BytesIO(content), read_only=True)
    cells = {str(v) for row in book.worksheets[0].iter_rows(values_only=True) for v in row if v is not None}
    book.close()
    assert {"名册甲", "名册乙", "李党员"} <= cells
    assert download.value.suggested_filename.startswith("党员名册-")
    assert ExportJob.objects.get().status == "done"
