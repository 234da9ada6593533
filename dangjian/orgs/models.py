from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.orgs.choices import DEFAULT_TERM_YEARS, OrgType, PostTitle

PATH_SEGMENT = 8  # digits of each path segment: a tree of up to 10^8 organisations


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT}d}/"


class OrgQuerySet(models.QuerySet):
    def subtree(self, org: Org, *, include_self: bool = True) -> OrgQuerySet:
        """The organisation and everything below it: one indexed prefix query on the path."""
        qs = self.filter(path__startswith=org.path)
        return qs if include_self else qs.exclude(pk=org.pk)

    def active(self, on: dt.date | None = None) -> OrgQuerySet:
        on = on or dt.date.today()
        """Organisations that exist on `on`; the 撤销日期 is an organisation's last day."""
        return self.filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=on))

    def visible_to(self, user) -> OrgQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q())

    def visible_subtree(self, user, org: Org, *, include_self: bool = True) -> OrgQuerySet:
        """`org`'s subtree as `user` may see it: the subtree restricted to the user's scope (one query).

        A grant over `org` without descendants yields `org` alone, never its child organisations; pages
        that show "everything under this organisation" (rosters, hours, roll-ups, pickers) start here."""
        return self.subtree(org, include_self=include_self).visible_to(user)


class Org(models.Model):
    """A party organisation: 工委 → 党组/党委 → 党总支 → 党支部 → 党小组.

    `path` is a materialized path of zero-padded primary keys ("00000001/00000007/"), so a subtree
    is a single `path LIKE 'prefix%'` query, indexed on PostgreSQL with varchar_pattern_ops.
    """

    code = models.CharField(_("组织编码"), max_length=50, unique=True)
    name = models.CharField(_("组织名称"), max_length=100)
    type = models.CharField(_("组织类型"), max_length=10, choices=OrgType.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级"), default=1, editable=False)
    unit = models.CharField(_("所在单位"), max_length=100, blank=True)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    dissolved_on = models.DateField(_("撤销日期"), null=True, blank=True)
    is_retiree_branch = models.BooleanField(_("离退休党支部"), default=False)
    term_started_on = models.DateField(_("本届开始日期"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(_("任期年限"), null=True, blank=True)
    # The higher organisation's approval of the organisation's form where it does not follow the member count
    # (机关条例 第五条、第六条: a 党支部 of 50 or more members, a 党总支 of fewer than 50 or of 100 or more).
    setup_approval_ref = models.CharField(_("组织设置批准文号"), max_length=100, blank=True)
    setup_approved_on = models.DateField(_("组织设置批准日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="org_path_like_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["type"], name="org_type_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["type"], condition=Q(type=OrgType.GONGWEI), name="org_single_gongwei_root"
            ),
            # the 工委 is the one root: a grant with descendants over it covers every organisation
            models.CheckConstraint(
                condition=Q(type=OrgType.GONGWEI, parent__isnull=True)
                | (~Q(type=OrgType.GONGWEI) & Q(parent__isnull=False)),
                name="org_only_gongwei_is_root",
            ),
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(founded_on__isnull=True)
                | Q(dissolved_on__gte=models.F("founded_on")),
                name="org_dissolved_after_founded",
            ),
            models.CheckConstraint(
                condition=Q(term_years__isnull=True) | Q(term_years__gte=1, term_years__lte=10),
                name="org_term_years_range",
            ),
            models.CheckConstraint(
                condition=Q(setup_approval_ref="", setup_approved_on__isnull=True)
                | (~Q(setup_approval_ref="") & Q(setup_approved_on__isnull=False)),
                name="org_setup_approval_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved_on is not None and self.dissolved_on < dt.date.today()

    @property
    def effective_term_years(self) -> int | None:
        return self.term_years or DEFAULT_TERM_YEARS.get(self.type)

    @property
    def term_start(self) -> dt.date | None:
        return self.term_started_on or self.founded_on

    @property
    def term_end(self) -> dt.date | None:
        start, years = self.term_start, self.effective_term_years
        if start is None or not years:
            return None
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February
            return start.replace(year=start.year + years, day=28)

    def ancestor_paths(self) -> list[str]:
        parts = self.path.split("/")[:-1]
        return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]

    def ancestors(self) -> OrgQuerySet:
        return Org.objects.filter(path__in=self.ancestor_paths()[:-1]).order_by("depth")

    def is_within(self, other: Org) -> bool:
        return self.path.startswith(other.path)


class PostQuerySet(models.QuerySet):
    def current(self, on: dt.date | None = None) -> PostQuerySet:
        """Posts held on `on`: started on or before it and not yet left (on 离任日期 the post is no longer held)."""
        on = on or dt.date.today()
        return self.filter(started_on__lte=on).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))

    def holders(self, org: Org, title: str, on: dt.date | None = None) -> PostQuerySet:
        return self.current(on).filter(org=org, title=title)

    def visible_to(self, user) -> PostQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("org__"))


class Post(models.Model):
    """A party post (党内职务) held by a member in an organisation for a period. Grants no system permission."""

    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="posts"
    )
    org = models.ForeignKey(Org, verbose_name=_("组织"), on_delete=models.PROTECT, related_name="posts")
    title = models.CharField(_("党内职务"), max_length=20, choices=PostTitle.choices)
    started_on = models.DateField(_("任职日期"))
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("党内职务")
        verbose_name_plural = _("党内职务")
        ordering = ["org__path", "title", "-started_on"]
        indexes = [models.Index(fields=["org", "title", "started_on"], name="post_org_title_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "org", "title", "started_on"], name="post_unique_tenure"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=models.F("started_on")),
                name="post_ended_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.get_title_display()} {self.member}"
