"""Sessions end after a time idle and a time in all; production settings make cookies and transport secure."""

from __future__ import annotations

import datetime as dt
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.conftest import TEST_PASSWORD, sign_in
from dangjian.core.models import AuditEvent

START = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
SETTINGS_FILE = Path(__file__).resolve().parents[2] / "settings.py"


@pytest.fixture
def signed_in(client, users):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, "branch_a1")
        yield client, traveller


def test_a_session_idle_for_thirty_minutes_ends(signed_in):
    client, traveller = signed_in
    traveller.shift(dt.timedelta(minutes=29, seconds=59))
    assert client.get(reverse("dashboard")).status_code == 200
    traveller.shift(dt.timedelta(minutes=29, seconds=59))  # idle again, just under the limit
    assert client.get(reverse("dashboard")).status_code == 200
    traveller.shift(dt.timedelta(minutes=30))
    response = client.get(reverse("members:list"), follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('login')}?next={reverse('members:list')}"
    assert "您已 30 分钟未操作，请重新登录。" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.filter(action="logout").get()
    assert event.note == "客户端地址：127.0.0.1；空闲超时，自动退出"


def test_a_session_ends_twelve_hours_after_sign_in_however_active(signed_in):
    client, traveller = signed_in
    for _ in range(35):  # a request every 20 minutes for 11 h 40 min
        traveller.shift(dt.timedelta(minutes=20))
        assert client.get(reverse("dashboard")).status_code == 200
    traveller.shift(dt.timedelta(minutes=20))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.filter(action="logout").get().note.endswith("会话超过最长时限，自动退出")


def test_the_limits_are_settings(signed_in, settings):
    settings.SESSION_IDLE_MINUTES = 5
    client, traveller = signed_in
    traveller.shift(dt.timedelta(minutes=5))
    assert client.get(reverse("dashboard")).status_code == 302
    settings.SESSION_IDLE_MINUTES = 30
    settings.SESSION_MAX_HOURS = 1
    sign_in(client, "branch_a1")
    for _ in range(2):
        traveller.shift(dt.timedelta(minutes=25))
        assert client.get(reverse("dashboard")).status_code == 200
    traveller.shift(dt.timedelta(minutes=10))
    assert client.get(reverse("dashboard")).status_code == 302


def session_writes(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    return [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]


def test_the_last_request_is_stored_at_most_once_a_minute(signed_in):
    """A page within a minute of the last stored request writes no session."""
    client, traveller = signed_in
    traveller.shift(dt.timedelta(seconds=30))
    assert session_writes(client) == []
    traveller.shift(dt.timedelta(seconds=31))
    assert len(session_writes(client)) == 1


# --- production settings -------------------------------------------------------------------------------------


def production_settings(monkeypatch, tmp_path, **env) -> dict:
    for name in ("DEBUG", "LOCAL_HTTP", "BEHIND_TLS_PROXY", "SECURE_COOKIES", "SECURE_SSL_REDIRECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DANGJIAN_VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_without_debug_cookies_are_secure_and_http_is_redirected(monkeypatch, tmp_path):
    s = production_settings(monkeypatch, tmp_path)
    assert (
        s["DEBUG"],
        s["SESSION_COOKIE_SECURE"],
        s["CSRF_COOKIE_SECURE"],
        s["SESSION_COOKIE_HTTPONLY"],
    ) == (
        False,
        True,
        True,
        True,
    )
    assert (s["SECURE_SSL_REDIRECT"], s["SECURE_HSTS_SECONDS"]) == (True, 31_536_000)
    assert "SECURE_PROXY_SSL_HEADER" not in s
    assert (s["SESSION_COOKIE_AGE"], s["SESSION_EXPIRE_AT_BROWSER_CLOSE"]) == (12 * 3600, True)


def test_behind_a_tls_proxy_the_forwarded_scheme_is_trusted(monkeypatch, tmp_path):
    s = production_settings(monkeypatch, tmp_path, BEHIND_TLS_PROXY="1")
    assert s["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert s["SESSION_COOKIE_SECURE"] and s["SECURE_HSTS_SECONDS"]


@pytest.mark.parametrize("env", [{"DEBUG": "1"}, {"LOCAL_HTTP": "1"}])
def test_debug_or_local_http_serves_plain_http(monkeypatch, tmp_path, env):
    s = production_settings(monkeypatch, tmp_path, **env)
    assert s["SESSION_COOKIE_SECURE"] is False
    assert "SECURE_SSL_REDIRECT" not in s and "SECURE_HSTS_SECONDS" not in s


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31_536_000)
def test_the_redirect_and_hsts_on_requests(client, db, settings):
    response = client.get(reverse("login"))
    assert response.status_code == 301 and response["Location"].startswith("https://")
    response = client.get(reverse("login"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https").status_code == 200


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_session_and_csrf_cookies_are_secure_and_the_session_cookie_http_only(client, users):
    response = client.post(
        reverse("login"), {"username": "member_a1", "password": TEST_PASSWORD}, secure=True
    )
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"]
    assert client.get(reverse("password_change"), secure=True).status_code == 200
    page = client.get(reverse("login"), secure=True)
    assert page.status_code in (200, 302)


@pytest.mark.parametrize("proxy", ["", "1"])
def test_check_deploy_reports_nothing_with_the_documented_production_settings(tmp_path, proxy):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "LOCAL_HTTP", "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "DATABASE_URL"}
    }
    env.update(
        DANGJIAN_VAR_DIR=str(tmp_path),
        SECRET_KEY="k" * 10 + "Q7v!xR2#pLm9@wZ4$tN8^bH3&jD6*sF1(gK5)yC0-eA-uT",
        PII_KEY="another-long-random-key-for-personal-data-2026",
        ALLOWED_HOSTS="dangjian.example.gov.cn",
        BEHIND_TLS_PROXY=proxy,
    )
    result = subprocess.run(
        [sys.executable, "-m", "dangjian.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page_not_to_its_post_address(signed_in):
    """A self-assessment written for 40 minutes and saved: after signing in again the member lands on the page of the
    form (its Referer), not on the address that answers POST only (a bare 405)."""
    client, traveller = signed_in
    traveller.shift(dt.timedelta(minutes=31))
    page = reverse("members:list") + "?q=%E5%BC%A0"
    response = client.post(reverse("meetings:create"), {}, HTTP_REFERER=f"http://testserver{page}")
    assert response["Location"] == f"{reverse('login')}?next={reverse('members:list')}%3Fq%3D%25E5%25BC%25A0"
    sign_in(client, "branch_a1")
    traveller.shift(dt.timedelta(minutes=31))
    elsewhere = client.post(reverse("meetings:create"), {}, HTTP_REFERER="http://evil.example/members/")
    assert elsewhere["Location"] == f"{reverse('login')}?next=/"
    sign_in(client, "branch_a1")
    traveller.shift(dt.timedelta(minutes=31))
    assert client.post(reverse("meetings:create"), {})["Location"] == f"{reverse('login')}?next=/"
