"""换届选举: approvals to postpone or advance a 换届 (TermAdjustment), election records (Election) with the
members left out of the 应到会 count (Exclusion, EL-12) and the candidates with their votes (Candidate)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dangjian.elections.choices import AdjustmentKind, ElectionForm, ExclusionReason, ThresholdBasis
from dangjian.orgs.choices import PostTitle


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("org__"))


class ElectionQuerySet(ScopedQuerySet):
    def awaiting_approval(self, on):
        """The elections recorded by `on` whose result awaits the higher organisation's approval (EL-15), the
        approval that would open the organisation's next term: not approved, held after its current term started
        (an earlier one the term's approval left aside is a record only), with someone elected (one without is
        not approved: the election is held again)."""
        elected = Candidate.objects.filter(election=OuterRef("pk"), elected=True)
        return self.filter(
            approved_on__isnull=True,
            held_on__lte=on,
            held_on__gt=Coalesce(F("org__term_started_on"), F("org__founded_on")),
        ).filter(Exists(elected))


class TermAdjustment(models.Model):
    """The higher organisation's approval to postpone or advance a 换届 (EL-03: by at most a year). It belongs
    to the term that ended on `term_end` (the org's term end when recorded); a new term makes it history."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="term_adjustments"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=AdjustmentKind.choices)
    term_end = models.DateField(_("原届满日期"))
    new_due_on = models.DateField(_("批准换届日期"))
    approved_on = models.DateField(_("批准日期"))
    approving_body = models.CharField(_("批准机关"), max_length=100)
    reason = models.CharField(_("理由"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("延期或提前换届批准")
        verbose_name_plural = _("延期或提前换届批准")
        ordering = ["org", "-approved_on", "-pk"]
        indexes = [models.Index(fields=["org", "term_end"], name="elect_adjust_org_idx")]

    def __str__(self) -> str:
        return f"{self.org} {self.get_kind_display()} {self.new_due_on:%Y-%m-%d}"


class Election(models.Model):
    """An election of an organisation's committee at a 党员大会 or 党员代表大会. The numbers were checked when
    recorded (services.record_election); the result's approval (EL-15) opens the new term. The expected voters
    are derived from the roll (`derived_expected`); a different number typed in carries its reason."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="elections"
    )
    held_on = models.DateField(_("选举日期"))
    form = models.CharField(_("会议形式"), max_length=10, choices=ElectionForm.choices)
    roster_voters = models.PositiveIntegerField(_("名册中的正式党员"))
    # 正式党员 and 预备党员 of the organisation and its subtree on the election date (EL-04: 500 or more)
    roll_members = models.PositiveIntegerField(_("选举日党员人数"), null=True, blank=True)
    # the roster's 正式党员 less the approved exclusions (EL-12); None for records made before it was kept
    derived_expected = models.PositiveIntegerField(_("按名册计算的应到会人数"), null=True, blank=True)
    expected = models.PositiveIntegerField(_("应到会有选举权人数"))
    expected_reason = models.CharField(_("应到会人数与名册计算不同的理由"), max_length=255, blank=True)
    present = models.PositiveIntegerField(_("实到会有选举权人数"))
    seats = models.PositiveSmallIntegerField(_("应选名额"))
    has_preselection = models.BooleanField(_("进行预选"), default=False)
    ballots_issued = models.PositiveIntegerField(_("发出选票"))
    ballots_returned = models.PositiveIntegerField(_("收回选票"))
    threshold_basis = models.CharField(_("当选票数基数"), max_length=10, choices=ThresholdBasis.choices)
    # the higher organisation's approval to elect through a 党员代表大会 (EL-04, 选举条例 第四条)
    form_approval_ref = models.CharField(_("召开党员代表大会的批准文号"), max_length=100, blank=True)
    form_approved_on = models.DateField(_("召开党员代表大会的批准日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    approved_on = models.DateField(_("上级批准日期"), null=True, blank=True)
    approving_body = models.CharField(_("批准机关"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ElectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("选举")
        verbose_name_plural = _("选举")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["org", "held_on"], name="elect_org_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(present__lte=models.F("expected")), name="elect_present_le_expected"
            ),
            models.CheckConstraint(
                condition=Q(ballots_returned__lte=models.F("ballots_issued")),
                name="elect_ballots_returned_le_issued",
            ),
            models.CheckConstraint(
                condition=Q(approved_on__isnull=True) | Q(approved_on__gte=models.F("held_on")),
                name="elect_approved_after_held",
            ),
            models.CheckConstraint(
                condition=Q(form_approval_ref="", form_approved_on__isnull=True)
                | (~Q(form_approval_ref="") & Q(form_approved_on__lte=models.F("held_on"))),
                name="elect_form_approval_before_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.held_on:%Y-%m-%d} {self.get_form_display()}"


class Exclusion(models.Model):
    """A 正式党员 left out of the 应到会 count with approval (EL-12)."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="exclusions")
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("情形"), max_length=12, choices=ExclusionReason.choices)
    approval = models.CharField(_("批准情况"), max_length=255)

    class Meta:
        verbose_name = _("不计入应到会人数的党员")
        verbose_name_plural = _("不计入应到会人数的党员")
        constraints = [models.UniqueConstraint(fields=["election", "member"], name="elect_exclusion_unique")]

    def __str__(self) -> str:
        return f"{self.member} {self.get_reason_display()}"


class Candidate(models.Model):
    """A candidate with the votes received (and in the 预选, when held). `elected` is the computed result."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    member = models.ForeignKey(
        "members.Member", verbose_name=_("候选人"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(
        _("拟任职务"), max_length=20, choices=PostTitle.choices, default=PostTitle.COMMITTEE
    )
    prevotes = models.PositiveIntegerField(_("预选得票"), null=True, blank=True)
    votes = models.PositiveIntegerField(_("得票"), null=True, blank=True)
    formal = models.BooleanField(_("正式候选人"), default=True)
    elected = models.BooleanField(_("当选"), default=False)

    class Meta:
        verbose_name = _("候选人")
        verbose_name_plural = _("候选人")
        ordering = ["election", "-elected", "-votes", "pk"]
        constraints = [models.UniqueConstraint(fields=["election", "member"], name="elect_candidate_unique")]

    def __str__(self) -> str:
        return str(self.member)
