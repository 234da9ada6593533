"""Defects found by reviewers playing branch secretaries and members: the collection sheet reports every bad row
and field in one pass; an amount above what is owed is refused unless recorded as 自愿多交; a payment recorded by
mistake is voided (撤销) from the member's page; its 备注 is shown; 我的党费 opens no future year; a month before its
党费集中交纳日 is 待交, not 未交, and owes nothing yet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.core.dates import add_months
from dangjian.core.models import AuditEvent
from dangjian.dues.forms import PaymentForm
from dangjian.dues.models import CollectionDay, DuesPayment
from dangjian.dues.services import record_payment
from dangjian.dues.tests.test_views import bulk_data, declare, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch(tree, users, make_member, today):
    """甲一支部: 李党员 (6000 → 90.00 a month) and five more at 9144 元 (137.16 a month); 甲二 one member."""
    declare(today, users["own_member"])
    others = [make_member(tree.a1, name=f"王{i}") for i in range(5)]
    for m in others:
        declare(today, m, "9144.00")
    sibling = make_member(tree.a2, name="赵乙")
    declare(today, sibling)
    return {"a1": [users["own_member"], *others], "a2": sibling}


def _sheet(client, org, data):
    return client.post(reverse("dues:sheet"), data)


# --- 1. every invalid row and field in one pass -----------------------------------------------------------------


def test_the_sheet_reports_every_bad_row_and_field_in_one_pass(
    client, users, tree, branch, this_month, today
):
    """The reviewers' sheet: amounts "abc", "-5" and empty, a date of payment in the future and one more than 6
    months back, ticked with 全选: five rows refused at once, each with its fields."""
    _own, *five = branch["a1"]
    login(client, users["branch_a1"])
    data = bulk_data(today, tree.a1, [(m, "137.16") for m in five])
    data[f"p{five[0].pk}-amount"] = "abc"
    data[f"p{five[1].pk}-amount"] = "-5"
    data[f"p{five[2].pk}-amount"] = ""
    data[f"p{five[2].pk}-paid_on"] = (today + dt.timedelta(days=3)).isoformat()  # a bad amount and a bad date
    data[f"p{five[3].pk}-paid_on"] = (today + dt.timedelta(days=3)).isoformat()
    # this month's dues 7 months ahead
    data[f"p{five[4].pk}-paid_on"] = add_months(this_month, -7).isoformat()
    events = AuditEvent.objects.count()
    response = _sheet(client, tree.a1, data)
    assert response.status_code == 400
    assert not DuesPayment.objects.exists() and AuditEvent.objects.count() == events
    body = response.content.decode()
    assert "有 5 行未通过校验" in body
    assert body.count('data-testid="row-errors"') == 5
    forms = {r.member.pk: r.form for r in response.context["sheet"].rows if r.form}
    assert "amount" in forms[five[0].pk].errors and "amount" in forms[five[1].pk].errors
    assert set(forms[five[2].pk].errors) == {"amount", "paid_on"}  # both, in the same pass
    assert "缴纳日期不能晚于今天" in forms[five[3].pk].errors["paid_on"][0]
    window = forms[five[4].pk].errors["paid_on"][0]
    assert "预交党费的时间一般不得超过 6 个月" in window
    # the sheet has no consent fields: the message says where they are (the member's page has them)
    assert "在其党费页登记" in window and "请注明“经支部同意”并填写同意日期" not in window
    assert {"branch_consent", "consent_on"} <= set(PaymentForm.base_fields)


# --- 2. an amount above 应交 ------------------------------------------------------------------------------------


def test_an_amount_above_the_due_is_refused_on_the_sheet(client, users, tree, branch, ym, today):
    member = branch["a1"][1]
    login(client, users["branch_a1"])
    response = _sheet(client, tree.a1, bulk_data(today, tree.a1, [(member, "1371.60")]))
    assert response.status_code == 400
    assert not DuesPayment.objects.exists()
    (form,) = [r.form for r in response.context["sheet"].rows if r.member.pk == member.pk]
    message = form.errors["amount"][0]
    assert "1371.60" in message and "137.16" in message and "自愿多交" in message
    # the amount due is accepted, and a second entry beyond it (a top-up) is refused
    assert _sheet(client, tree.a1, bulk_data(today, tree.a1, [(member, "137.16")])).status_code == 302
    with pytest.raises(Exception, match=r"尚未交纳的应交党费 0\.00 元"):
        record_payment(
            actor=None,
            member=member,
            months=ym,
            amount=Decimal("1"),
            paid_on=today,
            method="cash",
            additional=True,
        )


def test_an_excess_is_recorded_as_voluntary_and_every_page_agrees(
    client, users, tree, branch, ym, this_month, today
):
    member = branch["a1"][1]
    login(client, users["branch_a1"])
    url = reverse("dues:member", args=[member.pk])
    base = {"first_month": ym, "paid_on": today.isoformat(), "method": "cash"}
    refused = client.post(url, {**base, "amount": "1371.60"})
    assert refused.status_code == 400 and not DuesPayment.objects.exists()
    assert "自愿多交" in refused.content.decode()
    assert client.post(url, {**base, "amount": "137.16"}).status_code == 302
    assert client.post(url, {**base, "amount": "1234.44", "is_extra": "on"}).status_code == 302
    regular, extra = DuesPayment.objects.order_by("id")
    assert (regular.is_extra, extra.is_extra, extra.remit_to_central) == (False, True, True)
    page = client.get(url)
    (row,) = [r for r in page.context["rows"] if r.month == this_month]
    assert row.paid == Decimal("137.16")
    sheet = client.get(f"{reverse('dues:sheet')}?org={tree.a1.pk}&month={ym}").context["sheet"]
    assert next(r for r in sheet.rows if r.member.pk == member.pk).row.paid == Decimal("137.16")
    pub = client.get(reverse("dues:publication"), {"org": tree.a1.pk, "year": today.year}).context
    month = pub["months"][today.month - 1]
    assert (month.collected, month.extra) == (Decimal("137.16"), Decimal("1234.44"))
    # a duplicate says what to tick, and the form has it
    again = client.post(url, {**base, "amount": "10"})
    body = again.content.decode()
    assert again.status_code == 400 and "勾选“自愿多交”" in body
    assert 'name="is_extra"' in body and 'name="additional"' in body


# --- 3. 撤销 a payment ------------------------------------------------------------------------------------------


@pytest.fixture
def paid(branch, ym, today):
    return record_payment(
        actor=None, member=branch["a1"][1], months=ym, amount=Decimal("137.16"), paid_on=today, method="cash"
    )


def test_the_member_page_voids_a_payment_with_a_reason(client, users, paid, this_month, today):
    login(client, users["branch_a1"])
    url = reverse("dues:member", args=[paid.member_id])
    body = client.get(url).content.decode()
    form = body[body.index('data-testid="void-form"') - 200 :]
    form = form[form.index("<form") : form.index("</form>")]
    assert "data-confirm=" in form and f'value="{paid.pk}"' in form
    events = AuditEvent.objects.count()
    refused = client.post(url, {"void": paid.pk, "reason": " "})
    assert refused.status_code == 400 and "请填写撤销原因" in refused.content.decode()
    assert DuesPayment.objects.filter(pk=paid.pk).exists() and AuditEvent.objects.count() == events
    response = client.post(f"{url}?year={today.year}", {"void": paid.pk, "reason": "金额录错"})
    assert response.status_code == 302 and response["Location"] == f"{url}?year={today.year}"
    assert not DuesPayment.objects.filter(pk=paid.pk).exists()
    event = AuditEvent.objects.get(object_type="dues.duespayment", action="delete")
    assert event.note == "金额录错"
    (row,) = [r for r in client.get(url).context["rows"] if r.month == this_month]
    assert row.paid == Decimal("0.00")


def test_voiding_is_refused_outside_the_scope(client, users, tree, make_user, paid):
    url = reverse("dues:member", args=[paid.member_id])
    data = {"void": paid.pk, "reason": "金额录错"}
    voids = AuditEvent.objects.filter(object_type="dues.duespayment", action="delete")
    assert client.post(url, data).status_code == 302  # anonymous: to the login page
    assert "/accounts/login/" in client.post(url, data)["Location"]
    login(client, users["member_a1"])
    assert client.post(url, data).status_code == 403
    login(client, users["branch_a2"])  # the sibling branch
    assert client.post(url, data).status_code == 404
    login(client, make_user("branch_b1", "branch_admin", tree.b1))  # another 党委's branch
    assert client.post(url, data).status_code == 404
    assert DuesPayment.objects.filter(pk=paid.pk).exists() and not voids.exists()
    # a payment of another member through this member's page: not found
    login(client, users["branch_a1"])
    other = reverse("dues:member", args=[users["own_member"].pk])
    assert client.post(other, data).status_code == 404
    assert DuesPayment.objects.filter(pk=paid.pk).exists()
    # the 党委 above may void it
    login(client, users["dangwei_a"])
    assert client.post(url, data).status_code == 302
    assert not DuesPayment.objects.exists()


# --- 4. the 备注 ------------------------------------------------------------------------------------------------


def test_the_note_is_shown_with_the_payment(client, users, branch, ym, today):
    own = users["own_member"]
    record_payment(
        actor=None, member=own, months=ym, amount=Decimal("90"), paid_on=today, method="cash", note="微信转账"
    )
    login(client, users["branch_a1"])
    body = client.get(reverse("dues:member", args=[own.pk])).content.decode()
    assert 'data-testid="payment-note"' in body and "微信转账" in body
    login(client, users["member_a1"])
    body = client.get(reverse("dues:mine")).content.decode()
    assert "微信转账" in body and 'data-testid="void-form"' not in body


# --- 5. 我的党费 of a future year ------------------------------------------------------------------------------


def test_mine_opens_no_future_year(client, users, branch, today):
    login(client, users["member_a1"])
    body = client.get(reverse("dues:mine"), {"year": today.year}).content.decode()
    assert f"?year={today.year + 1}" not in body
    response = client.get(reverse("dues:mine"), {"year": today.year + 1})
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="future-year"' in body
    assert "还没有申报您的党费缴费基数" not in body and "尚未开始" in body
    for bad in ("abc", "0", "99999"):
        assert client.get(reverse("dues:mine"), {"year": bad}).context["year"] == today.year


# --- 6. before the collection day -------------------------------------------------------------------------------


def test_a_month_before_its_collection_day_is_pending_and_owes_nothing_yet(
    client, users, tree, branch, ym, this_month, today
):
    from dangjian.portal.workbench import member_home

    own = users["own_member"]
    if today.day <= 28:
        CollectionDay.objects.create(org=tree.a1, day=28)  # otherwise the default: the month's last day
    login(client, users["member_a1"])
    response = client.get(reverse("dues:mine"))
    body = response.content.decode()
    assert f'data-month="{ym}" data-status="pending"' in body and "待交" in body
    (row,) = [r for r in response.context["rows"] if r.month == this_month]
    assert row.pending and not row.overdue
    overdue = [r for r in response.context["rows"] if r.month < this_month]
    assert response.context["shortfall"] == sum((r.due for r in overdue), Decimal(0))
    home = member_home(own)
    assert response.context["shortfall"] == home.outstanding
    if not overdue:
        assert 'data-testid="shortfall">无欠交' in body
    # once paid the month is 已交清; after its collection day an unpaid month is 未交 and owed
    record_payment(actor=None, member=own, months=ym, amount=Decimal("90"), paid_on=today, method="cash")
    assert f'data-month="{ym}" data-status="paid"' in client.get(reverse("dues:mine")).content.decode()
    last = add_months(this_month, -1)
    if last.year == today.year:
        assert f'data-month="{last:%Y-%m}" data-status="unpaid"' in body


def test_a_payment_names_the_day_paid_and_the_months_paid_for(client, users, branch, ym, today):
    """“2026-01-13 2026-01” read as two dates alike: the day is 交纳 and the months are 所属月份."""
    own = users["own_member"]
    record_payment(actor=None, member=own, months=ym, amount=Decimal("90"), paid_on=today, method="cash")
    login(client, users["member_a1"])
    body = client.get(reverse("dues:mine")).content.decode()
    assert f'data-testid="payment-paid-on">{today:%Y-%m-%d} 交纳</span>' in body
    assert f'data-testid="payment-months">所属月份 {ym}</span>' in body
