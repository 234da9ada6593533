"""FEE-08 (党费规定 第九条: 预交或补交 一般不得超过6个月) as a decision: beyond the limit a payment is accepted
when the branch's consent (经支部同意) and the date of that decision are recorded — in the service, the payment
form on the member's 党费 page and the `dues-payments` import — and the pages show those payments as such."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.core.dates import add_months
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.imports import export_workbook, run_import, template_workbook
from dangjian.core.models import AuditEvent
from dangjian.core.tests.xlsx_files import save_bytes, write_xlsx
from dangjian.dues import services
from dangjian.dues.models import DuesPayment

pytestmark = pytest.mark.django_db

PAID_JANUARY = dt.date(2026, 1, 10)
PAID_JULY = dt.date(2026, 7, 15)
HINT = "如已经支部同意，请注明“经支部同意”并填写同意日期。"


@pytest.fixture
def member(users, today):
    """李党员 of 甲一 (joined 2010), 6000 元 a month (90.00 due) from January 2025 to next year."""
    this_year = today.year
    for year in sorted({2025, 2026, 2027, this_year - 1, this_year, this_year + 1}):
        services.declare_base(
            actor=None,
            member=users["own_member"],
            year=year,
            category="active",
            monthly_base=D("6000"),
            effective_month=dt.date(year, 1, 1),
        )
    return users["own_member"]


def pay(member, months, paid_on, amount="810", actor=None, **kw):
    return services.record_payment(
        actor=actor,
        member=member,
        months=months,
        amount=D(amount),
        paid_on=paid_on,
        method="cash",
        **{"additional": True, **kw},
    )  # several payments per month here: each a marked 同月再次缴纳 (the window is what is tested)


def counts():
    return DuesPayment.objects.count(), AuditEvent.objects.count()


# --- the service ----------------------------------------------------------------------------------------------


def test_nine_months_ahead_is_refused_without_consent_and_the_message_says_consent_can_be_recorded(member):
    before = counts()
    with pytest.raises(ServiceError) as caught:
        pay(member, "2026-01~2026-09", PAID_JANUARY)
    assert caught.value.field == "months"
    assert caught.value.message == (
        "预交党费的时间一般不得超过 6 个月：所属月份截至 2026-09，比缴纳月份 2026-01 晚 8 个月；"
        "2026-01 缴纳的党费最多可预交到 2026-07。" + HINT
    )
    assert counts() == before


def test_nine_months_ahead_with_the_branchs_consent_is_recorded_and_audited(member):
    payment = pay(
        member, "2026-01~2026-09", PAID_JANUARY, branch_consent=True, consent_on=dt.date(2026, 1, 8)
    )
    assert (payment.branch_consent, payment.consent_on) == (True, dt.date(2026, 1, 8))
    assert payment.consent_label == "预交（经支部同意，2026-01-08）"
    event = AuditEvent.objects.filter(object_type="dues.duespayment").latest("id")
    assert event.after["branch_consent"] is True
    assert event.after["consent_on"] == "2026-01-08"
    assert event.org_path == member.org.path


def test_arrears_beyond_six_months_with_consent_and_the_consent_day_may_be_the_payment_day(member):
    payment = pay(member, "2025-10~2026-06", PAID_JULY, branch_consent=True, consent_on=PAID_JULY)  # 9 back
    assert payment.consent_label == "补交（经支部同意，2026-07-15）"


@pytest.mark.parametrize(
    ("consent", "consent_on", "message"),
    [
        (True, None, "经支部同意的，请填写支部同意日期。"),
        (
            False,
            dt.date(2026, 1, 8),
            "填写了支部同意日期，但未注明经支部同意；请注明经支部同意，或删去同意日期。",
        ),
        (
            True,
            dt.date(2026, 1, 11),  # the day after the payment
            "支部同意日期 2026-01-11 晚于缴纳日期 2026-01-10：应先经支部同意，再预交或补交。",
        ),
    ],
)
def test_consent_needs_its_date_on_or_before_the_payment(member, consent, consent_on, message):
    before = counts()
    with pytest.raises(ServiceError) as caught:
        pay(member, "2026-01~2026-09", PAID_JANUARY, branch_consent=consent, consent_on=consent_on)
    assert (caught.value.field, caught.value.message) == ("consent_on", message)
    assert counts() == before


def test_consent_does_not_widen_the_scope(member, users):
    before = counts()
    with pytest.raises(OutOfScope):
        pay(
            member,
            "2026-01~2026-09",
            PAID_JANUARY,
            actor=users["branch_a2"],
            branch_consent=True,
            consent_on=PAID_JANUARY,
        )
    assert counts() == before


def test_the_labels_of_a_payment(member):
    same = pay(member, "2026-01", PAID_JANUARY, amount="90")
    ahead = pay(member, "2026-02~2026-04", PAID_JANUARY, amount="270")
    back = pay(member, "2025-12", PAID_JANUARY, amount="90")
    both = pay(member, "2025-11~2026-05", dt.date(2026, 2, 1), amount="90")
    agreed = pay(
        member,
        "2026-06",
        dt.date(2026, 6, 2),
        amount="90",
        branch_consent=True,
        consent_on=dt.date(2026, 6, 1),
    )
    extra = pay(member, "2025-01~2026-12", PAID_JANUARY, amount="100", is_extra=True)
    assert [p.timing_label for p in (same, ahead, back, both, agreed, extra)] == [
        "",
        "预交",
        "补交",
        "补交及预交",
        "",
        "",
    ]
    assert agreed.consent_label == "经支部同意（2026-06-01）"
    assert ahead.consent_label == "预交"


# --- the import -----------------------------------------------------------------------------------------------


def row(member, months, **extra):
    return {
        "身份证号": member.id_number,
        "所属月份": months,
        "金额": "810",
        "缴纳日期": "2026-01-10",
        "缴纳方式": "现金",
        **extra,
    }


def test_import_accepts_a_long_span_with_consent_and_its_date(member, tmp_path):
    rows = [row(member, "2026-01~2026-09", 经支部同意="是", 同意日期="2026-01-08")]
    result = run_import("dues-payments", write_xlsx(tmp_path / "p.xlsx", rows), actor=None, dry_run=False)
    assert not result.errors
    payment = DuesPayment.objects.get()
    assert (payment.branch_consent, payment.consent_on) == (True, dt.date(2026, 1, 8))
    assert "经支部同意（2026-01-08）" in result.planned[0].summary
    # the same file again changes nothing
    again = run_import("dues-payments", write_xlsx(tmp_path / "p.xlsx", rows), actor=None, dry_run=False)
    assert (again.created, again.unchanged, again.errors) == (0, 1, [])


def test_import_refuses_a_long_span_without_consent_and_checks_the_two_columns(member, tmp_path):
    rows = [
        row(member, "2026-01~2026-09"),
        row(member, "2026-01~2026-09", 经支部同意="否"),
        row(member, "2026-01~2026-09", 经支部同意="是"),
        row(member, "2026-01~2026-02", 同意日期="2026-01-08"),
        row(member, "2026-01~2026-09", 经支部同意="是", 同意日期="2026-01-11"),
    ]
    result = run_import("dues-payments", write_xlsx(tmp_path / "p.xlsx", rows), actor=None, dry_run=False)
    got = [(e.row, e.column, e.message) for e in result.errors]
    assert got[0][:2] == (2, "所属月份") and got[0][2].endswith(HINT)
    assert got[1][:2] == (3, "所属月份") and got[1][2].endswith(HINT)
    assert got[2:] == [
        (4, "同意日期", "经支部同意为“是”时，须填写支部同意的日期。"),
        (5, "经支部同意", "填写了同意日期，经支部同意应为“是”。"),
        (6, "同意日期", "支部同意日期 2026-01-11 晚于缴纳日期 2026-01-10：应先经支部同意，再预交或补交。"),
    ]
    assert not DuesPayment.objects.exists()


def test_a_reimport_may_not_change_the_consent_of_a_recorded_payment(member, tmp_path):
    pay(member, "2026-01~2026-09", PAID_JANUARY, branch_consent=True, consent_on=dt.date(2026, 1, 8))
    rows = [row(member, "2026-01~2026-09", 经支部同意="是", 同意日期="2026-01-09")]
    result = run_import("dues-payments", write_xlsx(tmp_path / "p.xlsx", rows), actor=None, dry_run=False)
    ((r, column, message),) = [(e.row, e.column, e.message) for e in result.errors]
    assert (r, column) == (2, "经支部同意")
    assert "已登记：预交（经支部同意，2026-01-08）" in message
    # a file without the two columns matches as before
    plain = run_import(
        "dues-payments",
        write_xlsx(tmp_path / "q.xlsx", [row(member, "2026-01~2026-09")]),
        actor=None,
        dry_run=True,
    )
    assert (plain.unchanged, plain.errors) == (1, [])


def test_the_template_and_the_export_carry_the_two_columns(member, tmp_path):
    pay(member, "2026-01~2026-09", PAID_JANUARY, branch_consent=True, consent_on=dt.date(2026, 1, 8))
    template = load_workbook(save_bytes(tmp_path / "t.xlsx", template_workbook("dues-payments")))
    headers = [c.value for c in template.worksheets[0][1]]
    assert headers[-3:] == ["经支部同意", "同意日期", "备注"]
    guide = " ".join(str(c.value) for r in template.worksheets[1].iter_rows() for c in r if c.value)
    assert "经支部同意填“是”，并填写同意日期" in guide
    path = save_bytes(tmp_path / "e.xlsx", export_workbook("dues-payments", DuesPayment.objects.all()))
    sheet = load_workbook(path).worksheets[0]
    values = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
    assert values["经支部同意"] == "是"
    assert values["同意日期"].date() == dt.date(2026, 1, 8)
    again = run_import("dues-payments", path, actor=None, dry_run=False)
    assert again.to_json() == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}


# --- the pages ------------------------------------------------------------------------------------------------


def form_data(today, first, last, **extra):
    return {
        "first_month": f"{first:%Y-%m}",
        "last_month": f"{last:%Y-%m}",
        "amount": "810.00",
        "paid_on": today.isoformat(),
        "method": "transfer",
        **extra,
    }


def test_the_member_page_records_a_nine_month_advance_with_consent_and_shows_it(
    client, users, member, tree, this_month, today
):
    client.force_login(users["branch_a1"])
    url = reverse("dues:member", args=[member.pk])
    last = add_months(this_month, 8)
    response = client.post(url, form_data(today, this_month, last))
    assert response.status_code == 400
    body = response.content.decode()
    assert "预交党费的时间一般不得超过 6 个月" in body and "请注明“经支部同意”并填写同意日期" in body
    assert not DuesPayment.objects.exists()
    response = client.post(
        url, form_data(today, this_month, last, branch_consent="on", consent_on=today.isoformat())
    )
    assert response.status_code == 302
    payment = DuesPayment.objects.get()
    assert (payment.first_month, payment.last_month, payment.branch_consent) == (this_month, last, True)
    assert payment.created_by == users["branch_a1"]
    label = f"预交（经支部同意，{today:%Y-%m-%d}）"
    response = client.get(f"{url}?year={this_month.year}")
    notes = {r.month: r.notes for r in response.context["rows"]}
    assert notes[this_month] == [label]
    assert all(not n for m, n in notes.items() if m < this_month)  # the months before it say nothing
    assert label in response.content.decode()
    # the branch's sheet of a month it covers, and the member's own page
    sheet = client.get(f"{reverse('dues:sheet')}?org={tree.a1.pk}&month={last:%Y-%m}")
    (row,) = [r for r in sheet.context["sheet"].rows if r.member.pk == member.pk]
    assert (row.status, row.notes) == ("paid", [label])
    client.force_login(users["member_a1"])
    mine = client.get(f"{reverse('dues:mine')}?year={this_month.year}").content.decode()
    assert label in mine


def test_the_form_refuses_a_consent_date_without_the_box(client, users, member, this_month, today):
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("dues:member", args=[member.pk]),
        form_data(today, this_month, this_month, consent_on=today.isoformat()),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["consent_on"] == [
        "填写了支部同意日期，但未注明经支部同意；请注明经支部同意，或删去同意日期。"
    ]
    assert not DuesPayment.objects.exists()


def test_a_sibling_branch_admin_gets_404_and_writes_nothing(client, users, member, this_month, today):
    client.force_login(users["branch_a2"])
    url = reverse("dues:member", args=[member.pk])
    assert client.get(url).status_code == 404
    data = form_data(
        today, this_month, add_months(this_month, 8), branch_consent="on", consent_on=today.isoformat()
    )
    assert client.post(url, data).status_code == 404
    assert not DuesPayment.objects.exists()
