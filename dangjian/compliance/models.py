"""Kept results: the latest evaluation of each (rulebook version, year, organisation, rule), refreshed
when records change and nightly (compliance.kept), with the history of each result's changes of status.
Pages read these instead of evaluating on every request; an explicit earlier "as of" date still evaluates
live."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class KeptResult(models.Model):
    version = models.PositiveIntegerField(_("规则库版本"))
    year = models.PositiveSmallIntegerField(_("评估年度"))
    org = models.ForeignKey("orgs.Org", verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    rule_id = models.CharField(_("规则编号"), max_length=64)
    # the roll-up group and the tree path of the organisation when evaluated: the overview is one GROUP BY
    unit_key = models.CharField(_("单位"), max_length=300)
    org_path = models.CharField(_("组织路径"), max_length=255)
    status = models.CharField(_("结果"), max_length=16)
    missing = models.JSONField(_("缺少"), default=list)
    evidence = models.JSONField(_("依据的记录"), default=list)  # [[kind, id], …]
    # core.messages: {"m": msgid, "p": {…}} rendered in the viewer's language when shown (a plain str as it is)
    message = models.JSONField(_("说明"))
    since = models.DateField(_("本结果起始日期"))  # D of the evaluation that first gave this status
    digest = models.CharField(_("摘要"), max_length=32)  # of the fields above: a refresh compares only this

    class Meta:
        verbose_name = _("合规检查结果")
        verbose_name_plural = _("合规检查结果")
        constraints = [
            # organisation first: a refresh reads and replaces the rows of its organisations
            models.UniqueConstraint(fields=["org", "version", "year", "rule_id"], name="kept_result_unique"),
        ]
        indexes = [
            models.Index(fields=["version", "year", "unit_key"], name="kept_result_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.org_id} {self.year}: {self.status}"


class KeptStamp(models.Model):
    """When an organisation's kept results were evaluated (one row per version, year and organisation), with
    its 单位 and path at that time: the pages say when, and a scope's coverage of whole 单位 is counted here."""

    version = models.PositiveIntegerField(_("规则库版本"))
    year = models.PositiveSmallIntegerField(_("评估年度"))
    org = models.ForeignKey("orgs.Org", verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    unit_key = models.CharField(_("单位"), max_length=300)
    org_path = models.CharField(_("组织路径"), max_length=255)
    as_of = models.DateField(_("评估日期"))
    evaluated_at = models.DateTimeField(_("评估时间"))

    class Meta:
        verbose_name = _("合规检查时间")
        verbose_name_plural = _("合规检查时间")
        constraints = [models.UniqueConstraint(fields=["org", "version", "year"], name="kept_stamp_unique")]
        indexes = [models.Index(fields=["version", "year", "unit_key"], name="kept_stamp_unit_idx")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year}: {self.as_of}"


class KeptTally(models.Model):
    """The kept results counted per 单位, rule and status: the overview of many 单位 reads these."""

    version = models.PositiveIntegerField(_("规则库版本"))
    year = models.PositiveSmallIntegerField(_("评估年度"))
    unit_key = models.CharField(_("单位"), max_length=300)
    rule_id = models.CharField(_("规则编号"), max_length=64)
    status = models.CharField(_("结果"), max_length=16)
    n = models.PositiveIntegerField(_("数量"))

    class Meta:
        verbose_name = _("合规结果统计")
        verbose_name_plural = _("合规结果统计")
        indexes = [models.Index(fields=["version", "year", "unit_key"], name="kept_tally_unit_idx")]

    def __str__(self) -> str:
        return f"{self.unit_key} {self.rule_id} {self.status}: {self.n}"


class ResultChange(models.Model):
    """A kept result took a new status: when it first failed, when it was put right."""

    version = models.PositiveIntegerField(_("规则库版本"))
    year = models.PositiveSmallIntegerField(_("评估年度"))
    org = models.ForeignKey("orgs.Org", verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    rule_id = models.CharField(_("规则编号"), max_length=64)
    old_status = models.CharField(_("原结果"), max_length=16, blank=True)  # "": first evaluated
    new_status = models.CharField(_("新结果"), max_length=16)
    as_of = models.DateField(_("评估日期"))
    changed_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("合规结果变化")
        verbose_name_plural = _("合规结果变化")
        ordering = ["as_of", "id"]
        indexes = [models.Index(fields=["org", "rule_id", "year"], name="result_change_org_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.org_id}: {self.old_status or '—'} → {self.new_status}"


class KeptTodo(models.Model):
    """本月/本季度待办 of the current year as of the last refresh (compliance.evaluator.todo); the date is
    the organisation's stamp (KeptStamp.as_of)."""

    version = models.PositiveIntegerField(_("规则库版本"))
    org = models.ForeignKey("orgs.Org", verbose_name=_("组织"), on_delete=models.CASCADE, related_name="+")
    rule_id = models.CharField(_("规则编号"), max_length=64)
    period = models.CharField(_("周期"), max_length=16)
    due_by = models.DateField(_("截止日期"))
    message = models.JSONField(_("说明"))  # as KeptResult.message

    class Meta:
        verbose_name = _("待办")
        verbose_name_plural = _("待办")
        indexes = [models.Index(fields=["version", "org"], name="kept_todo_org_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.org_id} {self.period}"


class PendingRefresh(models.Model):
    """A path whose organisations' kept results wait for a refresh (compliance.kept): each write's transaction
    adds its paths after it commits, and the task worker refreshes every waiting path in one pass, so a burst of
    writes (a 集中交纳日) costs one refresh of their union instead of one per write."""

    path = models.CharField(_("组织路径"), max_length=255)
    marked_at = models.DateTimeField(_("标记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待刷新的组织")
        verbose_name_plural = _("待刷新的组织")

    def __str__(self) -> str:
        return self.path
