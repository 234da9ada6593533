"""The second factor at sign-in (等保 2.0): a code from an authenticator app (TOTP, django-otp's `TOTPDevice`),
or one of ten one-time recovery codes.

Who needs it:
- `requires_second_factor(user)` is the one place that decides who must have one: every administrator role
  (and a superuser). Such a user without an authenticator is sent to the enrolment page after signing in;
- anyone who has an authenticator (a member may enable one on the account page) gives a code at every sign-in.

The sign-in is done in two steps. The password step (Django's login view, with django-axes counting failures)
signs the user in but marks the session "pending" (`begin`, from the sign-in receiver in accounts.signin);
until the second step passes — a right code on the verification page, or the confirmation of a new
authenticator on the enrolment page — `accounts.middleware.SecondFactorMiddleware` sends every page to that
step. A wrong code is a failed sign-in for django-axes (the view sends `user_login_failed`): it counts toward
the same lock (SIGNIN_FAILURE_LIMIT) as a wrong password, and is recorded as "otp_failed".

The session's state is kept in the session, so that a page costs no query once the second step has passed. A
session started without it (a role granted during the session) is checked at its next sign-in.

Recovery codes are kept as SHA-256 digests of the user's id and the code (a code has 50 random bits: a digest
suffices, and a stolen table gives no code); each works once. The page shows them once, when they are made.

An authenticator being enrolled is an unconfirmed `TOTPDevice` (the same secret across reloads of the
enrolment page, and `dangjian security demo-code` can show a demo account's code before it is confirmed); it
is audited when it is confirmed ("otp_enable"). The enrolment page also shows the secret's otpauth:// address as a
link, which opens the authenticator app on the phone showing the page (a phone cannot scan its own screen).

A lost phone: a sign-in with a recovery code marks the session (`signed_in_with_recovery_code`), and such a
session may enrol a new authenticator in place of the old one (`replace_device`: the old one and the recovery
codes left stop working, new ones are made; "otp_enable" says so). With the phone and the recovery codes both
lost, the 安全管理员 resets the account's second factor (`reset`, "otp_reset")."""

from __future__ import annotations

import hashlib
import secrets
import time
from base64 import b32encode

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts.choices import ADMIN_ROLES, SystemRoleStatus
from dangjian.accounts.models import RecoveryCode, RoleAssignment, SystemRoleGrant, User
from dangjian.core import audit
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.i18n import enumeration

SESSION_KEY = "dangjian_second_factor"
PASSED = "passed"  # the second step passed, or none is needed
PENDING = "pending"
RECOVERY_SESSION_KEY = "dangjian_second_factor_recovery"  # the second step passed with a recovery code

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed without doubt
RECOVERY_CODE_LENGTH = 10  # shown as two groups of five


# --- who needs it -----------------------------------------------------------------------------------------


def requires_second_factor(user) -> bool:
    """Whether `user` must have a second factor: holds an administrator role, a system role (系统管理员, 安全管理员,
    审计管理员) or is a superuser."""
    if not getattr(user, "pk", None):
        return False
    if user.is_superuser:
        return True
    if SystemRoleGrant.objects.filter(user_id=user.pk, status=SystemRoleStatus.ACTIVE).exists():
        return True
    return RoleAssignment.objects.filter(user_id=user.pk, role__in=ADMIN_ROLES).exists()


