"""A 组织委员 opens this month's collection sheet, records three payments through the bulk form, sees the
branch's unpaid count drop by three, and the member's own page shows the month paid; a branch records a 9-month
预交 with the branch's consent (FEE-08) on the member's 党费 page and sees it in the ledger (headless Chromium)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from dangjian.dues.models import DuesPayment
from dangjian.dues.services import declare_base
from dangjian.orgs.services import create_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_organisation_committee_member_records_three_payments_from_the_sheet(
    live_server, browser_page, users, tree, make_member, make_user, login
):
    today = dt.date.today()
    month = today.replace(day=1)
    # The 组织委员 of 甲一: a member holding the post, whose user administers the branch.
    zuzhi = make_member(tree.a1, name="组织委员甲")
    create_post(
        actor=None,
        data={"member": zuzhi, "org": tree.a1, "title": "zuzhi", "started_on": dt.date(2020, 1, 1)},
    )
    make_user("zuzhi_a1", "branch_admin", tree.a1, member=zuzhi)
    own = users["own_member"]  # 李党员, linked to the user member_a1
    members = [zuzhi, own, *(make_member(tree.a1, name=n) for n in ("王一", "王二", "王三"))]
    for m, base in zip(members, ("6000", "6000", "2800", "4500", "12000"), strict=True):
        declare_base(
            actor=None,
            member=m,
            year=today.year,
            category="active",
            monthly_base=Decimal(base),
            effective_month=dt.date(today.year, 1, 1),
        )

    page = browser_page
    base = live_server.url
    login("zuzhi_a1")
    page.get_by_role("link", name="党费", exact=True).click()
    page.wait_for_url(re.compile(r"/dues/"))
    assert f"{today.year} 年 {today.month} 月党费收缴表" in page.locator("h1").inner_text()
    unpaid = page.locator("[data-testid=unpaid-count]")
    assert unpaid.inner_text() == "5"

    # Tick 李党员, 王一 and 王三; the amounts are prefilled with what each owes.
    chosen = {own.pk: "90.00", members[2].pk: "14.00", members[4].pk: "240.00"}
    for pk, amount in chosen.items():
        row = page.locator(f"tr[data-member='{pk}']")
        assert row.locator(f"[name=p{pk}-amount]").input_value() == amount
        assert row.locator(f"[name=p{pk}-paid_on]").input_value() == today.isoformat()
        row.locator(f"[name=p{pk}-pick]").check()
    page.locator(f"tr[data-member='{members[4].pk}'] [name=p{members[4].pk}-method]").select_option(
        "transfer"
    )
    page.locator("[data-testid=record]").click()
    page.wait_for_selector(".alert-success")
    assert "已登记 3 名党员" in page.locator(".alert-success").inner_text()
    assert page.locator("[data-testid=unpaid-count]").inner_text() == "2"
    assert page.locator("[data-testid=paid-count]").inner_text() == "3"
    for pk in chosen:
        assert page.locator(f"tr[data-member='{pk}']").get_attribute("data-status") == "paid"
    assert DuesPayment.objects.filter(first_month=month).count() == 3
    assert DuesPayment.objects.get(member_id=members[4].pk).method == "transfer"

    # 李党员 signs in and sees this month paid on their own page.
    page.context.clear_cookies()
    login("member_a1")
    page.get_by_role("link", name="我的党费").click()
    page.wait_for_url(re.compile(r"/dues/mine/"))
    row = page.locator(f"[data-testid=my-ledger] tr[data-month='{month:%Y-%m}']")
    assert row.get_attribute("data-status") == "paid"
    assert "已交清" in row.inner_text()
    assert page.locator("[data-testid=my-due]").inner_text() == "90.00"
    assert "王一" not in page.content()
    # on a phone the ledger fits: no sideways scrolling, a month on one line
    page.set_viewport_size({"width": 390, "height": 844})
    ledger = page.locator("[data-testid=my-ledger]")
    fits = ledger.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    assert fits, "我的党费 scrolls sideways on a 390 px phone"
    assert row.locator("td").first.evaluate("td => td.getClientRects().length === 1 && td.offsetHeight < 40")
    page.set_viewport_size({"width": 1366, "height": 900})

    # …and works out what a pay rise would mean with the calculator (nothing is stored).
    page.locator("[data-testid=calculator-link]").click()
    page.wait_for_url(re.compile(r"/dues/calculator/"))
    form = page.locator("[data-testid=calculator-form]")
    form.get_by_label("工资项目 1 金额（元）").fill("8,000.50")
    form.get_by_label("工资项目 2 金额（元）").fill("3200")
    form.get_by_label("个人所得税").fill("420")
    form.get_by_label("社保（个人缴纳部分）").fill("1100")
    form.get_by_label("公积金（个人缴纳部分）").fill("840")
    form.get_by_role("button", name="计算").click()
    assert page.locator("[data-testid=calc-base]").inner_text() == "8840.50"  # 11200.50 − 2360
    assert page.locator("[data-testid=calc-due]").inner_text() == "132.61"  # 1.5% of 8840.50, half-up
    assert "1.5%" in page.locator("[data-testid=calc-sentence]").inner_text()
    assert DuesPayment.objects.count() == 3


def test_branch_records_a_nine_month_advance_with_the_branchs_consent_and_sees_it_in_the_ledger(
    live_server, browser_page, users, tree, login
):
    """FEE-08: 预交 beyond 6 months is refused until the branch's consent and its date are given; then the
    member's ledger shows the nine months paid, each as "预交（经支部同意，…）", and so does the sheet."""
    today = dt.date.today()
    month = today.replace(day=1)
    months = [
        dt.date(month.year + (month.month - 1 + k) // 12, (month.month - 1 + k) % 12 + 1, 1) for k in range(9)
    ]
    own = users["own_member"]  # 李党员 of 甲一, 6000 元 a month: 90.00 due
    for year in sorted({m.year for m in months}):
        declare_base(
            actor=None,
            member=own,
            year=year,
            category="active",
            monthly_base=Decimal("6000"),
            effective_month=dt.date(year, 1, 1),
        )

    page = browser_page
    login("branch_a1")
    page.get_by_role("link", name="党费", exact=True).click()
    page.wait_for_url(re.compile(r"/dues/"))
    page.locator(f"tr[data-member='{own.pk}'] [data-testid=member-link]").click()
    page.wait_for_url(re.compile(rf"/dues/member/{own.pk}/"))
    assert "李党员的党费" in page.locator("h1").inner_text()

    form = page.locator("[data-testid=payment-form]")
    form.get_by_label("所属月份（起）").fill(f"{months[0]:%Y-%m}")
    form.get_by_label("所属月份（止）").fill(f"{months[-1]:%Y-%m}")
    form.get_by_label("金额（元）").fill("810.00")
    assert form.get_by_label("缴纳日期").input_value() == today.isoformat()
    form.get_by_label("缴纳方式").select_option("transfer")
    form.locator("[data-testid=record-payment]").click()
    error = page.locator("[data-testid=form-error]")
    assert "预交党费的时间一般不得超过 6 个月" in error.inner_text()
    assert "请注明“经支部同意”并填写同意日期" in error.inner_text()
    assert not DuesPayment.objects.exists()

    # The 支委会 agreed: tick the box, give the date of the decision, submit again.
    form = page.locator("[data-testid=payment-form]")
    form.get_by_label("经支部同意").check()
    form.get_by_label("同意日期").fill(today.isoformat())
    form.locator("[data-testid=record-payment]").click()
    page.wait_for_selector(".alert-success")
    label = f"预交（经支部同意，{today:%Y-%m-%d}）"
    assert label in page.locator(".alert-success").inner_text()
    payment = DuesPayment.objects.get()
    assert (payment.first_month, payment.last_month, payment.branch_consent) == (months[0], months[-1], True)

    def ledger_rows():
        return page.locator("[data-testid=member-ledger] tbody tr")

    seen = set()
    for year in sorted({m.year for m in months}):
        page.goto(f"{live_server.url}/dues/member/{own.pk}/?year={year}")
        for m in (m for m in months if m.year == year):
            row = page.locator(f"[data-testid=member-ledger] tr[data-month='{m:%Y-%m}']")
            assert row.get_attribute("data-status") == "paid"
            assert label in row.locator("[data-testid=month-note]").inner_text()
            seen.add(m)
        assert label in page.locator("[data-testid=member-payments]").inner_text()
    assert seen == set(months) and ledger_rows().count() >= 1

    # The branch's sheet of the last month covered shows the member paid, in advance with consent.
    page.goto(f"{live_server.url}/dues/?org={tree.a1.pk}&month={months[-1]:%Y-%m}")
    row = page.locator(f"tr[data-member='{own.pk}']")
    assert row.get_attribute("data-status") == "paid"
    assert label in row.locator("[data-testid=sheet-note]").inner_text()


def test_collection_day_of_a_twenty_member_branch_paying_in_full_takes_three_clicks(
    live_server, browser_page, users, tree, make_member, login
):
    """减负: from the home page, 党费 → 全选 → 登记勾选的缴费 records the month of every member (≤ 5 clicks)."""
    today = dt.date.today()
    members = [make_member(tree.a2, name=f"成员{i:02d}") for i in range(20)]
    for i, m in enumerate(members):
        declare_base(
            actor=None,
            member=m,
            year=today.year,
            category="active",
            monthly_base=Decimal(2500 + 250 * i),
            effective_month=dt.date(today.year, 1, 1),
        )
    page = browser_page
    clicks = 0

    def click(locator) -> None:
        nonlocal clicks
        clicks += 1
        locator.click()

    login("branch_a2")
    click(page.get_by_role("link", name="党费", exact=True))
    page.wait_for_url(re.compile(r"/dues/"))
    assert page.locator("[data-testid=unpaid-count]").inner_text() == "20"
    click(page.locator("[data-testid=pick-all]"))
    assert page.locator("input[data-testid=pick]:checked").count() == 20
    click(page.locator("[data-testid=record]"))
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-testid=unpaid-count]").inner_text() == "0"
    assert page.locator("[data-testid=paid-count]").inner_text() == "20"
    assert DuesPayment.objects.filter(first_month=today.replace(day=1)).count() == 20
    assert clicks == 3
