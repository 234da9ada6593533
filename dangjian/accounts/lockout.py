"""Failed sign-ins lock the account, and many of them from one client address lock the address (django-axes,
configured in settings).

django-axes keeps one row per (username, address, browser) with the number of failures and the time of the
last one, and uses a single period and a single limit for both counting and the lock, for the username and the
address alike. `LockoutHandler` separates them:

- failures count while each comes within SIGNIN_FAILURE_WINDOW_MINUTES of the one before (a row whose last
  failure is older than that is forgotten);
- SIGNIN_FAILURE_LIMIT failures of a username (from any address, whether the account exists or not) lock that
  username — the account — for SIGNIN_LOCKOUT_MINUTES from the failure that reached the limit;
- SIGNIN_ADDRESS_FAILURE_LIMIT failures from one client address (for any usernames: someone trying many
  accounts) lock that address for SIGNIN_LOCKOUT_MINUTES. That limit is higher: the people behind one office
  address share it, and one person's typos must not lock the colleagues (nor the 安全管理员, who lifts locks) out;
- a failure during a lock is refused without being counted, so it does not prolong the lock.

A lock is a row of its own (`_ACCOUNT_LOCK`: the username, no address; `_ADDRESS_LOCK`: the address, no
username), in force for SIGNIN_LOCKOUT_MINUTES from its time; the failures up to it are the lock's and count toward it no
more (the failures that locked a username still count toward their address's limit while in the window).

`locked_out` renders the Chinese page that says what is locked and until when; `unlock` (the `dangjian security
unlock` command, the page of locks) removes the rows of a username or an address. `wrong_current_password`
counts a wrong current password on the change-password page as a failure of the signed-in account (a stolen
session must not guess the password unhindered): toward the account's limit only, and the page then speaks of
the password change, not of a sign-in.

A sign-in that succeeds forgets the failures of its username (`forget_failures`; not those of the address,
or signing in to one's own account would wipe the count of guesses at others) only once it is complete: after
the password when there is no second step, after the second step otherwise (a wrong code counts like a wrong
password, accounts.otp), so that a right password does not wipe the count of wrong codes.

The pages warn before the last attempts: `attempts_left(request)` after a counted failure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

# the browser field of the rows that carry a lock (an account's has no address, an address's no username: no
# failure's row has either field empty, so a browser sending this text cannot pass for a lock)
_ACCOUNT_LOCK = "dangjian:account-lock"
_ADDRESS_LOCK = "dangjian:address-lock"
# why an account's lock started, kept in its row (the locked-out page says it)
PASSWORD_CHANGE = "password_change"

# the pages warn of the attempts left once they are this few
WARN_ATTEMPTS_LEFT = 2


def failure_limit(request=None, credentials=None) -> int:
    """AXES_FAILURE_LIMIT (what `LockoutHandler.get_failures` is compared with)."""
    return settings.SIGNIN_FAILURE_LIMIT


def lockout_period(request=None) -> dt.timedelta:
    """AXES_COOLOFF_TIME."""
    return dt.timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES)


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.SIGNIN_FAILURE_WINDOW_MINUTES)


def _lockout() -> dt.timedelta:
    return dt.timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES)


def _lock_rows() -> Q:
    return Q(ip_address__isnull=True, user_agent=_ACCOUNT_LOCK) | Q(
        username__isnull=True, user_agent=_ADDRESS_LOCK
    )


def _kept() -> dt.timedelta:
    """How long a lock's row is kept: its period, and at least the window, as the failures that started it are
    counted no more (when the lock is shorter than the window, they would otherwise lock again at its end)."""
    return max(_lockout(), _window())


def _live(now: dt.datetime) -> Q:
    """Rows that still count at `now`: a lock's row within `_kept()`, or failures within the window."""
    return (_lock_rows() & Q(attempt_time__gt=now - _kept())) | (
        ~_lock_rows() & Q(attempt_time__gt=now - _window())
    )


def _now(request) -> dt.datetime:
    return getattr(request, "axes_attempt_time", None) or timezone.now()


@dataclass
class State:
    """The counted failures of a username and of an address, and the end of their locks in force."""

    account_failures: int = 0
    address_failures: int = 0
    account_until: dt.datetime | None = None
    account_reason: str = ""
    address_until: dt.datetime | None = None

    @property
    def account_locked(self) -> bool:
        return self.account_until is not None or self.account_failures >= settings.SIGNIN_FAILURE_LIMIT

    @property
    def address_locked(self) -> bool:
        return (
            self.address_until is not None or self.address_failures >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT
        )

    def attempts_left(self, account_only: bool = False) -> int:
        left = settings.SIGNIN_FAILURE_LIMIT - self.account_failures
        if not account_only:
            left = min(left, settings.SIGNIN_ADDRESS_FAILURE_LIMIT - self.address_failures)
        return max(left, 0)


