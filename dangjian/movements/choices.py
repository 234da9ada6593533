from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExitOutcome(models.TextChoices):
    """出党的决定结果（只记录结论、决定日期和决定机关，不记录案卷或处分细节）。"""

    REMOVED = "removed", _("除名")
    PERSUADED = "persuaded", _("劝退")
    EXPELLED = "expelled", _("开除")
    WITHDREW = "withdrew", _("退党")
    LAPSED = "lapsed", _("自行脱党")
    PROBATION_CANCELLED = "probation_cancelled", _("取消预备党员资格")


class TransferKind(models.TextChoices):
    INTERNAL = "internal", _("系统内转接")
    OUT = "out", _("转出本系统")
    IN = "in", _("转入本系统")


class TransferState(models.TextChoices):
    PENDING = "pending", _("待接收")
    ACCEPTED = "accepted", _("已接收")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")
    DONE = "done", _("已办结")


class ContactWay(models.TextChoices):
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")
    MESSAGE = "message", _("微信或短信")
    LETTER = "letter", _("书信或邮件")
    VISIT = "visit", _("见面")
    OTHER = "other", _("其他")


class AbroadPurpose(models.TextChoices):
    """出国（境）事由: 学习 covers 学习研究 (EDU-02 counts its 5 years for those abroad to study or do research)."""

    STUDY = "study", _("学习")
    WORK = "work", _("工作")
    OTHER = "other", _("其他")


class Suggestion(models.TextChoices):
    """失联党员的处理建议：由支部研究决定，系统从不自动改变党员状态。"""

    CONSIDER_SUSPENSION = "consider_suspension", _("建议支部研究是否停止其党籍")
    CONSIDER_REMOVAL = "consider_removal", _("建议按自行脱党予以除名")
