"""The collection sheet's shortcuts and its answers: 全选 ticks every open row, 按上月 ticks the members who paid
last month with last month's amount, "abc" in an amount is 金额格式不正确 (nothing written), and a month paid in
part appears in the arrears list as 部分 with what is still owed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.core.dates import add_months
from dangjian.core.models import AuditEvent
from dangjian.dues.models import DuesPayment
from dangjian.dues.services import record_payment
from dangjian.dues.tests.test_views import (
    _count,
    _grow,
    bulk_data,
    declare,
    login,
    sheet_url,
)
from dangjian.dues.tests.test_views import branch as branch  # the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_month(this_month):
    """The first day of last month."""
    return add_months(this_month, -1)


def ticked(body: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="p(\d+)-pick"[^>]* checked', body)}


def amount_of(body: str, pk: int) -> str:
    match = re.search(rf'name="p{pk}-amount"[^>]*value="([^"]*)"', body) or re.search(
        rf'value="([^"]*)"[^>]*name="p{pk}-amount"', body
    )
    assert match, pk
    return match.group(1)


def test_pick_all_ticks_every_open_row_and_nothing_without_it(client, users, tree, branch, this_month, today):
    own, w1, w2, w3 = branch["a1"]
    record_payment(
        actor=None, member=w1, months=f"{this_month:%Y-%m}", amount="14.00", paid_on=today, method="cash"
    )
    login(client, users["branch_a1"])
    assert ticked(client.get(sheet_url(today, tree.a1)).content.decode()) == set()
    body = client.get(sheet_url(today, tree.a1) + "&fill=all").content.decode()
    assert ticked(body) == {own.pk, w2.pk, w3.pk}  # 王一 has paid: no entry on his row
    assert 'data-testid="pick-all"' in body


def test_last_month_prefill_ticks_last_months_payers_with_their_amounts(
    client, users, tree, branch, last_month, this_month, today
):
    own, _w1, w2, w3 = branch["a1"]
    if last_month.year != this_month.year:  # January: last month's bases are of last year
        for m, base in zip(branch["a1"], ("6000.00", "2800.00", "4500.00", "12000.00"), strict=True):
            declare(today, m, base, year=last_month.year, month=last_month)
    last = f"{last_month:%Y-%m}"
    record_payment(actor=None, member=own, months=last, amount="90.00", paid_on=today, method="cash")
    record_payment(actor=None, member=w3, months=last, amount="100.00", paid_on=today, method="cash")
    login(client, users["branch_a1"])
    response = client.get(sheet_url(today, tree.a1) + "&fill=last")
    body = response.content.decode()
    assert ticked(body) == {own.pk, w3.pk}  # 王一, 王二 paid nothing last month
    assert amount_of(body, w3.pk) == "100.00"  # last month's amount, not this month's 240.00
    assert amount_of(body, w2.pk) == "45.00"  # not ticked: what is due
    assert "已按上月勾选 2 人" in body
    # Submitting the prefilled sheet records exactly those rows.
    data = bulk_data(today, tree.a1, [(own, "90.00"), (w3, "100.00")])
    assert client.post(reverse("dues:sheet"), data).status_code == 302
    assert set(DuesPayment.objects.filter(first_month=this_month).values_list("member_id", "amount")) == {
        (own.pk, Decimal("90.00")),
        (w3.pk, Decimal("100.00")),
    }


def test_last_month_prefill_reads_a_constant_number_of_queries(client, users, tree, make_member, today):
    login(client, users["branch_a1"])
    _grow(today, make_member, tree, 4)
    small = _count(client, sheet_url(today, tree.a1) + "&fill=last")
    _grow(today, make_member, tree, 30)
    assert _count(client, sheet_url(today, tree.a1) + "&fill=last") == small


@pytest.mark.parametrize("typed", ["abc", "12,5", "9o"])
def test_letters_in_an_amount_are_a_format_error_and_nothing_is_saved(
    client, users, tree, branch, typed, today
):
    own, w1, _w2, _w3 = branch["a1"]
    login(client, users["branch_a1"])
    events = AuditEvent.objects.count()
    response = client.post(reverse("dues:sheet"), bulk_data(today, tree.a1, [(own, "90.00"), (w1, typed)]))
    assert response.status_code == 400
    body = response.content.decode()
    assert "金额格式不正确" in body
    assert body.count('data-testid="row-errors"') == 1
    assert not DuesPayment.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_month_paid_in_part_is_shown_as_partial_with_what_is_owed(
    client, users, tree, make_member, this_month, today
):
    m = make_member(tree.a1, name="部分者")
    declare(today, m, "6000.00", year=today.year - 1)  # 90.00 a month since January of last year
    declare(today, m, "6000.00")
    first = f"{add_months(this_month, -4):%Y-%m}"  # overdue, within the 6 months a late payment may go back
    record_payment(actor=None, member=m, months=first, amount="30.00", paid_on=today, method="cash")
    login(client, users["branch_a1"])
    response = client.get(reverse("dues:arrears"))
    item = next(i for i in response.context["items"] if i.row.member_id == m.pk)
    partial = [om for om in item.row.owed_months if om.partial]
    assert [(om.month, om.paid, om.owed) for om in partial] == [(first, Decimal("30.00"), Decimal("60.00"))]
    assert item.row.owed == Decimal("90.00") * len(item.row.owed_months) - Decimal("30.00")
    body = response.content.decode()
    assert f"{first}（部分，尚欠 60.00 元）" in body
    assert f"尚欠合计 {item.row.owed:.2f} 元" in body