def state(username: str = "", address: str = "", now: dt.datetime | None = None) -> State:
    """The failures and locks of `username` and `address` at `now` (a query for each one given). The failures
    up to the start of a lock are the lock's: they count no more, during it or after."""
    now = now or timezone.now()
    result = State()
    live = AccessAttempt.objects.filter(_live(now))
    if username:
        rows = list(
            live.filter(username=username).values_list(
                "user_agent", "ip_address", "failures_since_start", "attempt_time", "get_data"
            )
        )
        locks = [(at, reason) for agent, ip, _, at, reason in rows if agent == _ACCOUNT_LOCK and ip is None]
        started, reason = max(locks) if locks else (None, "")
        if started is not None and started + _lockout() > now:
            result.account_until, result.account_reason = started + _lockout(), reason
        result.account_failures = sum(
            failures
            for agent, ip, failures, at, _ in rows
            if not (agent == _ACCOUNT_LOCK and ip is None) and (started is None or at > started)
        )
    if address:
        rows = list(
            live.filter(ip_address=address).values_list(
                "user_agent", "username", "failures_since_start", "attempt_time"
            )
        )
        address_locks = [at for agent, name, _, at in rows if agent == _ADDRESS_LOCK and name is None]
        locked_at = max(address_locks) if address_locks else None
        if locked_at is not None and locked_at + _lockout() > now:
            result.address_until = locked_at + _lockout()
        result.address_failures = sum(
            failures
            for agent, name, failures, at in rows
            if not (agent == _ADDRESS_LOCK and name is None) and (locked_at is None or at > locked_at)
        )
    return result


def _request_state(request, credentials=None) -> State:
    username = get_client_username(request, credentials) or ""
    return state(username, getattr(request, "axes_ip_address", "") or "", _now(request))


def _account_only(request) -> bool:
    """A failure on the change-password page concerns the signed-in account alone."""
    return bool(getattr(request, "dangjian_account_only", False))


def _start_lock(request, reason: str = "", **fields) -> None:
    AccessAttempt.objects.create(
        attempt_time=_now(request),
        get_data=reason,
        post_data="",
        http_accept="",
        path_info=str(getattr(request, "axes_path_info", "") or "")[:255],
        **fields,
    )


class LockoutHandler(AxesDatabaseHandler):
    def get_user_attempts(self, request, credentials=None):
        live = _live(_now(request))
        return [attempts.filter(live) for attempts in self.filter_user_attempts(request, credentials)]

    def get_failures(self, request, credentials=None) -> int:
        """What axes compares with SIGNIN_FAILURE_LIMIT: the username's failures, or the limit itself when a
        lock refuses the request (the account's, or — but on the change-password page — the address's)."""
        current = _request_state(request, credentials)
        if current.account_locked or (current.address_locked and not _account_only(request)):
            return max(current.account_failures, settings.SIGNIN_FAILURE_LIMIT)
        return current.account_failures

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        count, _ = AccessAttempt.objects.exclude(_live(_now(request))).delete()
        return count

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A complete sign-in forgets its username's failures (not its address's: see the module)."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        from dangjian.accounts import otp

        if not otp.second_factor_needed(user):
            self.reset_user_attempts(request, get_credentials(user.get_username()))

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        refused = bool(getattr(request, "axes_locked_out", False))  # refused by a lock, not counted
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or refused:
            return
        username = get_client_username(request, credentials) or ""
        address = getattr(request, "axes_ip_address", "") or ""
        current = _request_state(request, credentials)
        started = []
        if (
            username
            and current.account_until is None
            and current.account_failures >= settings.SIGNIN_FAILURE_LIMIT
        ):
            _start_lock(
                request,
                username=username,
                ip_address=None,
                user_agent=_ACCOUNT_LOCK,
                failures_since_start=settings.SIGNIN_FAILURE_LIMIT,
                reason=getattr(request, "dangjian_lock_reason", ""),
            )
            started.append("account")
        if (
            address
            and current.address_until is None
            and current.address_failures >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT
        ):
            _start_lock(
                request,
                username=None,
                ip_address=address,
                user_agent=_ADDRESS_LOCK,
                failures_since_start=settings.SIGNIN_ADDRESS_FAILURE_LIMIT,
            )
            started.append("address")
        request.dangjian_attempts_left = current.attempts_left(_account_only(request))
        if started:
            # recorded after the failure by the audit receiver (accounts.signin), which runs after this one
            request.dangjian_lock_until = _now(request) + _lockout()
            request.dangjian_locks_started = started


