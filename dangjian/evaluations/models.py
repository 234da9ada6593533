"""民主评议党员: a branch's yearly evaluation (Evaluation), its participants fixed at opening with their
self-assessment, paper tallies, grade and 限期改正 follow-up (Participant), who has voted (Participation) and
the online ratings (Rating).

Secrecy by construction: a Rating row holds the evaluation, the participant rated and the rating — nothing
about who gave it: no foreign key to a voter, no voter-derived value, no time at all, and a random UUID as
its key (inserted in shuffled order), so neither its id nor its place tells when it was written relative to
the Participation rows. A voter's ratings are deliberately not grouped into a ballot row: a ballot rates
every participant but its voter, so the one participant missing from a group of ratings would name the
voter. The Participation row says only that a person voted (unique per evaluation and voter: a ballot is
counted once), written in the same transaction as the ratings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.evaluations.choices import FollowUpOutcome, Organ, Rating, Step


class EvaluationQuerySet(models.QuerySet):
    def visible_to(self, user) -> EvaluationQuerySet:
        """The evaluations of the organisations the user administers."""
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("org__"))


class Evaluation(models.Model):
    """The yearly 民主评议党员 of a 党支部 (BR-16), opened on `opened_on` and moved through the steps in order.
    `paper_ballots` is the number of paper 测评票 collected (branches that vote on paper)."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="evaluations"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    opened_on = models.DateField(_("开始日期"))
    step = models.CharField(_("当前步骤"), max_length=12, choices=Step.choices, default=Step.STUDY)
    organ = models.CharField(_("评定机构"), max_length=12, choices=Organ.choices)
    paper_ballots = models.PositiveIntegerField(_("收回纸质测评票"), default=0)
    voting_closed_on = models.DateField(_("测评结束日期"), null=True, blank=True)
    graded_on = models.DateField(_("组织评定日期"), null=True, blank=True)
    published_on = models.DateField(_("公示日期"), null=True, blank=True)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("民主评议党员")
        verbose_name_plural = _("民主评议党员")
        ordering = ["-year", "org__path"]
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="eval_org_year_uniq")]

    def __str__(self) -> str:
        return f"{self.org} {self.year}年度民主评议党员"


class Participant(models.Model):
    """A member on the branch's roll on the opening date: rated by the others; graded unless a 预备党员
    (EVAL-04, a parameter). `formal` is the category on the opening date. The paper counts are the ratings the
    member received on paper 测评票; the grade is the 组织评定, a 不合格 one with its 限期改正 due date."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="evaluations"
    )
    formal = models.BooleanField(_("正式党员"))
    self_text = models.TextField(_("个人自评"), blank=True)
    self_paper = models.BooleanField(_("已交书面自评"), default=False)
    self_on = models.DateField(_("自评登记日期"), null=True, blank=True)
    paper_excellent = models.PositiveIntegerField(_("纸质票优秀"), default=0)
    paper_qualified = models.PositiveIntegerField(_("纸质票合格"), default=0)
    paper_basic = models.PositiveIntegerField(_("纸质票基本合格"), default=0)
    paper_unqualified = models.PositiveIntegerField(_("纸质票不合格"), default=0)
    grade = models.CharField(_("评定等次"), max_length=12, choices=Rating.choices, blank=True)
    followup_due = models.DateField(_("限期改正期满日期"), null=True, blank=True)
    followup_outcome = models.CharField(
        _("限期改正结果"), max_length=16, choices=FollowUpOutcome.choices, blank=True
    )
    followup_decided_on = models.DateField(_("处理决定日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("参评党员")
        verbose_name_plural = _("参评党员")
        ordering = ["evaluation", "id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "member"], name="eval_participant_uniq"),
            models.CheckConstraint(
                condition=Q(followup_due__isnull=True) | Q(grade=Rating.UNQUALIFIED),
                name="eval_followup_only_unqualified",
            ),
        ]

    def __str__(self) -> str:
        return str(self.member)

    def paper_counts(self) -> dict[str, int]:
        return {
            Rating.EXCELLENT: self.paper_excellent,
            Rating.QUALIFIED: self.paper_qualified,
            Rating.BASIC: self.paper_basic,
            Rating.UNQUALIFIED: self.paper_unqualified,
        }


class Participation(models.Model):
    """That a member voted online in an evaluation (the day only) — never how."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="participations")
    voter = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    voted_on = models.DateField(_("投票日期"))

    class Meta:
        verbose_name = _("测评投票记录")
        verbose_name_plural = _("测评投票记录")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "voter"], name="eval_participation_once")
        ]

    def __str__(self) -> str:
        return f"{self.voter} {self.voted_on:%Y-%m-%d}"


class RatingRow(models.Model):
    """One online rating of one participant: which evaluation, who was rated, the rating. Nothing else (see the
    module's docstring): the test `test_secrecy` reads these fields and fails on any path to a voter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="ratings")
    subject = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="ratings")
    rating = models.CharField(_("测评等次"), max_length=12, choices=Rating.choices)

    class Meta:
        verbose_name = _("测评结果")
        verbose_name_plural = _("测评结果")
        indexes = [models.Index(fields=["evaluation", "subject"], name="eval_rating_subject_idx")]

    def __str__(self) -> str:
        return f"{self.subject} {self.get_rating_display()}"
