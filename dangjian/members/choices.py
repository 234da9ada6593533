from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    FORMAL = "formal", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


class WorkStatus(models.TextChoices):
    ACTIVE = "active", _("在职")
    RETIRED = "retired", _("离退休")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Education(models.TextChoices):
    DOCTORATE = "doctorate", _("博士研究生")
    MASTER = "master", _("硕士研究生")
    BACHELOR = "bachelor", _("大学本科")
    JUNIOR_COLLEGE = "junior_college", _("大学专科")
    SECONDARY = "secondary", _("中专")
    HIGH_SCHOOL = "high_school", _("高中")
    MIDDLE_OR_BELOW = "middle", _("初中及以下")


class MemberStatus(models.TextChoices):
    """A member's standing in the registry. Only 正常 members are on the roll (rosters, counts, 党费);
    the others keep their records and history."""

    NORMAL = "normal", _("正常")
    SUSPENDED = "suspended", _("停止党籍")
    LEFT_PARTY = "left_party", _("出党")
    DECEASED = "deceased", _("死亡")
    TRANSFERRED_OUT = "transferred_out", _("转出")


class HistoryField(models.TextChoices):
    ORG = "org", _("所在组织")
    CATEGORY = "category", _("人员类别")
    WORK_STATUS = "work_status", _("工作状态")
    STATUS = "status", _("党籍状态")
