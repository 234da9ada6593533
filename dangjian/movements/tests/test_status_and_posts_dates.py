"""A change of 党籍状态 is not dated before the member's last move (a transfer into their organisation or into the
system) or their last change of status, as a transfer is not (`_not_before_arrival`); the form shows why at its
生效日期. A post that cannot end with a move or a status change (recorded as starting that day or later) is refused
with a sentence a 党务干部 reads: which post, which date of theirs, and what to do — at the form's date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member, MemberHistory
from dangjian.movements import services
from dangjian.movements.models import StatusChange, Transfer
from dangjian.orgs.models import Post
from dangjian.orgs.services import create_post

D = dt.date


def _state(member) -> tuple:
    """What a refused write must leave as it was."""
    current = Member.objects.get(pk=member.pk)
    return (
        current.status,
        current.inactive_from,
        current.org_id,
        StatusChange.objects.count(),
        MemberHistory.objects.count(),
        Transfer.objects.filter(state="pending").count(),
        AuditEvent.objects.count(),
        list(Post.objects.order_by("pk").values_list("pk", "ended_on")),
    )


def _died(member, on: dt.date):
    return services.change_status(
        actor=None, member=member, status="deceased", effective_on=on, decided_on=on, decision_body=""
    )


@pytest.fixture
def moved(tree, member, today):
    """王流动, moved from 甲一支部 to 甲二支部 by a transfer accepted 20 days ago."""
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=today - dt.timedelta(days=30), reason="调动"
    )
    services.accept_transfer(actor=None, transfer=transfer, accepted_on=today - dt.timedelta(days=20))
    return Member.objects.get(pk=member.pk)


# --- 1. a status change dated before the member's last move ---------------------------------------------------


def test_a_status_change_dated_before_the_members_last_transfer_is_refused(moved, today):
    arrived = today - dt.timedelta(days=20)
    before = _state(moved)
    with pytest.raises(ServiceError) as refused:
        _died(moved, arrived - dt.timedelta(days=1))
    assert refused.value.field == "effective_on"
    assert refused.value.message == (
        f"生效日期不能早于王流动转入现所在组织“甲二支部”的日期（{arrived:%Y-%m-%d}）。"
    )
    assert _state(moved) == before
    # on the day they moved, or after: recorded
    _died(moved, arrived)
    assert Member.objects.get(pk=moved.pk).inactive_from == arrived


def test_a_status_change_dated_before_the_member_came_into_the_system_is_refused(tree, today):
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
    member = received.member
    before = _state(member)
    with pytest.raises(ServiceError) as refused:
        services.change_status(
            actor=None,
            member=member,
            status="suspended",
            effective_on=came - dt.timedelta(days=30),
            decided_on=today,
            decision_body="甲一支部党员大会",
        )
    assert refused.value.field == "effective_on"
    assert refused.value.message == f"生效日期不能早于外来者组织关系转入本系统的日期（{came:%Y-%m-%d}）。"
    assert _state(member) == before


def test_a_status_change_dated_before_the_members_last_status_change_is_refused(member, today):
    suspended_on, restored_on = today - dt.timedelta(days=60), today - dt.timedelta(days=15)
    services.change_status(
        actor=None,
        member=member,
        status="suspended",
        effective_on=suspended_on,
        decided_on=suspended_on,
        decision_body="甲一支部党员大会",
    )
    services.change_status(
        actor=None,
        member=member,
        status="normal",
        effective_on=restored_on,
        decided_on=restored_on,
        decision_body="甲一支部党员大会",
    )
    before = _state(member)
    with pytest.raises(ServiceError) as refused:
        _died(member, restored_on - dt.timedelta(days=5))  # while suspended, says the history: not after
    assert refused.value.field == "effective_on"
    assert refused.value.message == (
        f"生效日期不能早于王流动上一次党籍状态变更（由“停止党籍”变更为“正常”）的生效日期"
        f"（{restored_on:%Y-%m-%d}）。"
    )
    assert _state(member) == before
    _died(member, restored_on)
    assert Member.objects.get(pk=member.pk).status == "deceased"


def test_the_status_form_shows_the_refusal_at_its_effective_date(client, users, moved, today):
    client.force_login(users["branch_a1"])  # a 支部管理员 of 甲一支部 no longer covers 王流动
    assert client.get(reverse("movements:status", args=[moved.pk])).status_code == 404
    client.force_login(users["dangwei_a"])
    arrived = today - dt.timedelta(days=20)
    before = _state(moved)
    response = client.post(
        reverse("movements:status", args=[moved.pk]),
        {
            "status": "suspended",
            "effective_on": (arrived - dt.timedelta(days=3)).isoformat(),
            "decided_on": today.isoformat(),
            "decision_body": "甲二支部党员大会",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    message = f"生效日期不能早于王流动转入现所在组织“甲二支部”的日期（{arrived:%Y-%m-%d}）。"
    assert form.errors["effective_on"] == [message]
    assert not form.non_field_errors()
    assert message in response.content.decode()
    assert _state(moved) == before


# --- 2. a post that cannot end with the move ---------------------------------------------------------------


@pytest.fixture
def pending(tree, member, today):
    """王流动's transfer to 甲二支部, started 30 days ago."""
    return services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=today - dt.timedelta(days=30), reason="调动"
    )


