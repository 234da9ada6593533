"""The header on a laptop: a 工委 or 支部 administrator's menu (fourteen items), their account and the bell are on one
line at 1200, 1280, 1366 and 1440 px, nothing is pushed past the right edge however long the account's name is (it
is cut, in full on hover), and the page never scrolls sideways (headless Chromium). At 1280 px the menu needed
1,295 px and the bell sat off the screen."""

from __future__ import annotations

import pytest

from dangjian.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = "市级机关工作党委组织部党建信息管理员"

HEADER = """() => {
  const bar = document.querySelector('.dj-navbar .container-fluid');
  const bell = document.querySelector('[data-testid=bell]').getBoundingClientRect();
  const name = document.querySelector('[data-testid=user-menu]').getBoundingClientRect();
  const items = [...document.querySelectorAll('#dj-nav .navbar-nav > li')].map((li) => li.getBoundingClientRect());
  return {
    page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    bar: [bar.scrollWidth, bar.clientWidth],
    bell: [bell.left, bell.right], name: [name.left, name.right],
    tops: [...new Set(items.map((r) => Math.round(r.top)))],
    height: document.querySelector('.dj-navbar').getBoundingClientRect().height,
  };
}"""


@pytest.mark.parametrize("username", ["gongwei", "branch_a1"])
def test_an_administrators_header_fits_a_laptop_screen(live_server, browser_page, users, login, username):
    User.objects.filter(username=username).update(first_name=LONG_NAME, last_name="")
    page = browser_page
    login(username)
    for width in (1200, 1280, 1366, 1440):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/")
        header = page.evaluate(HEADER)
        assert page.locator("#dj-nav").is_visible(), width  # expanded, not behind the menu button
        assert header["page"][0] <= header["page"][1], (width, header)
        assert header["bar"][0] <= header["bar"][1], (width, header)
        assert header["bell"][1] <= width, (width, header)
        assert header["name"][1] <= header["bell"][0], (width, header)  # the account before the bell
        assert len(header["tops"]) == 1 and header["height"] < 70, (width, header)  # one line
    user_menu = page.locator("[data-testid=user-menu]")
    assert user_menu.get_attribute("title") == LONG_NAME
    assert user_menu.inner_text().strip() == LONG_NAME  # cut on the screen only
