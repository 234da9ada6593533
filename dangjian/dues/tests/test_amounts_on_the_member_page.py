"""Amounts typed on a member's 党费 page, as a 支部管理员 and a 党委管理员 type them: an amount the database column
cannot hold is refused with a sentence (it was a server error), a 减交 approved "to" more than the member owes is
refused (it raised the month's 应交, and the branch's totals with it) and never raises a due in the ledger, and the
payment form says what is wrong with an amount in the sheet's words, not Django's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.core.dates import add_months
from dangjian.core.errors import ServiceError
from dangjian.dues import services
from dangjian.dues.ledger import member_ledger
from dangjian.dues.models import DuesRelief
from dangjian.dues.tests.test_member_page_forms import base_data, page_url, relief_data, writes
from dangjian.dues.tests.test_views import declare, login

pytestmark = pytest.mark.django_db


def test_a_fixed_amount_too_large_for_its_column_is_refused_with_a_sentence(client, users, this_month, today):
    member = users["own_member"]
    login(client, users["branch_a1"])
    before = writes()
    data = base_data(
        this_month,
        **{"base-category": "other", "base-monthly_base": "", "base-fixed_amount": "1000000000"},
    )
    response = client.post(page_url(today, member, this_month.year), data)
    assert response.status_code == 400
    assert response.context["base_form"].errors["fixed_amount"] == ["月缴纳额 1000000000.00 元过大，请核对。"]
    assert writes() == before
    data["base-fixed_amount"] = "99999999.99"  # the largest the column holds
    assert client.post(page_url(today, member, this_month.year), data).status_code == 302


def test_a_monthly_base_too_large_for_its_column_is_refused(users, this_month):
    with pytest.raises(ServiceError) as refused:
        services.declare_base(
            actor=None,
            member=users["own_member"],
            year=this_month.year,
            category="active",
            monthly_base=Decimal("10000000000"),
            effective_month=this_month,
        )
    assert refused.value.field == "monthly_base"


def test_a_reduction_too_large_for_its_column_is_refused_with_a_sentence(client, users, tree, today):
    member = users["own_member"]
    login(client, users["dangwei_a"])
    before = writes()
    response = client.post(
        page_url(today, member), relief_data(today, tree, **{"relief-monthly_amount": "1000000000"})
    )
    assert response.status_code == 400
    assert response.context["relief_form"].errors["monthly_amount"] == [
        "减交后月缴纳额 1000000000.00 元过大，请核对。"
    ]
    assert writes() == before


def test_a_reduction_above_what_the_member_owes_is_refused(client, users, tree, this_month, today):
    """6000 元 a month at 1.5%: 90.00 元 due. A 减交 to 500 元 (a slip for 5.00) would make 500 元 due."""
    member = users["own_member"]
    declare(today, member, year=this_month.year, month=dt.date(this_month.year, 1, 1))
    login(client, users["dangwei_a"])
    before = writes()
    response = client.post(
        page_url(today, member), relief_data(today, tree, **{"relief-monthly_amount": "500"})
    )
    assert response.status_code == 400
    assert response.context["relief_form"].errors["monthly_amount"] == [
        f"减交后月缴纳额 500.00 元高于该党员 {this_month:%Y-%m} 按规定标准应交的 90.00 元，"
        "减交后的金额不能多于原应交金额，请核对批准的金额。"
    ]
    assert writes() == before
    assert next(r for r in member_ledger(member, this_month.year) if r.month == this_month).due == Decimal(
        "90.00"
    )
    # the amount approved, below what is due: recorded; corrected to one above it: refused, nothing changed
    assert client.post(page_url(today, member), relief_data(today, tree)).status_code == 302
    relief = DuesRelief.objects.get()
    with pytest.raises(ServiceError) as refused:
        services.correct_relief(
            actor=users["dangwei_a"],
            relief=relief,
            kind="reduce",
            monthly_amount=Decimal("90.01"),
            start_month=relief.start_month,
            end_month=relief.end_month,
            approved_by=tree.a,
            approved_on=today,
            reason=relief.reason,
        )
    assert refused.value.field == "monthly_amount"
    relief.refresh_from_db()
    assert relief.monthly_amount == Decimal("5.00")


def test_a_reduction_never_raises_a_due_when_the_base_is_lowered_later(users, tree, this_month, today):
    member = users["own_member"]
    year_start = dt.date(this_month.year, 1, 1)
    declare(today, member, year=this_month.year, month=year_start)  # 90.00 元 a month
    services.record_relief(
        actor=users["dangwei_a"],
        member=member,
        kind="reduce",
        monthly_amount=Decimal("50"),
        start_month=this_month,
        end_month=add_months(this_month, 2),
        approved_by=tree.a,
        approved_on=today,
        reason="生活困难",
    )
    declare(
        today, member, base="2000.00", year=this_month.year, month=year_start
    )  # corrected: 10.00 元 a month
    month = next(r for r in member_ledger(member, this_month.year) if r.month == this_month)
    assert month.due == Decimal("10.00")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": ""}, "amount", "请填写金额。"),
        ({"amount": "-3"}, "amount", "金额须大于 0。"),
        ({"amount": "99999999999"}, "amount", "金额过大。"),
        ({"amount": "1.234"}, "amount", "金额最多保留两位小数。"),
        ({"first_month": ""}, "first_month", "请选择所属月份。"),
        ({"paid_on": ""}, "paid_on", "请填写缴纳日期。"),
    ],
)
def test_the_payment_form_says_what_is_wrong_in_the_sheets_words(
    client, users, this_month, today, values, field, message
):
    member = users["own_member"]
    login(client, users["branch_a1"])
    data = {
        "first_month": f"{this_month:%Y-%m}",
        "amount": "90",
        "paid_on": today.isoformat(),
        "method": "cash",
    } | values
    before = writes()
    response = client.post(page_url(today, member), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert writes() == before
