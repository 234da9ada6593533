"""The study-statistics half of the issue's browser journey: a 党委管理员 imports a 学习强国 export on the
import page and sees each member's hours on the study-hours page (headless Chromium). The whole journey,
with the election that follows, is dangjian/elections/tests/test_browser.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import Workbook

from dangjian.core.pinyin import name_key
from dangjian.orgs.services import create_post
from dangjian.training.models import StudyRecord
from dangjian.training.services import add_participants, create_training, record_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def import_xuexi_export_and_check_hours(page, base, tree, make_member, tmp_path) -> None:
    """Steps for a signed-in 党委管理员 over 甲委 (dangwei_a)."""
    a = make_member(tree.a1, name="王学习")
    b = make_member(tree.a1, name="陈学习")
    wb = Workbook()
    ws = wb.active
    ws.append(["身份证号", "姓名", "平台", "期间", "积分", "学时"])
    ws.append([a.id_number, "王学习", "学习强国", "2026", 15800, 33])
    ws.append([b.id_number, "陈学习", "学习强国", "2026", 6200, 12.5])
    path = tmp_path / "学习强国导出.xlsx"
    wb.save(path)

    page.goto(f"{base}/imports/")
    card = page.locator("form[action$='/imports/study-stats/']")
    card.locator("input[type=file]").set_input_files(str(path))
    card.get_by_role("button", name="上传并预览").click()
    page.wait_for_selector("[data-testid=planned]")
    assert "王学习" in page.locator("[data-testid=planned]").inner_text()
    assert not StudyRecord.objects.exists()  # a preview writes nothing
    page.locator("[data-testid=commit]").click()
    page.wait_for_load_state("networkidle")
    assert StudyRecord.objects.count() == 2

    page.get_by_role("link", name="培训学习", exact=True).click()
    page.get_by_role("link", name="学时统计").click()
    page.select_option("#dj-org", str(tree.a1.pk))
    page.fill("#dj-year", "2026")
    page.get_by_role("button", name="查看").click()
    table = page.locator("[data-testid=hours]")
    row_a = table.locator(f"tr[data-member='{a.pk}']").inner_text()
    row_b = table.locator(f"tr[data-member='{b.pk}']").inner_text()
    assert "33" in row_a and "达标" in row_a and "未达标" not in row_a
    assert "12.5" in row_b and "未达标" in row_b
    names = [t.split("\t")[0].strip() for t in table.locator("tbody tr").all_inner_texts()]
    assert names == sorted(names, key=lambda n: (name_key(n), n))  # in pinyin order, no ranking
    assert names[0] == "陈学习"  # chen before dang (党员00 …), which code point order would put first
    assert a.id_number not in page.content()


def test_a_secretary_finds_their_training_and_what_is_missing_from_the_menu(
    live_server, browser_page, users, tree, login
):
    """A 书记 signed in with a 党员 account opens 我的培训 from the menu: their branch's term, this year's rotation
    training, their hours, and the TRAIN-* rules met or still open for them."""
    me = users["own_member"]
    year = dt.date.today().year
    create_post(
        actor=None,
        data={"member": me, "org": tree.a1, "title": "shuji", "started_on": dt.date(year - 2, 3, 1)},
    )
    training = create_training(
        actor=None,
        data={
            "title": "党支部书记集中轮训",
            "organiser": "市级机关工作党委",
            "level": "county_rotation",
            "org": tree.gw,
            "started_on": dt.date(year, 1, 10),
            "ended_on": dt.date(year, 1, 14),
            "hours": Decimal("40"),
        },
    )
    add_participants(actor=None, training=training, members=[me])
    record_study(actor=None, member=me, platform="xuexi", period=str(year), hours="12.5")

    page = browser_page
    login("member_a1")
    page.locator("#dj-nav").get_by_role("link", name="我的培训", exact=True).click()
    card = page.locator(f"[data-testid=secretary-org][data-org={tree.a1.code}]")
    card.wait_for()
    assert "本届任期" in card.locator("[data-testid=term]").inner_text()
    text = card.inner_text()
    assert "党支部书记集中轮训" in text and "52.5" in text  # 40 training + 12.5 platform hours
    missing = card.locator("[data-testid=missing]").inner_text()
    assert "已满足" in missing  # the annual rotation training is done
    assert me.id_number not in page.content()


def test_a_branch_administrator_ticks_every_member_at_once_on_a_phone(
    live_server, browser_page, users, tree, make_member, login
):
    """On a phone (390 px): 全选 ticks the 23 members offered in place, 全不选 clears them, the count follows, and
    the list fits the screen; adding them records every one."""
    day = dt.date.today() - dt.timedelta(days=3)
    training = create_training(
        actor=None,
        data={
            "title": "党员集中学习培训",
            "organiser": "甲一支部",
            "level": "other",
            "org": tree.a1,
            "started_on": day,
            "ended_on": day,
            "hours": Decimal("4"),
        },
    )
    members = [make_member(tree.a1, name=f"学员{i:02d}") for i in range(23)]
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login("branch_a1")
    page.goto(f"{live_server.url}/training/{training.pk}/?branch={tree.a1.pk}")
    boxes = page.locator("[data-testid=add-form] input[name=member]")
    total = boxes.count()
    assert total >= 23
    page.get_by_test_id("pick-all").click()
    assert page.url.endswith(f"?branch={tree.a1.pk}")  # ticked in place, no reload
    assert all(boxes.nth(i).is_checked() for i in range(total))
    assert page.get_by_test_id("pick-count").inner_text() == str(total)
    page.get_by_test_id("pick-none").click()
    assert not any(boxes.nth(i).is_checked() for i in range(total))
    assert page.get_by_test_id("pick-count").inner_text() == "0"
    boxes.first.check()
    assert page.get_by_test_id("pick-count").inner_text() == "1"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_test_id("pick-all").click()
    page.locator("[data-testid=add-form] button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    added = set(training.participants.values_list("member_id", flat=True))
    assert {m.pk for m in members} <= added and len(added) == total
