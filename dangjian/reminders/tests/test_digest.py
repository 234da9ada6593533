"""The daily task end to end, with time frozen across a branch's 集中交纳日 and a development deadline: exactly
one notification each, and the e-mail digest received by a real SMTP server (aiosmtpd on a free local port)
through Django's SMTP backend; the SMS through the gateway, the phone masked in the log; the person's choice
of channels and frequency on the preferences page."""

from __future__ import annotations

import datetime as dt
import email
import io
import logging
import socket
from decimal import Decimal
from email.policy import default as default_policy

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.dues.services import declare_base, set_collection_day
from dangjian.pipeline.services import open_case
from dangjian.reminders.models import Notification, Preference
from dangjian.reminders.services import set_preferences

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class Inbox:
    """What the SMTP server received: (recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=default_policy))
        )
        return "250 OK"


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.SITE_URL = "https://dangjian.example.gov.cn"
    yield inbox
    controller.stop()


def run_days(first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        with time_machine.travel(
            dt.datetime(day.year, day.month, day.day, 6, 30, tzinfo=SHANGHAI), tick=False
        ):
            call_command("reminders", "send", stdout=io.StringIO())
        day += dt.timedelta(days=1)


@pytest.fixture
def branch_work(users, tree, make_member):
    """甲一: a member who has not paid June (集中交纳日 the 18th); an applicant whose talk is due on 2026-07-01."""
    member = make_member(tree.a1, name="王一")
    base = {"year": 2026, "category": "active", "monthly_base": Decimal("6500")}
    declare_base(actor=None, member=member, effective_month=dt.date(2026, 1, 1), **base)
    set_collection_day(actor=None, org=tree.a1, day=18)
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        open_case(
            actor=None,
            org=tree.a1,
            name="赵申请",
            id_number="110101199001011237",
            applied_on=dt.date(2026, 6, 1),
        )
    return member


def test_across_a_collection_day_and_a_deadline_one_notification_each_and_the_emails_received(
    users, tree, branch_work, smtp
):
    admin = users["branch_a1"]
    set_preferences(
        actor=admin, in_app=True, email=True, sms=False, frequency="daily", address="a1@example.gov.cn"
    )

    run_days(dt.date(2026, 6, 13), dt.date(2026, 6, 20))

    dues = Notification.objects.filter(recipient=admin, category="dues", period="2026-06")
    assert [(n.day, n.due) for n in dues] == [(dt.date(2026, 6, 15), dt.date(2026, 6, 18))]
    talk = Notification.objects.filter(recipient=admin, category="pipeline")
    assert len(talk) == 1 and talk[0].title.startswith("赵申请")
    assert talk[0].day == talk[0].due - dt.timedelta(days=14)
    assert Notification.objects.filter(recipient=admin, emailed_at__isnull=True).count() == 0

    assert len(smtp.received) == Notification.objects.filter(recipient=admin).values("day").distinct().count()
    assert all(rcpt == ["a1@example.gov.cn"] for rcpt, _m in smtp.received)
    bodies = {m["Subject"]: m.get_content() for _r, m in smtp.received}
    first = next(body for subject, body in bodies.items() if "2026-06-15" in subject)
    assert f"- {tree.a1.name}：本月党费" in first and "（期限2026-06-18）" in first
    assert f"https://dangjian.example.gov.cn{reverse('dues:sheet')}?org={tree.a1.pk}&month=2026-06" in first
    assert any("赵申请" in body for body in bodies.values())
    assert AuditEvent.objects.filter(action="notify", note__startswith="邮件摘要").exists()


def test_a_weekly_digest_goes_out_on_monday_only(users, tree, branch_work, smtp):
    admin = users["branch_a1"]
    set_preferences(
        actor=admin, in_app=True, email=True, sms=False, frequency="weekly", address="a1@example.gov.cn"
    )
    run_days(dt.date(2026, 6, 16), dt.date(2026, 6, 21))  # Tuesday to Sunday
    assert smtp.received == []
    run_days(dt.date(2026, 6, 22), dt.date(2026, 6, 22))  # Monday: the week's notifications in one e-mail
    assert len(smtp.received) == 1
    assert "赵申请" in smtp.received[0][1].get_content()


def test_sms_goes_through_the_gateway_with_the_phone_masked_in_the_log(users, tree, make_member, caplog):
    own = make_member(tree.a1, name="李书记", phone="13912345678")
    admin = users["branch_a1"]
    admin.member = own
    admin.save(update_fields=["member"])
    make_member(tree.a1, name="王二")
    set_preferences(actor=admin, in_app=False, email=False, sms=True, frequency="daily")
    from dangjian.compliance import kept
    from dangjian.orgs.models import Org

    kept.refresh(Org.objects.all(), on=dt.date(2026, 6, 15))
    with caplog.at_level(logging.INFO, logger="dangjian.reminders.sms"):
        run_days(dt.date(2026, 6, 15), dt.date(2026, 6, 15))
    lines = [r.getMessage() for r in caplog.records if r.name == "dangjian.reminders.sms"]
    assert len(lines) == 1 and "139****5678" in lines[0] and "13912345678" not in lines[0]
    # in-app off: told, but no unread badge
    assert Notification.objects.filter(recipient=admin).exists()
    assert not Notification.objects.filter(recipient=admin, read_at__isnull=True).exists()
    assert not Notification.objects.filter(recipient=admin, texted_at__isnull=True).exists()


def test_the_preferences_page_saves_ones_own_choice_audited(client, users):
    client.force_login(users["branch_a1"])
    assert client.get(reverse("reminders:preferences")).status_code == 200
    data = {"in_app": "on", "email": "on", "address": "a1@example.gov.cn", "frequency": "weekly"}
    assert client.post(reverse("reminders:preferences"), data).status_code == 302
    found = Preference.objects.get(user=users["branch_a1"])
    assert (found.in_app, found.email, found.sms, found.frequency) == (True, True, False, "weekly")
    users["branch_a1"].refresh_from_db()
    assert users["branch_a1"].email == "a1@example.gov.cn"
    event = AuditEvent.objects.get(action="update", object_type="reminders.preference")
    assert event.after["frequency"] == "weekly" and event.actor == users["branch_a1"]
    # e-mail without an address is refused and changes nothing
    refused = client.post(
        reverse("reminders:preferences"), {"email": "on", "address": "", "frequency": "daily"}
    )
    assert refused.status_code == 200 and "接收邮件摘要须填写邮箱地址" in refused.content.decode()
    found.refresh_from_db()
    assert found.frequency == "weekly"
