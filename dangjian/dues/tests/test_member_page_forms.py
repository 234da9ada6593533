"""A member's 党费 page records what the branch and the higher 党委 decide about the member: the declared base
(申报缴费基数, any administrator of the member) and a 党费减免 (only the administrators of a 党委 above the branch; the
others are told who records it), both refused with what was typed kept. A payment for a month without a declared
base is refused (on the page, the sheet's service and the import alike), and nothing is written; the refusals say
what to do where the form is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.core.dates import add_months
from dangjian.core.errors import ServiceError
from dangjian.core.imports import run_import
from dangjian.core.models import AuditEvent
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.dues import services
from dangjian.dues.ledger import member_ledger
from dangjian.dues.models import DuesBase, DuesPayment, DuesRelief
from dangjian.dues.tests.test_views import declare, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def earlier(this_month):
    """A month in this year or the last that FEE-08 lets a payment made today cover (补交 up to 6 months)."""
    return add_months(this_month, -2)


@pytest.fixture
def before_earlier(this_month):
    """The month before `earlier`."""
    return add_months(this_month, -3)


def page_url(today, member, year=None):
    return f"{reverse('dues:member', args=[member.pk])}?year={year or today.year}"


def writes():
    return (
        DuesBase.objects.count(),
        DuesPayment.objects.count(),
        DuesRelief.objects.count(),
        AuditEvent.objects.count(),
    )


# --- 党费减免 ---------------------------------------------------------------------------------------------------


def relief_data(today, tree, **values):
    data = {
        "action": "relief",
        "relief-kind": "reduce",
        "relief-monthly_amount": "5",
        "relief-start_month": f"{today.replace(day=1):%Y-%m}",
        "relief-end_month": f"{add_months(today.replace(day=1), 2):%Y-%m}",
        "relief-approved_by": str(tree.a.pk),
        "relief-approved_on": today.isoformat(),
        "relief-approval_ref": "甲委〔2026〕5号",
        "relief-reason": "长期患病，生活困难",
    }
    return data | values


def test_the_committee_admin_records_a_relief_on_the_members_page(client, users, tree, this_month, today):
    member = users["own_member"]
    declare(today, member, year=this_month.year, month=dt.date(this_month.year, 1, 1))
    login(client, users["dangwei_a"])
    page = client.get(page_url(today, member))
    html = page.content.decode()
    assert 'data-testid="relief-form"' in html and 'data-testid="by-higher"' not in html
    assert [o.pk for o in page.context["relief_form"].approvers] == [tree.a.pk]
    response = client.post(page_url(today, member), relief_data(today, tree))
    assert response.status_code == 302
    relief = DuesRelief.objects.get()
    assert (relief.kind, relief.monthly_amount, relief.start_month, relief.approved_by) == (
        "reduce",
        Decimal("5.00"),
        this_month,
        tree.a,
    )
    assert relief.approval_ref == "甲委〔2026〕5号"
    event = AuditEvent.objects.filter(object_type="dues.duesrelief").get()
    assert event.action == "create" and event.note == "长期患病，生活困难"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'data-testid="member-reliefs"' in html and "减交 · 每月交纳 5.00 元" in html
    assert "甲委机关党委" in html and "甲委〔2026〕5号" in html
    month = next(r for r in page.context["rows"] if r.month == this_month)
    assert month.due == Decimal("5.00")  # the ledger follows the approval


def test_the_branch_admin_is_told_who_records_a_relief_and_cannot_record_one(client, users, tree, today):
    member = users["own_member"]
    login(client, users["branch_a1"])
    html = client.get(page_url(today, member)).content.decode()
    assert 'data-testid="relief-form"' not in html
    assert "党费减免由上级党委审批，并由上级党委管理员登记。" in html
    before = writes()
    data = relief_data(today, tree, **{"relief-approved_by": str(tree.a1.pk)})
    assert client.post(page_url(today, member), data).status_code == 403
    assert client.post(page_url(today, member), relief_data(today, tree)).status_code == 403
    assert writes() == before


def test_a_refused_relief_comes_back_with_what_was_typed(client, users, tree, this_month, today):
    member = users["own_member"]
    login(client, users["dangwei_a"])
    before = writes()
    data = relief_data(today, tree, **{"relief-end_month": f"{add_months(this_month, -1):%Y-%m}"})
    response = client.post(page_url(today, member), data)
    assert response.status_code == 400
    assert writes() == before
    form = response.context["relief_form"]
    assert form.errors["end_month"] == ["截止月份早于起始月份。"]
    html = response.content.decode()
    assert 'value="长期患病，生活困难"' in html and 'value="甲委〔2026〕5号"' in html
    response = client.post(page_url(today, member), relief_data(today, tree, **{"relief-monthly_amount": ""}))
    assert response.context["relief_form"].errors["monthly_amount"] == ["减交须填写减交后月缴纳额。"]
    future = (today + dt.timedelta(days=1)).isoformat()
    response = client.post(
        page_url(today, member), relief_data(today, tree, **{"relief-approved_on": future})
    )
    assert response.context["relief_form"].errors["approved_on"] == ["批准日期不能晚于今天。"]
    assert writes() == before


def test_a_branch_never_approves_the_relief_of_a_member_of_its_own_party_group(
    tree, users, make_member, this_month, today
):
    """A 党小组's higher organisation is its own 党支部: the relief is still the 党委's decision above the branch."""
    grouped = make_member(tree.a1g1, name="小组党员")
    kw = dict(
        member=grouped,
        kind="exempt",
        start_month=this_month,
        end_month=this_month,
        approved_on=today,
    )
    before = writes()
    with pytest.raises(ServiceError) as refused:
        services.record_relief(actor=None, approved_by=tree.a1, **kw)
    assert refused.value.field == "approved_by"
    assert refused.value.message == "党费减免须经上级党委批准：批准组织应为甲一支部的上级党委。"
    with pytest.raises(ServiceError):  # its branch's administrator, naming the 党委: not theirs to record
        services.record_relief(actor=users["branch_a1"], approved_by=tree.a, **kw)
    assert writes() == before
    services.record_relief(actor=users["dangwei_a"], approved_by=tree.a, **kw)
    assert DuesRelief.objects.get().approved_by == tree.a


def test_a_general_branch_is_not_the_committee_that_approves_a_relief(tree, make_member, this_month, today):
    """党费减免 is approved by the 党委 above (FEE-07), not by a 党总支 between it and the branch."""
    member = make_member(tree.b1, name="乙一党员")
    kw = dict(member=member, kind="exempt", start_month=this_month, end_month=this_month, approved_on=today)
    with pytest.raises(ServiceError):
        services.record_relief(actor=None, approved_by=tree.b_zz, **kw)
    services.record_relief(actor=None, approved_by=tree.b, **kw)


def test_the_relief_form_offers_only_committees_the_user_administers(client, users, tree, make_member, today):
    member = make_member(tree.b1, name="乙一党员")
    login(client, users["gongwei"])
    form = client.get(page_url(today, member)).context["relief_form"]
    assert [o.pk for o in form.approvers] == [tree.b.pk, tree.gw.pk]  # nearest first; not the 党总支


# --- 申报缴费基数 --------------------------------------------------------------------------------------------------


def base_data(earlier, **values):
    data = {
        "action": "base",
        "base-year": str(earlier.year),
        "base-category": "active",
        "base-monthly_base": "6,500",
        "base-fixed_amount": "",
        "base-effective_month": f"{earlier:%Y-%m}",
        "base-note": "2026年调资",
    }
    return data | values


def test_a_branch_admin_declares_a_members_base_on_the_members_page(client, users, earlier, today):
    member = users["own_member"]
    login(client, users["branch_a1"])
    html = client.get(page_url(today, member, earlier.year)).content.decode()
    assert 'data-testid="base-form"' in html and 'href="#declare-base"' in html
    before = AuditEvent.objects.count()
    response = client.post(page_url(today, member, earlier.year), base_data(earlier))
    assert response.status_code == 302
    base = DuesBase.objects.get()
    assert (base.year, base.category, base.monthly_base, base.effective_month, base.note) == (
        earlier.year,
        "active",
        Decimal("6500.00"),
        earlier,
        "2026年调资",
    )
    assert AuditEvent.objects.filter(object_type="dues.duesbase", action="create").count() == 1
    assert AuditEvent.objects.count() == before + 1
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "月缴费基数 6500.00 元" in html and 'data-testid="member-bases"' in html
    assert next(r for r in page.context["rows"] if r.month == earlier).due == Decimal("97.50")
    # another category: a fixed amount the branch sets
    other = base_data(
        earlier, **{"base-category": "other", "base-monthly_base": "", "base-fixed_amount": "20"}
    )
    assert client.post(page_url(today, member, earlier.year), other).status_code == 302
    assert DuesBase.objects.get().fixed_amount == Decimal("20.00")  # the same month: corrected


def test_a_refused_declaration_comes_back_with_what_was_typed(client, users, earlier, today):
    member = users["own_member"]
    login(client, users["branch_a1"])
    before = writes()
    response = client.post(page_url(today, member), base_data(earlier, **{"base-monthly_base": ""}))
    assert response.status_code == 400
    form = response.context["base_form"]
    assert form.errors["monthly_base"] == ["在职、离退休党员须填写月缴费基数。"]
    assert 'value="2026年调资"' in response.content.decode()
    wrong_year = base_data(earlier, **{"base-year": str(earlier.year + 1)})
    response = client.post(page_url(today, member), wrong_year)
    assert response.status_code == 400
    assert response.context["base_form"].errors["effective_month"] == [
        f"生效月份 {earlier:%Y-%m} 不在 {earlier.year + 1} 年度内。"
    ]
    response = client.post(page_url(today, member), base_data(earlier, **{"base-monthly_base": "六千"}))
    assert response.status_code == 400 and "monthly_base" in response.context["base_form"].errors
    assert writes() == before


def test_a_member_outside_the_scope_has_no_page_to_declare_on(client, users, tree, earlier, today):
    login(client, users["branch_a2"])
    before = writes()
    assert client.post(page_url(today, users["own_member"]), base_data(earlier)).status_code == 404
    assert writes() == before


# --- a payment for a month without a declared base -------------------------------------------------------------


def pay(today, member, months, amount="90.00", **kw):
    return services.record_payment(
        actor=None,
        member=member,
        months=months,
        amount=Decimal(amount),
        paid_on=today,
        method="cash",
        **kw,
    )


def test_a_payment_for_a_month_without_a_base_is_refused_and_nothing_written(
    users, before_earlier, earlier, today
):
    member = users["own_member"]
    declare(today, member, year=earlier.year, month=earlier)  # from `earlier`: the month before has no base
    before = writes()
    with pytest.raises(ServiceError) as refused:
        pay(today, member, f"{before_earlier:%Y-%m}", "100.00")
    assert refused.value.field == "months"
    assert refused.value.message == (
        f"李党员 {before_earlier:%Y-%m} 尚未申报缴费基数，无法确定应交金额：请先申报缴费基数再登记缴费。"
    )
    with pytest.raises(ServiceError) as refused:  # a span paying more than its declared month takes
        pay(today, member, f"{before_earlier:%Y-%m}~{earlier:%Y-%m}", "100.00")
    assert refused.value.message.startswith(f"李党员 {before_earlier:%Y-%m} 尚未申报缴费基数")
    assert writes() == before
    # a span whose declared month takes the whole amount: all of it on the ledger
    assert pay(today, member, f"{before_earlier:%Y-%m}~{earlier:%Y-%m}").amount == Decimal("90.00")
    month = member_ledger(member, earlier.year)
    assert [(r.month, r.paid) for r in month if r.month == earlier] == [(earlier, Decimal("90.00"))]
    # 自愿多交 belongs to no month
    assert pay(today, member, f"{before_earlier:%Y-%m}", "100.00", is_extra=True).is_extra


def test_a_payment_for_months_after_the_member_left_is_refused(users, before_earlier, earlier, today):
    member = users["own_member"]
    declare(today, member, year=before_earlier.year, month=before_earlier)
    member.status, member.inactive_from = "transferred_out", earlier
    member.save()
    with pytest.raises(ServiceError) as refused:
        pay(today, member, f"{earlier:%Y-%m}")
    assert refused.value.message == (
        f"李党员 已于 {earlier:%Y-%m-%d} 离开党员名册，{earlier:%Y-%m} 没有应交党费，未登记。"
    )
    assert not DuesPayment.objects.exists()


def test_the_members_page_refuses_a_payment_without_a_base_and_says_where_to_declare(
    client, users, earlier, today
):
    member = users["own_member"]
    login(client, users["branch_a1"])
    before = writes()
    data = {
        "first_month": f"{earlier:%Y-%m}",
        "amount": "100.00",
        "paid_on": today.isoformat(),
        "method": "cash",
    }
    response = client.post(page_url(today, member), data)
    assert response.status_code == 400
    assert writes() == before
    assert response.context["form"].non_field_errors() == [
        f"李党员 {earlier:%Y-%m} 尚未申报缴费基数，无法确定应交金额：请先在本页“申报缴费基数”中申报，再登记缴费。"
    ]
    assert "已登记李党员" not in response.content.decode()


def test_the_import_refuses_a_payment_without_a_base_on_its_row(users, tmp_path, earlier, today):
    member = users["own_member"]
    row = {
        "身份证号": member.id_number,
        "所属月份": f"{earlier:%Y-%m}",
        "金额": "100",
        "缴纳日期": today.isoformat(),
        "缴纳方式": "现金",
    }
    result = run_import("dues-payments", write_xlsx(tmp_path / "p.xlsx", [row]), actor=None, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, "所属月份")]
    assert result.errors[0].message.startswith(f"李党员 {earlier:%Y-%m} 尚未申报缴费基数，无法确定应交金额")
    assert "数据导入 › 党费基数申报" in result.errors[0].message
    assert not DuesPayment.objects.exists()


# --- what the refusals advise, where the form is ---------------------------------------------------------------


def test_the_excess_refusal_points_to_the_box_below_on_the_members_page(client, users, earlier, today):
    member = users["own_member"]
    declare(today, member, year=earlier.year, month=earlier)  # 6000 元: 90.00 a month
    login(client, users["branch_a1"])
    data = {
        "first_month": f"{earlier:%Y-%m}",
        "amount": "500.00",
        "paid_on": today.isoformat(),
        "method": "cash",
    }
    response = client.post(page_url(today, member), data)
    assert response.status_code == 400
    errors = response.context["form"].errors["amount"]
    assert errors == [
        f"金额 500.00 元超过 {earlier:%Y-%m} 尚未交纳的应交党费 90.00 元，未登记。"
        "如属自愿多交，请勾选下方的“自愿多交”单独登记。"
    ]
    with pytest.raises(
        ServiceError
    ) as refused:  # elsewhere (the collection sheet): the member's page is named
        pay(today, member, f"{earlier:%Y-%m}", "500.00")
    assert "请在该党员的党费页勾选“自愿多交”单独登记" in refused.value.message
    pay(today, member, f"{earlier:%Y-%m}")
    response = client.post(page_url(today, member), {**data, "amount": "10.00"})  # the month is paid already
    form = response.context["form"]
    assert "请勾选下方的“同月再次缴纳”" in form.non_field_errors()[0]  # said with the amount's refusal
    assert "请勾选下方的“自愿多交”" in form.errors["amount"][0]
