from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GONGWEI_ADMIN = "gongwei_admin", _("工委管理员")
    DANGWEI_ADMIN = "dangwei_admin", _("党委管理员")
    BRANCH_ADMIN = "branch_admin", _("支部管理员")
    MEMBER = "member", _("党员")


ADMIN_ROLES = frozenset({Role.GONGWEI_ADMIN, Role.DANGWEI_ADMIN, Role.BRANCH_ADMIN})


class SystemRole(models.TextChoices):
    """三员分立: the system's own administrators, kept apart from the party roles and from each other."""

    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


class SystemRoleStatus(models.TextChoices):
    ACTIVE = "active", _("在任")
    REVOKED = "revoked", _("已撤销")


class RequestKind(models.TextChoices):
    GRANT_PARTY = "grant_party", _("授予党组织角色")
    REVOKE_PARTY = "revoke_party", _("撤销党组织角色")
    GRANT_SYSTEM = "grant_system", _("授予系统角色")
    REVOKE_SYSTEM = "revoke_system", _("撤销系统角色")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
