"""The notification centre: the header's unread count (one query), the user's own notifications newest first
and paginated, marked read one by one or all at once by their recipient only (audited), each opening the page
that settles it."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.reminders.context_processors import unread
from dangjian.reminders.models import Notification

DAY = dt.date(2026, 6, 15)


def notify(user, title: str, *, day: dt.date = DAY, read: bool = False, link: str = "/dues/sheet/?org=1"):
    from django.utils import timezone

    return Notification.objects.create(
        recipient=user,
        key=f"k-{title}",
        category="dues",
        title=title,
        text=f"{title}的说明",
        link=link,
        due=day,
        day=day,
        read_at=timezone.now() if read else None,
    )


def _count(user) -> tuple[int, int]:
    request = RequestFactory().get("/")
    request.user = user
    with CaptureQueriesContext(connection) as ctx:
        n = int(str(unread(request)["unread_notifications"]))
    return n, len(ctx.captured_queries)


def test_the_unread_count_is_one_query_whatever_the_number_of_notifications(users):
    notify(users["branch_a1"], "甲", read=True)
    notify(users["branch_a2"], "乙")
    assert _count(users["branch_a1"]) == (0, 1)
    for i in range(5):
        notify(users["branch_a1"], f"事项{i}")
    assert _count(users["branch_a1"]) == (5, 1)


def test_the_header_shows_the_bell_with_the_unread_count(client, users):
    notify(users["branch_a1"], "甲")
    notify(users["branch_a1"], "乙")
    notify(users["branch_a1"], "丙", read=True)
    client.force_login(users["branch_a1"])
    html = client.get(reverse("reminders:list")).content.decode()
    badge = re.search(r'data-testid="unread">(\d+)<', html)
    assert badge is not None and badge.group(1) == "2"
    client.force_login(users["branch_a2"])
    html = client.get(reverse("reminders:list")).content.decode()
    assert 'data-testid="bell"' in html and 'data-testid="unread"' not in html


def test_the_list_shows_only_ones_own_newest_first_paginated(client, users, settings):
    settings.PAGE_SIZE = 2
    for title in ("一号事项", "二号事项", "三号事项"):
        notify(users["branch_a1"], title)
    notify(users["branch_a2"], "别人的事项")
    client.force_login(users["branch_a1"])
    first = client.get(reverse("reminders:list"))
    assert [n.title for n in first.context["page"].object_list] == ["三号事项", "二号事项"]
    second = client.get(reverse("reminders:list"), {"page": 2})
    assert [n.title for n in second.context["page"].object_list] == ["一号事项"]
    assert "别人的事项" not in first.content.decode() + second.content.decode()
    # the titles are Chinese text kept as written: marked so in the English interface too
    assert '<strong lang="zh-hans">三号事项</strong>' in first.content.decode()


def test_the_recipient_marks_one_read_and_opens_the_page_that_settles_it(client, users):
    mine = notify(users["branch_a1"], "本月党费", link="/dues/sheet/?org=7")
    other = notify(users["branch_a1"], "另一事项")
    client.force_login(users["branch_a1"])

    response = client.post(reverse("reminders:read", args=[mine.pk]), {"go": "1"})

    assert response.status_code == 302 and response["Location"] == "/dues/sheet/?org=7"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None and other.read_at is None
    event = AuditEvent.objects.get(action="notification_read")
    assert event.actor == users["branch_a1"] and event.object_id == str(mine.pk)
    # once read, reading it again records nothing more
    assert client.post(reverse("reminders:read", args=[mine.pk])).status_code == 302
    assert AuditEvent.objects.filter(action="notification_read").count() == 1


def test_another_users_notification_is_not_found_and_stays_unread(client, users):
    theirs = notify(users["branch_a2"], "乙的事项")
    client.force_login(users["branch_a1"])
    assert client.post(reverse("reminders:read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert not AuditEvent.objects.filter(action="notification_read").exists()


def test_mark_all_read_marks_only_ones_own(client, users):
    for title in ("甲", "乙", "丙"):
        notify(users["branch_a1"], title)
    theirs = notify(users["branch_a2"], "丁")
    client.force_login(users["branch_a1"])
    assert client.post(reverse("reminders:read_all")).status_code == 302
    assert not Notification.objects.filter(recipient=users["branch_a1"], read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert AuditEvent.objects.get(action="notification_read").note == "全部标为已读：3条"


def test_marking_all_read_in_english_notes_it_in_english(client, users):
    for title in ("甲", "乙"):
        notify(users["branch_a1"], title)
    client.cookies["django_language"] = "en"
    client.force_login(users["branch_a1"])
    assert client.post(reverse("reminders:read_all")).status_code == 302
    assert AuditEvent.objects.get(action="notification_read").note == "Marked all as read: 2"


def test_a_link_elsewhere_is_not_followed(client, users):
    odd = notify(users["branch_a1"], "甲", link="https://example.com/")
    client.force_login(users["branch_a1"])
    response = client.post(reverse("reminders:read", args=[odd.pk]), {"go": "1"})
    assert response["Location"] == reverse("reminders:list")
