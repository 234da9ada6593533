import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.dues import services
from dangjian.dues.ledger import arrears, due_date, ledger, member_ledger
from dangjian.members.models import Member

pytestmark = pytest.mark.django_db


def m(year, month):
    return dt.date(year, month, 1)


JAN = dt.date(2026, 1, 1)


def base(member, amount="6500", month=JAN, category="active", **kw):
    return services.declare_base(
        actor=None,
        member=member,
        year=month.year,
        category=category,
        monthly_base=D(amount) if amount is not None else None,
        effective_month=month,
        **kw,
    )


def pay(member, months, amount, paid_on=dt.date(2026, 6, 1), **kw):
    return services.record_payment(
        actor=None,
        member=member,
        months=months,
        amount=D(amount),
        paid_on=paid_on,
        method="cash",
        **{"additional": True, **kw},
    )  # several payments per month here: each a marked 同月再次缴纳 (the allocation is what is tested)


def row_for(member, month):
    (row,) = [r for r in member_ledger(member, month.year) if r.month == month]
    return row


def test_ledger_row_fields(tree, make_member):
    a = make_member(tree.a1, name="王一")
    base(a)
    pay(a, "2026-03", "97.50")
    (row,) = ledger(Member.objects.filter(pk=a.pk), m(2026, 3))
    assert (row.member_name, row.org_code, row.category) == ("王一", "A1", "active")
    assert (row.base, row.rate, row.due, row.paid, row.status) == (
        D("6500.00"),
        D("0.015"),
        D("97.50"),
        D("97.50"),
        "paid",
    )


