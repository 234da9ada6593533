"""Session limits and the forced password change.

`SessionTimeoutMiddleware` ends a session SESSION_IDLE_MINUTES after its last request and SESSION_MAX_HOURS
after sign-in. The sign-in time and the last request are kept in the session; the last request is written at
most once a minute (SESSION_ACTIVITY_SECONDS), so that a page costs no session write per request.

`SecondFactorMiddleware` holds a session signed in with the password alone at the second step (accounts.otp):
the code of the user's authenticator, or the enrolment of one for a user who must have one (after the forced
password change when both apply). Until then every other page redirects there.

`PasswordChangeRequiredMiddleware` sends a user whose password has expired (PASSWORD_MAX_AGE_DAYS), or was set
by an administrator, to the change-password page: every other page redirects there until it is changed."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

SIGNED_IN_AT = "dangjian_signed_in_at"
SEEN_AT = "dangjian_seen_at"
SESSION_ACTIVITY_SECONDS = 60


def _now() -> int:
    return int(timezone.now().timestamp())


def start_session(request) -> None:
    """Called at sign-in (accounts.signin): the session's limits count from now."""
    now = _now()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def session_expired(session, now: int) -> str:
    """Why the session has ended ("" while it lasts)."""
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(SEEN_AT)
    if signed_in is not None and now - signed_in >= settings.SESSION_MAX_HOURS * 3600:
        return "absolute"
    if seen is not None and now - seen >= settings.SESSION_IDLE_MINUTES * 60:
        return "idle"
    return ""


def return_to(request) -> str:
    """Where to come back after signing in again: the page asked for, or — for a form sent after the session
    ended (a POST, whose address often answers POST alone) — the page the form was on, when it is this site's."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path or "/"
    return "/"


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = _now()
            reason = session_expired(request.session, now)
            if reason:
                request.dangjian_signout_reason = (
                    _("空闲超时，自动退出") if reason == "idle" else _("会话超过最长时限，自动退出")
                )
                logout(request)
                messages.warning(
                    request,
                    _("您已 %(minutes)d 分钟未操作，请重新登录。")
                    % {"minutes": settings.SESSION_IDLE_MINUTES}
                    if reason == "idle"
                    else _("登录已超过 %(hours)d 小时，请重新登录。") % {"hours": settings.SESSION_MAX_HOURS},
                )
                return redirect_to_login(return_to(request))
            if SIGNED_IN_AT not in request.session:  # a session from before these limits: they start now
                start_session(request)
            elif now - request.session.get(SEEN_AT, 0) >= SESSION_ACTIVITY_SECONDS:
                request.session[SEEN_AT] = now
        return self.get_response(request)


def password_change_reason(user) -> str:
    """Why `user` must change their password before anything else ("" when not)."""
    if user.password_must_change:
        return _("您的密码由管理员设置，请先修改密码。")
    age = timezone.now() - user.password_changed_at
    if age >= dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS):
        return _("您的密码已使用超过 %(days)d 天，请先修改密码。") % {"days": settings.PASSWORD_MAX_AGE_DAYS}
    return ""


class SecondFactorMiddleware:
    """Before PasswordChangeRequiredMiddleware: a user with an authenticator gives its code before anything else
    (changing the password included); a user who must enrol one changes a forced password first. No query once
    the session's second step has passed (its state is in the session)."""

    VERIFY_ALLOWED = ("otp_verify", "logout", "set_language")
    ENROL_ALLOWED = ("otp_setup", "logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            from dangjian.accounts import otp

            if not otp.session_passed(request):
                if otp.has_device(user):
                    if request.path not in {reverse(name) for name in self.VERIFY_ALLOWED}:
                        query = urlencode({"next": request.get_full_path()})
                        return redirect(f"{reverse('otp_verify')}?{query}")
                elif otp.requires_second_factor(user):
                    if not password_change_reason(user) and request.path not in {
                        reverse(name) for name in self.ENROL_ALLOWED
                    }:
                        return redirect("otp_setup")
                else:  # no longer needed (the authenticator was reset, the role revoked)
                    otp.mark_passed(request)
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """After SecondFactorMiddleware: a user whose password must change reaches only the change page — and the
    second step's page while the session waits for it (SecondFactorMiddleware sends every other page there, and
    this one would send that page back to the change page: the two redirected to each other for ever)."""

    ALLOWED = ("password_change", "logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            reason = password_change_reason(user)
            if reason:
                from dangjian.accounts import otp

                allowed = {reverse(name) for name in self.ALLOWED}
                if not otp.session_passed(request):  # the code first, then the new password
                    allowed.add(reverse("otp_verify"))
                if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                    return redirect("password_change")
                request.dangjian_password_change_reason = reason  # shown on the change-password page
        return self.get_response(request)
