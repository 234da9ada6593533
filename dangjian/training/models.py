"""Training records (培训) with their participants, and study statistics imported from outside platforms.

A training belongs to the organisation that records it (`org`, the scope of writes); the organiser and
its level are data. A participant row says whether the member completed it (only completed trainings
count toward the TRAIN-* rules) and the optional certificate number. A study record is one platform's
figure for one member and period (a year "2026" or a month "2026-03"), as exported by the platform."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.members.models import MemberScopedQuerySet
from dangjian.training.choices import Platform, TrainingLevel


class TrainingQuerySet(models.QuerySet):
    def visible_to(self, user) -> TrainingQuerySet:
        """Trainings recorded by an organisation in scope, or with a participant in scope."""
        from dangjian.accounts.scope import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        in_scope = Participant.objects.visible_to(user).values("training_id")
        return self.filter(scope.org_q("org__") | Q(pk__in=in_scope))


class Training(models.Model):
    title = models.CharField(_("培训名称"), max_length=200)
    organiser = models.CharField(_("主办单位"), max_length=100)
    level = models.CharField(_("培训类别"), max_length=20, choices=TrainingLevel.choices)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("登记组织"), on_delete=models.PROTECT, related_name="trainings"
    )
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"))
    hours = models.DecimalField(_("学时"), max_digits=6, decimal_places=1)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["org", "started_on"], name="training_org_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__gte=models.F("started_on")), name="training_ended_after_started"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_hours_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    training = models.ForeignKey(
        Training, verbose_name=_("培训"), on_delete=models.CASCADE, related_name="participants"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="trainings"
    )
    completed = models.BooleanField(_("已完成"), default=True)
    certificate_no = models.CharField(_("证书编号"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("参训人员")
        verbose_name_plural = _("参训人员")
        ordering = ["member__name_pinyin", "member__name", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["training", "member"], name="training_participant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.training} {self.member}"


class StudyRecord(models.Model):
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="study_records"
    )
    platform = models.CharField(_("平台"), max_length=20, choices=Platform.choices)
    period = models.CharField(_("期间"), max_length=7)  # "2026" or "2026-03"
    year = models.PositiveSmallIntegerField(_("年度"))
    points = models.PositiveIntegerField(_("积分"), null=True, blank=True)
    hours = models.DecimalField(_("学时"), max_digits=7, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("学习平台统计")
        verbose_name_plural = _("学习平台统计")
        ordering = ["member_id", "platform", "period"]
        indexes = [models.Index(fields=["year", "member"], name="study_year_member_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "platform", "period"], name="study_member_platform_period"
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=False) | Q(hours__isnull=False), name="study_points_or_hours"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_platform_display()} {self.period}"
