"""我的党费's total row (and the branch's page of a member, which shares it): a month whose 党费集中交纳日 has not
passed counts in none of the totals, whatever was paid on it already, and the row below the totals says so —
naming the month with its own status (部分交纳, not 待交) and what was paid — on a phone too."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from dangjian.dues.models import CollectionDay
from dangjian.dues.services import record_payment
from dangjian.dues.tests.test_views import declare, login

pytestmark = pytest.mark.django_db


def _tfoot(body: str) -> str:
    return body[body.index("<tfoot>") : body.index("</tfoot>")]


@pytest.fixture
def mid_month(today):
    """The 15th of this month (whatever today is): a collection day on the 28th is still ahead."""
    day = dt.date(today.year, today.month, 15)
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC), tick=False):
        yield day


@pytest.mark.parametrize("page", ["mine", "member"])
def test_a_partial_payment_before_the_collection_day_is_named_below_the_totals(
    client, users, tree, page, mid_month, ym, this_month, today
):
    own = users["own_member"]
    declare(today, own)  # 6000 → 90.00 a month
    CollectionDay.objects.create(org=tree.a1, day=28)
    record_payment(actor=None, member=own, months=ym, amount=Decimal("40"), paid_on=mid_month, method="cash")
    if page == "mine":
        login(client, users["member_a1"])
        body = client.get(reverse("dues:mine")).content.decode()
    else:
        login(client, users["branch_a1"])
        body = client.get(reverse("dues:member", args=[own.pk])).content.decode()
    assert f'data-month="{ym}" data-status="partial"' in body
    foot = _tfoot(body)
    overdue = this_month.month - 1  # the months of the year before this one, unpaid
    assert re.search(r'data-testid="total-paid">0\.00<', foot)  # the 40.00 of this month is not in it
    assert f'data-testid="total-due">{Decimal(90) * overdue:.2f}<' in foot
    pending = foot[foot.index('data-testid="ledger-pending"') :]
    assert "1 个月未到集中交纳日，不计入合计" in pending
    assert f'data-month="{ym}"' in pending and "部分交纳" in pending and "已交 40.00 元" in pending
    assert "待交" not in pending
    # the row spans the table and is shown on a phone
    assert 'colspan="5"' in pending and "d-none" not in pending.split("</tr>")[0]
