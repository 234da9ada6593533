"""Findings of the user review: no date after today, posts end when their holder leaves, the sender's 撤回."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member
from dangjian.movements import services
from dangjian.movements.models import MobileStint, Transfer
from dangjian.orgs.models import Post
from dangjian.orgs.services import create_post

D = dt.date
START = D(2024, 1, 1)


def state():
    return (
        list(Member.objects.values_list("pk", "org_id", "status", "is_mobile").order_by("pk")),
        list(Transfer.objects.values_list("pk", "state").order_by("pk")),
        list(Post.objects.values_list("pk", "ended_on").order_by("pk")),
        MobileStint.objects.count(),
        AuditEvent.objects.count(),
    )


def post(member, org, title, started=START):
    return create_post(actor=None, data={"member": member, "org": org, "title": title, "started_on": started})


# --- 3. no date after today ------------------------------------------------------------------------------------


def test_dates_after_today_are_refused(tree, member, today):
    tomorrow = today + dt.timedelta(days=1)
    before = state()
    calls = {
        "转出日期不能晚于今天": lambda: services.transfer_out(
            actor=None, member=member, letter_no="001", destination="外省", transferred_on=tomorrow
        ),
        "外出日期不能晚于今天": lambda: services.start_stint(
            actor=None, member=member, destination="上海", left_on=tomorrow
        ),
        "生效日期不能晚于今天": lambda: services.change_status(
            actor=None,
            member=member,
            status="suspended",
            effective_on=tomorrow,
            decided_on=today,
            decision_body="甲一支部党员大会",
        ),
        "决定日期不能晚于今天": lambda: services.change_status(
            actor=None,
            member=member,
            status="suspended",
            effective_on=today,
            decided_on=tomorrow,
            decision_body="甲一支部党员大会",
        ),
        "转接日期不能晚于今天": lambda: services.start_transfer(
            actor=None, member=member, to_org=tree.a2, started_on=tomorrow, reason="调动"
        ),
        "失联日期不能晚于今天": lambda: services.record_lost_contact(
            actor=None, member=member, lost_on=tomorrow
        ),
    }
    for message, call in calls.items():
        with pytest.raises(ServiceError, match=message):
            call()
    assert state() == before

    stint = services.start_stint(actor=None, member=member, destination="上海", left_on=today)
    with pytest.raises(ServiceError, match="返回日期不能晚于今天"):
        services.end_stint(actor=None, stint=stint, returned_on=tomorrow)
    with pytest.raises(ServiceError, match="联系日期不能晚于今天"):
        services.record_contact(actor=None, stint=stint, contacted_on=tomorrow, way="phone")
    services.end_stint(actor=None, stint=stint, returned_on=today)
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=today, reason="调动"
    )
    with pytest.raises(ServiceError, match="接收日期不能晚于今天"):
        services.accept_transfer(actor=None, transfer=transfer, accepted_on=tomorrow)
    with pytest.raises(ServiceError, match="退回日期不能晚于今天"):
        services.return_transfer(actor=None, transfer=transfer, returned_on=tomorrow, reason="有误")
    with pytest.raises(ServiceError, match="撤回日期不能晚于今天"):
        services.withdraw_transfer(actor=None, transfer=transfer, withdrawn_on=tomorrow, reason="有误")


def test_the_pages_offer_no_date_after_today_and_refuse_one(client, users, member, today):
    tomorrow = today + dt.timedelta(days=1)
    client.force_login(users["branch_a1"])
    page = client.get(reverse("movements:member", args=[member.pk])).content.decode()
    for name in ("left_on", "transferred_on", "started_on", "lost_on"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert f'max="{today.isoformat()}"' in tag, name
    response = client.post(
        reverse("movements:transfer_out", args=[member.pk]),
        {"letter_no": "001", "destination": "外省", "transferred_on": tomorrow.isoformat()},
    )
    assert response.status_code == 400
    assert "转出日期不能晚于今天" in response.content.decode()
    member.refresh_from_db()
    assert member.status == "normal"


# --- 2. posts end when their holder leaves ---------------------------------------------------------------------------


def test_leaving_the_roll_ends_every_post(tree, member, make_member):
    secretary = post(member, tree.a1, "shuji")
    committee = post(member, tree.a, "weiyuan")  # 党委委员 too
    services.transfer_out(
        actor=None, member=member, letter_no="001", destination="外省", transferred_on=D(2026, 6, 1)
    )
    for p in (secretary, committee):
        p.refresh_from_db()
        assert p.ended_on == D(2026, 6, 1)
    event = AuditEvent.objects.filter(object_type="orgs.post", object_id=str(secretary.pk)).latest("id")
    assert "职务随之终止" in event.note

    other = make_member(tree.a2, name="周停止")
    held = post(other, tree.a2, "zuzhi")
    services.change_status(
        actor=None,
        member=other,
        status="suspended",
        effective_on=D(2026, 5, 1),
        decided_on=D(2026, 5, 1),
        decision_body="甲二支部党员大会",
    )
    held.refresh_from_db()
    assert held.ended_on == D(2026, 5, 1)


def test_an_accepted_transfer_ends_the_posts_of_the_organisations_left(tree, member, users):
    secretary = post(member, tree.a1, "shuji")
    committee = post(member, tree.a, "weiyuan")  # 甲委机关党委 also holds 甲二: the member stays 委员
    elsewhere = post(member, tree.a_dz, "weiyuan")  # not an organisation the member belongs to: untouched
    transfer = services.start_transfer(
        actor=users["branch_a1"], member=member, to_org=tree.a2, started_on=D(2026, 6, 1), reason="调动"
    )
    # the receiving admin (no scope over 甲一) accepts: 甲一's 书记 post ends through the orgs service
    services.accept_transfer(actor=users["branch_a2"], transfer=transfer, accepted_on=D(2026, 6, 2))
    secretary.refresh_from_db()
    committee.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (secretary.ended_on, committee.ended_on, elsewhere.ended_on) == (D(2026, 6, 2), None, None)
    event = AuditEvent.objects.filter(object_type="orgs.post", object_id=str(secretary.pk)).latest("id")
    assert event.actor_id == users["branch_a2"].pk and "转接" in event.note


def test_a_transfer_to_another_party_committee_ends_its_committee_post_too(tree, member):
    committee = post(member, tree.a, "weiyuan")
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.b1, started_on=D(2026, 6, 1), reason="调动"
    )
    services.accept_transfer(actor=None, transfer=transfer, accepted_on=D(2026, 6, 2))
    committee.refresh_from_db()
    assert committee.ended_on == D(2026, 6, 2)


# --- 4. 撤回 by the sender -------------------------------------------------------------------------------------


def test_the_sender_withdraws_a_pending_transfer(tree, member, users, today):
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 4, 1), reason="调动"
    )
    before = state()
    with pytest.raises(OutOfScope):
        services.withdraw_transfer(
            actor=users["branch_a2"], transfer=transfer, withdrawn_on=today, reason="误发"
        )
    with pytest.raises(ServiceError, match="撤回须填写原因"):
        services.withdraw_transfer(actor=users["branch_a1"], transfer=transfer, withdrawn_on=today, reason="")
    with pytest.raises(ServiceError, match="撤回日期不能早于转接日期"):
        services.withdraw_transfer(
            actor=users["branch_a1"], transfer=transfer, withdrawn_on=D(2026, 3, 1), reason="误发"
        )
    assert state() == before
    # the member was moved to the 党小组 meanwhile: the receiver cannot accept, the sender withdraws
    Member.objects.filter(pk=member.pk).update(org=tree.a1g1)
    done = services.withdraw_transfer(
        actor=users["branch_a1"], transfer=transfer, withdrawn_on=today, reason="已调整到党小组"
    )
    assert (done.state, done.decided_on, done.return_reason) == ("withdrawn", today, "已调整到党小组")
    event = AuditEvent.objects.filter(object_type="movements.transfer", object_id=str(transfer.pk)).latest(
        "id"
    )
    assert event.action == "update" and event.actor_id == users["branch_a1"].pk
    with pytest.raises(ServiceError, match="不能再撤回"):
        services.withdraw_transfer(
            actor=users["branch_a1"], transfer=transfer, withdrawn_on=today, reason="again"
        )
    # a new transfer can be started from where the member is now
    member.refresh_from_db()
    assert services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=today, reason="调动"
    ).pk


def test_the_withdraw_form_on_the_transfer_page(client, tree, member, users, today):
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 4, 1), reason="调动"
    )
    url = reverse("movements:transfer", args=[transfer.pk])
    client.force_login(users["branch_a2"])  # the receiver: no 撤回
    assert 'data-testid="withdraw-form"' not in client.get(url).content.decode()
    response = client.post(
        reverse("movements:transfer_return", args=[transfer.pk]),
        {"action": "withdraw", "withdrawn_on": today.isoformat(), "withdraw_reason": "误发"},
    )
    assert response.status_code == 404
    client.force_login(users["branch_a1"])
    page = client.get(url).content.decode()
    assert 'data-testid="withdraw-form"' in page
    response = client.post(
        reverse("movements:transfer_return", args=[transfer.pk]),
        {"action": "withdraw", "withdrawn_on": today.isoformat(), "withdraw_reason": ""},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("movements:transfer_return", args=[transfer.pk]),
        {"action": "withdraw", "withdrawn_on": today.isoformat(), "withdraw_reason": "误发"},
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == "withdrawn"
    page = client.get(url).content.decode()
    assert "已撤回" in page and "撤回原因" in page


def test_a_pending_transfer_blocks_the_dissolution_of_either_side(tree, member):
    from dangjian.orgs.services import update_org

    services.start_transfer(
        actor=None, member=member, to_org=tree.b1, started_on=D(2026, 4, 1), reason="调动"
    )
    with pytest.raises(ServiceError, match="还有1件待接收的组织关系转接"):
        update_org(actor=None, org=tree.b1, data={"dissolved_on": D(2026, 6, 30)})
