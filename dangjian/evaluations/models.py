"""民主评议党员: a branch's yearly evaluation (Evaluation), its participants fixed at opening with their 党小组,
self-assessment, paper tallies, grade and 限期改正 follow-up (Participant), who has voted (Participation) and the
online ratings counted (Tally).

Secrecy by construction: the online ratings are counters, not rows. A Tally is one (evaluation, participant
rated, rating) with the number of online ballots that gave it — nothing about who gave it: no foreign key to a
voter, no voter-derived value, no time. The tallies of an evaluation are created all at once when it enters the
测评 (every participant × the four ratings, in a fixed order), so a vote creates no row: it adds 1 to the
counters it chose and 0 to every other counter of the evaluation, in one UPDATE of all of them. Which rows a
vote rewrote — what the database's pages show (tuple versions, transaction ids, physical order, a dump's row
order) — is therefore the same whoever voted and however: every counter of the evaluation. The Participation row
says only that a person voted, on which day (unique per evaluation and voter: a ballot is counted once), written in
the same transaction."""

from __future__ import annotations

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
    `paper_ballots` is the number of paper 测评票 collected (branches that vote on paper). `by_group`: the 测评 is held
    per 党小组 (BR-16, large branches): a voter rates the members of their own group only, and the tallies and
    their threshold are per group."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="evaluations"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    opened_on = models.DateField(_("开始日期"))
    step = models.CharField(_("当前步骤"), max_length=12, choices=Step.choices, default=Step.STUDY)
    organ = models.CharField(_("评定机构"), max_length=12, choices=Organ.choices)
    paper_ballots = models.PositiveIntegerField(_("收回纸质测评票"), default=0)
    by_group = models.BooleanField(_("按党小组测评"), default=False)
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
    (EVAL-04, a parameter). `formal` is the category on the opening date, `group` the 党小组 the member was in on
    that date (None: directly in the branch). The paper counts are the ratings the
    member received on paper 测评票; the grade is the 组织评定, a 不合格 one with its 限期改正 due date."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="evaluations"
    )
    formal = models.BooleanField(_("正式党员"))
    group = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("党小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
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


class Tally(models.Model):
    """How many online 测评票 gave one participant one rating. Created for every participant and rating when the
    evaluation enters the 测评; a vote only adds to the counters (see the module's docstring): the test
    `test_secrecy` reads these fields and fails on any path to a voter."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="tallies")
    subject = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="tallies")
    rating = models.CharField(_("测评等次"), max_length=12, choices=Rating.choices)
    online = models.PositiveIntegerField(_("网上得票"), default=0)

    class Meta:
        verbose_name = _("测评计票")
        verbose_name_plural = _("测评计票")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "subject", "rating"], name="eval_tally_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.get_rating_display()} {self.online}"
