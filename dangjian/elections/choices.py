from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ElectionForm(models.TextChoices):
    ASSEMBLY = "assembly", _("党员大会")
    CONGRESS = "congress", _("党员代表大会")


class AdjustmentKind(models.TextChoices):
    POSTPONE = "postpone", _("延期换届")
    ADVANCE = "advance", _("提前换届")


class ExclusionReason(models.TextChoices):
    """Why a 正式党员 is left out of the 应到会 count: the five categories of EL-12 (with approval), or 留党察看."""

    INCAPABLE = "incapable", _("患有精神病或因智力障碍不能行使选举权利")
    ABROAD = "abroad", _("因私出国（境）半年以上")
    SENTENCED = "sentenced", _("受留党察看以下处分、正在服刑")
    BEDRIDDEN = "bedridden", _("年老体弱卧床不起、长期生病生活不能自理")
    AWAY = "away", _("工作调动、下派锻炼或外出学习半年以上，应转未转组织关系")
    # not an EL-12 category: a member under 留党察看 has no voting rights at all (EL-05); the registry does not
    # record party discipline, so the branch leaves them out here with the decision as the approval
    DISCIPLINE = "discipline", _("受留党察看处分期间（无选举权）")


class ThresholdBasis(models.TextChoices):
    EXPECTED = "expected", _("应到会有选举权人数")
    PRESENT = "present", _("实到会有选举权人数")
