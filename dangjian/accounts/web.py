"""Helpers shared by the views of every app."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form

from dangjian.accounts.scope import scope_for
from dangjian.core.errors import ServiceError


def admin_required(view):
    """Logged in and holding an admin role somewhere; otherwise 403 (members use their own pages)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not scope_for(request.user).is_admin:
            raise PermissionDenied("需要管理员角色")
        return view(request, *args, **kwargs)

    return wrapper


def apply_service_error(form: Form, exc: ServiceError) -> None:
    """Shows a refused write on the form: field errors next to their fields, the rest on top."""
    placed = False
    for field, messages in (exc.errors or {}).items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
    if not placed:
        form.add_error(None, exc.message)
