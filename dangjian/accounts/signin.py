"""Sign-in events in the audit trail: every sign-in, failed sign-in, lock, unlock and sign-out, with the client
address (never a password).

Django's authentication (and django-axes, which counts the failures) announces these with its own signals
(`user_logged_in`, `user_login_failed`, `user_logged_out`) whatever the path that signs someone in or out; the
receivers below turn each into one explicit `audit.record` call. They are connected in
`AccountsConfig.ready()`. The lock itself is recorded by the lockout handler (`accounts.lockout`), which is the
one place that knows a failure has just started a lock.

A wrong code at the second step of a sign-in (accounts.otp) is announced as a failed sign-in too, so that it
counts toward the same lock; it is recorded as "otp_failed". The right code, a recovery code used, and the
enrolment of an authenticator are recorded by accounts.otp.

Sign-in events carry no organisation path: they are about logins, not an organisation's records, and show on
the audit page to those who see everything (the 工委管理员, the 审计管理员). A failed sign-in, a wrong code and a
lock of an existing account name that account as the event's actor (操作人), never what was typed."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from dangjian.core import audit

USER_TYPE = "accounts.user"


def client_address(request: HttpRequest | None) -> str:
    """The client's IP address: REMOTE_ADDR, or behind a TLS-terminating proxy (settings.BEHIND_TLS_PROXY) the
    last address of X-Forwarded-For, the one the proxy itself appended (earlier ones are the client's word)."""
    if request is None:
        return ""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:45]
    return str(request.META.get("REMOTE_ADDR") or "")[:45]


def _note(address: str, extra: str = "") -> str:
    parts = [f"客户端地址：{address or '未知'}"]
    if extra:
        parts.append(extra)
    return "；".join(parts)


def _user_event(action: str, user, address: str, extra: str = "") -> None:
    audit.record(
        actor=user,
        action=action,
        object_type=USER_TYPE,
        object_id=str(user.pk),
        object_repr=user.get_username(),
        note=_note(address, extra),
    )


def record_sign_in(request: HttpRequest | None, user, extra: str = "") -> None:
    _user_event("login", user, client_address(request), extra)


def record_sign_out(request: HttpRequest | None, user, reason: str = "") -> None:
    if user is None or not getattr(user, "pk", None):
        return
    _user_event("logout", user, client_address(request), reason)


def _known_user(username: str):
    from dangjian.accounts.models import User

    return User.objects.filter(username=username).first() if username else None


def _anonymous_event(action: str, username: str, address: str, extra: str = "") -> None:
    """An event about a username that may not exist (a failed sign-in, a lock): when the account exists it is
    the event's object and its 操作人, so that searching the audit trail by the username (操作人) finds the failed
    sign-ins and the locks of that account beside its sign-ins; a username of no account has none (系统)."""
    user = _known_user(username)
    audit.record(
        actor=user,
        action=action,
        object_type=USER_TYPE,
        object_id=str(user.pk) if user else "",
        object_repr=username[:150],
        note=_note(address, extra),
    )


def record_sign_in_failure(request: HttpRequest | None, username: str, locked: bool) -> None:
    reason = (
        getattr(request, "dangjian_failure_reason", "") or "用户名或密码不正确"
    )  # the change-password page's
    _anonymous_event(
        "login_failed",
        username,
        client_address(request),
        "账号或客户端地址已锁定，未核对密码" if locked else reason,
    )


def record_lockout(request: HttpRequest | None, username: str, until, kinds=("account",)) -> None:
    """The start of a lock: of the account `username` (its event names it), and/or of the client address (its
    event names the address, not the username whose failure reached the address's limit)."""
    from django.utils import timezone

    local = timezone.localtime(until)
    address = client_address(request)
    if "account" in kinds:
        _anonymous_event("lockout", username, address, f"锁定至 {local:%Y-%m-%d %H:%M}")
    if "address" in kinds:
        audit.record(
            actor=None,
            action="lockout",
            object_type=USER_TYPE,
            object_id="",
            object_repr=address[:150],
            note=_note(address, f"该地址登录失败次数过多，客户端地址锁定至 {local:%Y-%m-%d %H:%M}"),
        )


# --- receivers of Django's authentication signals (connected in AccountsConfig.ready) ----------------------


def on_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        from dangjian.accounts import otp
        from dangjian.accounts.middleware import start_session

        start_session(request)
        otp.begin(request, user)  # the session waits for the second step when there is one
        if not otp.session_passed(request):
            record_sign_in(request, user, "密码正确，待第二步验证")
            return
    record_sign_in(request, user)


def on_logged_out(sender, request, user, **kwargs) -> None:
    record_sign_out(request, user, getattr(request, "dangjian_signout_reason", ""))


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A failed sign-in; and when it is the one that started a lock of the account or of the address
    (django-axes' receiver, connected before this one, counted it: `accounts.lockout.LockoutHandler`), the
    lock."""
    username = str((credentials or {}).get("username") or "")
    lock_until = getattr(request, "dangjian_lock_until", None)
    refused = bool(getattr(request, "axes_locked_out", False)) and lock_until is None
    second_factor = getattr(request, "dangjian_second_factor_failed", False)
    if second_factor:  # a wrong code at the second step (accounts.otp): True, or why it was refused
        reason = second_factor if isinstance(second_factor, str) else "验证码或恢复码不正确"
        _anonymous_event("otp_failed", username, client_address(request), reason)
    else:
        record_sign_in_failure(request, username, refused)
    if lock_until is not None:
        record_lockout(
            request, username, lock_until, getattr(request, "dangjian_locks_started", ("account",))
        )