def device_of(user) -> TOTPDevice | None:
    """The user's confirmed authenticator."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("pk").first()


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def second_factor_needed(user) -> bool:
    """Whether a sign-in of `user` has a second step (an authenticator to check, or one to enrol)."""
    return has_device(user) or requires_second_factor(user)


# --- the session's state ----------------------------------------------------------------------------------


def begin(request, user) -> None:
    """At sign-in (accounts.signin): the session waits for the second step when there is one."""
    request.session[SESSION_KEY] = PENDING if second_factor_needed(user) else PASSED
    request.session.pop(RECOVERY_SESSION_KEY, None)


def mark_passed(request, how: str = "") -> None:
    """The second step passed; `how` is what `verify` accepted ("recovery": a recovery code, which lets this
    session replace the authenticator)."""
    request.session[SESSION_KEY] = PASSED
    if how == "recovery":
        request.session[RECOVERY_SESSION_KEY] = True
    else:
        request.session.pop(RECOVERY_SESSION_KEY, None)


def signed_in_with_recovery_code(request) -> bool:
    """Whether this session's second step passed with a recovery code (the phone lost, or not at hand): such a
    session may enrol a new authenticator in place of the old one (`replace_device`)."""
    return bool(request.session.get(RECOVERY_SESSION_KEY)) and request.session.get(SESSION_KEY) == PASSED


def session_passed(request) -> bool:
    """Whether the session's sign-in is complete. A session signed in before this check existed is decided
    now, as at sign-in."""
    state = request.session.get(SESSION_KEY)
    if state is None:
        begin(request, request.user)
        state = request.session[SESSION_KEY]
    return state == PASSED


# --- codes ------------------------------------------------------------------------------------------------


def _clean(code: str) -> str:
    return "".join(ch for ch in str(code or "") if not ch.isspace() and ch != "-").upper()[:32]


def _digest(user, code: str) -> str:
    return hashlib.sha256(f"{user.pk}:{_clean(code)}".encode()).hexdigest()


def _new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _j in range(RECOVERY_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=_digest(user, code)) for code in codes])
    return codes


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def secret_text(device: TOTPDevice) -> str:
    """The secret as typed into an authenticator app by hand: base32 in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// address (issuer, account, secret): the QR code's content, and the link that opens
    an authenticator app on the phone showing the page. It holds the secret: shown on the enrolment page only,
    never logged nor recorded."""
    return device.config_url


def qr_svg(uri: str) -> str:
    """An otpauth:// address as an inline SVG QR code (drawn here: no script, no CDN)."""
    import segno

    return segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=False)


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code the device's authenticator shows at `at` (now)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return str(totp.token()).zfill(device.digits)


def _note(address: str, extra: str = "") -> str:
    from dangjian.accounts.signin import _note as signin_note

    return signin_note(address, extra)


def _user_event(actor, action: str, user, address: str, extra: str = "") -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type="accounts.user",
        object_id=str(user.pk),
        object_repr=user.get_username(),
        note=_note(address, extra),
    )


# --- the second step at sign-in ---------------------------------------------------------------------------


@transaction.atomic
def verify(*, user: User, code: str, client_address: str = "") -> str:
    """Checks a code at the second step: "totp" (the authenticator's code) or "recovery" (a recovery code, now
    used up), each recorded with the client address; "" when it is wrong (the caller counts the failure)."""
    cleaned = _clean(code)
    device = (
        TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True).order_by("pk").first()
    )
    if device is None or not cleaned:
        return ""
    if cleaned.isdigit() and len(cleaned) == device.digits:
        if device.verify_token(cleaned):  # refuses a code already used (django-otp keeps the last step)
            _user_event(user, "otp_verified", user, client_address, "验证器动态码")
            return "totp"
        return ""
    recovery = (
        RecoveryCode.objects.select_for_update()
        .filter(user=user, digest=_digest(user, cleaned), used_at__isnull=True)
        .first()
    )
    if recovery is None:
        return ""
    recovery.used_at = timezone.now()
    recovery.save(update_fields=["used_at"])
    left = recovery_codes_left(user)
    _user_event(user, "recovery_used", user, client_address, f"剩余恢复码 {left} 个")
    return "recovery"


# why a code was refused, when it can be said without helping a guess (`why_refused`)
USED_RECOVERY_CODE = "used_recovery_code"
REUSED_CODE = "reused_code"


