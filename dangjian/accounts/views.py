"""The change-password page (Django's form checks the old password and the rules, the service writes) and the
page of sign-in locks."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangjian.accounts import lockout, services
from dangjian.accounts.signin import client_address
from dangjian.accounts.web import apply_service_error
from dangjian.core.errors import ServiceError


class PasswordChange(PasswordChangeView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reason"] = getattr(self.request, "dangjian_password_change_reason", "")
        return context

    def form_valid(self, form):
        try:
            services.change_own_password(
                actor=self.request.user,
                password=form.cleaned_data["new_password1"],
                client_address=client_address(self.request),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, self.request.user)
        return redirect(self.get_success_url())


@login_required
@require_http_methods(["GET", "POST"])
def locks(request):
    """The sign-in locks in force, and lifting one (安全管理员 only)."""
    if not services.can_unlock(request.user):
        raise PermissionDenied(_("只有安全管理员可以解除登录锁定。"))
    if request.method == "POST":
        username = request.POST.get("username", "").strip()[:150]
        address = request.POST.get("address", "").strip()[:45]
        try:
            services.unlock_signin(actor=request.user, username=username, address=address)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已解除锁定：%(target)s") % {"target": username or address})
        return redirect("locks")
    return render(
        request,
        "registration/locks.html",
        {
            "nav": "sys_locks",
            "locks": lockout.current_locks(),
            "limit": settings.SIGNIN_FAILURE_LIMIT,
            "window": settings.SIGNIN_FAILURE_WINDOW_MINUTES,
            "minutes": settings.SIGNIN_LOCKOUT_MINUTES,
        },
    )
