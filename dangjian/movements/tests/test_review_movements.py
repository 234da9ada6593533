"""Findings of the movements user review: members off the roll leave the 流动 lists and the 待办, a refused action
whose form the page no longer shows still says why, a transfer cannot be dated before the member came into their
organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member, MemberHistory
from dangjian.movements import selectors, services
from dangjian.movements.models import MobileStint, Transfer
from dangjian.movements.workbench import waiting

D = dt.date


def login(client, user):
    client.force_login(user)
    return client


# --- a member who leaves the roll while away is no longer a 流动党员 to contact -----------------------------------


def test_a_member_who_died_abroad_leaves_the_contact_lists_and_the_todo(
    client, users, tree, make_member, today
):
    abroad = make_member(tree.a1, name="出国者")
    # abroad to work since 5 months and 20 days ago: the 6-monthly contact falls due within the reminder days
    left_on = today - dt.timedelta(days=170)
    services.start_stint(
        actor=None, member=abroad, destination="德国", abroad=True, abroad_purpose="work", left_on=left_on
    )
    login(client, users["branch_a1"])
    member_url = reverse("movements:member", args=[abroad.pk])
    assert [i.title for i in waiting(users["branch_a1"], None, today)] == ["与出国者联系"]
    assert member_url in client.get(reverse("movements:index")).content.decode()
    assert member_url in client.get(reverse("movements:summary")).content.decode()

    services.change_status(
        actor=None,
        member=abroad,
        status="deceased",
        effective_on=today,
        decided_on=today,
        decision_body="",
    )
    assert waiting(users["branch_a1"], None, today) == []
    members = selectors.admin_members(users["branch_a1"])
    assert selectors.mobile_items(members, today) == []
    assert member_url not in client.get(reverse("movements:index")).content.decode()
    summary = client.get(reverse("movements:summary")).content.decode()
    assert member_url not in summary
    # as of a day they were still on the roll, they were away and listed
    assert [i.member.pk for i in selectors.mobile_items(members, today - dt.timedelta(days=1))] == [abroad.pk]
    assert MobileStint.objects.get(member=abroad).returned_on is None  # the record is kept as it was


# --- a refused action whose form is no longer on the page still says why -----------------------------------------


def test_accepting_twice_says_it_was_already_accepted(client, users, tree, member, today):
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=today, reason="工作调动"
    )
    login(client, users["branch_a2"])
    url = reverse("movements:accept", args=[transfer.pk])
    assert client.post(url, {"accepted_on": today.isoformat()}).status_code == 302
    events = AuditEvent.objects.count()
    # the same page, open in a second tab, submitted again (another once token): refused, and the page says so
    response = client.post(url, {"accepted_on": today.isoformat()})
    assert response.status_code == 400
    assert "该转接已接收，不能再接收。" in response.content.decode()
    assert AuditEvent.objects.count() == events


def test_withdrawing_after_receipt_says_it_was_accepted(client, users, tree, member, today):
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=today, reason="工作调动"
    )
    services.accept_transfer(actor=None, transfer=transfer, accepted_on=today)
    login(client, users["dangwei_a"])  # over both sides: the sender's page open before the receiver accepted
    response = client.post(
        reverse("movements:transfer_return", args=[transfer.pk]),
        {"action": "withdraw", "withdrawn_on": today.isoformat(), "withdraw_reason": "误发起"},
    )
    assert response.status_code == 400
    assert "该转接已接收，不能再撤回。" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.state == "accepted"


def test_a_second_tabs_stint_refused_says_why_on_the_member_page(client, users, member, today):
    login(client, users["branch_a1"])
    url = reverse("movements:stint_start", args=[member.pk])
    data = {"destination": "上海", "left_on": today.isoformat()}
    assert client.post(url, data).status_code == 302
    # a second tab still showing the 登记外出 form: its form is gone from the page once the first is recorded
    response = client.post(url, {**data, "destination": "广州"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "王流动已有未结束的外出记录，请先登记返回。" in page
    assert "广州" in page  # what was typed is named, not silently dropped
    assert list(MobileStint.objects.values_list("destination", flat=True)) == ["上海"]


# --- a transfer is not dated before the member came into their organisation --------------------------------------


def test_a_transfer_dated_before_the_members_last_move_is_refused(tree, member, today):
    first = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=today - dt.timedelta(days=30), reason="调动"
    )
    services.accept_transfer(actor=None, transfer=first, accepted_on=today - dt.timedelta(days=20))
    before = (Transfer.objects.count(), MemberHistory.objects.count(), AuditEvent.objects.count())
    moved = f"{today - dt.timedelta(days=20):%Y-%m-%d}"
    with pytest.raises(
        ServiceError, match=f"转接日期不能早于王流动转入现所在组织“甲二支部”的日期（{moved}）"
    ):
        services.start_transfer(
            actor=None, member=member, to_org=tree.a1, started_on=today - dt.timedelta(days=60), reason="调回"
        )
    with pytest.raises(
        ServiceError, match=f"转出日期不能早于王流动转入现所在组织“甲二支部”的日期（{moved}）"
    ):
        services.transfer_out(
            actor=None,
            member=member,
            letter_no="001",
            destination="外省",
            transferred_on=today - dt.timedelta(days=25),
        )
    assert (Transfer.objects.count(), MemberHistory.objects.count(), AuditEvent.objects.count()) == before
    assert Member.objects.get(pk=member.pk).status == "normal"
    # on the day they moved, or after: accepted
    services.start_transfer(
        actor=None, member=member, to_org=tree.a1, started_on=today - dt.timedelta(days=20), reason="调回"
    )


def test_a_transfer_dated_before_the_member_came_into_the_system_is_refused(users, tree, today):
    came = today - dt.timedelta(days=10)
    received = services.transfer_in(
        actor=None,
        data={
            "name": "外来者",
            "id_number": unique_id_number(),
            "category": "formal",
            "joined_on": D(2015, 7, 1),
            "confirmed_on": D(2016, 7, 1),
            "org": tree.a1,
            "work_status": "active",
        },
        letter_no="外-001",
        origin="外省某党支部",
        transferred_on=came,
    )
    with pytest.raises(
        ServiceError, match=f"转接日期不能早于外来者组织关系转入本系统的日期（{came:%Y-%m-%d}）"
    ):
        services.start_transfer(
            actor=None,
            member=received.member,
            to_org=tree.a2,
            started_on=today - dt.timedelta(days=30),
            reason="调动",
        )
    assert Transfer.objects.filter(member=received.member).count() == 1


def test_the_page_of_a_member_who_died_while_away_offers_no_contact(client, users, tree, make_member, today):
    """Their 外出 record stays on their page as recorded, without the 流动党员 badge and the forms that carry it on
    (contact, return, 事由, 处理决定); the page and a refused form read the same decision."""
    abroad = make_member(tree.a1, name="出国者")
    services.start_stint(
        actor=None,
        member=abroad,
        destination="德国",
        abroad=True,
        abroad_purpose="work",
        left_on=today - dt.timedelta(days=30),
    )
    login(client, users["branch_a1"])
    url = reverse("movements:member", args=[abroad.pk])
    page = client.get(url).content.decode()
    stint = MobileStint.objects.get(member=abroad)
    assert 'data-testid="mobile-badge"' in page and reverse("movements:contact", args=[stint.pk]) in page
    services.change_status(
        actor=None, member=abroad, status="deceased", effective_on=today, decided_on=today, decision_body=""
    )
    page = client.get(url).content.decode()
    assert 'data-testid="stints"' in page and "德国" in page  # the record stays
    assert 'data-testid="mobile-badge"' not in page
    for name in (
        "movements:contact",
        "movements:stint_return",
        "movements:stint_purpose",
        "movements:stint_decision",
    ):
        assert reverse(name, args=[stint.pk]) not in page