def why_refused(*, user: User, code: str) -> str:
    """Why `verify` refused `code`, when saying it helps nobody guess: `USED_RECOVERY_CODE`, a recovery code of
    this user's set already used (its digest is the user's own: another user's code, or a made-up one, matches
    none); `REUSED_CODE`, the authenticator's code of a time step already accepted (the same code typed again
    before the app shows the next one; never a code that would be accepted now); "" otherwise. It reads and
    changes nothing that counts: the refusal has been counted toward the lock already."""
    cleaned = _clean(code)
    device = device_of(user)
    if device is None or not cleaned:
        return ""
    if cleaned.isdigit() and len(cleaned) == device.digits:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        for offset in range(-device.tolerance, device.tolerance + 1):
            totp.drift = device.drift + offset
            if totp.t() <= device.last_t and totp.token() == int(cleaned):
                return REUSED_CODE
        return ""
    if RecoveryCode.objects.filter(user=user, digest=_digest(user, cleaned), used_at__isnull=False).exists():
        return USED_RECOVERY_CODE
    return ""


# --- enrolment, recovery codes, disabling -----------------------------------------------------------------


def pending_device(user: User) -> TOTPDevice:
    """The authenticator being enrolled (made on the first visit of the enrolment page, kept until confirmed:
    not audited until then)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("验证器"), confirmed=False)
    return device


@transaction.atomic
def confirm_device(*, actor: User, code: str, client_address: str = "") -> list[str]:
    """Confirms the authenticator being enrolled with a code it shows; returns the new recovery codes (to be
    shown once). Refused when the code is wrong or an authenticator is already bound."""
    if TOTPDevice.objects.filter(user_id=actor.pk, confirmed=True).exists():
        raise ServiceError(_("您已绑定验证器。"))
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user_id=actor.pk, confirmed=False)
        .order_by("-pk")
        .first()
    )
    cleaned = _clean(code)
    if device is None:
        raise ServiceError(_("请先打开绑定页面，用验证器扫描二维码。"), field="code")
    if not (cleaned.isdigit() and device.verify_token(cleaned)):
        raise ServiceError(_("验证码不正确，请输入验证器上当前显示的 6 位数字。"), field="code")
    device.confirmed = True
    device.save()
    TOTPDevice.objects.filter(user_id=actor.pk, confirmed=False).delete()
    codes = _new_recovery_codes(actor)
    _user_event(actor, "otp_enable", actor, client_address, f"生成恢复码 {len(codes)} 个")
    return codes


@transaction.atomic
def replace_device(*, actor: User, code: str, recovery_sign_in: bool, client_address: str = "") -> list[str]:
    """Replaces the actor's authenticator with the one being enrolled, confirmed with a code it shows: the old
    authenticator and the recovery codes left stop working, and new recovery codes are returned (to be shown
    once). Only for a session whose sign-in used a recovery code (`recovery_sign_in`, from
    `signed_in_with_recovery_code`): whoever lost the phone has proved the account with a recovery code. A
    refusal changes nothing."""
    if not recovery_sign_in:
        raise ServiceError(_("请先退出，再用恢复码登录，然后更换验证器。"))
    devices = list(TOTPDevice.objects.select_for_update().filter(user_id=actor.pk).order_by("-pk"))
    old = [d for d in devices if d.confirmed]
    if not old:
        raise ServiceError(_("您尚未绑定验证器。"))
    device = next((d for d in devices if not d.confirmed), None)
    cleaned = _clean(code)
    if device is None:
        raise ServiceError(_("请先打开绑定页面，用验证器扫描二维码。"), field="code")
    if not (cleaned.isdigit() and device.verify_token(cleaned)):
        raise ServiceError(_("验证码不正确，请输入验证器上当前显示的 6 位数字。"), field="code")
    device.confirmed = True
    device.save()
    TOTPDevice.objects.filter(user_id=actor.pk).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(actor)
    _user_event(
        actor,
        "otp_enable",
        actor,
        client_address,
        f"凭恢复码登录后更换验证器，原验证器及原恢复码作废；生成恢复码 {len(codes)} 个",
    )
    return codes


@transaction.atomic
def regenerate_recovery_codes(*, actor: User, client_address: str = "") -> list[str]:
    """New recovery codes in place of the old ones (used or not)."""
    if not has_device(actor):
        raise ServiceError(_("尚未绑定验证器，不能生成恢复码。"))
    codes = _new_recovery_codes(actor)
    _user_event(actor, "recovery_codes", actor, client_address, f"生成恢复码 {len(codes)} 个，原恢复码作废")
    return codes


def _remove(user: User) -> int:
    count, _detail = TOTPDevice.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user=user).delete()
    return count


@transaction.atomic
def disable(*, actor: User, code: str, client_address: str = "") -> None:
    """A member turns the second factor off, with a current code of the authenticator. Administrators cannot:
    they must keep one (their device is reset by `reset`, and they enrol again)."""
    if requires_second_factor(actor):
        raise ServiceError(_("管理员角色必须使用双因素认证，不能停用。"))
    device = TOTPDevice.objects.select_for_update().filter(user_id=actor.pk, confirmed=True).first()
    if device is None:
        raise ServiceError(_("尚未启用双因素认证。"))
    cleaned = _clean(code)
    if not (cleaned.isdigit() and device.verify_token(cleaned)):
        raise ServiceError(_("验证码不正确，请输入验证器上当前显示的 6 位数字。"), field="code")
    _remove(actor)
    _user_event(actor, "otp_disable", actor, client_address)


def can_reset(actor) -> bool:
    """Who resets another user's second factor: the 安全管理员 (as for sign-in locks), or the command line."""
    from dangjian.accounts.services import can_unlock

    return can_unlock(actor)


