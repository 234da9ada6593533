"""One payment per member, month and kind: two admins on the same collection sheet (or one form sent twice) do
not record the same member-month twice. A second regular payment for a month already paid into is recorded only
when it is explicitly marked 同月再次缴纳 (a top-up of a partial payment); a voluntary extra payment (自愿多交) is a
kind of its own."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import partial

import pytest
from django.urls import reverse

from dangjian.core.auditchain import verify as verify_chain
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.core.once import FIELD
from dangjian.dues.models import DuesPayment, LedgerSnapshot
from dangjian.dues.selectors import sheet
from dangjian.dues.services import PaymentEntry, PaymentsRefused, record_payment, record_payments
from dangjian.dues.tests.test_views import branch as branch  # the fixture
from dangjian.dues.tests.test_views import bulk_data, login, sheet_url

DUPLICATE = "党费已登记"


def test_two_admins_on_the_same_sheet_record_one_payment_for_a_member_month(
    client, users, tree, branch, today
):
    member = branch["a1"][3]  # 王三: 12000 a month, more due than one entry records
    for user in (users["branch_a1"], users["dangwei_a"]):  # both open the sheet before either records
        login(client, user)
        assert client.get(sheet_url(today, tree.a1)).status_code == 200
    login(client, users["branch_a1"])
    assert (
        client.post(reverse("dues:sheet"), bulk_data(today, tree.a1, [(member, "100.00")])).status_code == 302
    )
    login(client, users["dangwei_a"])
    second = client.post(reverse("dues:sheet"), bulk_data(today, tree.a1, [(member, "100.00")]))
    assert second.status_code == 400
    assert DUPLICATE in second.content.decode()
    assert DuesPayment.objects.filter(member=member).count() == 1


def test_a_top_up_from_a_fresh_sheet_is_a_marked_second_payment(client, users, tree, branch, today):
    member = branch["a1"][3]
    login(client, users["branch_a1"])
    assert (
        client.post(reverse("dues:sheet"), bulk_data(today, tree.a1, [(member, "100.00")])).status_code == 302
    )
    html = client.get(sheet_url(today, tree.a1)).content.decode()  # the row now shows the part already paid
    assert re.search(rf'name="p{member.pk}-additional" value="True"', html)
    data = {**bulk_data(today, tree.a1, [(member, "20.00")]), f"p{member.pk}-additional": "True"}
    assert client.post(reverse("dues:sheet"), data).status_code == 302
    assert list(
        DuesPayment.objects.filter(member=member).order_by("pk").values_list("amount", "additional")
    ) == [
        (Decimal("100.00"), False),
        (Decimal("20.00"), True),
    ]


def test_the_service_refuses_a_second_regular_payment_unless_marked(users, branch, this_month, today):
    member = branch["a1"][3]
    kw = {
        "actor": users["branch_a1"],
        "member": member,
        "amount": Decimal("10"),
        "paid_on": today,
        "method": "cash",
    }
    record_payment(**kw, months=f"{this_month:%Y-%m}")
    with pytest.raises(ServiceError) as refused:
        record_payment(**kw, months=f"{this_month:%Y-%m}")
    assert DUPLICATE in refused.value.message and "同月再次缴纳" in refused.value.message
    assert refused.value.field == "months"
    assert DuesPayment.objects.filter(member=member).count() == 1
    record_payment(**kw, months=f"{this_month:%Y-%m}", is_extra=True)  # 自愿多交: a kind of its own
    record_payment(**kw, months=f"{this_month:%Y-%m}", additional=True)  # explicitly a second payment
    assert DuesPayment.objects.filter(member=member).count() == 3


def test_the_member_payment_form_posted_twice_records_one_payment(client, users, branch, ym, today):
    member = branch["a1"][3]
    login(client, users["branch_a1"])
    url = reverse("dues:member", args=[member.pk])
    html = client.get(url).content.decode()
    token = re.search(rf'name="{FIELD}" value="([^"]+)"', html).group(1)
    data = {
        "first_month": ym,
        "last_month": "",
        "amount": "42.00",
        "paid_on": today.isoformat(),
        "method": "cash",
        "note": "",
        FIELD: token,
    }
    assert client.post(url, data).status_code == 302
    second = client.post(url, data)
    assert second.status_code == 409 and "该表单已提交，请勿重复提交。" in second.content.decode()
    assert DuesPayment.objects.filter(member=member).count() == 1


def test_a_batch_names_each_refused_entry_and_records_nothing(users, branch, ym, today):
    own, w1, w2, _w3 = branch["a1"]
    record_payment(actor=None, member=w1, months=ym, amount=Decimal("14.00"), paid_on=today, method="cash")
    entry = partial(PaymentEntry, months=ym, paid_on=today, method="cash")
    entries = [
        entry(member=own, amount=Decimal("90.00")),
        entry(member=w1, amount=Decimal("14.00")),  # already paid: a duplicate
        entry(member=w2, amount=Decimal("45.00")),
        entry(member=w2, amount=Decimal("45.00")),  # the same member-month twice in one batch
        entry(member=own, amount=Decimal("-1")),  # not a valid amount
    ]
    events = AuditEvent.objects.count()
    with pytest.raises(PaymentsRefused) as refused:
        record_payments(actor=users["branch_a1"], entries=entries)
    assert sorted(refused.value.by_entry) == [1, 3, 4]
    assert DUPLICATE in refused.value.by_entry[1].message and DUPLICATE in refused.value.by_entry[3].message
    assert refused.value.by_entry[4].field == "amount"
    assert DuesPayment.objects.count() == 1 and AuditEvent.objects.count() == events


def test_a_batch_records_every_entry_with_its_audit_event_and_ledger(users, branch, ym, this_month, today):
    own, w1, _w2, w3 = branch["a1"]
    entry = partial(PaymentEntry, months=ym, paid_on=today, method="cash")
    payments = record_payments(
        actor=users["branch_a1"],
        entries=[
            entry(member=m, amount=Decimal(a)) for m, a in ((own, "90.00"), (w1, "14.00"), (w3, "9.00"))
        ],
    )
    assert [(p.member_id, p.amount) for p in payments] == [
        (own.pk, Decimal("90.00")),
        (w1.pk, Decimal("14.00")),
        (w3.pk, Decimal("9.00")),
    ]
    events = AuditEvent.objects.filter(object_type="dues.duespayment").order_by("id")
    assert [e.object_id for e in events] == [str(p.pk) for p in payments]
    assert all(e.actor == users["branch_a1"] and e.org_path for e in events)
    assert verify_chain().broken_id is None
    codes = dict(LedgerSnapshot.objects.values_list("member_id", "codes"))
    assert set(codes) >= {own.pk, w1.pk, w3.pk}  # refreshed in the same transaction
    assert sheet(users["branch_a1"], own.org, this_month).n_open == 2  # 王二 unpaid, 王三 partial


def test_a_batch_with_a_member_outside_the_scope_is_refused_whole(users, branch, ym, today):
    own = branch["a1"][0]
    entry = partial(PaymentEntry, months=ym, paid_on=today, method="cash", amount=Decimal("90.00"))
    with pytest.raises(OutOfScope):
        record_payments(actor=users["branch_a1"], entries=[entry(member=own), entry(member=branch["a2"])])
    assert not DuesPayment.objects.exists()
