"""谈心谈话 (who talked with whom and when — never what was said), 新老结对 and 青年理论学习小组 with their
activities (attendance only). The pair category of a talk is not stored: it is derived from the posts held
on the talk's date (`talks.categories`), so a post recorded later is taken into account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.talks.choices import TalkForm


class TalkQuerySet(models.QuerySet):
    def visible_to(self, user) -> TalkQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("org__"))


class Talk(models.Model):
    """One 谈心谈话 of a 党支部: date, participants (two or more members of the branch or its 党小组), form."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="talks"
    )
    date = models.DateField(_("谈话日期"))
    form = models.CharField(_("形式"), max_length=20, choices=TalkForm.choices, blank=True)
    participants = models.ManyToManyField(
        "members.Member", verbose_name=_("谈话人员"), related_name="talks", blank=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = TalkQuerySet.as_manager()

    class Meta:
        verbose_name = _("谈心谈话")
        verbose_name_plural = _("谈心谈话")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["org", "date"], name="talk_org_date_idx")]

    def __str__(self) -> str:
        return f"{self.org} {self.date:%Y-%m-%d} 谈心谈话"


class PairQuerySet(models.QuerySet):
    def visible_to(self, user) -> PairQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("org__"))

    def overlapping(self, start, end) -> PairQuerySet:
        """Pairs in effect on some day of start..end (the end date is the pairing's last day)."""
        return self.filter(Q(started_on__lte=end) & (Q(ended_on__isnull=True) | Q(ended_on__gte=start)))


class Pair(models.Model):
    """新老结对: an experienced member (mentor) and a younger or newer one (mentee) of one 党支部, chosen by
    the branch (no age rule), from `started_on` to `ended_on` (inclusive; open while empty), with a goal."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="talk_pairs"
    )
    mentor = models.ForeignKey(
        "members.Member", verbose_name=_("老党员"), on_delete=models.PROTECT, related_name="mentor_pairs"
    )
    mentee = models.ForeignKey(
        "members.Member", verbose_name=_("结对党员"), on_delete=models.PROTECT, related_name="mentee_pairs"
    )
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    goal = models.CharField(_("结对目标"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = PairQuerySet.as_manager()

    class Meta:
        verbose_name = _("新老结对")
        verbose_name_plural = _("新老结对")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(mentor=models.F("mentee")), name="talk_pair_distinct"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="talk_pair_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} — {self.mentee}"


class YouthGroupQuerySet(models.QuerySet):
    def visible_to(self, user) -> YouthGroupQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("org__"))


class YouthGroup(models.Model):
    """青年理论学习小组 of an organisation: its members (of the organisation's subtree) and leader."""

    name = models.CharField(_("小组名称"), max_length=100)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("所属组织"), on_delete=models.PROTECT, related_name="youth_groups"
    )
    leader = models.ForeignKey(
        "members.Member", verbose_name=_("组长"), on_delete=models.PROTECT, related_name="led_youth_groups"
    )
    members = models.ManyToManyField(
        "members.Member", verbose_name=_("小组成员"), related_name="youth_groups"
    )
    founded_on = models.DateField(_("成立日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = YouthGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("青年理论学习小组")
        verbose_name_plural = _("青年理论学习小组")
        ordering = ["org__path", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="youth_group_org_name_uniq")]

    def __str__(self) -> str:
        return self.name


class YouthActivityQuerySet(models.QuerySet):
    def visible_to(self, user) -> YouthActivityQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("group__org__"))


class YouthActivity(models.Model):
    """One activity of a 青年理论学习小组: date, topic and who attended (no content, no check-in, no points)."""

    group = models.ForeignKey(
        YouthGroup, verbose_name=_("学习小组"), on_delete=models.CASCADE, related_name="activities"
    )
    date = models.DateField(_("活动日期"))
    topic = models.CharField(_("学习主题"), max_length=200)
    participants = models.ManyToManyField(
        "members.Member", verbose_name=_("参加人员"), related_name="youth_activities"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = YouthActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("青年理论学习小组活动")
        verbose_name_plural = _("青年理论学习小组活动")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.group} {self.date:%Y-%m-%d} {self.topic}"
