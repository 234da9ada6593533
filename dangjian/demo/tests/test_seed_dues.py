"""`dangjian seed` also writes the 党费 of the months up to the reference day: bases, collection days and payments."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from io import StringIO

from django.core.management import call_command

from dangjian.core.dates import add_months
from dangjian.demo.seeding import Clock, build_plan
from dangjian.demo.tests import TODAY
from dangjian.dues.calculator import monthly_due
from dangjian.dues.ledger import arrears
from dangjian.dues.models import ArrearsReview, CollectionDay, DuesBase, DuesPayment, DuesRelief
from dangjian.members.models import Member

YEAR = TODAY.year
CLOCK = Clock(TODAY)


def seed(*args: str) -> None:
    call_command("seed", "--scale", "small", "--today", f"{TODAY}", *args, stdout=StringIO())


def dues_snapshot() -> dict[str, list]:
    return {
        "bases": list(
            DuesBase.objects.order_by("member__id_number_hash", "effective_month").values_list(
                "member__id_number_hash", "category", "monthly_base", "effective_month", "fixed_amount"
            )
        ),
        "days": sorted(CollectionDay.objects.values_list("org__code", "day")),
        "payments": sorted(
            DuesPayment.objects.values_list(
                "member__id_number_hash",
                "first_month",
                "last_month",
                "amount",
                "paid_on",
                "method",
                "payer__id_number_hash",
                "is_extra",
                "remit_to_central",
            )
        ),
    }


def test_plan_and_written_dues_are_deterministic_and_reset_replaces_them(db):
    assert build_plan("small", 1, TODAY).dues_payments == build_plan("small", 1, TODAY).dues_payments
    assert build_plan("small", 2, TODAY).dues_payments != build_plan("small", 1, TODAY).dues_payments
    seed()
    first = dues_snapshot()
    assert first["bases"] and first["payments"] and first["days"]
    ArrearsReview.objects.create(
        member=Member.objects.first(),
        reviewed_on=TODAY,
        through_month=TODAY,
        decision="contact",
        reason="测试",
    )
    seed("--reset")
    assert dues_snapshot() == first
    assert not ArrearsReview.objects.exists() and not DuesRelief.objects.exists()
    plan = build_plan("small", 1, TODAY)
    assert DuesPayment.objects.count() == len(plan.dues_payments)
    assert DuesBase.objects.count() == len(plan.dues_bases)


def in_force(rows: list[DuesBase], month: dt.date) -> DuesBase:
    """The base of the month's year in force in `month` (a base applies within its year only)."""
    return [b for b in rows if b.year == month.year and b.effective_month <= month][-1]


def test_every_member_has_a_base_in_force_for_every_month_of_the_window_since_joining(db):
    seed()
    bases = defaultdict(list)
    for b in DuesBase.objects.order_by("effective_month"):
        assert b.year == b.effective_month.year and b.year in CLOCK.years and b.effective_month.day == 1
        bases[b.member_id].append(b)
    assert {b.year for rows in bases.values() for b in rows} == {YEAR - 1, YEAR}
    for member in Member.objects.all():
        rows = bases[member.pk]
        month = max(CLOCK.first, member.joined_on.replace(day=1))
        assert rows and rows[0].effective_month == month, member.pk
        while month.year == YEAR:
            base = in_force(rows, month)
            monthly_due(base.category, base.monthly_base, month, fixed_amount=base.fixed_amount)
            month = add_months(month, 1)
    categories = Counter(DuesBase.objects.values_list("category", flat=True))
    assert {"active", "retired", "other"} <= set(categories)
    assert any(len(rows) > 1 for rows in bases.values())  # a change of pay during the year
    assert 1 <= CollectionDay.objects.count() < 15
    assert all(5 <= d <= 25 for d in CollectionDay.objects.values_list("day", flat=True))


def test_single_month_payments_of_fully_paid_months_equal_the_computed_due(db):
    seed()
    bases = defaultdict(list)
    for b in DuesBase.objects.order_by("effective_month"):
        bases[b.member_id].append(b)

    def due(member_id: int, month: dt.date):
        base = in_force(bases[member_id], month)
        return monthly_due(base.category, base.monthly_base, month, fixed_amount=base.fixed_amount)[0]

    regular = DuesPayment.objects.filter(is_extra=False)
    by_month = defaultdict(list)
    for p in regular:
        assert p.paid_on <= TODAY
        for month in (p.first_month, p.last_month):
            assert CLOCK.first <= month <= add_months(CLOCK.current, 2)
        by_month[(p.member_id, p.first_month, p.last_month)].append(p.amount)
    checked = partial = 0
    for (member_id, first, last), amounts in by_month.items():
        expected = sum(due(member_id, m) for m in _months(first, last))
        if first == last and len(amounts) == 1 and amounts[0] < expected:
            partial += 1  # paid in part, the rest still owed
            continue
        assert sum(amounts) == expected, (member_id, first, last, amounts, expected)
        checked += 1
    assert checked > 1500 and partial >= 1


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months = [first]
    while months[-1] < last:
        months.append(add_months(months[-1], 1))
    return months


def test_arrears_has_warnings_and_cases(db):
    seed()
    levels = Counter(row.level for row in arrears(Member.objects.all(), as_of=dt.date(2026, 11, 1)))
    assert levels["warning"] >= 1 and levels["case"] >= 1
    assert levels["warning"] + levels["case"] <= 10


def test_proxy_range_and_large_extra_payments_exist(db):
    seed()
    proxy = DuesPayment.objects.filter(payer__isnull=False).select_related("member__org", "payer__org")
    assert proxy.exists()
    for p in proxy:
        assert p.payer_id != p.member_id
        branch = {p.member.org.parent_id if p.member.org.type == "xiaozu" else p.member.org_id}
        assert (p.payer.org.parent_id if p.payer.org.type == "xiaozu" else p.payer.org_id) in branch
    assert DuesPayment.objects.filter(
        first_month=dt.date(YEAR, 1, 1), last_month=dt.date(YEAR, 3, 1)
    ).exists()
    large = DuesPayment.objects.filter(is_extra=True, amount__gte=1000)
    assert large.exists() and all(p.remit_to_central for p in large)
    assert not DuesPayment.objects.filter(is_extra=True, amount__lt=1000, remit_to_central=True).exists()
    methods = Counter(DuesPayment.objects.values_list("method", flat=True))
    assert methods["cash"] < methods["transfer"] + methods["online"]
