"""The change-password page: Django's form checks the old password and the rules, the service writes."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import PasswordChangeView
from django.shortcuts import redirect

from dangjian.accounts import services
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
