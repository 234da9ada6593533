"""The collection sheet says plainly who has no declared base this month (rulebook v9 counts them as not paid in
full) and leads to each one's 申报缴费基数 form; its export carries the same note. The year summary's 全年 counts only
the months whose 党费集中交纳日 has passed, as the member ledger's 合计 does."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.dues.models import CollectionDay
from dangjian.dues.services import record_payment
from dangjian.dues.tests.test_views import declare, login, sheet_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def undeclared(users, tree, make_member, today):
    """甲一: 王一 with a base; 李党员 (the users' member) and twelve more without one, one of them in the 党小组."""
    declare(today, make_member(tree.a1, name="王一"))
    people = [make_member(tree.a1g1 if i == 0 else tree.a1, name=f"未申报{i:02d}") for i in range(12)]
    return [users["own_member"], *people]


def test_the_sheet_warns_of_members_without_a_base_and_links_each_ones_form(
    client, users, tree, undeclared, this_month, today
):
    login(client, users["branch_a1"])
    response = client.get(sheet_url(today, tree.a1))
    sheet = response.context["sheet"]
    assert sheet.n_nobase == 13 and sheet.n_open == 1
    html = response.content.decode()
    warning = html[html.index('data-testid="nobase-warning"') :]
    warning = warning[: warning.index("</div>\n</div>")]
    assert "13 名党员本月未申报缴费基数" in warning and "等 13 人" in warning
    assert "合规检查按未交清计" in warning
    links = re.findall(
        r'href="(/dues/member/(\d+)/\?year=(\d+)#declare-base)" data-testid="nobase-member"', warning
    )
    assert len(links) == 10  # the first ten named, the rest counted
    shown = [r.member.pk for r in sheet.nobase_rows][:10]
    assert [int(pk) for _url, pk, _year in links] == shown
    assert {int(year) for _url, _pk, year in links} == {this_month.year}
    assert 'role="alert"' in html[html.index("nobase-warning") - 80 : html.index("nobase-warning")]
    # each such row: the same words as everywhere, and the way to its form
    assert html.count('data-testid="declare-link"') == 13
    assert ">未申报缴费基数</span>" in html and "未申报基数" not in html
    assert "未申报缴费基数 13 人" in html  # beside 未交 in the total row
    page = client.get(links[0][0])
    assert page.status_code == 200 and 'id="declare-base"' in page.content.decode()


def test_the_sheet_names_them_all_when_few_and_says_nothing_when_none(
    client, users, tree, make_member, today
):
    login(client, users["branch_a1"])
    html = client.get(sheet_url(today, tree.a1)).content.decode()  # 李党员 alone
    assert "1 名党员本月未申报缴费基数" in html and "等 " not in html
    declare(today, users["own_member"])
    html = client.get(sheet_url(today, tree.a1)).content.decode()
    assert 'data-testid="nobase-warning"' not in html and "未申报缴费基数" not in html


def test_a_member_who_left_the_roll_before_the_month_is_not_on_its_sheet(
    client, users, tree, make_member, this_month, today
):
    gone = make_member(tree.a1, name="已转出")
    gone.status, gone.inactive_from = "transferred_out", this_month - dt.timedelta(days=20)
    gone.save()
    leaving = make_member(tree.a1, name="本月转出")  # still on the roll on the 1st: owes this month
    declare(today, leaving)
    leaving.status, leaving.inactive_from = "transferred_out", this_month + dt.timedelta(days=5)
    leaving.save()
    login(client, users["branch_a1"])
    sheet = client.get(sheet_url(today, tree.a1)).context["sheet"]
    names = {r.member.name for r in sheet.rows}
    assert "已转出" not in names and "本月转出" in names
    assert [r.member.name for r in sheet.nobase_rows] == ["李党员"]


def test_the_export_carries_the_note_of_the_members_without_a_base(
    client, users, tree, undeclared, ym, today
):
    login(client, users["branch_a1"])
    response = client.get(f"{reverse('dues:export')}?org={tree.a1.pk}&month={ym}")
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert sum(1 for r in rows if r[7] == "未申报缴费基数") == 13
    total = next(r for r in rows if r[0] == "合计")
    assert total[7] == "未交 1 人" and total is rows[-1]
    note = total[8]  # 缴纳说明 of the total row
    names = "、".join(
        r.member.name for r in client.get(sheet_url(today, tree.a1)).context["sheet"].nobase_rows[:10]
    )
    assert note == (
        f"未申报缴费基数 13 人：{names}等13人。应交金额无法计算，不计入应交合计和未交人数；合规检查按未交清计。"
    )


# --- the year summary ---------------------------------------------------------------------------------------


def test_the_year_summary_leaves_out_the_months_not_yet_due(client, users, tree, make_member, today):
    """On 15 June: 甲一 collects on the 28th, 甲二 on the month's last day — June is due in neither yet. Paid in
    full January to May, each branch's 全年 reads 100%, as its members' ledgers' 合计 do; June is shown in its
    column, marked 未到交纳日."""
    day = dt.date(today.year, 6, 15)
    with time_machine.travel(dt.datetime(day.year, 6, 15, 4, tzinfo=dt.UTC), tick=False):
        own = users["own_member"]
        other = make_member(tree.a2, name="赵乙")
        CollectionDay.objects.create(org=tree.a1, day=28)
        for member in (own, other):
            declare(today, member, year=day.year, month=dt.date(day.year, 1, 1))  # 90.00 a month
            record_payment(
                actor=None,
                member=member,
                months=f"{day.year}-01~{day.year}-05",
                amount=Decimal("450.00"),
                paid_on=dt.date(day.year, 5, 20),
                method="cash",
            )
        login(client, users["dangwei_a"])
        response = client.get(reverse("dues:summary"), {"year": day.year})
        lines = {line.org.pk: line for line in response.context["lines"] if line.org is not None}
        for org in (tree.a1, tree.a2):
            line = lines[org.pk]
            assert (line.total_due, line.total_paid, line.total_rate) == (
                Decimal("450.00"),
                Decimal("450.00"),
                Decimal("100.0"),
            )
            assert line.months[5] == [Decimal("90.00"), Decimal("0.00")]  # June shown in its column
            assert [c["pending"] for c in line.cells][4:6] == [False, True]
        total = response.context["lines"][-1]
        assert (total.label, total.total_due, total.total_rate) == (
            "合计",
            Decimal("900.00"),
            Decimal("100.0"),
        )
        html = response.content.decode()
        assert (
            html.count('data-testid="not-due"') == 4
        )  # June of each branch, its unit's subtotal and the total
        # the member's own page agrees: 合计 450.00, nothing owed
        page = client.get(reverse("dues:member", args=[own.pk]), {"year": day.year})
        assert (page.context["total_due"], page.context["shortfall"]) == (Decimal("450.00"), Decimal("0.00"))
    with time_machine.travel(dt.datetime(day.year, 7, 1, 4, tzinfo=dt.UTC), tick=False):
        login(client, users["dangwei_a"])  # a new session: the first one has expired by then
        line = client.get(reverse("dues:summary"), {"year": day.year}).context["lines"][0]
        assert line.total_due == Decimal("540.00") and line.total_rate == Decimal("83.3")  # June now overdue
