"""The sign-in form and the change-password form, in the site's voice (您) and with the lock's warnings."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dangjian.accounts import lockout


def sign_in_warning(message: str, left: int, minutes: int) -> str:
    """`message` (a failed sign-in, or a wrong code at its second step) and, when few attempts are left, how
    many (one sentence after the other, as the language writes them)."""
    return ngettext(
        "%(message)s还可尝试 %(n)d 次，仍不正确将锁定 %(minutes)d 分钟。",
        "%(message)s还可尝试 %(n)d 次，仍不正确将锁定 %(minutes)d 分钟。",
        left,
    ) % {"message": message, "n": left, "minutes": minutes}


def password_change_warning(left: int, minutes: int) -> str:
    """Said after a wrong current password on the change-password page when few attempts are left."""
    return ngettext(
        "还可尝试 %(n)d 次，仍不正确将锁定账号 %(minutes)d 分钟并退出登录。",
        "还可尝试 %(n)d 次，仍不正确将锁定账号 %(minutes)d 分钟并退出登录。",
        left,
    ) % {"n": left, "minutes": minutes}


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("该账号已停用。"),
    }

    def get_invalid_login_error(self):
        """The failure, and before the last attempts how many are left (accounts.lockout counted it)."""
        message = str(self.error_messages["invalid_login"])
        left = lockout.attempts_left(self.request) if self.request is not None else None
        if lockout.should_warn(left):
            message = sign_in_warning(message, left, settings.SIGNIN_LOCKOUT_MINUTES)
        return ValidationError(message, code="invalid_login")


class ChangePasswordForm(PasswordChangeForm):
    """Django's, with the complaints about the new password under 新密码 (Django puts them under its
    confirmation) and the wrong current password said with 您 (Django's Chinese catalog says 你)."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("您的旧密码不正确，请重新输入。"),
    }

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return super(SetPasswordForm, self).clean()  # SetPasswordForm.clean would check under new_password2
