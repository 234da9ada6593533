"""The password rules beyond Django's (AUTH_PASSWORD_VALIDATORS in settings, numbers from settings).

- `MinimumLengthValidator`: Django's, at least PASSWORD_MIN_LENGTH characters;
- `UserAttributeSimilarityValidator`, `CommonPasswordValidator`, `NumericPasswordValidator`: Django's rules, their
  messages in the site's voice (您: Django's Chinese catalog says 你); the first also refuses a password that
  contains the linked member's name in pinyin, phone, 身份证号 or birth date (never saying the data);
- `CharacterClassesValidator`: characters from at least `min_classes` of upper case, lower case, digits and
  other characters (PASSWORD_MIN_CLASSES);
- `UsernameValidator`: the password does not contain the username (in any case);
- `HistoryValidator`: not one of the user's last PASSWORD_HISTORY passwords. Django calls `password_changed` after a
  user with a new password is saved; it keeps the new hash (never the password) and the `count` latest."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def character_classes(password: str) -> int:
    return sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


class MinimumLengthValidator:
    """Django's rule with a Chinese message of our own (Django's Chinese catalog lags behind its 5.2 text)."""

    def __init__(self, min_length: int | None = None):
        self._min_length = min_length

    @property
    def min_length(self) -> int:
        return self._min_length or settings.PASSWORD_MIN_LENGTH

    def validate(self, password: str, user=None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(self.get_error_message(), code="password_too_short")

    def get_error_message(self) -> str:
        return _("密码太短，至少需要 %(n)d 个字符。") % {"n": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少需要 %(n)d 个字符。") % {"n": self.min_length}


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalpha())


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isdigit())


def _alphanumerics(text: str) -> str:
    return "".join(c for c in text.upper() if c.isascii() and c.isalnum())


# a name's pinyin shorter than this is not looked for (too many passwords would contain it by chance)
MIN_NAME_PINYIN = 4


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's rule with messages in the site's voice (您, as every other page; Django's Chinese catalog says 你),
    and the personal data of the member the account is linked to: the password may not contain the full name in
    pinyin (in any case, "Zhangjingyan1!" for 张晶燕), the phone number, the 身份证号 or the birth date (YYYYMMDD),
    whatever separates their characters in it ("1994-10-18"). The messages name what was found, never the data
    itself, and nothing is logged. The username is left to `UsernameValidator` when the password contains it
    (one complaint, not two)."""

    def validate(self, password: str, user=None) -> None:
        errors = self._personal_data_errors(password, user)
        similarity = self
        username = (user.get_username() if user is not None else "") or ""
        if username and username.lower() in password.lower():  # UsernameValidator says so
            similarity = copy.copy(self)  # the validators are shared between threads: not changed in place
            similarity.user_attributes = [
                name for name in self.user_attributes if name != getattr(user, "USERNAME_FIELD", "username")
            ]
        try:
            password_validation.UserAttributeSimilarityValidator.validate(similarity, password, user)
        except ValidationError as exc:
            errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _personal_data_errors(password: str, user) -> list[ValidationError]:
        member: Any = (
            getattr(user, "member", None) if user is not None and getattr(user, "member_id", None) else None
        )
        if member is None:
            return []
        errors = []
        name: str = member.name_pinyin or ""
        if not name and member.name:
            from dangjian.core.pinyin import name_key

            name = name_key(member.name)
        name = _letters(name)
        if len(name) >= MIN_NAME_PINYIN and name in _letters(password):
            errors.append(ValidationError(_("密码不能包含您姓名的拼音。"), code="password_contains_name"))
        digits = _digits(password)
        phone = _digits(getattr(member, "phone", "") or "")
        if len(phone) >= 7 and phone in digits:
            errors.append(ValidationError(_("密码不能包含您的手机号码。"), code="password_contains_phone"))
        id_number = _alphanumerics(getattr(member, "id_number", "") or "")
        found_id = bool(id_number) and id_number in _alphanumerics(password)
        if found_id:
            errors.append(
                ValidationError(_("密码不能包含您的身份证号。"), code="password_contains_id_number")
            )
        birth_date = getattr(member, "birth_date", None)
        if not found_id and birth_date is not None and f"{birth_date:%Y%m%d}" in digits:  # an ID holds it too
            errors.append(
                ValidationError(_("密码不能包含您的出生日期。"), code="password_contains_birth_date")
            )
        return errors

    def get_error_message(self) -> str:
        return _("密码与%(verbose_name)s过于相似。")

    def get_help_text(self) -> str:
        return _("密码不能与您的其他个人信息过于相似，不能包含您姓名的拼音、手机号码、身份证号或出生日期。")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return _("这是一个常见密码，请换一个。")

    def get_help_text(self) -> str:
        return _("密码不能是常见密码。")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return _("密码不能全部是数字。")

    def get_help_text(self) -> str:
        return _("密码不能全部是数字。")


class CharacterClassesValidator:
    def __init__(self, min_classes: int | None = None):
        self._min_classes = min_classes

    @property
    def min_classes(self) -> int:
        return self._min_classes or settings.PASSWORD_MIN_CLASSES

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、特殊字符中的至少 %(n)d 类。") % {"n": self.min_classes}


class UsernameValidator:
    def validate(self, password: str, user=None) -> None:
        username = (user.get_username() if user is not None else "") or ""
        if username and username.lower() in password.lower():
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("密码不能包含用户名。")


class HistoryValidator:
    def __init__(self, count: int | None = None):
        self._count = count

    @property
    def count(self) -> int:
        return settings.PASSWORD_HISTORY if self._count is None else self._count

    def _recent_hashes(self, user) -> list[str]:
        if user is None or user.pk is None:
            return []
        from dangjian.accounts.models import PasswordHistory

        current = user.password  # validated before the new one is set: the password in use
        hashes = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.count]
        )
        if current and current not in hashes:
            hashes = [current, *hashes][: self.count]
        return hashes

    def validate(self, password: str, user=None) -> None:
        if self.count <= 0:
            return
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user)):
            raise ValidationError(
                ngettext(
                    "新密码不能与最近 %(n)d 次使用过的密码相同。",
                    "新密码不能与最近 %(n)d 次使用过的密码相同。",
                    self.count,
                )
                % {"n": self.count},
                code="password_reused",
            )

    def password_changed(self, password: str, user=None) -> None:
        if user is None or user.pk is None or not user.has_usable_password():
            return
        from dangjian.accounts.models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[max(self.count, 1) :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return _("不能与最近 %(n)d 次使用过的密码相同。") % {"n": self.count}


class Argon2idHasher(Argon2PasswordHasher):
    """Passwords are stored with Argon2id at OWASP's recommended minimum for it (19 MiB of memory, 2 passes,
    1 lane; the numbers are settings). Memory-hard, a stolen table is slow to attack on graphics cards, and a
    sign-in costs about 20 ms of one core on the 2-core test machine — PBKDF2 at Django's 1,000,000 iterations
    costs about 210 ms there, which on a 集中交纳日 morning, hundreds of people signing in within minutes, kept
    the server's cores busy hashing. A stored hash made with other numbers (or with PBKDF2) is redone at the next sign-in."""

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return settings.PASSWORD_ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return settings.PASSWORD_ARGON2_MEMORY_KIB

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return settings.PASSWORD_ARGON2_LANES
