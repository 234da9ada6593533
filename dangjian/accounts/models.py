from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.accounts.choices import RequestKind, RequestStatus, Role, SystemRole, SystemRoleStatus


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
        """The full name, else the linked member's name, else the username. The navigation bar shows it on every
        page: when the member record is not loaded already, its name alone is read (once per instance), not the
        whole record with its 身份证号 and phone decrypted."""
        full = self.get_full_name()
        if full or not self.member_id:
            return full or self.username
        if type(self).member.is_cached(self):
            return self.member.name or self.username
        known = self.__dict__.get("_member_name")
        if known is None or known[0] != self.member_id:
            model = self._meta.get_field("member").related_model
            name = model.objects.filter(pk=self.member_id).values_list("name", flat=True).first() or ""
            known = self.__dict__["_member_name"] = (self.member_id, name)
        return known[1] or self.username


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


class SystemRoleGrant(models.Model):
    """A system role (三员分立) held by an account: 系统管理员, 安全管理员 or 审计管理员. A grant is active until
    revoked; a revoked row stays as the record of who held the role. At most one active row per account (a
    database constraint), and an account holding one holds no party role (accounts.sysroles, re-checked with the
    account's row locked)."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.PROTECT, related_name="system_role_grants"
    )
    role = models.CharField(_("系统角色"), max_length=20, choices=SystemRole.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=SystemRoleStatus.choices, default=SystemRoleStatus.ACTIVE
    )
    granted_at = models.DateTimeField(_("授予时间"), default=timezone.now)
    granted_by = models.ForeignKey(
        User, verbose_name=_("批准人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("撤销批准人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("系统角色")
        verbose_name_plural = _("系统角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="active"),
                name="system_role_one_active_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["system_admin", "security_admin", "audit_admin"]),
                name="system_role_valid_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()}"


class RoleRequest(models.Model):
    """A grant or revocation of a party role or a system role asked for by a 系统管理员: it takes effect only when
    a 安全管理员 (never the one who asked) approves it."""

    kind = models.CharField(_("申请类型"), max_length=20, choices=RequestKind.choices)
    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="role_requests"
    )
    role = models.CharField(_("角色"), max_length=20)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("组织"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    include_descendants = models.BooleanField(_("含下级组织"), default=True)
    # the assignment or system role a revocation is about (the row is gone once approved: SET_NULL)
    assignment = models.ForeignKey(
        RoleAssignment,
        verbose_name=_("角色授权"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    system_grant = models.ForeignKey(
        SystemRoleGrant,
        verbose_name=_("系统角色"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("申请事由"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        User, verbose_name=_("申请人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        User, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("授权申请")
        verbose_name_plural = _("授权申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind__in=["grant_party", "revoke_party"]) | models.Q(org__isnull=False),
                name="role_request_party_has_org",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending") | models.Q(decided_at__isnull=False),
                name="role_request_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.user} {self.role_label()}"

    def role_label(self) -> str:
        from dangjian.core.choices import choice_label

        return choice_label(SystemRole if self.is_system else Role, self.role)

    @property
    def is_system(self) -> bool:
        return self.kind in (RequestKind.GRANT_SYSTEM, RequestKind.REVOKE_SYSTEM)

    @property
    def is_grant(self) -> bool:
        """A request that gives the account a role (not approved while the account is deactivated)."""
        return self.kind in (RequestKind.GRANT_PARTY, RequestKind.GRANT_SYSTEM)
