"""A form sent for a record deleted after its page was opened (core.middleware.GoneRecordMiddleware): the view found
the record, the service's locked read no longer does. The answer is the site's 409 page saying nothing was saved —
not a server error — and nothing is written; a page (GET) that cannot find its record stays a 404, and other
errors stay errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.members import views as member_views
from dangjian.orgs.models import Post
from dangjian.orgs.services import create_post, delete_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(tree, make_member) -> Post:
    member = make_member(tree.a1, name="王书记")
    return create_post(
        actor=None,
        data={
            "member": member,
            "org": tree.a1,
            "title": "shuji",
            "started_on": dt.date(2022, 1, 1),
            "ended_on": None,
        },
    )


def _deleted_meanwhile(monkeypatch, users, post):
    """The post is deleted by another administrator between the view's read and the service's locked read."""
    original = member_views.org_services.update_post

    def update_post(**kwargs):
        delete_post(actor=users["dangwei_a"], post=post)
        return original(**kwargs)

    monkeypatch.setattr(member_views.org_services, "update_post", update_post)


def test_a_form_for_a_record_deleted_meanwhile_is_told_so(client, users, post, monkeypatch):
    client.force_login(users["branch_a1"])
    url = reverse("orgs:post_edit", args=[post.pk])
    page = client.get(url)
    assert page.status_code == 200
    _deleted_meanwhile(monkeypatch, users, post)
    events = AuditEvent.objects.count()
    response = client.post(
        url,
        {"member": str(post.member_id), "title": "shuji", "started_on": "2022-02-01", "ended_on": ""},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "记录已不存在" in html and "本次提交没有保存任何内容" in html
    assert 'data-status="409"' in html
    # the other administrator's deletion is recorded; the refused edit wrote nothing beside it
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.latest("id").action == "delete"
    assert not Post.objects.filter(pk=post.pk).exists()


def test_a_page_without_its_record_is_still_a_404_and_other_errors_are_not_hidden(
    client, users, post, monkeypatch
):
    client.force_login(users["branch_a1"])
    url = reverse("orgs:post_edit", args=[post.pk])
    delete_post(actor=users["dangwei_a"], post=post)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404  # the view's own read: get_object_or_404

    def broken(**kwargs):
        raise RuntimeError("a bug")

    other = create_post(
        actor=None,
        data={
            "member": post.member,
            "org": post.org,
            "title": "zuzhi",
            "started_on": dt.date(2022, 1, 1),
            "ended_on": None,
        },
    )
    monkeypatch.setattr(member_views.org_services, "update_post", broken)
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        client.post(
            reverse("orgs:post_edit", args=[other.pk]),
            {"member": str(other.member_id), "title": "zuzhi", "started_on": "2022-02-01", "ended_on": ""},
        )
