from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.orgs.choices import OrgType


class DuesCategory(models.TextChoices):
    """缴费类别 (《关于中国共产党党费收缴、使用和管理的规定》, FEE-01…08)."""

    ACTIVE = "active", _("在职")
    RETIRED = "retired", _("离退休")
    STUDENT = "student", _("学生")
    UNEMPLOYED = "unemployed", _("下岗失业")
    RELIEF = "relief", _("依靠抚恤或救济生活")
    OTHER = "other", _("其他")


# who approves a 党费减免 (党费规定: 经党支部研究，报上一级党委批准; FEE-07): a 党委, or the 工委 (not a 党总支)
RELIEF_APPROVER_TYPES = frozenset({OrgType.DANGWEI, OrgType.GONGWEI})


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    TRANSFER = "transfer", _("银行转账")
    ONLINE = "online", _("线上")


class ReliefKind(models.TextChoices):
    REDUCE = "reduce", _("减交")
    EXEMPT = "exempt", _("免交")


class LedgerStatus(models.TextChoices):
    PAID = "paid", _("已交清")
    PARTIAL = "partial", _("部分交纳")
    UNPAID = "unpaid", _("未交")
    EXEMPT = "exempt", _("免交")


class ArrearsLevel(models.TextChoices):
    NONE = "none", _("正常")
    WARNING = "warning", _("预警")
    CASE = "case", _("需审查")
    REVIEWED = "reviewed", _("已审查")


class ReviewDecision(models.TextChoices):
    JUSTIFIED = "justified", _("有正当理由")
    NOT_JUSTIFIED = "not_justified", _("无正当理由，按规定处理")
    PENDING_CONTACT = "contact", _("正在联系核实")
