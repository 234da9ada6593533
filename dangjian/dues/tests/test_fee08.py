"""FEE-08: 补交 and 预交 at most DUES_MAX_ARREARS_MONTHS / DUES_MAX_ADVANCE_MONTHS (default 6) months from
the month a payment is made in; a refused payment writes nothing, in the service, the sheet and the import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from dangjian.core.dates import add_months
from dangjian.core.errors import ServiceError
from dangjian.core.imports import run_import
from dangjian.core.models import AuditEvent
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.dues import services
from dangjian.dues.models import DuesPayment

pytestmark = pytest.mark.django_db

PAID_JULY = dt.date(2026, 7, 15)
PAID_JANUARY = dt.date(2026, 1, 10)


@pytest.fixture
def member(users):
    """李党员 of 甲一 (joined 2010), 6000 元 a month (90.00 due) from January of last year."""
    this_year = dt.date.today().year
    for year in sorted({2025, 2026, 2027, this_year - 1, this_year}):
        services.declare_base(
            actor=None,
            member=users["own_member"],
            year=year,
            category="active",
            monthly_base=D("6000"),
            effective_month=dt.date(year, 1, 1),
        )
    return users["own_member"]


def pay(member, months, paid_on, **kw):
    return services.record_payment(
        actor=None,
        member=member,
        months=months,
        amount=D("90"),
        paid_on=paid_on,
        method="cash",
        **{"additional": True, **kw},
    )  # several payments per month here: each a marked 同月再次缴纳 (the window is what is tested)


def test_arrears_of_six_months_accepted_seven_refused_and_nothing_written(member):
    p = pay(member, "2026-01", PAID_JULY)  # 6 months before July
    assert p.first_month == dt.date(2026, 1, 1)
    before = (DuesPayment.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ServiceError) as caught:
        pay(member, "2025-12", PAID_JULY)  # 7 months before July
    assert caught.value.field == "months"
    assert caught.value.message == (
        "补交党费的时间一般不得超过 6 个月：所属月份自 2025-12 起，比缴纳月份 2026-07 早 7 个月；"
        "2026-07 缴纳的党费最早可补交到 2026-01。如已经支部同意，请注明“经支部同意”并填写同意日期。"
    )
    with pytest.raises(ServiceError, match="党费的时间一般不得超过"):
        pay(member, "2025-12~2026-07", PAID_JULY)  # a range that begins too early
    assert (DuesPayment.objects.count(), AuditEvent.objects.count()) == before


def test_advance_of_six_months_accepted_seven_refused_and_nothing_written(member):
    p = pay(member, "2026-01~2026-07", PAID_JANUARY)  # ends 6 months after January
    assert p.last_month == dt.date(2026, 7, 1)
    pay(member, "2026-07", PAID_JANUARY)  # a single month in advance: the same bound
    before = (DuesPayment.objects.count(), AuditEvent.objects.count())
    for months in ("2026-01~2026-08", "2026-08"):
        with pytest.raises(ServiceError) as caught:
            pay(member, months, PAID_JANUARY)
        assert caught.value.message == (
            "预交党费的时间一般不得超过 6 个月：所属月份截至 2026-08，比缴纳月份 2026-01 晚 7 个月；"
            "2026-01 缴纳的党费最多可预交到 2026-07。如已经支部同意，请注明“经支部同意”并填写同意日期。"
        )
    assert (DuesPayment.objects.count(), AuditEvent.objects.count()) == before


def test_the_bound_is_counted_in_calendar_months_across_the_year(member):
    pay(member, "2025-06", dt.date(2025, 12, 31))  # 6 months back, last day of the month
    with pytest.raises(ServiceError):
        pay(member, "2025-05", dt.date(2025, 12, 1))
    pay(member, "2026-06", dt.date(2025, 12, 1))  # 6 ahead across the new year
    with pytest.raises(ServiceError):
        pay(member, "2026-07", dt.date(2025, 12, 31))


def test_limits_are_settings(member, settings):
    settings.DUES_MAX_ARREARS_MONTHS = 2
    settings.DUES_MAX_ADVANCE_MONTHS = 0
    pay(member, "2026-05~2026-07", PAID_JULY)
    with pytest.raises(ServiceError, match="不得超过 2 个月"):
        pay(member, "2026-04", PAID_JULY)
    with pytest.raises(ServiceError, match="预交党费的时间一般不得超过 0 个月"):
        pay(member, "2026-08", PAID_JULY)
    settings.DUES_MAX_ARREARS_MONTHS = None  # the limit turned off
    pay(member, "2025-01", PAID_JULY)


def test_voluntary_extra_payments_are_not_limited(member):
    p = pay(member, "2025-11", PAID_JULY, is_extra=True)
    assert p.is_extra


def test_collection_sheet_refuses_seven_months_back_and_records_six(client, users, member):
    this_month = dt.date.today().replace(day=1)
    client.force_login(users["branch_a1"])
    pk = member.pk

    def post(month):
        data = {
            "org": member.org_id,
            "month": f"{month:%Y-%m}",
            f"p{pk}-pick": "on",
            f"p{pk}-amount": "90.00",
            f"p{pk}-method": "cash",
            f"p{pk}-paid_on": dt.date.today().isoformat(),
        }
        return client.post(reverse("dues:sheet"), data)

    response = post(add_months(this_month, -7))
    assert response.status_code == 400
    assert "补交党费的时间一般不得超过 6 个月" in response.content.decode()
    assert not DuesPayment.objects.exists()
    assert post(add_months(this_month, -6)).status_code == 302
    assert DuesPayment.objects.get().first_month == add_months(this_month, -6)


def test_import_reports_the_limit_on_its_row(member, tmp_path):
    rows = [
        {
            "身份证号": member.id_number,
            "所属月份": months,
            "金额": "90",
            "缴纳日期": "2026-07-15",
            "缴纳方式": "现金",
        }
        for months in ("2026-01", "2025-12", "2026-07~2027-02")
    ]
    result = run_import("dues-payments", write_xlsx(tmp_path / "p.xlsx", rows), actor=None, dry_run=False)
    got = [(e.row, e.column, e.message.split("：")[0]) for e in result.errors]
    assert got == [
        (3, "所属月份", "补交党费的时间一般不得超过 6 个月"),
        (4, "所属月份", "预交党费的时间一般不得超过 6 个月"),
    ]
    assert not DuesPayment.objects.exists()  # all or nothing
