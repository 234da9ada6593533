"""党费 records. Amounts due are never stored: they are computed from the declared base, the category,
the rate table (rules/dues-rates.yaml) and approved reliefs, so a corrected base corrects every month."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangjian.dues.choices import DuesCategory, PaymentMethod, ReliefKind, ReviewDecision
from dangjian.members.models import MemberScopedQuerySet


class DuesBase(models.Model):
    """A member's declared category and monthly base (税后月收入) from a month on, for a year.
    A change of pay is a new row whose `effective_month` is the month of the new pay."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="dues_bases"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("缴费类别"), max_length=20, choices=DuesCategory.choices)
    monthly_base = models.DecimalField(
        _("月缴费基数"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    effective_month = models.DateField(_("生效月份"), help_text=_("该月1日"))
    fixed_amount = models.DecimalField(
        _("月缴纳额"), max_digits=10, decimal_places=2, null=True, blank=True, help_text=_("仅用于“其他”类别")
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费基数")
        verbose_name_plural = _("党费基数")
        ordering = ["member_id", "effective_month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "effective_month"], name="dues_base_unique_month"),
            models.CheckConstraint(
                condition=Q(monthly_base__isnull=True) | Q(monthly_base__gte=0), name="dues_base_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.effective_month:%Y-%m} {self.get_category_display()}"


RELIEF_REASON_LENGTH = 500


class DuesRelief(models.Model):
    """A hardship reduction or exemption approved by the higher 党委, for a period of months, with its reason (the
    hardship; blank for a relief recorded before the reason was kept whose audit event held none)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="dues_reliefs"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=ReliefKind.choices)
    monthly_amount = models.DecimalField(
        _("减交后月缴纳额"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    start_month = models.DateField(_("起始月份"))
    end_month = models.DateField(_("截止月份"))
    approved_by = models.ForeignKey(
        "orgs.Org", verbose_name=_("批准组织"), on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(_("批准日期"))
    approval_ref = models.CharField(_("批准文号"), max_length=100, blank=True)
    reason = models.CharField(_("减免原因"), max_length=RELIEF_REASON_LENGTH, blank=True, default="")

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费减免")
        verbose_name_plural = _("党费减免")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_month__gte=models.F("start_month")), name="dues_relief_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()} {self.start_month:%Y-%m}~{self.end_month:%Y-%m}"


class DuesPayment(models.Model):
    """A payment for a month or a range of months (allocated to them in order, each up to its due), or a
    voluntary extra payment kept apart (`is_extra`; one of 1000 元 or more is remitted to the 中央)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_payments"
    )
    first_month = models.DateField(_("起始月份"))
    last_month = models.DateField(_("截止月份"))
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    paid_on = models.DateField(_("缴纳日期"))
    method = models.CharField(_("缴纳方式"), max_length=10, choices=PaymentMethod.choices)
    payer = models.ForeignKey(
        "members.Member",
        verbose_name=_("代缴人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_extra = models.BooleanField(_("自愿多交"), default=False)
    # a second regular payment for months a regular payment already covers (a top-up of a partial payment): only
    # when marked so, otherwise the same member-month twice is refused as a duplicate (record_payment)
    additional = models.BooleanField(_("同月再次缴纳"), default=False, db_default=False)
    remit_to_central = models.BooleanField(_("上缴中央"), default=False)
    # FEE-08 (党费规定 第九条): 预交 or 补交 beyond DUES_MAX_ADVANCE_MONTHS / DUES_MAX_ARREARS_MONTHS (一般 6)
    # is accepted when the branch consented; the decision's date is kept with the payment.
    # db_default: rows written by plain INSERTs (the demo seed) without the column are not consented
    branch_consent = models.BooleanField(_("经支部同意"), default=False, db_default=False)
    consent_on = models.DateField(_("支部同意日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("党费缴纳")
        verbose_name_plural = _("党费缴纳")
        ordering = ["member_id", "first_month", "paid_on", "id"]
        indexes = [models.Index(fields=["member", "first_month"], name="dues_payment_member_month_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dues_payment_positive"),
            models.CheckConstraint(
                condition=Q(last_month__gte=models.F("first_month")), name="dues_payment_range"
            ),
            models.CheckConstraint(
                condition=Q(branch_consent=False, consent_on__isnull=True)
                | Q(branch_consent=True, consent_on__isnull=False),
                name="dues_payment_consent_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.first_month:%Y-%m} {self.amount}"

    @property
    def timing_label(self) -> str:
        """预交 (months after the month it was paid in), 补交 (months before it), both, or "" (its own month;
        a voluntary extra payment belongs to no month's due)."""
        if self.is_extra:
            return ""
        paid = self.paid_on.replace(day=1)
        early, late = self.last_month > paid, self.first_month < paid
        if early and late:
            return gettext("补交及预交")
        return gettext("预交") if early else gettext("补交") if late else ""

    @property
    def consent_label(self) -> str:
        """ "预交（经支部同意，2026-03-02）", "经支部同意（2026-03-02）" or the timing alone."""
        kind = self.timing_label
        if not self.branch_consent or self.consent_on is None:
            return kind
        if kind:
            return gettext("%(kind)s（经支部同意，%(date)s）") % {
                "kind": kind,
                "date": f"{self.consent_on:%Y-%m-%d}",
            }
        return gettext("经支部同意（%(date)s）") % {"date": f"{self.consent_on:%Y-%m-%d}"}


class CollectionDay(models.Model):
    """A branch's 党费集中交纳日 (day 1–28 of each month). Without a row: the month's last day."""

    org = models.OneToOneField(
        "orgs.Org", verbose_name=_("党支部"), on_delete=models.CASCADE, related_name="dues_collection_day"
    )
    day = models.PositiveSmallIntegerField(_("党费集中交纳日"))

    class Meta:
        verbose_name = _("党费集中交纳日")
        verbose_name_plural = _("党费集中交纳日")
        constraints = [
            models.CheckConstraint(condition=Q(day__gte=1, day__lte=28), name="dues_collection_day_range")
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.day}"


class ArrearsReview(models.Model):
    """The branch's review of a member in arrears (没有正当理由 is a human judgement). Recording it never
    changes the member's status."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="arrears_reviews"
    )
    reviewed_on = models.DateField(_("审查日期"))
    through_month = models.DateField(_("审查所涉截至月份"))
    decision = models.CharField(_("结论"), max_length=20, choices=ReviewDecision.choices)
    reason = models.TextField(_("理由"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("欠缴审查")
        verbose_name_plural = _("欠缴审查")
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.member} {self.reviewed_on:%Y-%m-%d} {self.get_decision_display()}"


class LedgerSnapshot(models.Model):
    """A member's ledger as one status code per month (dues.kernel via compliance.checks.dues codes), kept
    so that a city-wide evaluation reads 60,000 short strings instead of recomputing every member's ledger
    from half a million payments. Derived data only: refreshed whenever the member's bases, reliefs,
    payments or 入党日期 change (dues.snapshots), ignored when its fingerprint (rate table and rounding) is
    not the current one. Its amounts (due and paid per month, in fen) give the year summary's totals of a whole
    scope; every page that shows a member's own amounts computes their ledger."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="ledger_snapshot", primary_key=True
    )
    start = models.IntegerField(_("起始月份序号"))  # month index (year * 12 + month - 1) of codes[0]
    end = models.IntegerField(_("截止月份序号"))  # month index of codes[-1]
    codes = models.TextField(_("逐月状态"))
    # per month "due/paid" in fen, comma-separated, empty for a month without a line (dues.kernel.amounts_of);
    # "" as a whole: not kept (computed on the fly)
    amounts = models.TextField(_("逐月金额"), blank=True, default="")
    fingerprint = models.CharField(_("计算依据"), max_length=64)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("党费台账快照")
        verbose_name_plural = _("党费台账快照")

    def __str__(self) -> str:
        return f"{self.member_id} {self.start} {self.codes}"
