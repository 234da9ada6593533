"""The compliance matrix of the demo data on a 1366 px screen: short column titles grouped under the areas of
work the apps register, header rows and first column that stay in view, and a page that does not scroll
sideways — the table scrolls inside its box (headless Chromium)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from dangjian.orgs.models import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AREAS = [
    "组织设置",
    "三会一课",
    "党费",
    "发展党员",
    "换届",
    "培训",
    "谈心谈话",
    "民主评议",
    "述职评议",
    "党员管理",
]


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_the_matrix_fits_1366_px_with_grouped_short_titles_and_sticky_headers(
    live_server, browser_page, make_user, login
):
    call_command("seed", "--scale", "small", "--seed", "1", stdout=StringIO())
    make_user("gw_admin", "gongwei_admin", Org.objects.get(parent__isnull=True))
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    login("gw_admin")
    page.goto(f"{live_server.url}/compliance/")
    table = page.locator("[data-testid=compliance-matrix]")
    table.wait_for()

    # The areas over the columns, in order, each over the columns of its rules.
    headings = page.locator("th.dj-cm-area")
    assert headings.all_inner_texts() == AREAS
    spans = [int(headings.nth(i).get_attribute("colspan")) for i in range(headings.count())]
    titles = page.locator("th.dj-cm-rule").all_inner_texts()
    assert sum(spans) == len(titles) and all(n > 0 for n in spans)
    titles = [t.replace("\n", "") for t in titles]
    assert titles[:2] == ["正式党员数", "支部规模"] and "谈心谈话" in titles and "支委会" in titles
    assert max(len(t) for t in titles) <= 6  # short titles, not the rules' full titles

    # No sideways scrolling of the page: the table scrolls inside its box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    wrap = page.locator(".dj-cm-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")

    # Scrolled right and down inside the box: the first column and the header rows stay where they were.
    first = box(page, "tbody .dj-cm-first")
    header = box(page, "thead th.dj-cm-area")
    wrap.evaluate("w => { w.scrollLeft = 400; w.scrollTop = 300; }")
    page.wait_for_timeout(100)
    assert box(page, "tbody .dj-cm-first")["x"] == first["x"]
    wrap_top = wrap.bounding_box()["y"]
    assert abs(box(page, "thead th.dj-cm-area")["y"] - wrap_top) < 2 and header["y"] >= wrap_top - 2
