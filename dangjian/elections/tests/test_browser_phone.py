"""The election entry on a phone (390 × 844): the candidate table scrolls sideways inside its card (the page does
not), each 拟任职务 select shows its whole label, and the 预选得票 column shows only while 进行了预选 is ticked."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# the width a select's text needs beyond its box: its label's width against the room inside the select (less
# its padding, which holds the arrow)
ROOM = """(select) => {
  const style = getComputedStyle(select);
  const probe = document.createElement("span");
  probe.style.font = style.font;
  probe.style.whiteSpace = "nowrap";
  probe.textContent = select.options[select.selectedIndex].text;
  document.body.appendChild(probe);
  const needed = probe.getBoundingClientRect().width;
  probe.remove();
  return select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - needed;
}"""


def test_candidate_table_is_usable_on_a_phone(
    live_server, browser_page, users, tree, a1_voters, login, tmp_path
):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login("branch_a1")
    page.goto(f"{live_server.url}/elections/new/?org={tree.a1.pk}&held_on={dt.date.today():%Y-%m-%d}")
    table = page.locator("[data-testid=candidates]")
    table.wait_for()
    for i, label in enumerate(("组织委员", "宣传委员", "纪检委员", "副书记")):
        page.locator(f"select[name=c-{i}-title]").select_option(label=label)
    page.screenshot(path=f"{tmp_path}/election-phone-unticked.png", full_page=True)
    for i in range(4):
        room = page.locator(f"select[name=c-{i}-title]").evaluate(ROOM)
        assert room >= 0, f"拟任职务 of row {i} is cut by {-room:.0f} px"
    # the page itself does not scroll sideways: the table does, inside its card
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    prevotes = table.locator("th", has_text="预选得票")
    assert not prevotes.is_visible() and not page.locator("input[name=c-0-prevotes]").is_visible()
    page.get_by_label("进行了预选").check()
    assert prevotes.is_visible() and page.locator("input[name=c-0-prevotes]").is_visible()
    # four columns do not fit: the table scrolls sideways to the 得票, the page still does not
    page.locator("input[name=c-0-prevotes]").fill("9")
    page.locator("input[name=c-0-votes]").fill("8")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{tmp_path}/election-phone-ticked.png", full_page=True)
    page.get_by_label("进行了预选").uncheck()
    assert not prevotes.is_visible()


def test_a_mistaken_election_is_deleted_after_confirming(
    live_server, browser_page, users, tree, a1_voters, login, tmp_path
):
    from dangjian.elections.models import Election
    from dangjian.elections.services import record_election
    from dangjian.elections.tests.conftest import cands

    election = record_election(
        actor=None,
        org=tree.a1,
        held_on=dt.date.today() - dt.timedelta(days=1),
        form="assembly",
        present=10,
        seats=3,
        ballots_issued=10,
        ballots_returned=10,
        candidates=cands(a1_voters, (9, 8, 7)),
    )
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login("branch_a1")
    page.goto(f"{live_server.url}/elections/{election.pk}/")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    page.on("dialog", answer)
    button = page.locator("[data-testid=delete]").get_by_role("button", name="删除选举记录")
    button.scroll_into_view_if_needed()
    page.screenshot(path=f"{tmp_path}/election-delete.png", full_page=True)
    button.click()  # dismissed: nothing happens
    assert asked == ["确定删除这条选举记录？候选人得票等将一并删除，不可恢复。"]
    assert Election.objects.filter(pk=election.pk).exists()
    button.click()
    page.wait_for_selector(".alert-success")
    assert "已删除该选举记录。" in page.locator("main").inner_text()
    assert not Election.objects.filter(pk=election.pk).exists()


# the label laid out as the select lays it out (its width less the padding, its font and line height, wrapping):
# room to spare across (a word wider than the select is cut) and down (lines the select is too short for are cut)
WRAPPED_ROOM = """(select) => {
  const style = getComputedStyle(select);
  const width = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const probe = document.createElement("div");
  probe.style.cssText = `position:absolute; width:${width}px; white-space:normal; font:${style.font};
    line-height:${style.lineHeight}; letter-spacing:${style.letterSpacing}`;
  probe.textContent = select.options[select.selectedIndex].text;
  document.body.appendChild(probe);
  const across = width - probe.scrollWidth;
  const down = select.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom)
    - probe.getBoundingClientRect().height;
  probe.remove();
  return [across, down];
}"""


def test_long_english_post_names_wrap_in_the_candidate_table(
    live_server, browser_page, users, tree, a1_voters, login, tmp_path
):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login("branch_a1")
    page.locator("#dj-lang").select_option("en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.goto(f"{live_server.url}/elections/new/?org={tree.a1.pk}&held_on={dt.date.today():%Y-%m-%d}")
    page.locator("[data-testid=candidates]").wait_for()
    titles = ("zuzhi", "xuanchuan", "jijian", "fushuji", "shuji")
    for i, value in enumerate(titles):
        page.locator(f"select[name=c-{i}-title]").select_option(value)
    page.screenshot(path=f"{tmp_path}/election-phone-english.png", full_page=True)
    for i, value in enumerate(titles):
        select = page.locator(f"select[name=c-{i}-title]")
        label = select.evaluate("s => s.options[s.selectedIndex].text")
        across, down = select.evaluate(WRAPPED_ROOM)
        assert across >= 0 and down >= -1, (
            f"{label} ({value}) is cut: {across:.0f} px across, {down:.0f} down"
        )
    # the longest wraps onto lines of its own: the select is taller than one line
    tall = page.locator("select[name=c-2-title]").evaluate("s => s.clientHeight")
    short = page.locator("select[name=c-4-title]").evaluate("s => s.clientHeight")
    assert tall > short
    # and the table still fits the phone without the 预选得票 column: the page does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    table = page.locator("[data-testid=candidates]")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
