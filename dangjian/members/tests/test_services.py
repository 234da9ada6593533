import datetime as dt

import pytest

from dangjian.core.context import reset_request_id, set_request_id
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member, MemberHistory
from dangjian.members.services import create_member, delete_member, find_by_id_number, update_member


def base_data(org, **extra):
    from dangjian.conftest import unique_id_number

    return {
        "name": "赵六",
        "id_number": unique_id_number(),
        "category": "formal",
        "joined_on": dt.date(2012, 7, 1),
        "confirmed_on": dt.date(2013, 7, 1),
        "org": org,
        "work_status": "active",
        "phone": "13700001111",
        **extra,
    }


def test_create_derives_sex_and_birth_date_and_audits_masked(tree, users):
    token = set_request_id("req-0123456789")
    try:
        data = base_data(tree.a1, id_number="11010519491231002X")
        member = create_member(actor=users["branch_a1"], data=data)
    finally:
        reset_request_id(token)
    assert (member.sex, member.birth_date) == ("F", dt.date(1949, 12, 31))
    event = AuditEvent.objects.get(object_type="members.member", object_id=str(member.pk))
    assert event.action == "create" and event.actor == users["branch_a1"]
    assert event.request_id == "req-0123456789"
    assert event.after["id_number"] == "110105********002X"
    assert event.after["phone"] == "137****1111"
    assert "11010519491231002X" not in str(event.after)
    assert event.org_path == tree.a1.path


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"id_number": "110105194912310021"}, "id_number", "身份证号校验码错误。"),
        ({"confirmed_on": None}, "confirmed_on", "正式党员必须填写转正日期。"),
        ({"confirmed_on": dt.date(2012, 1, 1)}, "confirmed_on", "转正日期应晚于入党日期。"),
        ({"category": "probationary"}, "confirmed_on", "预备党员尚未转正，不应填写转正日期。"),
        ({"phone": "12ab"}, "phone", "手机号码应为7至15位数字。"),
    ],
)
def test_invalid_member_is_refused_with_field_message(tree, override, field, message):
    with pytest.raises(ServiceError) as info:
        create_member(actor=None, data=base_data(tree.a1, **override))
    assert message in info.value.errors[field]
    assert not Member.objects.exists()


def test_member_must_belong_to_a_branch_or_group(tree):
    with pytest.raises(ServiceError) as info:
        create_member(actor=None, data=base_data(tree.a))
    assert "党员只能编入党支部或党小组" in info.value.errors["org"][0]


def test_duplicate_id_number_is_refused(tree):
    data = base_data(tree.a1)
    create_member(actor=None, data=data)
    with pytest.raises(ServiceError, match="已在系统中登记"):
        create_member(actor=None, data={**data, "name": "另一人"})
    assert find_by_id_number(data["id_number"].lower()).name == "赵六"


def test_org_and_category_changes_are_kept_as_history(tree, users):
    member = create_member(actor=None, data=base_data(tree.a1, category="probationary", confirmed_on=None))
    update_member(
        actor=users["dangwei_a"], member=member, data={"org": tree.a2}, effective_on=dt.date(2025, 3, 1)
    )
    update_member(
        actor=users["dangwei_a"],
        member=member,
        data={"category": "formal", "confirmed_on": dt.date(2013, 7, 1)},
    )
    rows = list(
        MemberHistory.objects.filter(member=member)
        .order_by("id")
        .values_list("field", "old_value", "new_value", "effective_on")
    )
    assert rows == [
        ("org", "甲一支部", "甲二支部", dt.date(2025, 3, 1)),
        ("category", "预备党员", "正式党员", dt.date(2013, 7, 1)),
    ]


def test_refused_write_changes_nothing_and_records_nothing(tree, users):
    member = create_member(actor=None, data=base_data(tree.a1))
    events = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        update_member(actor=users["branch_a2"], member=member, data={"name": "改名"})
    with pytest.raises(OutOfScope):
        create_member(actor=users["branch_a2"], data=base_data(tree.a1, name="越权新增"))
    with pytest.raises(OutOfScope):
        delete_member(actor=users["member_a1"], member=member)
    assert Member.objects.get(pk=member.pk).name == "赵六"
    assert not Member.objects.filter(name="越权新增").exists()
    assert AuditEvent.objects.count() == events


def test_moving_into_a_sibling_branch_needs_scope_over_both(tree, users):
    a2_member = create_member(actor=None, data=base_data(tree.a2))
    with pytest.raises(OutOfScope):
        update_member(actor=users["branch_a1"], member=a2_member, data={"org": tree.a1})
    assert Member.objects.get(pk=a2_member.pk).org == tree.a2


def test_deleting_a_member_with_records_elsewhere_is_refused_and_changes_nothing(tree, users):
    """Payments and training participations protect their member, a declared base would go with them: the refusal
    names them all with how many (it was a server error) and leaves the member, its history and the audit log as
    they were."""
    from decimal import Decimal

    from dangjian.dues.services import declare_base, record_payment
    from dangjian.training.services import add_participants, create_training

    member = create_member(actor=None, data=base_data(tree.a1))
    update_member(
        actor=None, member=member, data={"work_status": "retired"}, effective_on=dt.date(2026, 1, 1)
    )
    declare_base(
        actor=None,
        member=member,
        year=2026,
        category="active",
        monthly_base=Decimal("6000"),
        effective_month=dt.date(2026, 1, 1),
    )
    record_payment(
        actor=None,
        member=member,
        months="2026-01",
        amount=Decimal("30"),
        paid_on=dt.date(2026, 1, 5),
        method="cash",
    )
    training = create_training(
        actor=None,
        data={
            "title": "轮训",
            "organiser": "党校",
            "level": "other",
            "org": tree.a1,
            "started_on": dt.date(2026, 4, 1),
            "hours": Decimal("8"),
        },
    )
    add_participants(actor=None, training=training, members=[member])
    events, history = AuditEvent.objects.count(), MemberHistory.objects.filter(member=member).count()
    with pytest.raises(ServiceError) as refused:
        delete_member(actor=users["branch_a1"], member=member)
    assert refused.value.message == (
        "该党员已有以下记录：党费缴费基数1条、党费缴纳记录1笔、参加培训记录1条，不能删除；"
        "确属误录的，请先删除这些记录。"
    )
    assert Member.objects.filter(pk=member.pk).exists()
    assert MemberHistory.objects.filter(member=member).count() == history == 1
    assert AuditEvent.objects.count() == events
