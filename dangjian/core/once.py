"""One-time form tokens: a create form is submitted once.

A create form carries a hidden token (`{% once_token %}`, from `dangjian.core.templatetags.once`), a fresh random
value each time the form is rendered. The view wraps the service call in `guard(request)`: the token is claimed
by inserting its row (`SubmittedForm`, the token is the primary key) in the same transaction as what the service
writes, so the first POST that succeeds consumes it, and a refused POST (a `ServiceError` raised through the
guard) rolls the claim back with everything else and the corrected form can be sent again. A second POST with
the same token — a double click, the browser's "resend", a second tab — finds the row (on PostgreSQL a
concurrent one waits on the unique index until the first commits) and raises `AlreadySubmitted`, whose page says
"该表单已提交，请勿重复提交" and links to what the first POST created (`Claim.created(url)`). A view that guards
a write is decorated with `@guarded`, which turns `AlreadySubmitted` into that page wherever the view raises it.

A POST without a token (a script, an older page) is not guarded; the token is integrity, not authorisation
(the CSRF token and the services' scope checks are).

Consumed tokens are kept `FORM_TOKEN_RETENTION_DAYS` (default 7): long enough for any page left open to be
resent and refused; `purge()` (`dangjian forms purge`, nightly) deletes older ones."""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FIELD = "once_token"
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class SubmittedForm(models.Model):
    """A consumed one-time form token, with where the first submission led."""

    token = models.CharField(_("表单令牌"), max_length=64, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True, on_delete=models.CASCADE
    )
    url = models.CharField(_("提交结果"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)

    class Meta:
        app_label = "core"
        verbose_name = _("已提交的表单")
        verbose_name_plural = _("已提交的表单")

    def __str__(self) -> str:
        return self.token[:8]


class AlreadySubmitted(Exception):
    """The form's token was consumed by an earlier submission; `url`: what it created (for the same user)."""

    def __init__(self, url: str = ""):
        super().__init__(url)
        self.url = url


class Claim:
    def __init__(self, token: str | None):
        self.token = token
        self.url = ""

    def created(self, url: str) -> None:
        """Where the submission led (the record it created), shown to a repeated submission."""
        self.url = url


def issue() -> str:
    return secrets.token_urlsafe(32)


def _refuse_consumed(request) -> None:
    """Raises `AlreadySubmitted` when the POST's token was consumed (a repeat arriving after the first
    committed; a concurrent one is caught by `guard`)."""
    token = request.POST.get(FIELD, "")
    if _SHAPE.match(token):
        first = SubmittedForm.objects.filter(token=token).first()
        if first is not None:
            raise AlreadySubmitted(_first_url(first, request.user))


def _first_url(first: SubmittedForm | None, user) -> str:
    """Where the first submission led, for the same user only."""
    if first is None or first.user_id != getattr(user, "pk", None):
        return ""
    return first.url


@contextmanager
def guard(request) -> Iterator[Claim]:
    """Claims the POST's one-time token for the duration of the write (see the module's docstring)."""
    token = request.POST.get(FIELD, "")
    if not _SHAPE.match(token):
        yield Claim(None)
        return
    user = request.user if getattr(request.user, "is_authenticated", False) else None
    with transaction.atomic():
        try:
            with transaction.atomic():
                SubmittedForm.objects.create(token=token, user=user)
        except IntegrityError:
            raise AlreadySubmitted(
                _first_url(SubmittedForm.objects.filter(token=token).first(), user)
            ) from None
        claim = Claim(token)
        yield claim
        if claim.url:
            SubmittedForm.objects.filter(token=token).update(url=claim.url[:300])


def already_submitted(request, exc: AlreadySubmitted):
    """The page shown to a repeated submission (409), with a link to what the first one created."""
    return render(request, "core/already_submitted.html", {"url": exc.url}, status=409)


def guarded(view):
    """Decorates a view that claims its form's token with `guard`: a repeated submission, wherever in the view
    `AlreadySubmitted` is raised, gets the page of `already_submitted` and nothing the view would have written."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            if request.method == "POST":
                _refuse_consumed(request)  # before the view: what it checks first may have changed since
            return view(request, *args, **kwargs)
        except AlreadySubmitted as exc:
            return already_submitted(request, exc)

    return wrapper


MAX_RETENTION_DAYS = 36_500  # a hundred years: beyond it the cutoff leaves the calendar (OverflowError)


def purge(days: int | None = None, *, now: dt.datetime | None = None) -> int:
    """Deletes the consumed tokens older than `days` (default `FORM_TOKEN_RETENTION_DAYS`); returns how many. A
    form rendered before then and sent again afterwards is no longer recognised as repeated: hence a retention
    of days, not minutes."""
    days = settings.FORM_TOKEN_RETENTION_DAYS if days is None else days
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(days)
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _by_model = SubmittedForm.objects.filter(created_at__lt=cutoff).delete()
    return deleted
