from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

D = dt.date


@pytest.fixture
def member(tree, make_member):
    return make_member(tree.a1, name="王流动")


@pytest.fixture
def paid_member(tree, make_member):
    """A member of 甲一 with a 2026 base and January–March 2026 paid (April unpaid)."""
    from dangjian.dues.services import declare_base, record_payment

    m = make_member(tree.a1, name="赵交费")
    declare_base(
        actor=None,
        member=m,
        year=2026,
        category="active",
        monthly_base=Decimal("6000"),
        effective_month=D(2026, 1, 1),
    )
    record_payment(
        actor=None,
        member=m,
        months="2026-01~2026-03",
        amount=Decimal("270"),
        paid_on=D(2026, 3, 5),
        method="cash",
    )
    return m
