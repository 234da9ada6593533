"""The meeting entry form carries a one-time token: the same form POSTed twice (a double click, the browser's
resend) creates one meeting; the second POST says so and links to it. A refused POST does not consume it."""

from __future__ import annotations

import re

from django.urls import reverse

from dangjian.core.once import FIELD, SubmittedForm
from dangjian.meetings.models import Meeting
from dangjian.meetings.tests.test_views import post_data

TOKEN = re.compile(rf'name="{FIELD}" value="([^"]+)"')


def token_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the form carries no one-time token"
    return found.group(1)


def test_the_same_meeting_form_posted_twice_creates_one_meeting(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    token = token_of(client.get(reverse("meetings:create")).content.decode())
    data = {**post_data(tree.a1, types=["theme_day"], topic="三月主题党日"), FIELD: token}
    first = client.post(reverse("meetings:create"), data)
    assert first.status_code == 302
    second = client.post(reverse("meetings:create"), data)
    assert Meeting.objects.count() == 1
    meeting = Meeting.objects.get()
    assert second.status_code == 409
    html = second.content.decode()
    assert "该表单已提交，请勿重复提交。" in html
    assert f'href="{reverse("meetings:detail", args=[meeting.pk])}"' in html


def test_a_refused_post_keeps_the_token_for_the_corrected_form(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    token = token_of(client.get(reverse("meetings:create")).content.decode())
    bad = {**post_data(tree.a1, types=["theme_day"], topic="三月主题党日", date="2099-01-01"), FIELD: token}
    assert client.post(reverse("meetings:create"), bad).status_code == 200  # refused by the service
    assert not SubmittedForm.objects.exists()  # the claim was rolled back with the refused write
    good = {**bad, "date": "2026-03-31"}
    assert client.post(reverse("meetings:create"), good).status_code == 302
    assert Meeting.objects.count() == 1


def test_another_users_token_does_not_link_to_their_record(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    token = token_of(client.get(reverse("meetings:create")).content.decode())
    data = {**post_data(tree.a1, types=["theme_day"], topic="三月主题党日"), FIELD: token}
    assert client.post(reverse("meetings:create"), data).status_code == 302
    client.force_login(users["dangwei_a"])
    second = client.post(reverse("meetings:create"), data)
    assert second.status_code == 409 and "已提交的内容" not in second.content.decode()
    assert Meeting.objects.count() == 1
