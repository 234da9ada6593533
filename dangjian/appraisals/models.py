"""述职评议: a campaign (Campaign) of an owner organisation — the 工委 for the secretaries of its 党组 and 党委,
a 党委 for those of its 党总支 and 党支部 — with its 测评 items and weights (CampaignItem), the organisations
whose secretaries report (Subject, with the uploaded final 述职报告), who receives a 测评票 (CampaignParticipant),
who has voted (Participation) and the 测评's figures (Tally).

Secrecy by construction: no row per rating exists. A Tally is a counter — campaign, subject, item, rating, the
number of online ratings and the number from paper ballots — created when the 测评 opens; a vote adds one to
the counters it chose (`F("online") + 1`) in the transaction that writes its Participation row. Nothing written
by a vote holds a voter, a voter-derived value or a time finer than the day, and there is no per-vote row whose
id or order could be matched to a Participation row: a dump of the tables shows totals only. The
Participation row says only that a member voted (unique per campaign and member: a ballot counts once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.appraisals.choices import ParticipantSource, Rating, State


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user) -> CampaignQuerySet:
        """The campaigns of the organisations the user administers (their owners)."""
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("owner__"))


class Campaign(models.Model):
    """The 述职评议 an owner organisation holds in `year` on the work of `report_year`; `paper_ballots` is the
    number of paper 测评票 collected (the figures on them are in the Tally rows' `paper`)."""

    owner = models.ForeignKey(
        "orgs.Org", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="appraisal_campaigns"
    )
    year = models.PositiveSmallIntegerField(_("评议年度"))
    report_year = models.PositiveSmallIntegerField(_("述职年度"))
    title = models.CharField(_("名称"), max_length=100)
    opened_on = models.DateField(_("开始日期"))
    voting_from = models.DateField(_("测评开始日期"), null=True, blank=True)
    voting_to = models.DateField(_("测评截止日期"), null=True, blank=True)
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT)
    roles = models.JSONField(_("测评人员范围"), default=list, blank=True)
    paper_ballots = models.PositiveIntegerField(_("收回纸质测评票"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("述职评议")
        verbose_name_plural = _("述职评议")
        ordering = ["-year", "owner__path"]
        constraints = [models.UniqueConstraint(fields=["owner", "year"], name="appraisal_owner_year_uniq")]

    def __str__(self) -> str:
        return self.title


class CampaignItem(models.Model):
    """A 测评 item: 综合评价 (always there, `overall`) or a sub-item, with its weight in the 综合 score."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("测评项目"), max_length=50)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    overall = models.BooleanField(_("综合评价"), default=False)

    class Meta:
        verbose_name = _("测评项目")
        verbose_name_plural = _("测评项目")
        ordering = ["campaign", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="appraisal_item_name_uniq"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="appraisal_item_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


def report_upload_to(subject: Subject, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"appraisals/{subject.campaign_id}/{subject.pk}.{ext}"


class Subject(models.Model):
    """An organisation whose secretary reports in the campaign: the secretary when it was added (from the 书记
    post), the final 述职报告 uploaded (who and when, the day), and the day the report was given."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="subjects")
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("组织"), on_delete=models.PROTECT, related_name="appraisal_subjects"
    )
    secretary = models.ForeignKey(
        "members.Member", verbose_name=_("书记"), on_delete=models.PROTECT, related_name="appraisals"
    )
    report = models.FileField(_("述职报告"), upload_to=report_upload_to, blank=True)
    report_name = models.CharField(_("文件名"), max_length=200, blank=True)
    report_uploaded_on = models.DateField(_("上传日期"), null=True, blank=True)
    report_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_on = models.DateField(_("述职日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("述职书记")
        verbose_name_plural = _("述职书记")
        ordering = ["campaign", "org__path"]
        constraints = [models.UniqueConstraint(fields=["campaign", "org"], name="appraisal_subject_uniq")]

    def __str__(self) -> str:
        return f"{self.org} {self.secretary}"


class CampaignParticipant(models.Model):
    """A member who receives a 测评票: listed by name, or by a role (resolved when the 测评 opens)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=12, choices=ParticipantSource.choices)

    class Meta:
        verbose_name = _("测评人员")
        verbose_name_plural = _("测评人员")
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="appraisal_participant_uniq")
        ]

    def __str__(self) -> str:
        return str(self.member)


class Participation(models.Model):
    """That a member voted online in a campaign (the day only) — never how."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participations")
    voter = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    voted_on = models.DateField(_("投票日期"))

    class Meta:
        verbose_name = _("述职评议投票记录")
        verbose_name_plural = _("述职评议投票记录")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "voter"], name="appraisal_participation_once")
        ]

    def __str__(self) -> str:
        return f"{self.voter} {self.voted_on:%Y-%m-%d}"


class Tally(models.Model):
    """The number of ratings `rating` that a subject received on an item: online (a vote adds one) and from
    paper ballots (typed by the administrator). Nothing else (see the module's docstring): `test_secrecy` reads
    these fields and fails on any path to a voter."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tallies")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="tallies")
    item = models.ForeignKey(CampaignItem, on_delete=models.CASCADE, related_name="tallies")
    rating = models.CharField(_("测评等次"), max_length=12, choices=Rating.choices)
    online = models.PositiveIntegerField(_("网上票数"), default=0)
    paper = models.PositiveIntegerField(_("纸质票数"), default=0)

    class Meta:
        verbose_name = _("测评票数")
        verbose_name_plural = _("测评票数")
        constraints = [
            models.UniqueConstraint(fields=["subject", "item", "rating"], name="appraisal_tally_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.item} {self.get_rating_display()}"
