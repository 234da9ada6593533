"""The refusal of a 撤销 on the organisation form, in headless Chromium on a phone (390 px) and a laptop: it reads
across the form, not in the narrow column of the date (screenshots are written to the test's temporary directory,
for a person to look at)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.orgs.models import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1366])
def test_the_dissolution_refusal_reads_across_the_form(
    live_server, browser_page, users, tree, make_member, login, tmp_path, width
):
    make_member(tree.a2, name="甲二党员")
    page, base = browser_page, live_server.url
    login("dangwei_a")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}{reverse('orgs:edit', args=[tree.a2.pk])}")
    page.locator("[name=dissolved_on]").fill("2026-06-30")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    error = page.locator("#id_dissolved_on_error")
    error.wait_for()
    assert "还有1名党员在册" in error.inner_text()
    assert Org.objects.get(pk=tree.a2.pk).dissolved_on is None
    page.screenshot(path=str(tmp_path / f"dissolution-{width}.png"), full_page=True)

    form = page.locator("main form").first.bounding_box()
    box = error.bounding_box()
    date = page.locator("[name=dissolved_on]").bounding_box()
    assert form is not None and box is not None and date is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    if width < 768:
        # on a phone the message takes the form's width, below the dates (the date's column is half of it)
        assert box["width"] >= 0.8 * form["width"]
        assert box["y"] >= date["y"] + date["height"]
    else:
        # on a laptop it stands beside the date, wider than the date's column, within the form
        assert box["width"] >= 1.5 * date["width"]
        assert box["x"] + box["width"] <= form["x"] + form["width"]
    # a sentence of some forty characters: a few lines, not a column of a few characters each
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#id_dissolved_on_error')).lineHeight)"
    )
    assert box["height"] <= 3.5 * line
