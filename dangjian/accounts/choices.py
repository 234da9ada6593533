from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GONGWEI_ADMIN = "gongwei_admin", _("工委管理员")
    DANGWEI_ADMIN = "dangwei_admin", _("党委管理员")
    BRANCH_ADMIN = "branch_admin", _("支部管理员")
    MEMBER = "member", _("党员")


ADMIN_ROLES = frozenset({Role.GONGWEI_ADMIN, Role.DANGWEI_ADMIN, Role.BRANCH_ADMIN})
