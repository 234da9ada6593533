"""The 职务 edit page's lost-update guard (core.edits): an edit from a page opened before another save is refused,
not saved over; the post's version is the digest of its audit snapshot."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core import edits
from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Post
from dangjian.orgs.services import create_post, end_posts, post_snapshot, update_post

pytestmark = pytest.mark.django_db

D = dt.date


def _version(response) -> str:
    found = re.search(r'<input type="hidden" name="version" value="([0-9a-f]+)"', response.content.decode())
    assert found, "the edit form carries the post's version"
    return found.group(1)


@pytest.fixture
def secretary(tree, make_member) -> Post:
    member = make_member(tree.a1, name="王书记")
    return create_post(
        actor=None,
        data={
            "member": member,
            "org": tree.a1,
            "title": "shuji",
            "started_on": D(2022, 1, 1),
            "ended_on": None,
        },
    )


def _data(post: Post, **overrides) -> dict:
    data = {
        "member": str(post.member_id),
        "title": post.title,
        "started_on": f"{post.started_on:%Y-%m-%d}",
        "ended_on": f"{post.ended_on:%Y-%m-%d}" if post.ended_on else "",
    }
    return data | overrides


def _updates(post: Post):
    return AuditEvent.objects.filter(object_type="orgs.post", action="update", object_id=str(post.pk))


def test_an_edit_from_a_page_opened_before_another_save_is_refused_not_saved_over(client, users, secretary):
    """The branch's administrator and the 党委 open the same post; the 党委 records its 离任日期 first. The branch's
    save (correcting the 任职日期 on its page, which still shows the post running) would silently undo the end: it is
    refused, naming who changed the post and when, with what was typed kept; submitting again (the page now holds
    the current version) saves the page's values knowingly."""
    url = reverse("orgs:post_edit", args=[secretary.pk])
    client.force_login(users["branch_a1"])
    other = Client()
    other.force_login(users["dangwei_a"])
    mine, theirs = _version(client.get(url)), _version(other.get(url))
    assert mine == theirs
    assert other.post(url, _data(secretary, ended_on="2025-06-30", version=theirs)).status_code == 302
    assert Post.objects.get(pk=secretary.pk).ended_on == D(2025, 6, 30)
    assert _updates(secretary).count() == 1

    second = _data(secretary, started_on="2022-02-01", version=mine)
    events = AuditEvent.objects.count()
    response = client.post(url, second)
    assert response.status_code == 200
    html = response.content.decode()
    assert "您打开此页后，这条记录已由dangwei_a于" in html and "本页的修改尚未保存" in html
    assert 'value="2022-02-01"' in html  # what was typed stays on the page
    assert (
        f'href="{reverse("orgs:detail", args=[secretary.org_id])}?history=1#posts" target="_blank"' in html
        and 'data-testid="stale-record"' in html
    )
    post = Post.objects.get(pk=secretary.pk)
    assert (post.started_on, post.ended_on) == (D(2022, 1, 1), D(2025, 6, 30))  # nothing saved over
    assert AuditEvent.objects.count() == events  # not even an event
    current = _version(response)
    assert current != mine

    assert client.post(url, {**second, "version": current}).status_code == 302
    post = Post.objects.get(pk=secretary.pk)
    assert (post.started_on, post.ended_on) == (D(2022, 2, 1), None)  # the page's values, knowingly
    assert _updates(secretary).count() == 2


def test_a_post_ended_by_a_transfer_or_dissolution_since_is_refused_and_a_caller_without_a_page_is_not_checked(
    users, secretary
):
    opened = edits.version(post_snapshot(secretary))
    update_post(actor=users["branch_a1"], post=secretary, data={"started_on": D(2022, 3, 1)}, version=opened)
    with pytest.raises(edits.Stale):  # the page opened before that save
        update_post(
            actor=users["branch_a1"], post=secretary, data={"started_on": D(2022, 4, 1)}, version=opened
        )
    assert Post.objects.get(pk=secretary.pk).started_on == D(2022, 3, 1)

    post = Post.objects.select_related("org", "member").get(pk=secretary.pk)
    opened = edits.version(post_snapshot(post))
    end_posts(actor=None, posts=[post], on=D(2025, 1, 1), note="组织关系转出")
    events = AuditEvent.objects.count()
    with pytest.raises(edits.Stale, match="这条记录已由"):
        update_post(
            actor=users["branch_a1"], post=secretary, data={"started_on": D(2022, 5, 1)}, version=opened
        )
    post = Post.objects.get(pk=secretary.pk)
    assert (post.started_on, post.ended_on) == (D(2022, 3, 1), D(2025, 1, 1))
    assert AuditEvent.objects.count() == events

    update_post(actor=None, post=secretary, data={"started_on": D(2022, 6, 1)})  # no page: no version
    assert Post.objects.get(pk=secretary.pk).started_on == D(2022, 6, 1)


def test_the_version_is_not_among_the_posts_fields(client, users, secretary):
    client.force_login(users["branch_a1"])
    url = reverse("orgs:post_edit", args=[secretary.pk])
    response = client.post(url, _data(secretary, ended_on="2025-06-30", version=_version(client.get(url))))
    assert response.status_code == 302
    (event,) = _updates(secretary)
    assert "version" not in event.after and event.after["ended_on"] == "2025-06-30"
    # the appointment page has no version: a new post is no edit of a record opened earlier
    page = client.get(reverse("orgs:post_create", args=[secretary.org_id])).content.decode()
    assert 'name="version"' not in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_a_post_ended_meanwhile_is_not_saved_over(
    live_server, browser_page, users, secretary, login
):
    """In Chromium: the branch's administrator opens the post's edit page; meanwhile the 党委 ends the post. Saving
    the corrected 任职日期 is refused on the page, naming the 党委's administrator, the typed date kept and the post
    as it is now a link away (a new window); 保存 again saves the page's values."""
    page = browser_page
    login("branch_a1")
    url = reverse("orgs:post_edit", args=[secretary.pk])
    page.goto(f"{live_server.url}{url}")
    update_post(actor=users["dangwei_a"], post=secretary, data={"ended_on": D(2025, 6, 30)})
    page.locator("#id_started_on").fill("2022-02-01")
    page.get_by_role("button", name="保存", exact=True).click()
    alert = page.get_by_role("alert")
    assert "这条记录已由dangwei_a于" in alert.inner_text() and "本页的修改尚未保存" in alert.inner_text()
    link = page.get_by_test_id("stale-record")
    assert link.inner_text() == "在新窗口查看这条记录的最新内容" and link.get_attribute("target") == "_blank"
    assert page.locator("#id_started_on").input_value() == "2022-02-01"
    post = Post.objects.get(pk=secretary.pk)
    assert (post.started_on, post.ended_on) == (D(2022, 1, 1), D(2025, 6, 30))
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(f"**{reverse('orgs:detail', args=[secretary.org_id])}")
    post = Post.objects.get(pk=secretary.pk)
    assert (post.started_on, post.ended_on) == (D(2022, 2, 1), None)
