from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.choices import chinese_label
from dangjian.meetings.choices import AbsenceReason, MeetingType, OrgLifeReviewDecision
from dangjian.members.models import MemberScopedQuerySet


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user) -> MeetingQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("org__"))


class Meeting(models.Model):
    """An organizational-life record (组织生活记录). One record may carry several types and then counts
    for each of them; the expected attendees come from the roster on the meeting's date."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="meetings"
    )
    date = models.DateField(_("日期"))
    topic = models.CharField(_("主题"), max_length=200)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    host = models.ForeignKey(
        "members.Member",
        verbose_name=_("主持人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_meetings",
    )
    lecturer = models.ForeignKey(
        "members.Member",
        verbose_name=_("主讲人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lectures",
    )
    lecturer_name = models.CharField(_("主讲人姓名"), max_length=100, blank=True, help_text=_("外请主讲人"))
    observers = models.CharField(_("列席人员"), max_length=500, blank=True)
    agenda = models.TextField(_("议题"), blank=True)
    content = models.TextField(_("主要内容"), blank=True)
    decisions = models.TextField(_("决定事项"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织生活记录")
        verbose_name_plural = _("组织生活记录")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["org", "date"], name="meeting_org_date_idx"),
            # the list, newest first, over a large scope: read the index backwards, stop after a page
            models.Index(fields=["-date", "-id"], name="meeting_date_desc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.topic}"

    @property
    def lecturer_display(self) -> str:
        return self.lecturer.name if self.lecturer_id else self.lecturer_name


class MeetingKind(models.Model):
    """One type a meeting counts as, with the attendance for that type's roster.

    `org` and `date` repeat the meeting's so that the evaluator can count records per organisation,
    type and period with one GROUP BY. The counts are computed by the service from the roster on
    the meeting's date and the absentees (应到 = roster; 实到 = roster minus absentees); `formal`
    counts only 正式党员 (those with voting rights)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("记录"), on_delete=models.CASCADE, related_name="kinds"
    )
    type = models.CharField(_("活动类型"), max_length=20, choices=MeetingType.choices)
    org = models.ForeignKey("orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))
    expected = models.PositiveIntegerField(_("应到人数"), default=0)
    present = models.PositiveIntegerField(_("实到人数"), default=0)
    expected_formal = models.PositiveIntegerField(_("应到正式党员"), default=0)
    present_formal = models.PositiveIntegerField(_("实到正式党员"), default=0)

    class Meta:
        verbose_name = _("活动类型")
        verbose_name_plural = _("活动类型")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "type"], name="meeting_kind_unique"),
            models.CheckConstraint(
                condition=Q(present__lte=models.F("expected")), name="meeting_kind_present_le_expected"
            ),
        ]
        indexes = [models.Index(fields=["org", "type", "date"], name="meeting_kind_org_type_date_idx")]

    def __str__(self) -> str:
        return f"{self.meeting} {self.get_type_display()}"


class Absence(models.Model):
    """A member on the expected roster who did not attend, with the reason: its kind (病假, 公差, 其他) and a
    text (required for 其他). A blank kind is an absence without a recorded reason; a text always has a kind."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("记录"), on_delete=models.CASCADE, related_name="absences"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="absences"
    )
    reason_kind = models.CharField(_("缺席原因"), max_length=10, choices=AbsenceReason.choices, blank=True)
    reason = models.CharField(_("缺席原因说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("缺席记录")
        verbose_name_plural = _("缺席记录")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="absence_unique"),
            models.CheckConstraint(
                condition=Q(reason="") | ~Q(reason_kind=""), name="absence_reason_has_kind"
            ),
            models.CheckConstraint(
                condition=~Q(reason_kind=AbsenceReason.OTHER) | ~Q(reason=""), name="absence_other_explained"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} {self.member}"

    @property
    def has_reason(self) -> bool:
        return bool(self.reason_kind)

    @property
    def reason_display(self) -> str:
        """ "病假", "公差（赴京参会）", "其他（家中有事）" in the active language; empty without a recorded reason."""
        return reason_text(self.reason_kind, self.reason)


def reason_text(kind: str, text: str) -> str:
    if not kind:
        return ""
    label = str(AbsenceReason(kind).label)
    return f"{label}（{text}）" if text else label


def parse_reason(value: str) -> tuple[str, str]:
    """A reason written as text ("病假", "公差：赴京", "其他：家中有事", or anything else) → (kind, text): a text
    starting with a kind's Chinese label is of that kind (the rest, after "：", "，" or a space, its text);
    any other text is 其他 with that text; nothing is no recorded reason."""
    text = (value or "").strip()
    if not text:
        return "", ""
    for kind in AbsenceReason.values:
        label = chinese_label(AbsenceReason, kind)
        if text.startswith(label):
            rest = text[len(label) :].lstrip("：:，,、 ").strip()
            if kind == AbsenceReason.OTHER and not rest:
                return kind, ""
            return kind, rest
    return AbsenceReason.OTHER, text


class Attachment(models.Model):
    """Optional evidence (minutes scan, photo). Never a completion criterion."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("记录"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to="meetings/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name


class OrgLifeReview(models.Model):
    """The branch's review of a member who took no part in organizational life for months without a recorded
    reason (党章 第九条: 没有正当理由 is a human judgement). The absences up to `through_month` are reviewed;
    recording it never changes the member's status (MEM-ORGLIFE-ABSENT-6M)."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.CASCADE, related_name="orglife_reviews"
    )
    reviewed_on = models.DateField(_("审查日期"))
    through_month = models.DateField(_("审查所涉截至月份"))
    decision = models.CharField(_("结论"), max_length=20, choices=OrgLifeReviewDecision.choices)
    reason = models.TextField(_("理由"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("录入人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织生活缺席审查")
        verbose_name_plural = _("组织生活缺席审查")
        ordering = ["-reviewed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(through_month__day=1), name="orglife_review_through_first_day"
            ),
            models.CheckConstraint(
                condition=Q(through_month__lte=models.F("reviewed_on")),
                name="orglife_review_through_by_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.reviewed_on:%Y-%m-%d} {self.get_decision_display()}"


class PlannedMeeting(models.Model):
    """A meeting a branch plans ahead (optional: no rule asks for a plan). Its members see it on their page and
    in their calendar; recording the meeting later starts from the plan and links it (`meeting`). Until then it
    may be edited or cancelled (`cancelled_at`: kept, no longer shown to members nor recorded from)."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="planned_meetings"
    )
    date = models.DateField(_("计划日期"))
    types = models.JSONField(_("活动类型"), default=list)  # MeetingType values
    topic = models.CharField(_("主题"), max_length=200)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    meeting = models.OneToOneField(
        Meeting,
        verbose_name=_("已录入的记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("计划人")
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    # 取消计划: the plan stays (its audit trail and the calendars that showed it), marked cancelled
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("取消人"),
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    # the iCalendar SEQUENCE: raised by each edit and by the cancellation, so calendar clients take the change
    revision = models.PositiveIntegerField(_("修订次数"), default=0)

    class Meta:
        verbose_name = _("计划活动")
        verbose_name_plural = _("计划活动")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["org", "date"], name="planned_meeting_org_date_idx")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.topic}"

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def type_labels(self) -> str:
        return "、".join(str(MeetingType(t).label) for t in self.types if t in MeetingType.values)
