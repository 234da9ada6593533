from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrainingLevel(models.TextChoices):
    """The organiser's level: only a 县级以上党委 centralised rotation training counts for
    TRAIN-SECRETARY-ANNUAL (实施意见（十一）, BR-24)."""

    COUNTY_ROTATION = "county_rotation", _("县级以上党委集中轮训")
    OTHER = "other", _("其他培训")


class Platform(models.TextChoices):
    """Outside study platforms whose exports are imported (never a check-in or ranking of our own)."""

    XUEXI = "xuexi", _("学习强国")
    SH_CADRE = "sh_cadre", _("上海干部在线学习")
