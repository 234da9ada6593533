"""The English interface as a 支部管理员 and a 党员 use it: the footer's switch names the language "English", the
header's menu collapses on a 1366 px screen (the English menu does not fit on one line), and the pages visited
show no Chinese outside the data (names of organisations and people) and the elements marked as Chinese
(lang="zh-hans", e.g. the switch's "简体中文") (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from dangjian.compliance import kept
from dangjian.dues.services import declare_base
from dangjian.members.models import Member
from dangjian.orgs.models import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CJK_RUN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")

VISIBLE_TEXT = """() => {
  const skip = (el) => el.closest('[lang^="zh"], script, style, [hidden]');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || skip(el) || !el.checkVisibility()) continue;
    parts.push(node.textContent);
  }
  document.querySelectorAll('input[placeholder], [aria-label]').forEach((el) => {
    if (!skip(el) && el.checkVisibility()) {
      parts.push(el.getAttribute('placeholder') || '', el.getAttribute('aria-label') || '');
    }
  });
  return parts.join('\\n');
}"""


def chinese_left(page, data: set[str]) -> list[str]:
    """The runs of Chinese characters on the page that are not data (an organisation's or a person's name)."""
    runs = CJK_RUN.findall(page.evaluate(VISIBLE_TEXT))
    return sorted({r for r in runs if not any(r in name for name in data)})


def test_english_interface_has_a_collapsed_menu_and_no_chinese_sentences(
    live_server, browser_page, users, tree, make_member, login
):
    today = dt.date.today()
    for i, name in enumerate(("张伟", "刘洋")):
        declare_base(
            actor=None,
            member=make_member(tree.a1, name=name),
            year=today.year,
            category="active",
            monthly_base=Decimal(3000 + 500 * i),
            effective_month=dt.date(today.year, 1, 1),
        )
    data = set(Org.objects.values_list("name", flat=True)) | set(
        Member.objects.values_list("name", flat=True)
    )
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 800})
    base = live_server.url
    login("branch_a1")

    # The footer's switch: its options by their own names; choosing English reloads the page in English.
    options = page.locator("#dj-lang option")
    assert options.all_inner_texts() == ["简体中文", "English"]
    page.locator("#dj-lang").select_option("en")
    page.wait_for_function("document.documentElement.lang === 'en'")

    # At 1366 px the English menu is collapsed behind its button, and the header is one line.
    toggler = page.locator(".dj-navbar .navbar-toggler")
    assert toggler.is_visible()
    assert page.locator("#dj-nav").is_hidden()
    assert page.locator(".dj-navbar").bounding_box()["height"] < 70
    toggler.click()
    page.locator("#dj-nav").get_by_role("link", name="Dues").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    # the home page (the branch's work list: rule titles are marked as Chinese) and the module pages
    kept.refresh(Org.objects.all())
    pages = [
        "/",
        "/members/",
        "/meetings/",
        "/dues/",
        "/dues/arrears/",
        "/training/",
        "/talks/",
        "/compliance/",
    ]
    for path in pages:
        page.goto(base + path)
        assert page.evaluate("document.documentElement.lang") == "en", path
        assert chinese_left(page, data) == [], path

    # A 党员's own pages.
    page.context.clear_cookies()
    login("member_a1")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
    for path in ["/", "/dues/mine/", "/training/me/", f"/members/{users['own_member'].pk}/"]:
        page.goto(base + path)
        assert chinese_left(page, data) == [], path
