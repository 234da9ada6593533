"""Helpers shared by the views of every app."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from dangjian.accounts.scope import scope_for
from dangjian.core import edits
from dangjian.core.errors import ServiceError


def admin_required(view):
    """Logged in and holding an admin role somewhere; otherwise 403 (members use their own pages)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not scope_for(request.user).is_admin:
            raise PermissionDenied(_("此页面仅供党组织管理员使用。"))  # shown on the 403 page
        return view(request, *args, **kwargs)

    return wrapper


def apply_service_error(form: Form, exc: ServiceError) -> None:
    """Shows a refused write on the form: field errors next to their fields, the rest on top. A save from a page
    opened before another (core.edits.Stale) also gives the form the record's current version, so that submitting
    again after a look saves the page's values, and marks it `stale` (the page links to the record as it is now)."""
    placed = False
    for field, texts in (exc.errors or {}).items():
        for message in texts:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
    if not placed:
        form.add_error(None, exc.message)
    if isinstance(exc, edits.Stale):
        form.data = form.data.copy()
        form.data[form.add_prefix(edits.FIELD)] = exc.current  # a prefixed form's (the relief's) too
        form.stale = True  # type: ignore[attr-defined]


def ballot_post(request, form: Form, *, voted: bool, cast, thanks: str, repeat: str, back: str):
    """A 测评票's POST (民主测评, 述职评议测评): cast once — `cast(ratings)` calls the service with the form's
    ratings; a refusal goes back on the form. Returns (the redirect to `back`, or None to render the ballot
    again, with its status: 400 after a rejected POST)."""
    if request.method != "POST":
        return None, 200
    if voted:
        messages.error(request, repeat)
        return redirect(back), 200
    if form.is_valid():
        try:
            cast(form.ratings())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, thanks)
            return redirect(back), 200
    return None, 400
