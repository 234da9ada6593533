"""The e-mail digest and the SMS: each person who chose them (`Preference`) gets, in one message, the
notifications not yet sent to them on that channel — every day, or on Mondays for a weekly choice. The e-mail
goes through Django's mail backend (SMTP in production), all messages over one connection; the SMS through the
gateway (`reminders.sms`), a count and no personal data. A fixed number of queries whatever the number of
people; the sent rows are marked in one update per channel."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.reminders import sms
from dangjian.reminders.models import Frequency, Notification, Preference
from dangjian.reminders.services import record_run

WINDOW_DAYS = 7  # a digest carries the notifications of the last week not yet sent (not older ones)


@dataclass
class DigestReport:
    emails: int = 0
    texts: int = 0


def _due(on: dt.date) -> list[str]:
    return [str(Frequency.DAILY)] + ([str(Frequency.WEEKLY)] if on.weekday() == 0 else [])


def _pending(prefs, on: dt.date, sent_field: str) -> dict[int, list[Notification]]:
    found: dict[int, list[Notification]] = defaultdict(list)
    rows = Notification.objects.filter(
        recipient_id__in=[p.user_id for p in prefs],
        day__gt=on - dt.timedelta(days=WINDOW_DAYS),
        day__lte=on,
        **{f"{sent_field}__isnull": True},
    ).select_related("org")
    for n in rows.order_by("-overdue", "due", "id"):
        found[n.recipient_id].append(n)
    return found


def _email_body(items: list[Notification], base_url: str) -> str:
    lines = [_("您有%(n)s项工作需要办理：") % {"n": len(items)}, ""]
    for n in items:
        mark = _("【逾期】") if n.overdue else ""
        due = _("（期限%(day)s）") % {"day": f"{n.due:%Y-%m-%d}"} if n.due else ""
        org = _("%(org)s：") % {"org": n.org.name} if n.org is not None else ""
        lines.append(f"- {mark}{org}{n.title}{n.period and ' ' + n.period_label}{due}")
        if n.link:
            lines.append(f"  {base_url}{n.link}")
    lines += ["", _("在平台的“消息提醒”中可查看全部提醒，在“提醒设置”中可更改接收方式。")]
    return "\n".join(lines)


def _send_emails(prefs, on: dt.date, base_url: str) -> tuple[int, list[int]]:
    prefs = [p for p in prefs if p.email and p.user.email]
    pending = _pending(prefs, on, "emailed_at")
    messages, sent = [], []
    for p in prefs:
        items = pending.get(p.user_id)
        if not items:
            continue
        subject = _("机关党建工作提醒（%(day)s）：%(n)s项") % {"day": f"{on:%Y-%m-%d}", "n": len(items)}
        messages.append(
            EmailMessage(subject, _email_body(items, base_url), settings.DEFAULT_FROM_EMAIL, [p.user.email])
        )
        sent += [n.pk for n in items]
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages), sent


def _send_texts(prefs, on: dt.date) -> tuple[int, list[int]]:
    prefs = [p for p in prefs if p.sms and p.user.member_id and p.user.member.phone]
    pending = _pending(prefs, on, "texted_at")
    gateway, sent, count = sms.backend(), [], 0
    for p in prefs:
        items = pending.get(p.user_id)
        if not items:
            continue
        overdue = sum(1 for n in items if n.overdue)
        text = _("【机关党建】您有%(n)s项工作待办（其中逾期%(late)s项），请登录平台查看。") % {
            "n": len(items),
            "late": overdue,
        }
        gateway.send(p.user.member.phone, text)
        sent += [n.pk for n in items]
        count += 1
    return count, sent


def send_digests(*, on: dt.date) -> DigestReport:
    """Today's digests (a weekly choice on Mondays), marked sent; one audit event for the run."""
    base_url = settings.SITE_URL.rstrip("/")
    prefs = list(
        Preference.objects.filter(frequency__in=_due(on), user__is_active=True)
        .filter(Q(email=True) | Q(sms=True))
        .select_related("user", "user__member")
    )
    emails, emailed = _send_emails(prefs, on, base_url)
    texts, texted = _send_texts(prefs, on)
    now = timezone.now()
    if emailed:
        Notification.objects.filter(pk__in=emailed).update(emailed_at=now)
    if texted:
        Notification.objects.filter(pk__in=texted).update(texted_at=now)
    report = DigestReport(emails=emails, texts=texts)
    if emailed or texted:
        record_run(
            on,
            _("邮件摘要含提醒%(emailed)s条，短信含提醒%(texted)s条")
            % {"emailed": len(emailed), "texted": len(texted)},
        )
    return report
