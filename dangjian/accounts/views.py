"""The change-password page (Django's form checks the old password and the rules, the service writes; a wrong
old password counts toward the sign-in lock), the page of sign-in locks, and the pages of the second factor
(accounts.otp): the second step of a sign-in, the enrolment of an authenticator (or, after a sign-in with a recovery
code, of one in place of a lost one), the account's security page (recovery codes, turning it off), and the
安全管理员's reset of a user's second factor (on the sign-in locks page)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import lockout, otp, services
from dangjian.accounts.forms import ChangePasswordForm, password_change_warning, sign_in_warning
from dangjian.accounts.signin import client_address
from dangjian.accounts.web import apply_service_error
from dangjian.core.errors import ServiceError


class PasswordChange(PasswordChangeView):
    form_class = ChangePasswordForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reason"] = getattr(self.request, "dangjian_password_change_reason", "")
        return context

    def form_invalid(self, form):
        """A wrong current password counts toward the account's lock (accounts.lockout); before the last
        attempts the page says how many are left; at the limit the user is signed out and gets the locked-out
        page, which speaks of the password change."""
        if form.has_error("old_password", "password_incorrect"):
            user = self.request.user
            if lockout.wrong_current_password(self.request, user):
                self.request.dangjian_signout_reason = "修改密码时当前密码连续输入错误，账号已锁定"
                logout(self.request)
                return lockout.locked_out(self.request, credentials={"username": user.get_username()})
            left = lockout.attempts_left(self.request)
            if lockout.should_warn(left):
                form.add_error("old_password", password_change_warning(left, settings.SIGNIN_LOCKOUT_MINUTES))
        return super().form_invalid(form)

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
    """The sign-in locks in force, and lifting one (安全管理员 only); below them, resetting a user's second
    factor (`action=reset_otp`: the phone and the recovery codes both lost)."""
    if not services.can_unlock(request.user):
        raise PermissionDenied(_("只有安全管理员可以解除登录锁定。"))
    if request.method == "POST" and request.POST.get("action") == "reset_otp":
        return _reset_otp(request)
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
    return _locks_page(request)


def _locks_page(request, *, reset_username: str = "", reset_error: str = "", status: int = 200):
    return render(
        request,
        "registration/locks.html",
        {
            "nav": "sys_locks",
            "locks": lockout.current_locks(),
            "limit": settings.SIGNIN_FAILURE_LIMIT,
            "address_limit": settings.SIGNIN_ADDRESS_FAILURE_LIMIT,
            "window": settings.SIGNIN_FAILURE_WINDOW_MINUTES,
            "minutes": settings.SIGNIN_LOCKOUT_MINUTES,
            "reset_username": reset_username,
            "reset_error": reset_error,
        },
        status=status,
    )


def _reset_otp(request):
    """A refusal shows the page again with the username as typed and the reason under it."""
    username = request.POST.get("username", "").strip()[:150]
    try:
        removed = otp.reset(actor=request.user, username=username, client_address=client_address(request))
    except ServiceError as exc:
        return _locks_page(request, reset_username=username, reset_error=exc.message, status=400)
    else:
        messages.success(
            request,
            _("已重置 %(username)s 的双因素验证（移除验证器 %(n)s 个及全部恢复码）。")
            % {"username": username, "n": removed},
        )
    return redirect("locks")


# --- the second factor (accounts.otp) ---------------------------------------------------------------------


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _refuse_locked(request, reason: str):
    """Ends the session of a sign-in refused by the lock, and shows until when."""
    username = request.user.get_username()
    request.dangjian_signout_reason = reason
    logout(request)
    return lockout.refused(request, username)


# the audit note of a refused code whose reason is known (accounts.signin records it; never the code itself)
REFUSAL_NOTES = {
    otp.USED_RECOVERY_CODE: "恢复码已使用过",
    otp.REUSED_CODE: "验证码在同一时间段内已使用过",
}


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The second step of a sign-in: a code of the authenticator, or a recovery code. A wrong one is a failed
    sign-in (counted by django-axes toward the lock, recorded as otp_failed)."""
    user = request.user
    if otp.session_passed(request) or not otp.has_device(user):
        return redirect(_next_url(request))
    error = ""
    if request.method == "POST":
        address = client_address(request)
        if lockout.is_locked(username=user.get_username(), address=address):
            return _refuse_locked(request, _("账号已锁定，第二步验证未进行"))
        typed = request.POST.get("code", "")
        how = otp.verify(user=user, code=typed, client_address=address)
        if how:
            otp.mark_passed(request, how)
            lockout.forget_failures(request, user)
            if how == "recovery":
                messages.info(
                    request,
                    format_html(
                        '{} <a class="alert-link" href="{}" data-otp-replace-link>{}</a>',
                        _("您已用恢复码登录。手机丢失或更换时，请绑定新的验证器。"),
                        reverse("otp_setup"),
                        _("绑定新的验证器"),
                    ),
                )
            return redirect(_next_url(request))
        # counted like any wrong code; said more precisely only for a code of this user's that served already
        why = otp.why_refused(user=user, code=typed)
        request.dangjian_second_factor_failed = REFUSAL_NOTES.get(why, True)
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        if getattr(request, "axes_locked_out", False):
            return _refuse_locked(request, _("验证码错误次数过多，账号已锁定"))
        if why == otp.USED_RECOVERY_CODE:
            error = _("该恢复码已使用过，请换一个未用过的恢复码。")
        elif why == otp.REUSED_CODE:
            error = _("该验证码刚刚用过，请等待验证器显示下一个验证码后再输入。")
        else:
            error = _("验证码或恢复码不正确。")
        left = lockout.attempts_left(request)
        if lockout.should_warn(left):
            error = sign_in_warning(error, left, settings.SIGNIN_LOCKOUT_MINUTES)
    return render(request, "registration/otp_verify.html", {"error": error, "next": _next_url(request)})


