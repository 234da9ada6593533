"""The calendar feed: a secret, revocable URL per person (the token stored only as its hash) serving
text/calendar, parsed here as a calendar client would (`icalendar`): an administrator's work items with their
due dates, a member's own 党费 collection days; nothing of other branches; a wrong or revoked token is 404."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import icalendar
import time_machine
from django.urls import reverse

from dangjian.compliance import kept
from dangjian.core.models import AuditEvent
from dangjian.dues.services import set_collection_day
from dangjian.orgs.models import Org
from dangjian.reminders import ical, services
from dangjian.reminders.models import CalendarFeed

TODAY = dt.date(2026, 6, 15)


# the day the tests read the feed on (Asia/Shanghai), time standing still
FROZEN = time_machine.travel(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), tick=False)


def new_url(client) -> str:
    """Makes a new feed URL through the page, as a user does, and returns it (shown once)."""
    assert client.post(reverse("reminders:calendar_new")).status_code == 302
    html = client.get(reverse("reminders:calendar")).content.decode()
    found = re.search(r'data-testid="feed-url" value="http://testserver([^"]+)"', html) or re.search(
        r'value="http://testserver([^"]+)"[^>]*data-testid="feed-url"', html
    )
    assert found is not None, html
    return found.group(1)


def events(client, url: str) -> list:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


@FROZEN
def test_an_administrators_feed_has_the_due_dates_of_their_branchs_items_only(
    client, users, tree, make_member
):
    make_member(tree.a1, name="王一")
    make_member(tree.a2, name="王二")
    kept.refresh(Org.objects.all(), on=TODAY)
    client.force_login(users["branch_a1"])
    url = new_url(client)
    client.logout()  # a calendar client has no session: the token is the credential

    found = events(client, url)

    summaries = [str(e["SUMMARY"]) for e in found]
    assert any("主题党日" in s and "甲一支部" in s for s in summaries)
    assert not any("甲二支部" in s or "乙一支部" in s for s in summaries)
    may = next(
        e for e in found if "主题党日" in str(e["SUMMARY"]) and e["DTSTART"].dt == dt.date(2026, 5, 31)
    )
    assert str(may["SUMMARY"]).startswith("【逾期】")
    assert str(may["URL"]).startswith("http://testserver/meetings/")
    assert len({str(e["UID"]) for e in found}) == len(found)


@FROZEN
def test_a_members_feed_has_their_own_collection_days_and_no_work_items(client, users, tree):
    set_collection_day(actor=None, org=tree.a1, day=18)
    client.force_login(users["member_a1"])
    url = new_url(client)
    found = events(client, url)
    assert [(str(e["SUMMARY"]), e["DTSTART"].dt) for e in found] == [
        ("党费集中交纳日（2026-06）", dt.date(2026, 6, 18)),
        ("党费集中交纳日（2026-07）", dt.date(2026, 7, 18)),
        ("党费集中交纳日（2026-08）", dt.date(2026, 8, 18)),
    ]


@FROZEN
def test_a_wrong_or_revoked_token_is_not_found_and_a_new_url_revokes_the_former(client, users):
    client.force_login(users["member_a1"])
    first = new_url(client)
    second = new_url(client)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert client.get(reverse("reminders:feed"), {"token": "not-a-token"}).status_code == 404
    assert client.get(reverse("reminders:feed")).status_code == 404

    assert client.post(reverse("reminders:calendar_revoke")).status_code == 302
    assert client.get(second).status_code == 404
    assert 'data-testid="feed-none"' in client.get(reverse("reminders:calendar")).content.decode()
    actions = list(
        AuditEvent.objects.filter(actor=users["member_a1"], action__startswith="calendar")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["calendar_feed_create", "calendar_feed_create", "calendar_feed_revoke"]


def test_the_token_is_stored_only_as_its_hash_and_shown_once(client, users):
    client.force_login(users["member_a1"])
    url = new_url(client)
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert token not in urlsplit(url).path  # access logs record the path: never the secret
    feed = CalendarFeed.objects.get(user=users["member_a1"], revoked_at__isnull=True)
    assert feed.token_hash == services.token_hash(token) != token
    assert not CalendarFeed.objects.filter(token_hash=token).exists()
    again = client.get(reverse("reminders:calendar")).content.decode()
    assert token not in again and 'data-testid="feed-active"' in again


def test_a_deactivated_users_feed_is_not_found(client, users):
    client.force_login(users["member_a1"])
    url = new_url(client)
    users["member_a1"].is_active = False
    users["member_a1"].save(update_fields=["is_active"])
    assert client.get(url).status_code == 404


def test_long_lines_are_folded_and_text_escaped():
    event = ical.Event(uid="x@dangjian", day=TODAY, summary="甲一支部；会议，" * 20, description="一\n二")
    text = ical.calendar("日历", [event], stamp=dt.datetime(2026, 6, 15, tzinfo=dt.UTC))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    parsed = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert str(parsed["SUMMARY"]) == "甲一支部；会议，" * 20
    assert str(parsed["DESCRIPTION"]) == "一\n二"


def calendar_page(client) -> str:
    response = client.get(reverse("reminders:calendar"))
    assert response.status_code == 200
    return response.content.decode()


def what_it_carries(page: str) -> str:
    return re.search(r'data-testid="feed-content">([^<]+)<', page).group(1)


def test_the_page_says_what_the_feed_carries_for_who_reads_it(client, users, make_member, tree):
    client.force_login(users["member_a1"])
    said = what_it_carries(calendar_page(client))
    assert "党费集中交纳日" in said and "所在党支部" in said and "负责" not in said
    client.force_login(users["branch_a1"])
    said = what_it_carries(calendar_page(client))
    assert "您负责的党组织的工作期限和计划活动" in said and "党费" not in said
    users["branch_a1"].member = make_member(tree.a1, name="支部书记")
    users["branch_a1"].save(update_fields=["member"])
    said = what_it_carries(calendar_page(client))
    assert "您负责的党组织的工作期限和计划活动" in said and "党费集中交纳日" in said


def test_the_new_address_can_be_copied_and_added_to_a_calendar_app(client, users):
    client.force_login(users["member_a1"])
    page = calendar_page(client)
    assert 'data-testid="feed-copy"' not in page and 'data-testid="feed-webcal"' not in page
    url = new_url(client)  # the page shown once with the address
    client.post(reverse("reminders:calendar_new"))
    page = calendar_page(client)
    shown = re.search(r'value="(http://testserver[^"]+)"[^>]*data-testid="feed-url"', page).group(1)
    assert shown.startswith("http://testserver" + url.split("?")[0])
    copy = re.search(r"<button [^>]*data-testid=\"feed-copy\"[^>]*>([^<]+)</button>", page)
    assert copy and copy.group(1) == "复制地址" and 'data-copy="dj-feed-url"' in copy.group(0)
    assert 'src="/static/js/copy-field.js"' in page
    webcal = re.search(r'<a [^>]*href="([^"]+)" data-testid="feed-webcal">添加到日历</a>', page).group(1)
    assert webcal.replace("&amp;", "&") == "webcal://" + shown.removeprefix("http://").replace("&amp;", "&")
    assert 'data-testid="feed-url"' not in calendar_page(client)  # shown once


def test_making_a_new_address_and_revoking_ask_first_and_use_the_site_buttons(client, users):
    client.force_login(users["member_a1"])
    page = calendar_page(client)
    assert "btn-primary" not in page and "btn btn-dj btn-sm" in page
    assert "data-confirm" not in page  # the first address replaces nothing
    client.post(reverse("reminders:calendar_new"))
    calendar_page(client)  # the address shown once
    page = calendar_page(client)
    forms = dict(re.findall(r'<form method="post" action="([^"]+)"([^>]*)>', page))
    assert "原地址将立即失效" in forms[reverse("reminders:calendar_new")]
    assert "已订阅的日历将不再更新" in forms[reverse("reminders:calendar_revoke")]
    assert "btn-primary" not in page
