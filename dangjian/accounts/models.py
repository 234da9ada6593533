from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.accounts.choices import Role


class User(AbstractUser):
    """A login. Optionally linked to the member record of the person who uses it."""

    member = models.OneToOneField(
        "members.Member",
        verbose_name=_("对应党员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    # When the password was last set (its age counts from here: settings.PASSWORD_MAX_AGE_DAYS), and whether
    # the user must choose a new one at the next sign-in (a password an administrator set).
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)
    password_must_change = models.BooleanField(_("须修改密码"), default=False)
    # Made by `dangjian demo_users` with the published demo password: only such an account may have its
    # current authenticator code printed by `dangjian security demo-code` (accounts.otp.demo_code).
    is_demo_account = models.BooleanField(_("演示账号"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def set_password(self, raw_password: str | None) -> None:
        """Any new password restarts its age and ends a pending change (an administrator's service sets
        `password_must_change` again after this)."""
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()
        self.password_must_change = False

    def display_name(self) -> str:
        return self.get_full_name() or (self.member.name if self.member_id else "") or self.username


class RoleAssignment(models.Model):
    """Grants a system role over an organisation, with or without its descendants (上级看下级)."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    include_descendants = models.BooleanField(_("含下级组织"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [models.UniqueConstraint(fields=["user", "role", "org"], name="role_assignment_unique")]

    def __str__(self) -> str:
        suffix = _("（含下级）") if self.include_descendants else ""
        return f"{self.user} {self.get_role_display()} @ {self.org}{suffix}"


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords (never the passwords): a new one may not repeat them."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("密码摘要"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class RecoveryCode(models.Model):
    """One of a user's one-time recovery codes (the second factor when the authenticator is not at hand): kept
    as a SHA-256 digest of the user's id and the code, never the code itself (accounts.otp)."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(_("摘要"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")
        constraints = [models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