def test_base_change_mid_year_applies_from_the_month_of_new_pay(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000")
    base(a, "6000", m(2026, 7))
    rows = {r.month.month: r for r in member_ledger(a, 2026)}
    assert rows[6].due == D("40.00") and rows[7].due == D("90.00") and rows[12].due == D("90.00")


def test_new_year_needs_a_new_declaration(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000", m(2025, 1))
    assert member_ledger(a, 2026) == []
    assert ledger(Member.objects.all(), m(2026, 1)) == []


def test_probationary_member_pays_from_the_month_of_joining(tree, make_member):
    a = make_member(tree.a1, category="probationary", joined_on=dt.date(2026, 4, 20), confirmed_on=None)
    base(a, "3000")
    months = [r.month.month for r in member_ledger(a, 2026)]
    assert months == list(range(4, 13))
    assert ledger(Member.objects.all(), m(2026, 3)) == []


def test_range_payment_allocated_in_order_up_to_each_due(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000")  # 40.00 a month
    pay(a, "2026-01~2026-03", "100")
    rows = {r.month.month: r for r in member_ledger(a, 2026)}
    assert [(rows[i].paid, rows[i].status) for i in (1, 2, 3, 4)] == [
        (D("40.00"), "paid"),
        (D("40.00"), "paid"),
        (D("20.00"), "partial"),
        (D("0.00"), "unpaid"),
    ]
    pay(a, "2026-03", "20")
    assert row_for(a, m(2026, 3)).status == "paid"


def test_over_payment_is_not_spilled_into_other_months(tree, make_member):
    """An amount above the months' dues is refused when recorded (services._refuse_excess), but a corrected
    (lowered) base still leaves one: it shows on the payment's last month, never in the next."""
    a = make_member(tree.a1)
    base(a, "4000")
    pay(a, "2026-01~2026-02", "80")
    base(a, "2800")  # corrected: 14.00 a month
    rows = {r.month.month: r for r in member_ledger(a, 2026)}
    assert rows[1].paid == D("14.00") and rows[2].paid == D("14.00") and rows[2].over == D("52.00")
    assert rows[3].paid == D("0.00") and rows[3].status == "unpaid"


def test_proxy_payment_counts_for_the_member(tree, make_member):
    a = make_member(tree.a1)
    spouse = make_member(tree.a1, name="配偶")
    base(a, "4000")
    p = pay(a, "2026-02", "40", payer=spouse)
    assert p.payer == spouse
    assert row_for(a, m(2026, 2)).status == "paid"


def test_extra_payments_are_kept_apart(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000")
    small = pay(a, "2026-05", "500", is_extra=True)
    big = pay(a, "2026-05", "1000", is_extra=True)
    assert (small.remit_to_central, big.remit_to_central) == (False, True)
    assert row_for(a, m(2026, 5)).status == "unpaid"


def test_relief_exempt_and_reduce(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000")
    kw = {"actor": None, "member": a, "approved_by": tree.a, "approved_on": dt.date(2026, 1, 5)}
    services.record_relief(kind="exempt", start_month=m(2026, 1), end_month=m(2026, 2), **kw)
    services.record_relief(
        kind="reduce", start_month=m(2026, 3), end_month=m(2026, 3), monthly_amount=D("5"), **kw
    )
    rows = {r.month.month: r for r in member_ledger(a, 2026)}
    assert (rows[1].due, rows[1].status) == (D("0.00"), "exempt")
    assert (rows[3].due, rows[3].status) == (D("5.00"), "unpaid")
    assert rows[4].due == D("40.00")


def test_flat_and_other_categories_in_ledger(tree, make_member):
    s = make_member(tree.a1, name="学生")
    o = make_member(tree.a1, name="其他")
    base(s, None, category="student")
    base(o, None, category="other", fixed_amount=D("8.8"))
    rows = {r.member_name: r for r in ledger(Member.objects.all(), m(2026, 2))}
    assert (rows["学生"].due, rows["学生"].rate, rows["学生"].base) == (D("0.20"), None, None)
    assert rows["其他"].due == D("8.80")


def test_due_date_defaults_to_last_day_and_uses_the_branch_day_for_a_group(tree):
    assert due_date(tree.a1, m(2026, 2)) == dt.date(2026, 2, 28)
    services.set_collection_day(actor=None, org=tree.a1, day=15)
    assert due_date(tree.a1, m(2026, 2)) == dt.date(2026, 2, 15)
    assert due_date(tree.a1g1, m(2026, 2)) == dt.date(2026, 2, 15)
    services.set_collection_day(actor=None, org=tree.a1, day=None)
    assert due_date(tree.a1g1, m(2026, 4)) == dt.date(2026, 4, 30)


def _arrears_of(member, as_of):
    rows = [r for r in arrears(Member.objects.all(), as_of) if r.member_id == member.pk]
    return rows[0] if rows else None


def test_arrears_around_the_collection_day(tree, make_member):
    a = make_member(tree.a1g1)  # in a 党小组: the parent branch's day applies
    base(a, "4000")
    services.set_collection_day(actor=None, org=tree.a1, day=10)
    assert _arrears_of(a, dt.date(2026, 1, 10)) is None  # the day itself is not overdue
    assert _arrears_of(a, dt.date(2026, 1, 11)).unpaid_months == ["2026-01"]


def test_arrears_default_day_is_the_months_last_day(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000")
    assert _arrears_of(a, dt.date(2026, 1, 31)) is None
    assert _arrears_of(a, dt.date(2026, 2, 1)).unpaid_months == ["2026-01"]


def test_arrears_levels_warning_at_three_case_at_six(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000")
    two = _arrears_of(a, dt.date(2026, 3, 1))
    assert (two.consecutive, two.level) == (2, "none")
    three = _arrears_of(a, dt.date(2026, 4, 1))
    assert (three.consecutive, three.level) == (3, "warning")
    five = _arrears_of(a, dt.date(2026, 6, 1))
    assert (five.consecutive, five.level) == (5, "warning")
    six = _arrears_of(a, dt.date(2026, 7, 1))
    assert (six.consecutive, six.level, six.unpaid_months[-1]) == (6, "case", "2026-06")


def test_arrears_counts_the_latest_consecutive_run(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000")
    pay(a, "2026-05", "40")  # Jan–Apr unpaid, May paid, Jun–Jul unpaid
    row = _arrears_of(a, dt.date(2026, 8, 1))
    assert row.unpaid_months == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-06", "2026-07"]
    assert (row.consecutive, row.level) == (2, "none")
    pay(a, "2026-01~2026-04", "160")
    pay(a, "2026-06~2026-07", "80")
    assert _arrears_of(a, dt.date(2026, 8, 1)) is None


def test_partial_month_counts_as_unpaid_in_arrears(tree, make_member):
    a = make_member(tree.a1)
    base(a, "4000")
    pay(a, "2026-01", "10")
    assert _arrears_of(a, dt.date(2026, 2, 1)).unpaid_months == ["2026-01"]


def _population(tree, make_member, n):
    for i in range(n):
        member = make_member(tree.a1 if i % 3 else tree.a1g1, name=f"党员{i}")
        base(member, str(2000 + 150 * i))
        if i % 2:
            base(member, str(3000 + 150 * i), m(2026, 4))
            pay(member, "2026-01~2026-03", "30")  # within the dues of the months (an excess is refused)
        if i % 5 == 0:
            services.record_relief(
                actor=None,
                member=member,
                kind="exempt",
                start_month=m(2026, 2),
                end_month=m(2026, 3),
                approved_by=tree.a,
                approved_on=dt.date(2026, 1, 5),
            )
    services.set_collection_day(actor=None, org=tree.a1, day=20)


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def test_ledger_and_arrears_query_count_does_not_grow_with_members(tree, make_member):
    _population(tree, make_member, 5)
    small_ledger, rows = _queries(lambda: ledger(Member.objects.all(), m(2026, 3)))
    small_arrears, _ = _queries(lambda: arrears(Member.objects.all(), dt.date(2026, 9, 1)))
    assert len(rows) == 5
    _population(tree, make_member, 45)
    big_ledger, rows = _queries(lambda: ledger(Member.objects.all(), m(2026, 3)))
    big_arrears, arr = _queries(lambda: arrears(Member.objects.all(), dt.date(2026, 9, 1)))
    assert len(rows) == 50 and len(arr) == 50
    assert (big_ledger, big_arrears) == (small_ledger, small_arrears)
    assert big_ledger <= 5 and big_arrears <= 6


def test_the_ledger_reads_no_personal_data(make_member, tree, monkeypatch):
    """A ledger over many members (the 工委's year summary reads a city's) loads neither their 身份证号 nor their
    phone: nothing is decrypted."""
    from dangjian.core import pii

    members = [make_member(tree.a1, name=f"党员{i}") for i in range(3)]
    for member in members:
        base(member)
    pay(members[0], "2026-01~2026-03", "292.50")

    def refuse(token):
        raise AssertionError("personal data decrypted")

    monkeypatch.setattr(pii, "decrypt", refuse)
    everyone = Member.objects.filter(pk__in=[x.pk for x in members])
    assert len(ledger(everyone, m(2026, 2))) == 3
    owed = {row.member_name: len(row.unpaid_months) for row in arrears(everyone, dt.date(2026, 6, 15))}
    assert owed == {"党员0": 2, "党员1": 5, "党员2": 5}


def test_a_member_s_own_ledger_reads_the_member_once_and_equals_the_queryset_s(tree, make_member):
    """A member's own pages have read the member: their ledger does not read them again (three queries), and gives
    what the ledger of the same member as a queryset gives — joined in the year, on the roll, off it in March."""
    from dangjian.dues.ledger import ledger_span

    joined = make_member(
        tree.a1, name="新党员", category="probationary", joined_on=dt.date(2026, 4, 20), confirmed_on=None
    )
    stays, left, gone = (make_member(tree.a1, name=name) for name in ("在册", "三月离开", "去年离开"))
    base(joined, "3000")
    for person in (stays, left, gone):
        base(person)
    pay(stays, "2026-01~2026-02", "195.00")
    Member.objects.filter(pk=left.pk).update(status="transferred_out", inactive_from=dt.date(2026, 3, 10))
    Member.objects.filter(pk=gone.pk).update(status="transferred_out", inactive_from=dt.date(2025, 6, 1))
    for person in (joined, stays, left, gone):
        fresh = Member.objects.select_related("org").get(pk=person.pk)
        with CaptureQueriesContext(connection) as queries:
            own = member_ledger(fresh, 2026)
        assert len(queries) == (0 if person is gone else 3)  # payments, bases, reliefs
        _, rows = ledger_span(Member.objects.filter(pk=person.pk), JAN, m(2026, 12))
        assert own == sorted(rows.get(person.pk, {}).values(), key=lambda r: r.month)
    assert [r.month.month for r in member_ledger(joined, 2026)] == list(range(4, 13))
    assert [r.status for r in member_ledger(stays, 2026)][:3] == ["paid", "paid", "unpaid"]
    assert member_ledger(Member.objects.get(pk=gone.pk), 2026) == []
