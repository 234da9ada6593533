"""The yearly assessment's cycle (Round): 自评 → 考评 → 审定 → 公示 → 结果. What the records show is scored by
`selectors.assess` from the kept results; what they cannot show is scored here by the 工委's assessors
(ManualScore, always with a reason). A unit explains or contests an automatic score, or gives its own view of an
assessor item, in 自评 (SelfReview); the assessors rule on a contest in 考评, an accepted one with the adjusted
score. At 审定 the whole assessment is frozen (FrozenUnit, FrozenBranch: every score with its explanation and the
records behind it), so later changes of the records no longer move it.

A unit is the roll-up unit of the kept results (`compliance.kept.unit_key`): its key is stored as text."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    SELF = "self", _("单位自评")
    REVIEW = "review", _("工委考评")
    APPROVED = "approved", _("审定")
    PUBLICITY = "publicity", _("公示")
    DONE = "done", _("结果")


STAGE_ORDER = [s.value for s in Stage]
FROZEN_STAGES = frozenset({Stage.APPROVED.value, Stage.PUBLICITY.value, Stage.DONE.value})


class Round(models.Model):
    """The assessment of a year under the scheme published for it (its file, version and checksum as when the
    round was opened: a scheme changed afterwards is refused until the round is reopened)."""

    year = models.PositiveSmallIntegerField(_("考核年度"), unique=True)
    scheme_version = models.PositiveIntegerField(_("方案版本"))
    scheme_checksum = models.CharField(_("方案校验和"), max_length=64)
    stage = models.CharField(_("当前阶段"), max_length=12, choices=Stage.choices, default=Stage.SELF)
    opened_on = models.DateField(_("发布日期"))
    approved_on = models.DateField(_("审定日期"), null=True, blank=True)
    published_on = models.DateField(_("公示日期"), null=True, blank=True)
    done_on = models.DateField(_("结果发布日期"), null=True, blank=True)
    # at 审定: the scheme, rulebook version and evaluation date the frozen scores were computed with
    frozen_meta = models.JSONField(_("审定时的计分依据"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机关党建考核")
        verbose_name_plural = _("机关党建考核")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年度机关党建考核"

    @property
    def frozen(self) -> bool:
        return self.stage in FROZEN_STAGES


class ManualScore(models.Model):
    """An assessor's score of an item no record shows (assessor, bonus, penalty), with the reason."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="manual_scores")
    unit_key = models.CharField(_("单位"), max_length=300)
    indicator_id = models.CharField(_("指标编号"), max_length=32)
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("评分理由"))
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(_("评分时间"))

    class Meta:
        verbose_name = _("考评评分")
        verbose_name_plural = _("考评评分")
        constraints = [
            models.UniqueConstraint(fields=["round", "unit_key", "indicator_id"], name="assess_manual_uniq"),
            models.CheckConstraint(condition=Q(points__gte=0), name="assess_manual_points_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_key} {self.indicator_id} {self.points}"


class Ruling(models.TextChoices):
    ACCEPTED = "accepted", _("采纳")
    REJECTED = "rejected", _("不采纳")


class SelfReview(models.Model):
    """A unit's word on one indicator in 自评: an explanation or a contest of an automatic score (a contest asks
    for `claimed` points), or its own view of an assessor item. The assessors rule on a contest in 考评."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="self_reviews")
    unit_key = models.CharField(_("单位"), max_length=300)
    indicator_id = models.CharField(_("指标编号"), max_length=32)
    text = models.TextField(_("说明"))
    contest = models.BooleanField(_("提出异议"), default=False)
    claimed = models.DecimalField(_("认为应得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    written_at = models.DateTimeField(_("填写时间"))
    ruling = models.CharField(_("考评意见"), max_length=12, choices=Ruling.choices, blank=True)
    ruling_text = models.TextField(_("考评说明"), blank=True)
    adjusted = models.DecimalField(_("调整后得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ruled_at = models.DateTimeField(_("考评时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("单位自评说明")
        verbose_name_plural = _("单位自评说明")
        constraints = [
            models.UniqueConstraint(fields=["round", "unit_key", "indicator_id"], name="assess_self_uniq"),
            models.CheckConstraint(
                condition=Q(adjusted__isnull=True) | Q(ruling=Ruling.ACCEPTED),
                name="assess_adjusted_if_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_key} {self.indicator_id}"


class FrozenUnit(models.Model):
    """A unit's assessment as it stood at 审定: the total, the grade and every indicator with its explanation and
    the records behind it (`Assessment.as_json()`'s unit entry)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="frozen_units")
    unit_key = models.CharField(_("单位"), max_length=300)
    total = models.DecimalField(_("考核得分"), max_digits=6, decimal_places=2)
    grade = models.CharField(_("考核等次"), max_length=4, blank=True)
    data = models.JSONField(_("计分明细"))

    class Meta:
        verbose_name = _("审定的单位考核结果")
        verbose_name_plural = _("审定的单位考核结果")
        constraints = [models.UniqueConstraint(fields=["round", "unit_key"], name="assess_frozen_unit_uniq")]

    def __str__(self) -> str:
        return f"{self.unit_key} {self.total}"


class FrozenBranch(models.Model):
    """A branch's score and tier (分类定级) as they stood at 审定."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="frozen_branches")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True)
    tier = models.CharField(_("分类定级"), max_length=20, blank=True)
    data = models.JSONField(_("计分明细"))

    class Meta:
        verbose_name = _("审定的党支部分类定级")
        verbose_name_plural = _("审定的党支部分类定级")
        constraints = [models.UniqueConstraint(fields=["round", "org"], name="assess_frozen_branch_uniq")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.tier}"


class Rectification(models.Model):
    """The 整顿 plan of a branch tiered 后进 at a round's 审定 (抓两头带中间, 实施意见（十）): the measures, who is
    responsible, by when; followed up until it is marked done with what was achieved."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="rectifications")
    org = models.ForeignKey("orgs.Org", verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="+")
    measures = models.TextField(_("整顿措施"))
    responsible = models.CharField(_("责任人"), max_length=100)
    due = models.DateField(_("完成期限"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    outcome = models.TextField(_("整顿成效"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("后进党支部整顿计划")
        verbose_name_plural = _("后进党支部整顿计划")
        constraints = [models.UniqueConstraint(fields=["round", "org"], name="assess_rectification_uniq")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.round.year}年度整顿"