def attempts_left(request) -> int | None:
    """After a counted failure of this request: how many more failures its limits allow (None when none was
    counted)."""
    return getattr(request, "dangjian_attempts_left", None)


def should_warn(left: int | None) -> bool:
    return left is not None and 0 < left <= WARN_ATTEMPTS_LEFT


def forget_failures(request, user) -> int:
    """The sign-in of `user` is complete (its second step passed): its counted failures are forgotten."""
    AxesProxyHandler.update_request(request)
    return LockoutHandler().reset_user_attempts(request, get_credentials(user.get_username()))


def locked_until(request, credentials=None) -> dt.datetime | None:
    """When the lock that refuses this request ends (the latest of the username's and the address's)."""
    return _lock_end(_request_state(request, credentials))


def _lock_end(current: State) -> dt.datetime | None:
    ends = [end for end in (current.account_until, current.address_until) if end is not None]
    return max(ends) if ends else None


def locked_out(request, original_response=None, credentials=None):
    """The page of a refused sign-in (AXES_LOCKOUT_CALLABLE): in Chinese, what is locked and until when."""
    current = _request_state(request, credentials)
    until = _lock_end(current) or _now(request) + _lockout()
    account = current.account_locked
    address = current.address_locked and not _account_only(request)
    if not (account or address):  # refused at a limit reached by this very request
        account = True
    reason = current.account_reason or getattr(request, "dangjian_lock_reason", "")
    return render(
        request,
        "registration/locked_out.html",
        {
            "until": timezone.localtime(until),
            "account": account,
            "address": address,
            "password_change": account and reason == PASSWORD_CHANGE,
            "limit": settings.SIGNIN_FAILURE_LIMIT,
            "address_limit": settings.SIGNIN_ADDRESS_FAILURE_LIMIT,
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
    """Whether the account `username`, or the client `address`, is locked now."""
    current = state(username, address)
    return (bool(username) and current.account_locked) or (bool(address) and current.address_locked)


def current_locks() -> list[dict]:
    """The usernames and addresses locked now, each with the end of its lock, soonest first (one query)."""
    rows = AccessAttempt.objects.filter(
        _lock_rows(), attempt_time__gt=timezone.now() - _lockout()
    ).values_list("username", "ip_address", "attempt_time")
    locks = [
        {
            "kind": "username" if username is not None else "ip_address",
            "value": username if username is not None else address,
            "until": timezone.localtime(at + _lockout()),
        }
        for username, address, at in rows
    ]
    return sorted(locks, key=lambda lock: (lock["until"], lock["kind"], lock["value"]))


def unlock(username: str = "", address: str = "") -> int:
    """Removes the lock and the counted failures of `username` (from any address: the address's own count loses
    them too) and, when given, of the client `address` (the failures from it of every username); the number of
    rows removed."""
    q = Q(pk__in=[])
    if username:
        q |= Q(username=username)
    if address:
        q |= Q(ip_address=address)
    count, _ = AccessAttempt.objects.filter(q).delete()
    return count


CHANGE_PASSWORD_FAILURE = "修改密码时当前密码不正确"


def wrong_current_password(request, user) -> bool:
    """Counts a wrong current password typed on the change-password page as a failure of `user`'s account from
    the request's address — announced like a failed sign-in (`user_login_failed`), so django-axes counts it and
    the audit receiver records it (`login_failed`, with the client address and this reason). It counts toward
    the account's limit only (and, as any failure, toward its address's count): a lock of the address by
    others does not sign the user out. True when the account is now locked (by this failure or one before
    it): the caller then signs the user out. `attempts_left(request)` says how many remain otherwise."""
    username = user.get_username()
    AxesProxyHandler.update_request(request)  # the address, browser and time axes and `locked_out` read
    request.dangjian_account_only = True
    request.dangjian_lock_reason = PASSWORD_CHANGE
    if is_locked(username=username):  # refused without being counted, as a sign-in during the lock
        return True
    request.dangjian_failure_reason = CHANGE_PASSWORD_FAILURE
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    return bool(getattr(request, "axes_locked_out", False)) or is_locked(username=username)