def _show_recovery_codes(request, codes: list[str], enrolled: bool, replaced: bool = False):
    return render(
        request,
        "registration/recovery_codes.html",
        {"codes": codes, "enrolled": enrolled, "replaced": replaced, "next": _next_url(request)},
    )


@never_cache  # the secret: no cache keeps the page
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Enrolling an authenticator: the secret as a QR code, as a link that opens the authenticator app on this
    phone, and as text, confirmed with a code it shows; then the recovery codes, shown once. A user who has an
    authenticator enrols a new one in its place only in a session signed in with a recovery code (a lost
    phone)."""
    user = request.user
    replacing = otp.has_device(user)
    recovery_sign_in = otp.signed_in_with_recovery_code(request)
    if replacing and not recovery_sign_in:
        messages.info(request, _("您已绑定验证器。"))
        return redirect("account_security")
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            if replacing:
                codes = otp.replace_device(
                    actor=user,
                    code=code,
                    recovery_sign_in=recovery_sign_in,
                    client_address=client_address(request),
                )
            else:
                codes = otp.confirm_device(actor=user, code=code, client_address=client_address(request))
        except ServiceError as exc:
            error = exc.message
        else:
            was_pending = not otp.session_passed(request)
            otp.mark_passed(request)  # a replaced authenticator: the recovery sign-in has served
            if was_pending:  # the enrolment completed a sign-in
                lockout.forget_failures(request, user)
            return _show_recovery_codes(request, codes, enrolled=True, replaced=replacing)
    device = otp.pending_device(user)
    uri = otp.provisioning_uri(device)
    return render(
        request,
        "registration/otp_setup.html",
        {
            "qr": otp.qr_svg(uri),
            "otpauth_url": uri,
            "secret": otp.secret_text(device),
            "error": error,
            "required": otp.requires_second_factor(user),
            "replacing": replacing,
            "next": _next_url(request),
        },
    )


@login_required
def account_security(request):
    """The account's security: whether the second factor is on, the recovery codes left, and the actions."""
    user = request.user
    return render(
        request,
        "registration/account_security.html",
        {
            "has_device": otp.has_device(user),
            "required": otp.requires_second_factor(user),
            "codes_left": otp.recovery_codes_left(user),
            "may_replace": otp.signed_in_with_recovery_code(request),
        },
    )


@login_required
@require_POST
def otp_disable(request):
    try:
        otp.disable(
            actor=request.user, code=request.POST.get("code", ""), client_address=client_address(request)
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已停用双因素认证。"))
    return redirect("account_security")


@login_required
@require_POST
def otp_recovery_codes(request):
    try:
        codes = otp.regenerate_recovery_codes(actor=request.user, client_address=client_address(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("account_security")
    return _show_recovery_codes(request, codes, enrolled=False)
