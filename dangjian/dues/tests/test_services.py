import datetime as dt
from decimal import Decimal as D

import pytest

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.dues import services
from dangjian.dues.models import CollectionDay, DuesBase, DuesPayment

pytestmark = pytest.mark.django_db


def test_parse_months():
    assert services.parse_months("2026-03") == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert services.parse_months("2026-01~2026-03") == (dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    for bad in ["", "2026-13", "2026/03", "2026-03~2026-01", "2026-01~2026-02~2026-03"]:
        with pytest.raises(ServiceError):
            services.parse_months(bad)


def test_declare_base_is_an_idempotent_upsert(users):
    member = users["own_member"]
    kw = dict(member=member, year=2026, category="active", effective_month=dt.date(2026, 1, 1))
    services.declare_base(actor=users["branch_a1"], monthly_base=D("6500"), **kw)
    services.declare_base(actor=users["branch_a1"], monthly_base=D("6500"), **kw)
    assert DuesBase.objects.filter(member=member).count() == 1
    assert AuditEvent.objects.filter(object_type="dues.duesbase").count() == 1
    services.declare_base(actor=users["branch_a1"], monthly_base=D("7000"), **kw)
    assert DuesBase.objects.get(member=member).monthly_base == D("7000")
    with pytest.raises(ServiceError):
        services.declare_base(actor=None, monthly_base=None, **kw)
    with pytest.raises(ServiceError):
        services.declare_base(actor=None, monthly_base=D("1"), **{**kw, "year": 2025})


def _declare_2026(member):
    services.declare_base(
        actor=None,
        member=member,
        year=2026,
        category="active",
        monthly_base=D("6500"),
        effective_month=dt.date(2026, 1, 1),
    )  # 97.50 a month


def test_record_payment_writes_and_audits(users):
    _declare_2026(users["own_member"])
    p = services.record_payment(
        actor=users["branch_a1"],
        member=users["own_member"],
        months="2026-01~2026-03",
        amount=D("291.00"),
        paid_on=dt.date(2026, 3, 5),
        method="transfer",
    )
    assert (p.first_month, p.last_month, p.created_by) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 1),
        users["branch_a1"],
    )
    assert AuditEvent.objects.filter(object_type="dues.duespayment", action="create").count() == 1


def test_sibling_branch_admin_cannot_record_a_payment(users):
    before = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        services.record_payment(
            actor=users["branch_a2"],
            member=users["own_member"],
            months="2026-01",
            amount=D("10"),
            paid_on=dt.date(2026, 3, 5),
            method="cash",
        )
    assert DuesPayment.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_payment_validation(users):
    kw = dict(actor=None, member=users["own_member"], months="2026-01", paid_on=dt.date(2026, 3, 5))
    with pytest.raises(ServiceError):
        services.record_payment(amount=D("0"), method="cash", **kw)
    with pytest.raises(ServiceError):
        services.record_payment(amount=10.0, method="cash", **kw)
    with pytest.raises(ServiceError):
        services.record_payment(amount=D("10"), method="wechat", **kw)
    with pytest.raises(ServiceError):
        services.record_payment(amount=D("10"), method="cash", **{**kw, "months": "2009-01"})
    assert DuesPayment.objects.count() == 0


def test_delete_payment(users):
    _declare_2026(users["own_member"])
    p = services.record_payment(
        actor=None,
        member=users["own_member"],
        months="2026-01",
        amount=D("10"),
        paid_on=dt.date(2026, 3, 5),
        method="cash",
    )
    with pytest.raises(OutOfScope):
        services.delete_payment(actor=users["branch_a2"], payment=p, reason="录错")
    services.delete_payment(actor=users["dangwei_a"], payment=p, reason="录错")
    assert not DuesPayment.objects.exists()
    assert AuditEvent.objects.filter(object_type="dues.duespayment", action="delete").exists()


def test_collection_day_only_for_branches_and_in_range(tree, users):
    services.set_collection_day(actor=users["branch_a1"], org=tree.a1, day=15)
    assert CollectionDay.objects.get(org=tree.a1).day == 15
    for org, day in [(tree.a1g1, 15), (tree.a, 15), (tree.a1, 29), (tree.a1, 0)]:
        with pytest.raises(ServiceError):
            services.set_collection_day(actor=None, org=org, day=day)
    with pytest.raises(OutOfScope):
        services.set_collection_day(actor=users["branch_a2"], org=tree.a1, day=3)
    services.set_collection_day(actor=users["branch_a1"], org=tree.a1, day=None)
    assert not CollectionDay.objects.exists()


def test_relief_needs_a_higher_committee_and_no_overlap(tree, users):
    kw = dict(actor=None, member=users["own_member"], kind="exempt", approved_on=dt.date(2026, 1, 2))
    with pytest.raises(ServiceError):
        services.record_relief(
            start_month=dt.date(2026, 1, 1), end_month=dt.date(2026, 6, 1), approved_by=tree.a1, **kw
        )
    services.record_relief(
        start_month=dt.date(2026, 1, 1), end_month=dt.date(2026, 6, 1), approved_by=tree.a, **kw
    )
    with pytest.raises(ServiceError):
        services.record_relief(
            start_month=dt.date(2026, 6, 1), end_month=dt.date(2026, 7, 1), approved_by=tree.a, **kw
        )


def test_review_records_decision_and_never_changes_status(users):
    member = users["own_member"]
    status = (member.category, member.work_status)
    review = services.record_review(
        actor=users["branch_a1"],
        member=member,
        reviewed_on=dt.date(2026, 8, 3),
        through_month=dt.date(2026, 7, 1),
        decision="justified",
        reason="长期病休，已联系",
    )
    assert review.reviewed_by == users["branch_a1"]
    member.refresh_from_db()
    assert (member.category, member.work_status) == status
    with pytest.raises(ServiceError):
        services.record_review(
            actor=None,
            member=member,
            reviewed_on=dt.date(2026, 8, 3),
            through_month=dt.date(2026, 7, 1),
            decision="justified",
            reason=" ",
        )


def test_a_branch_admin_cannot_record_the_dangwei_relief_of_its_own_member(tree, users):
    """减免 is approved by the 党委 above (FEE-07): recorded by its admins, never by the member's branch."""
    from dangjian.core.models import AuditEvent
    from dangjian.dues.models import DuesRelief

    kw = dict(
        member=users["own_member"],
        kind="exempt",
        start_month=dt.date(2026, 1, 1),
        end_month=dt.date(2026, 6, 1),
        approved_by=tree.a,
        approved_on=dt.date(2026, 1, 2),
    )
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        services.record_relief(actor=users["branch_a1"], **kw)
    assert (
        refused.value.message
        == "上级批准应由审批党组织（甲委机关党委）的管理员登记，您不能登记本组织的上级批准。"
    )
    assert refused.value.field == "approved_by"
    assert not DuesRelief.objects.exists() and AuditEvent.objects.count() == before
    services.record_relief(actor=users["dangwei_a"], **kw)
    assert DuesRelief.objects.get().approved_by == tree.a
