"""发展党员 records: a development case (the person, their branch, stage and status) and its dated steps.
Which steps exist, in which order and with which data is the workflow definition
(rules/workflow-development.yaml, dangjian.pipeline.workflow); a step row stores only what was recorded."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.pii import EncryptedTextField, mask_id_number, mask_phone
from dangjian.members.choices import Sex
from dangjian.pipeline.choices import CLOSED_STATUSES, CaseStatus, Stage


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> CaseQuerySet:
        """Cases of the organisations the user administers (deny by default; members see none)."""
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("org__"))

    def in_subtree(self, org) -> CaseQuerySet:
        return self.filter(org__path__startswith=org.path)

    def active(self) -> CaseQuerySet:
        return self.exclude(status__in=CLOSED_STATUSES)


class DevelopmentCase(models.Model):
    """One person's way from 入党申请人 to 正式党员 in a 党支部. 身份证号 and 手机号码 are encrypted; the keyed
    hash finds a case by number. `member` is set when the 支部大会 admits them as 预备党员."""

    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("身份证号"))
    id_number_hash = models.CharField(_("身份证号索引"), max_length=64, db_index=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    phone = EncryptedTextField(_("手机号码"), blank=True, default="")
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="development_cases"
    )
    stage = models.CharField(_("当前阶段"), max_length=20, choices=Stage.choices, default=Stage.APPLICANT)
    status = models.CharField(_("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    applied_on = models.DateField(_("申请日期"))
    probation_end = models.DateField(_("预备期满日期"), null=True, blank=True)
    member = models.OneToOneField(
        "members.Member",
        verbose_name=_("党员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="development_case",
    )
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("发展党员案例")
        verbose_name_plural = _("发展党员案例")
        ordering = ["org__path", "applied_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(status=CaseStatus.CANCELLED),
                name="pipeline_case_one_live_per_person",
            ),
        ]
        indexes = [models.Index(fields=["org", "status"], name="pipeline_case_org_status_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class CaseStep(models.Model):
    """A recorded step: which (`key`, a step of the workflow definition), when, who recorded it, and the data
    the step needs (培养联系人, 入党介绍人, training, the vote, the extension, the approving organisation)."""

    case = models.ForeignKey(
        DevelopmentCase, verbose_name=_("案例"), on_delete=models.CASCADE, related_name="steps"
    )
    key = models.CharField(_("步骤"), max_length=40)
    date = models.DateField(_("日期"))
    note = models.TextField(_("备注"), blank=True)
    contacts = models.ManyToManyField(
        "members.Member", verbose_name=_("培养联系人"), blank=True, related_name="+"
    )
    sponsors = models.ManyToManyField(
        "members.Member", verbose_name=_("入党介绍人"), blank=True, related_name="+"
    )
    training_days = models.PositiveSmallIntegerField(_("培训天数"), null=True, blank=True)
    training_hours = models.PositiveSmallIntegerField(_("培训学时"), null=True, blank=True)
    expected_voters = models.PositiveSmallIntegerField(_("应到会有表决权党员"), null=True, blank=True)
    present_voters = models.PositiveSmallIntegerField(_("实到会有表决权党员"), null=True, blank=True)
    yes_votes = models.PositiveSmallIntegerField(_("赞成票（含书面意见）"), null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(_("延长月数"), null=True, blank=True)
    approver_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("审批党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("作出审批的党组织（如党委审批接收预备党员）；是否有审批权由合规检查判断。"),
    )
    imported = models.BooleanField(_("由导入补录"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发展党员步骤")
        verbose_name_plural = _("发展党员步骤")
        ordering = ["case_id", "date", "id"]
        indexes = [models.Index(fields=["case", "key"], name="pipeline_step_case_key_idx")]

    def __str__(self) -> str:
        return f"{self.case} {self.key} {self.date:%Y-%m-%d}"
