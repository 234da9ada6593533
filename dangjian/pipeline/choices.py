from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """The five stages (their keys and names are also in rules/workflow-development.yaml)."""

    APPLICANT = "applicant", _("入党申请人")
    ACTIVIST = "activist", _("入党积极分子")
    CANDIDATE = "candidate", _("发展对象")
    PROBATIONARY = "probationary", _("预备党员")
    FORMAL = "formal", _("正式党员")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("培养中")
    ADMITTED = "admitted", _("预备期")
    EXTENDED = "extended", _("延长预备期")
    CONVERTED = "converted", _("已转正")
    CANCELLED = "cancelled", _("已终止")


CLOSED_STATUSES = (CaseStatus.CONVERTED, CaseStatus.CANCELLED)
