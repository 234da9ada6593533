"""Deleting a member entered by mistake (`delete_member`, the member page's 删除) never takes records entered about
them with it: those the database would delete with the member (a declared 党费 base, a relief, a 组织关系转接, a
党籍状态变更, a talk …) refuse it as those it protects do, each named with how many; what is derived from the entry
itself (their history, the 党费 ledger's snapshot) goes with them, and a member without such records is deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.dues.models import DuesBase, DuesRelief
from dangjian.members.models import Member, MemberHistory
from dangjian.members.references import records_about
from dangjian.members.services import delete_member, update_member
from dangjian.movements.models import StatusChange, Transfer

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 1)


def _base(member):
    return DuesBase.objects.create(
        member=member, year=2025, category="active", monthly_base=Decimal("6000"), effective_month=DAY
    )


def _relief(member, org):
    return DuesRelief.objects.create(
        member=member, kind="exempt", start_month=DAY, end_month=DAY, approved_by=org, approved_on=DAY
    )


def _status_change(member):
    return StatusChange.objects.create(
        member=member,
        org=member.org,
        old_status="normal",
        new_status="suspended",
        effective_on=DAY,
        decided_on=DAY,
    )


def _transfer(member, to_org):
    return Transfer.objects.create(
        kind="internal", state="returned", member=member, from_org=member.org, to_org=to_org, started_on=DAY
    )


def test_records_that_would_go_with_the_member_refuse_the_deletion(tree, users, make_member):
    member = make_member(tree.a1, name="误录甲")
    update_member(actor=None, member=member, data={"work_status": "retired"})  # a history row: derived
    _base(member)
    _relief(member, tree.a)
    _status_change(member)
    _transfer(member, tree.a2)
    _transfer(member, tree.a2)
    events, history = AuditEvent.objects.count(), MemberHistory.objects.filter(member=member).count()
    with pytest.raises(ServiceError) as refused:
        delete_member(actor=users["branch_a1"], member=member)
    message = refused.value.message
    assert message.startswith("该党员已有以下记录：") and message.endswith(
        "，不能删除；确属误录的，请先删除这些记录。"
    )
    for words in ("党费缴费基数1条", "党费减免1条", "党籍状态变更1条", "组织关系转接2条"):
        assert words in message, message
    assert Member.objects.filter(pk=member.pk).exists()
    assert DuesBase.objects.filter(member=member).count() == 1
    assert DuesRelief.objects.filter(member=member).count() == 1
    assert StatusChange.objects.filter(member=member).count() == 1
    assert Transfer.objects.filter(member=member).count() == 2
    assert MemberHistory.objects.filter(member=member).count() == history == 1
    assert AuditEvent.objects.count() == events


def test_the_member_page_says_what_stops_the_deletion(client, users, tree, make_member):
    member = make_member(tree.a1, name="误录乙")
    _base(member)
    client.force_login(users["branch_a1"])
    response = client.post(reverse("members:delete", args=[member.pk]), follow=True)
    assert "该党员已有以下记录：党费缴费基数1条，不能删除" in response.content.decode()
    assert DuesBase.objects.filter(member=member).exists()
    assert not AuditEvent.objects.filter(action="delete", object_type="members.member").exists()
    # the base deleted first, the member goes, with their history
    DuesBase.objects.filter(member=member).delete()
    update_member(actor=None, member=member, data={"work_status": "retired"})
    response = client.post(reverse("members:delete", args=[member.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("members:list")
    assert not Member.objects.filter(pk=member.pk).exists()
    assert not MemberHistory.objects.filter(member_id=member.pk).exists()


def test_records_about_is_one_query_and_leaves_out_the_derived(tree, make_member):
    member = make_member(tree.a1, name="误录丙")
    update_member(actor=None, member=member, data={"work_status": "retired"})
    with CaptureQueriesContext(connection) as queries:
        assert records_about(member) == []
    assert len(queries.captured_queries) == 1
    _base(member)
    assert records_about(member) == ["党费缴费基数1条"]


def test_an_enabled_login_account_refuses_the_deletion_and_a_disabled_one_is_unlinked(
    tree, users, make_member
):
    """Unlinked, an enabled account would keep the 党员 role with no member behind it: the 系统管理员 disables it
    first (as undoing an admission asks)."""
    from dangjian.accounts.models import User

    member = make_member(tree.a1, name="误录乙")
    account = User.objects.create_user("wulu_yi", password="x", member=member)
    with pytest.raises(ServiceError) as refused:
        delete_member(actor=users["branch_a1"], member=member)
    assert refused.value.message == "该党员的登录账号仍在启用，不能删除：请先由系统管理员停用该账号。"
    assert Member.objects.filter(pk=member.pk).exists()
    account.refresh_from_db()
    assert account.member_id == member.pk
    User.objects.filter(pk=account.pk).update(is_active=False)
    delete_member(actor=users["branch_a1"], member=member)
    account.refresh_from_db()
    assert not Member.objects.filter(pk=member.pk).exists() and account.member_id is None
