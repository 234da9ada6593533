"""The 审计管理员's audit page in the browser, on a phone (390 × 844) and on a desktop: the page does not scroll
sideways, the organisation search finds 甲委机关党委 as one types and the filter narrows the log to its subtree, the
integrity check runs from its button, the export downloads the filtered events (headless Chromium)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from dangjian.core import audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def events(tree):
    for key in ("a", "a1", "a2", "b", "b1"):
        org = getattr(tree, key)
        audit.record(
            actor=None,
            action="update",
            object_type="orgs.org",
            object_repr=f"浏览器事件{key}",
            org_path=org.path,
            before={"name": f"旧{org.name}", "parent": "GW"},
            after={"name": org.name, "parent": "GW"},
        )


@pytest.mark.parametrize("width", [390, 1366])
def test_the_auditor_narrows_checks_and_exports(
    live_server, browser_page, tree, system_users, events, login, tmp_path, width
):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 844})
    login("shenji")
    page.goto(f"{live_server.url}/audit/")
    page.screenshot(path=f"{tmp_path}/audit-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_test_id("org-search").fill("甲委机关")
    page.wait_for_function(
        "() => document.querySelector('#id_org').selectedOptions[0].text === '甲委机关党委（A）'"
    )
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/audit/?*org=*")
    shown = page.locator("tbody tr[data-event] td[data-label=对象]").all_inner_texts()
    names = {text.split("\n")[0] for text in shown if text.startswith("浏览器事件")}
    assert names == {"浏览器事件a", "浏览器事件a1", "浏览器事件a2"}
    assert page.locator("#id_org").input_value() != ""  # the choice stays
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_test_id("audit-verify").click()
    page.wait_for_selector("[data-testid=verification-result][data-result=intact]")
    assert "操作日志完整" in page.locator(".alert").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.goto(f"{live_server.url}/audit/?org={tree.a.pk}")
    with page.expect_download() as download:
        page.get_by_test_id("audit-export").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    cells = [row[5] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    book.close()
    assert {"浏览器事件a", "浏览器事件a1", "浏览器事件a2"} <= set(cells)
    assert not {"浏览器事件b", "浏览器事件b1"} & set(cells)
    page.screenshot(path=f"{tmp_path}/audit-{width}-after.png", full_page=True)
