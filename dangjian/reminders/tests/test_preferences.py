"""The preferences page offers channels only to those the daily task tells something (the 支部管理员, and the
党委/工委管理员's summary): a member is told nothing, so the page says where their own dates are instead of
offering e-mail or SMS that would never deliver."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.accounts.scope import fresh_scope
from dangjian.compliance import kept
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.dues.services import declare_base, set_collection_day
from dangjian.orgs.models import Org
from dangjian.reminders.models import Notification, Preference
from dangjian.reminders.services import receives_reminders, send_reminders, set_preferences

TODAY = dt.date(2026, 6, 25)  # a week after 甲一's 集中交纳日


def channel_inputs(page: str) -> set[str]:
    return {name for name in ("in_app", "email", "sms", "frequency", "address") if f'name="{name}"' in page}


def test_those_told_nothing_are_offered_no_channel(client, users, tree, make_member):
    """The member's own 党费 unpaid after the collection day, overdue items in her branch: the daily task writes to
    the administrators only, and the preferences page agrees with it."""
    declare_base(
        actor=None,
        member=users["own_member"],
        effective_month=dt.date(2026, 1, 1),
        year=2026,
        category="active",
        monthly_base=Decimal("6500"),
    )
    set_collection_day(actor=None, org=tree.a1, day=18)
    kept.refresh(Org.objects.all(), on=TODAY)
    assert send_reminders(on=TODAY).created > 0

    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert "member_a1" not in told and "branch_a1" in told
    for name in ("gongwei", "dangwei_a", "branch_a1", "branch_a2", "member_a1", "norole"):
        user = users[name]
        client.force_login(user)
        page = client.get(reverse("reminders:preferences")).content.decode()
        receives = receives_reminders(fresh_scope(user))
        assert receives == (name in told), name
        if receives:
            assert channel_inputs(page) == {"in_app", "email", "sms", "frequency", "address"}, name
        else:
            assert channel_inputs(page) == set(), name
            assert "不会收到站内、邮件或短信提醒" in page and reverse("reminders:calendar") in page


def test_the_member_page_links_her_own_dates(client, users):
    client.force_login(users["member_a1"])
    page = client.get(reverse("reminders:preferences")).content.decode()
    assert "data-reminders-none" in page and "邮件摘要" not in page and "邮件和短信的频率" not in page
    assert reverse("dues:mine") in page and reverse("reminders:calendar") in page
    empty = client.get(reverse("reminders:list")).content.decode()
    assert "data-reminders-none" in empty and "到期和逾期的工作会在这里提醒您" not in empty
    client.force_login(users["branch_a1"])
    assert "到期和逾期的工作会在这里提醒您" in client.get(reverse("reminders:list")).content.decode()


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_email_or_sms_is_refused_to_a_member_and_changes_nothing(client, users, channel):
    member = users["member_a1"]
    choice = {"email": channel == "email", "sms": channel == "sms"}
    with pytest.raises(ServiceError, match="工作提醒只发给党组织管理员"):
        set_preferences(actor=member, in_app=True, frequency="daily", address="li@example.gov.cn", **choice)
    client.force_login(member)
    data = {"in_app": "on", channel: "on", "address": "li@example.gov.cn", "frequency": "daily"}
    response = client.post(reverse("reminders:preferences"), data)
    assert response.status_code == 200 and "工作提醒只发给党组织管理员" in response.content.decode()
    assert channel_inputs(response.content.decode()) == set()
    assert not Preference.objects.filter(user=member).exists()
    assert not AuditEvent.objects.filter(object_type="reminders.preference").exists()
    member.refresh_from_db()
    assert member.email == ""
    # an administrator may choose them
    set_preferences(
        actor=users["branch_a1"], in_app=True, frequency="daily", address="a1@example.gov.cn", **choice
    )
    assert Preference.objects.filter(user=users["branch_a1"], **choice).exists()