@transaction.atomic
def reset(*, actor, username: str, client_address: str = "") -> int:
    """Removes a user's authenticator and recovery codes (the phone and the recovery codes both lost): at the next
    sign-in an administrator enrols a new one. The 安全管理员 does it on the 登录锁定 page, not for their own
    account; `actor` None is the command line (`dangjian security reset-otp`)."""
    if actor is not None and not can_reset(actor):
        raise OutOfScope()
    username = (username or "").strip()
    user = User.objects.select_for_update().filter(username=username).first() if username else None
    if user is None:
        raise ServiceError(_unknown_username(username), field="username")
    if actor is not None and user.pk == actor.pk:  # 三员分立: nobody acts on their own account's security
        raise ServiceError(
            _("不能重置本人的双因素验证：请用恢复码登录，在“账号安全”页更换验证器。"), field="username"
        )
    if not TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists():
        # nothing to reset (none bound, or reset already): a second reset records nothing
        raise ServiceError(_("该用户未绑定验证器，无需重置。"), field="username")
    removed = _remove(user)
    audit.record(
        actor=actor,
        action="otp_reset",
        object_type="accounts.user",
        object_id=str(user.pk),
        object_repr=user.username,
        note=_note(client_address, f"移除验证器 {removed} 个及全部恢复码")
        if actor is not None
        else f"命令行；移除验证器 {removed} 个及全部恢复码",
    )
    return removed


def _unknown_username(username: str) -> str:
    """The refusal of a username of no account. Usernames are case-sensitive ("Zhibu" is not "zhibu"): the
    accounts whose username differs only in case are named (at most five)."""
    if not username:
        return _("请输入用户名。")
    alike = list(
        User.objects.filter(username__iexact=username)
        .order_by("username")
        .values_list("username", flat=True)[:5]
    )
    if alike:
        return _("用户“%(username)s”不存在。用户名区分大小写，是否应为：%(names)s？") % {
            "username": username,
            "names": enumeration(alike),
        }
    return _("用户“%(username)s”不存在（用户名区分大小写）。") % {"username": username}


def demo_code(username: str) -> tuple[str, int]:
    """The current code of a demo account's authenticator (confirmed or being enrolled) and the seconds it
    stays valid: for trying the platform without an authenticator app. Refused for any other account."""
    user = User.objects.filter(username=(username or "").strip()).first()
    if user is None or not user.is_demo_account:
        raise ServiceError(_("只能显示演示账号（dangjian demo_users 创建）的验证码。"))
    device = device_of(user) or (
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("-pk").first()
    )
    if device is None:
        raise ServiceError(_("该账号还没有验证器：请先用它登录，出现“绑定验证器”页面后再运行此命令。"))
    now = time.time()
    left = device.step - int(now - device.t0) % device.step
    return current_code(device, now), left
