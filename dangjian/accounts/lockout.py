"""Failed sign-ins lock the account and the client address (django-axes, configured in settings).

django-axes keeps one row per (username, address, browser) with the number of failures and the time of the
last one, and uses a single period for both counting and the lock. `LockoutHandler` separates the two:

- failures count while each comes within SIGNIN_FAILURE_WINDOW_MINUTES of the one before (a row whose last
  failure is older than that, and that has not reached the limit, is forgotten);
- SIGNIN_FAILURE_LIMIT failures of a username (from any address), or from a client address (for any username),
  lock both that username and that address for
  SIGNIN_LOCKOUT_MINUTES from the failure that reached the limit (a failure during the lock is refused without
  being counted, so it does not prolong the lock).

`locked_out` renders the Chinese page that says until when; `unlock` (the `dangjian security unlock` command)
removes the rows of a username. `wrong_current_password` counts a wrong current password on the change-password
page as a failed sign-in of the signed-in account (a stolen session must not guess the password unhindered).

A sign-in that succeeds forgets the failures of its username and address (`forget_failures`) only once it is
complete: after the password when there is no second step, after the second step otherwise (a wrong code
counts like a wrong password, accounts.otp), so that a right password does not wipe the count of wrong codes."""

from __future__ import annotations

import datetime as dt

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Q
from django.shortcuts import render
from django.utils import timezone


def failure_limit(request=None, credentials=None) -> int:
    """AXES_FAILURE_LIMIT."""
    return settings.SIGNIN_FAILURE_LIMIT


def lockout_period(request=None) -> dt.timedelta:
    """AXES_COOLOFF_TIME."""
    return dt.timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES)


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.SIGNIN_FAILURE_WINDOW_MINUTES)


def _lockout() -> dt.timedelta:
    return dt.timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES)


def _live(now: dt.datetime) -> Q:
    """Rows that still count at `now`: a lock within its period, or failures within the window."""
    limit = settings.SIGNIN_FAILURE_LIMIT
    return Q(failures_since_start__gte=limit, attempt_time__gt=now - _lockout()) | Q(
        failures_since_start__lt=limit, attempt_time__gt=now - _window()
    )


def _now(request) -> dt.datetime:
    return getattr(request, "axes_attempt_time", None) or timezone.now()


class LockoutHandler(AxesDatabaseHandler):
    def get_user_attempts(self, request, credentials=None):
        live = _live(_now(request))
        return [attempts.filter(live) for attempts in self.filter_user_attempts(request, credentials)]

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        count, _ = AccessAttempt.objects.exclude(_live(_now(request))).delete()
        return count

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        from dangjian.accounts import otp

        if not otp.second_factor_needed(user):
            self.reset_user_attempts(request, get_credentials(user.get_username()))

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        refused = bool(getattr(request, "axes_locked_out", False))  # refused by the lock, not counted
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is not None and not refused and getattr(request, "axes_locked_out", False):
            # The failures that reached the limit may be spread over rows (one per address, or per username):
            # the row of this attempt carries the lock, so that the account and this address stay locked for
            # the whole period.
            AccessAttempt.objects.filter(
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
                user_agent=request.axes_user_agent,
                failures_since_start__lt=settings.SIGNIN_FAILURE_LIMIT,
            ).update(failures_since_start=settings.SIGNIN_FAILURE_LIMIT)
            # recorded after the failure by the audit receiver (accounts.signin), which runs after this one
            request.dangjian_lock_until = _now(request) + _lockout()


def forget_failures(request, user) -> int:
    """The sign-in of `user` is complete (its second step passed): its counted failures are forgotten."""
    AxesProxyHandler.update_request(request)
    return LockoutHandler().reset_user_attempts(request, get_credentials(user.get_username()))


def locked_until(request, credentials=None) -> dt.datetime | None:
    """When the lock that refuses this request ends (the latest of the username's and the address's)."""
    handler = LockoutHandler()
    last = None
    for attempts in handler.get_user_attempts(request, credentials):
        latest = attempts.filter(failures_since_start__gte=settings.SIGNIN_FAILURE_LIMIT).aggregate(
            at=Max("attempt_time")
        )["at"]
        if latest is not None and (last is None or latest > last):
            last = latest
    return last + _lockout() if last is not None else None


def locked_out(request, original_response=None, credentials=None):
    """The page of a refused sign-in (AXES_LOCKOUT_CALLABLE): in Chinese, with the time to try again."""
    until = locked_until(request, credentials) or _now(request) + _lockout()
    return render(
        request,
        "registration/locked_out.html",
        {
            "until": timezone.localtime(until),
            "limit": settings.SIGNIN_FAILURE_LIMIT,
            "window": settings.SIGNIN_FAILURE_WINDOW_MINUTES,
            "minutes": settings.SIGNIN_LOCKOUT_MINUTES,
        },
        status=429,
    )


def refused(request, username: str):
    """The locked-out page for a sign-in of `username` refused at its second step."""
    AxesProxyHandler.update_request(request)
    return locked_out(request, credentials=get_credentials(username))


def is_locked(username: str = "", address: str = "") -> bool:
    now = timezone.now()
    for field, value in (("username", username), ("ip_address", address)):
        if value:
            failures = AccessAttempt.objects.filter(_live(now), **{field: value}).values_list(
                "failures_since_start", flat=True
            )
            if sum(failures) >= settings.SIGNIN_FAILURE_LIMIT:
                return True
    return False


def current_locks() -> list[dict]:
    """The usernames and addresses locked now, each with the end of its lock, soonest first (one query). A
    failure during a lock is not recorded, so a key's latest failure is the one that locked it."""
    totals: dict[tuple[str, str], tuple[int, dt.datetime]] = {}
    rows = AccessAttempt.objects.filter(_live(timezone.now())).values_list(
        "username", "ip_address", "failures_since_start", "attempt_time"
    )
    for username, address, failures, at in rows:
        for key in (("username", username or ""), ("ip_address", address or "")):
            if key[1]:
                count, latest = totals.get(key, (0, at))
                totals[key] = (count + failures, max(latest, at))
    locks = [
        {"kind": kind, "value": value, "until": timezone.localtime(latest + _lockout())}
        for (kind, value), (count, latest) in totals.items()
        if count >= settings.SIGNIN_FAILURE_LIMIT
    ]
    return sorted(locks, key=lambda lock: (lock["until"], lock["kind"], lock["value"]))


def unlock(username: str = "", address: str = "") -> int:
    """Removes the counted failures of `username` (from any address: the address's own count loses them too)
    and, when given, of the client `address`; the number of rows removed."""
    q = Q(pk__in=[])
    if username:
        q |= Q(username=username)
    if address:
        q |= Q(ip_address=address)
    count, _ = AccessAttempt.objects.filter(q).delete()
    return count


CHANGE_PASSWORD_FAILURE = "修改密码时当前密码不正确"


def wrong_current_password(request, user) -> bool:
    """Counts a wrong current password typed on the change-password page as a failed sign-in of `user` from the
    request's address — announced like one (`user_login_failed`), so django-axes counts it toward the same lock
    and the audit receiver records it (`login_failed`, with the client address and this reason). True when the
    account is now locked (by this failure or one before it): the caller then signs the user out."""
    username = user.get_username()
    AxesProxyHandler.update_request(request)  # the address, browser and time axes and `locked_out` read
    if is_locked(username=username):  # refused without being counted, as a sign-in during the lock
        return True
    request.dangjian_failure_reason = CHANGE_PASSWORD_FAILURE
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    return bool(getattr(request, "axes_locked_out", False)) or is_locked(username=username)
