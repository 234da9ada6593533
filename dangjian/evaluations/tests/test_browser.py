"""A branch runs 民主评议党员 in the browser: its administrator opens it and moves it to the 测评, five members vote
on a phone-sized page (390 px), the administrator closes the 测评 and gives the grades with the tallies beside
each name (headless Chromium)."""

from __future__ import annotations

import re

import pytest

from dangjian.evaluations.models import Evaluation, Participation, Tally

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_branch_runs_an_evaluation_from_opening_to_grades(live_server, browser_page, branch, login, today):
    page = browser_page
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())  # 进入下一步 and 提交测评票 ask first

    login("branch_a1")
    page.goto(f"{base}/evaluations/")
    page.get_by_role("link", name="开展民主评议").first.click()
    page.wait_for_url(re.compile(r"/evaluations/new/"))
    page.get_by_label("评定机构").select_option(label="支部党员大会")
    page.get_by_role("button", name="开始").click()
    page.wait_for_selector(".alert-success")
    ev = Evaluation.objects.get(org=branch.org, year=today.year)
    assert ev.participants.count() == 10
    for step in ("self", "voting"):  # 学习教育 → 个人自评 → 党员互评和民主测评
        page.get_by_test_id("advance").click()
        page.wait_for_selector(f"[data-step={step}][aria-current=step]")  # the page after the POST
    assert "网上投票 0/9 人" in page.get_by_test_id("turnout").inner_text()
    # no ballot yet: the 测评 cannot close, and the page says why
    assert page.get_by_test_id("advance").is_disabled()
    assert "尚未收回任何测评票" in page.get_by_test_id("advance-wait").inner_text()

    page.set_viewport_size({"width": 390, "height": 844})  # the members vote on their phones
    voters = branch.formal[:5]
    for i, m in enumerate(voters):
        page.context.clear_cookies()
        login(f"m{m.pk}")
        page.get_by_role("link", name="请参加民主测评").first.click()
        page.wait_for_url(re.compile(rf"/evaluations/{ev.pk}/vote/"))
        fieldsets = page.locator("fieldset[data-member]")
        assert fieldsets.count() == 9
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the ballot is {width} px wide on a 390 px phone"
        for k in range(fieldsets.count()):
            choice = "优秀" if (i + k) % 4 == 0 else "合格"
            fieldsets.nth(k).get_by_text(choice, exact=True).click()
        page.get_by_test_id("submit-vote").click()
        page.wait_for_selector("[data-testid=voted]")
        # voting twice: the page says so and offers no ballot
        page.goto(f"{base}/evaluations/{ev.pk}/vote/")
        assert page.locator("[data-testid=vote-form]").count() == 0
    assert Participation.objects.filter(evaluation=ev).count() == 5
    assert sum(Tally.objects.filter(evaluation=ev).values_list("online", flat=True)) == 45

    page.set_viewport_size({"width": 1366, "height": 900})
    page.context.clear_cookies()
    login("branch_a1")
    page.goto(f"{base}/evaluations/{ev.pk}/")
    assert "网上投票 5/9 人" in page.get_by_test_id("turnout").inner_text()
    page.get_by_test_id("advance").click()  # close the 测评
    page.wait_for_selector("[data-step=grading][aria-current=step]")
    page.get_by_test_id("grade-link").click()
    page.wait_for_url(re.compile(rf"/evaluations/{ev.pk}/grades/"))
    rows = page.locator("[data-testid=grades] tbody tr")
    assert rows.count() == 10  # nine to grade, the 预备党员 beside them without a grade
    first = rows.filter(has_text="赵一")
    assert first.locator("td.text-end").count() == 4  # the tallies beside the name

    def grade(member, label):
        page.get_by_role("radiogroup", name=member.name, exact=True).get_by_text(label, exact=True).click()

    for m in branch.formal:
        grade(m, "合格")
    for m in branch.formal[:4]:
        grade(m, "优秀")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=9人中最多3人，现为4人")  # 4 of 9 refused
    grade(branch.formal[3], "合格")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector(".alert-success")
    grades = dict(ev.participants.values_list("member__name", "grade"))
    assert sorted(grades.values()) == ["", *["excellent"] * 3, *["qualified"] * 6]
    assert grades["陈预备"] == ""


def test_a_committee_opens_the_evaluation_for_all_its_branches(
    live_server, browser_page, branch, login, today
):
    """The 党委管理员 of 甲委 opens the year's 民主评议 for 甲一 and 甲二 with the button of the evaluations page: 甲一
    is opened, 甲二 (nobody on its roll) left alone, as the message says, and the list shows it."""
    page = browser_page
    login("dangwei_a")
    page.goto(f"{live_server.url}/evaluations/")
    page.get_by_test_id("open-for-branches").click()
    page.wait_for_url(re.compile(r"/evaluations/new/branches/"))
    page.get_by_label("党委或党总支").select_option(label="甲委机关党委")
    page.get_by_label("评定机构").select_option(label="支部委员会")
    page.get_by_role("button", name="开始").click()
    message = page.locator(".alert-success")
    message.wait_for()
    assert f"已为1个党支部开展{today.year}年度民主评议党员；0个此前已开展，1个没有在册党员，未开展。" in (
        message.inner_text()
    )
    row = page.locator("[data-testid=evaluations] tr[data-org=A1]")
    assert "学习教育" in row.inner_text() and "10" in row.inner_text()
    assert Evaluation.objects.filter(year=today.year).count() == 1
    assert Evaluation.objects.get(org=branch.org).organ == "committee"


def test_a_member_writes_the_self_assessment_on_a_phone(live_server, browser_page, branch, login, opened):
    """At the 个人自评 step a member writes theirs on the home page of a 390 px phone, and edits it on their
    evaluations page; the page never scrolls sideways."""
    from dangjian.evaluations.tests.conftest import advance_to

    advance_to(opened, "self", branch.admin)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    m = branch.formal[2]
    login(f"m{m.pk}")
    card = page.get_by_test_id("my-self-assessment")
    card.get_by_label("我的个人自评").fill("按时参加组织生活，学习笔记记了两本。")
    card.get_by_test_id("own-self-save").click()
    page.wait_for_selector(".alert-success")
    assert "已保存您的个人自评" in page.locator(".alert-success").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the home page is {width} px wide on a 390 px phone"
    page.goto(f"{live_server.url}/evaluations/mine/")
    form = page.get_by_test_id("own-self-form")
    assert form.get_by_label("我的个人自评").input_value() == "按时参加组织生活，学习笔记记了两本。"
    form.get_by_label("我的个人自评").fill("改：按时参加组织生活。")
    form.get_by_test_id("own-self-save").click()
    page.wait_for_selector(".alert-success")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="/tmp/mzpy-own-self-390.png", full_page=True)
    assert opened.participants.get(member=m).self_text == "改：按时参加组织生活。"
