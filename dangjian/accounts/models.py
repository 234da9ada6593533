from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
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

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

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