def test_accepting_a_transfer_before_a_post_started_says_which_post_and_what_to_do(
    tree, member, pending, today
):
    post_start, accepted = today - dt.timedelta(days=10), today - dt.timedelta(days=20)
    create_post(
        actor=None, data={"member": member, "org": tree.a1, "title": "zuzhi", "started_on": post_start}
    )
    before = _state(member)
    with pytest.raises(ServiceError) as refused:
        services.accept_transfer(actor=None, transfer=pending, accepted_on=accepted)
    assert refused.value.field == "accepted_on"
    assert refused.value.message == (
        f"王流动在甲一支部担任的组织委员职务应于接收日期（{accepted:%Y-%m-%d}）随之终止，但该职务的任职日期登记为"
        f"{post_start:%Y-%m-%d}，晚于接收日期，不能在任职之前终止。请核对接收日期；如任职日期登记有误，"
        "请先由甲一支部在其现任职务中更正，再办理。"
    )
    assert _state(member) == before
    # the same day: said as such
    with pytest.raises(ServiceError) as refused:
        services.accept_transfer(actor=None, transfer=pending, accepted_on=post_start)
    assert refused.value.message == (
        f"王流动在甲一支部担任的组织委员职务应于接收日期（{post_start:%Y-%m-%d}）随之终止，但该职务的任职日期登记的"
        f"也是{post_start:%Y-%m-%d}，不能在任职当天终止。请核对接收日期；如任职日期登记有误，请先由甲一支部在其"
        "现任职务中更正，再办理。"
    )
    # after the post started: accepted, the post ends then
    services.accept_transfer(actor=None, transfer=pending, accepted_on=today)
    assert Post.objects.get(member=member).ended_on == today


def test_the_accept_form_shows_the_post_at_its_date(client, users, tree, member, pending, today):
    create_post(
        actor=None,
        data={
            "member": member,
            "org": tree.a1,
            "title": "xuanchuan",
            "started_on": today - dt.timedelta(days=5),
        },
    )
    client.force_login(users["branch_a2"])
    before = _state(member)
    accepted = today - dt.timedelta(days=8)
    response = client.post(
        reverse("movements:accept", args=[pending.pk]), {"accepted_on": accepted.isoformat()}
    )
    assert response.status_code == 400
    form = response.context["accept_form"]
    (message,) = form.errors["accepted_on"]
    assert message.startswith(
        f"王流动在甲一支部担任的宣传委员职务应于接收日期（{accepted:%Y-%m-%d}）随之终止"
    )
    assert not form.non_field_errors()
    assert _state(member) == before


def test_a_status_change_before_a_post_started_names_the_effective_date(tree, member, today):
    post_start, effective = today - dt.timedelta(days=3), today - dt.timedelta(days=7)
    create_post(
        actor=None, data={"member": member, "org": tree.a1, "title": "jijian", "started_on": post_start}
    )
    before = _state(member)
    with pytest.raises(ServiceError) as refused:
        _died(member, effective)
    assert refused.value.field == "effective_on"
    assert refused.value.message.startswith(
        f"王流动在甲一支部担任的纪检委员职务应于生效日期（{effective:%Y-%m-%d}）随之终止，但该职务的任职日期登记为"
        f"{post_start:%Y-%m-%d}，晚于生效日期"
    )
    assert _state(member) == before
