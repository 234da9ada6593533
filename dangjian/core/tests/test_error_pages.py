"""The error pages (403, 404, 500) in the product's style and in the user's language, with DEBUG off; the 500
page renders without the database (the tests without `db` cannot reach it) or any request context."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from dangjian.core.context import reset_request_id, set_request_id
from dangjian.core.error_views import server_error


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def test_404_for_a_signed_in_user_has_the_menu_and_a_way_home(client, users):
    client.force_login(users["branch_a1"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-testid="error-page" data-status="404"' in body
    assert "页面不存在" in body and "请检查网址，或从首页重新进入。" in body
    assert f'href="{reverse("dashboard")}">返回首页' in body
    assert "dj-navbar" in body  # the product's header


def test_404_of_a_record_outside_the_scope_in_english(client, users, tree):
    client.force_login(users["branch_a2"])
    client.cookies["django_language"] = "en"
    response = client.get(reverse("compliance:org", args=[tree.a1.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body and "Back to home" in body and "页面不存在" not in body


def test_400_for_a_nul_in_the_query_string_in_the_site_style(client, users):
    """A NUL in any query value or name is refused before a view hands it to the database (PostgreSQL refuses NUL in
    a string: a server error otherwise, as the 待办 panel's ?unit= once gave)."""
    client.force_login(users["branch_a1"])
    for query in ({"unit": "a\x00b"}, {"q": "\x00"}, {"x\x00": "1"}):
        response = client.get(reverse("meetings:todo"), query)
        assert response.status_code == 400, query
        body = response.content.decode()
        assert 'data-status="400"' in body and "请求无效" in body and "dj-navbar" in body
    assert client.get(reverse("meetings:todo"), {"unit": "某单位"}).status_code == 200
    client.cookies["django_language"] = "en"
    body = client.get(reverse("meetings:todo"), {"unit": "\x00"}).content.decode()
    assert "Bad request" in body and "请求无效" not in body


def test_a_nul_in_a_form_field_is_the_form_s_error_not_a_400(client, users, tree):
    """The guard reads the query string only: a posted body is the form's to check (its CharField refuses NUL)."""
    client.force_login(users["branch_a1"])
    response = client.post(reverse("meetings:todo") + "?org=" + str(tree.a1.pk), {"unit": "\x00"})
    assert response.status_code == 405  # the panel is GET-only: the body reached the view, not the guard


def test_403_says_who_to_ask(client, users):
    client.force_login(users["member_a1"])
    response = client.get(reverse("dues:arrears"))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-status="403"' in body and "无权访问" in body and "请联系上级党组织管理员" in body


def test_500_page_through_the_site_with_the_request_id(db, settings):
    settings.ROOT_URLCONF = "dangjian.core.tests.urls_failing"
    client = Client(raise_request_exception=False)
    response = client.get("/fails/", headers={"X-Request-ID": "abcd1234efgh5678"})
    assert response.status_code == 500
    body = response.content.decode()
    assert 'data-status="500"' in body and "服务器出现错误" in body
    assert "错误编号：abcd1234efgh5678" in body
    assert "/static/" not in body  # no asset to look up in a manifest that may be broken


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "服务器出现错误"), ("en", "Server error")])
def test_500_page_needs_no_database_user_or_session(language, expected):
    request = RequestFactory().get("/anything/")  # no user, no session, no middleware ran
    token = set_request_id("0123456789abcdef")
    try:
        with translation.override(language):
            response = server_error(request)
    finally:
        reset_request_id(token)
    assert response.status_code == 500
    body = response.content.decode()
    assert expected in body and "0123456789abcdef" in body
    assert f'<html lang="{language}">' in body
