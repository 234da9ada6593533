from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.compliance.workbench import period_text


class Notification(models.Model):
    """One work item told to one person: what (the category, the organisation, the title, the due date or
    period, whose digest is `key`), the sentence the work list shows, and the page that settles it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    # sha256 of "category|org id|rule id or title|period, or a provider's item's due date": the item's stable
    # identity (services.item_key)
    key = models.CharField(_("事项标识"), max_length=64)
    category = models.CharField(_("类别"), max_length=30)
    org = models.ForeignKey(
        "orgs.Org", on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("组织")
    )
    title = models.CharField(_("事项"), max_length=200)
    text = models.TextField(_("说明"), blank=True)
    link = models.CharField(_("办理页面"), max_length=500, blank=True)
    due = models.DateField(_("期限"), null=True, blank=True)
    period = models.CharField(_("期间"), max_length=10, blank=True)
    overdue = models.BooleanField(_("已逾期"), default=False)
    day = models.DateField(_("提醒日期"))
    created = models.DateTimeField(_("生成时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)  # in a digest
    texted_at = models.DateTimeField(_("短信发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["day", "key"], name="notification_day_key"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def period_label(self) -> str:
        """The period in words, as the work list says it ("2026年12月")."""
        return period_text(self.period)


class CalendarFeed(models.Model):
    """A person's calendar feed (iCal): its secret URL's token, kept only as its SHA-256. A new URL revokes the
    former one; a revoked token is not found."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=_("用户"),
    )
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    created = models.DateTimeField(_("生成时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("日历订阅")
        verbose_name_plural = _("日历订阅")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return str(self.user)


class Frequency(models.TextChoices):
    DAILY = "daily", _("每天")
    WEEKLY = "weekly", _("每周（周一）")


class Preference(models.Model):
    """A person's choice of channels for their reminders and how often the e-mail and SMS digests go out.
    Without a row: in-app only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminder_preference",
        verbose_name=_("用户"),
    )
    in_app = models.BooleanField(_("站内提醒"), default=True)
    email = models.BooleanField(_("邮件摘要"), default=False)
    sms = models.BooleanField(_("短信提醒"), default=False)
    frequency = models.CharField(_("频率"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY)

    class Meta:
        verbose_name = _("提醒设置")
        verbose_name_plural = _("提醒设置")

    def __str__(self) -> str:
        return str(self.user)
