"""党员状态变更、流动党员、失联党员和组织关系转接的记录。Member.status / inactive_from / is_mobile and the
member's organisation stay on Member (written only by dangjian.movements.services here); these rows keep the
decisions and events behind them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.members.choices import MemberStatus
from dangjian.members.models import MemberScopedQuerySet
from dangjian.movements.choices import AbroadPurpose, ContactWay, ExitOutcome, TransferKind, TransferState


class StatusChange(models.Model):
    """A decision changing a member's 党籍状态 (with the 出党 outcome, decision date and body)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="status_changes"
    )
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("所在组织"), on_delete=models.PROTECT, related_name="+"
    )
    old_status = models.CharField(_("原状态"), max_length=20, choices=MemberStatus.choices)
    new_status = models.CharField(_("新状态"), max_length=20, choices=MemberStatus.choices)
    outcome = models.CharField(_("出党方式"), max_length=20, choices=ExitOutcome.choices, blank=True)
    effective_on = models.DateField(_("生效日期"))
    decided_on = models.DateField(_("决定日期"))
    decision_body = models.CharField(_("决定机关"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("党籍状态变更")
        verbose_name_plural = _("党籍状态变更")
        ordering = ["member_id", "effective_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_status=MemberStatus.LEFT_PARTY) | Q(outcome=""),
                name="movements_outcome_only_for_left_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_old_status_display()} → {self.get_new_status_display()}"


class MobileStint(models.Model):
    """A period as a 流动党员: where the member went, from when, until their return."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="mobile_stints"
    )
    destination = models.CharField(_("流向地点或单位"), max_length=200)
    abroad = models.BooleanField(_("出国（境）"), default=False)
    abroad_purpose = models.CharField(
        _("出国（境）事由"),
        max_length=10,
        choices=AbroadPurpose.choices,
        blank=True,
        help_text=_("出国（境）时填写：学习（含研究）、工作或其他。"),
    )
    fixed_place = models.BooleanField(_("在固定地点"), default=False)
    left_on = models.DateField(_("外出日期"))
    returned_on = models.DateField(_("返回日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("流动党员外出记录")
        verbose_name_plural = _("流动党员外出记录")
        ordering = ["member_id", "-left_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(returned_on__isnull=True), name="movements_one_open_stint"
            ),
            models.CheckConstraint(
                condition=Q(returned_on__isnull=True) | Q(returned_on__gte=models.F("left_on")),
                name="movements_stint_period",
            ),
            models.CheckConstraint(
                condition=Q(abroad=True) | Q(abroad_purpose=""), name="movements_purpose_only_abroad"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.destination} {self.left_on:%Y-%m-%d}"


class StintDecision(models.Model):
    """The branch's decision on a member long abroad (出国（境）学习满5年仍未回国的处理决定, EDU-02): when, and what
    was decided (e.g. 保留党籍、停止党籍). Recording it settles the suggestion; any change of status is recorded
    separately (StatusChange), by a person."""

    stint = models.ForeignKey(
        MobileStint, verbose_name=_("外出记录"), on_delete=models.CASCADE, related_name="decisions"
    )
    decided_on = models.DateField(_("决定日期"))
    decision = models.CharField(_("决定内容"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("出国（境）党员处理决定")
        verbose_name_plural = _("出国（境）党员处理决定")
        ordering = ["stint_id", "-decided_on", "-id"]

    def __str__(self) -> str:
        return f"{self.stint.member} {self.decided_on:%Y-%m-%d}"


class MobileContact(models.Model):
    """A contact with a member away (流动党员联系记录)."""

    stint = models.ForeignKey(
        MobileStint, verbose_name=_("外出记录"), on_delete=models.CASCADE, related_name="contacts"
    )
    contacted_on = models.DateField(_("联系日期"))
    way = models.CharField(_("联系方式"), max_length=10, choices=ContactWay.choices)
    note = models.CharField(_("联系情况"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("流动党员联系记录")
        verbose_name_plural = _("流动党员联系记录")
        ordering = ["stint_id", "-contacted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.stint.member} {self.contacted_on:%Y-%m-%d} {self.get_way_display()}"


class LostContact(models.Model):
    """失联: the day contact was lost, and the day it was regained (if ever)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="lost_contacts"
    )
    lost_on = models.DateField(_("失联日期"))
    regained_on = models.DateField(_("恢复联系日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("失联党员记录")
        verbose_name_plural = _("失联党员记录")
        ordering = ["member_id", "-lost_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(regained_on__isnull=True), name="movements_one_open_lost"
            ),
            models.CheckConstraint(
                condition=Q(regained_on__isnull=True) | Q(regained_on__gte=models.F("lost_on")),
                name="movements_lost_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.lost_on:%Y-%m-%d}"


class TransferQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Transfers whose sending or receiving organisation the user administers."""
        from dangjian.accounts.scope import scope_for

        scope = scope_for(user)
        return self.filter(scope.org_q("from_org__") | scope.org_q("to_org__"))


class Transfer(models.Model):
    """组织关系转接. Inside the system: started by the sending branch (`from_org`), accepted or returned by
    the receiving one (`to_org`); the member stays with the sender until accepted. Out of / into the system:
    recorded with the 介绍信编号 (state 已办结)."""

    kind = models.CharField(_("转接类型"), max_length=10, choices=TransferKind.choices)
    state = models.CharField(_("状态"), max_length=10, choices=TransferState.choices)
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="transfers"
    )
    from_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("转出组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    to_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("接收组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    place = models.CharField(_("转往或转来单位"), max_length=200, blank=True)
    letter_no = models.CharField(_("介绍信编号"), max_length=50, blank=True)
    started_on = models.DateField(_("转接日期"))
    reason = models.CharField(_("转接原因"), max_length=200, blank=True)
    dues_paid_through = models.DateField(_("党费交至"), null=True, blank=True, help_text=_("该月1日"))
    decided_on = models.DateField(_("接收或退回日期"), null=True, blank=True)
    return_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发起人"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("办理人"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state=TransferState.PENDING),
                name="movements_one_pending_transfer",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=TransferKind.INTERNAL, from_org__isnull=False, to_org__isnull=False)
                    | Q(kind=TransferKind.OUT, from_org__isnull=False, to_org__isnull=True)
                    | Q(kind=TransferKind.IN, from_org__isnull=True, to_org__isnull=False)
                ),
                name="movements_transfer_orgs_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=models.F("started_on")),
                name="movements_transfer_decided_after_start",
            ),
        ]
        indexes = [models.Index(fields=["state", "to_org"], name="mov_transfer_state_to_idx")]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()} {self.started_on:%Y-%m-%d}"

    @property
    def is_pending(self) -> bool:
        return self.state == TransferState.PENDING
