from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.pii import EncryptedTextField, mask_id_number, mask_phone
from dangjian.core.pinyin import MAX_LENGTH, name_key
from dangjian.members.choices import Category, Education, HistoryField, MemberStatus, Sex, WorkStatus


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user) -> MemberQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).member_q())

    def in_subtree(self, org) -> MemberQuerySet:
        return self.filter(org__path__startswith=org.path)

    def on_roll(self, on) -> MemberQuerySet:
        """Members on the roll on `on`: joined by then and not yet out of it (停止党籍, 出党, 死亡, 转出
        take effect on `inactive_from`)."""
        return self.filter(on_roll_q(on))


class MemberScopedQuerySet(models.QuerySet):
    """Rows that belong to one member through a `member` foreign key (党费 bases and payments, movements
    records, training participation, study figures). Access follows the member, by their current organisation:

    - `visible_to(user)` (reading): the rows of every member `Member.objects.visible_to(user)` returns, i.e.
      of the members of the organisations the user administers (with their subtrees where granted) and of the
      user's own member record — a 党员 reads their own rows, never anyone else's. Deny by default; a
      superuser sees everything.
    - `administered_by(user)` (the admin pages that act on the rows): only the members of the organisations
      the user administers; the user's own record gives no access here.
    """

    def visible_to(self, user) -> MemberScopedQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).member_q("member__"))

    def administered_by(self, user) -> MemberScopedQuerySet:
        from dangjian.accounts.scope import scope_for

        return self.filter(scope_for(user).org_q("member__org__"))


def on_roll_q(on, prefix: str = "") -> Q:
    """The on-roll condition as a Q (for querysets over related models, e.g. prefix="member__")."""
    return Q(**{f"{prefix}joined_on__lte": on}) & (
        Q(**{f"{prefix}inactive_from__isnull": True}) | Q(**{f"{prefix}inactive_from__gt": on})
    )


def arrived_by_q(on) -> Q:
    """Members who had come into the system by `on`, as `members.timeline.arrival` tells it: those without a record of
    their 组织关系转入本系统 dated after `on` (a member has at most one: `movements.services.transfer_in` records it as
    it creates the member). A member received from outside the system is on the roll from their 入党日期
    (`on_roll_q`) but in one of its organisations only from that date. Movements' transfers are read through their
    relation to the member (`Member.transfers`), the registry being the layer below movements; a condition on the
    members' rows (one subquery by member, no query of its own)."""
    try:
        transfers = Member._meta.get_field("transfers").related_model
    except FieldDoesNotExist:  # movements not installed: no such record
        return Q()
    if isinstance(transfers, str):  # not resolved (apps not loaded)
        return Q()
    later = transfers._default_manager.filter(member=OuterRef("pk"), kind="in", started_on__gt=on)
    return Q(~Exists(later))


def personal_fields(*relations: str) -> list[str]:
    """The encrypted personal-data fields of the members reached through `relations` ("host", "member", …; "" for
    the member read itself), for `.defer()`: a page that names members without showing their 身份证号 or phone
    neither reads nor decrypts them. Derived from the model, so a personal-data field added later is deferred too."""
    names = [f.name for f in Member._meta.concrete_fields if isinstance(f, EncryptedTextField)]
    return [f"{relation}__{name}" if relation else name for relation in relations for name in names]


class Member(models.Model):
    """A party member (党员). 身份证号 and 手机号码 are encrypted at rest; `id_number_hash` is a keyed
    hash used for exact look-up and uniqueness. 性别 and 出生日期 are derived from the 身份证号."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    # the name's pinyin sort key (core.pinyin.name_key), kept by save() and by every bulk writer: lists "by
    # name" order by (name_pinyin, name, id), the same order on SQLite and PostgreSQL
    name_pinyin = models.CharField(
        _("姓名拼音"), max_length=MAX_LENGTH, db_index=True, editable=False, default=""
    )
    id_number = EncryptedTextField(_("身份证号"))
    id_number_hash = models.CharField(_("身份证号索引"), max_length=64, unique=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
    phone = EncryptedTextField(_("手机号码"), blank=True, default="")
    category = models.CharField(_("人员类别"), max_length=20, choices=Category.choices)
    joined_on = models.DateField(_("入党日期"))
    confirmed_on = models.DateField(_("转正日期"), null=True, blank=True)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("所在组织"), on_delete=models.PROTECT, related_name="members"
    )
    work_status = models.CharField(_("工作状态"), max_length=10, choices=WorkStatus.choices, default="active")
    is_leader = models.BooleanField(_("是否领导干部"), default=False)
    position = models.CharField(_("工作岗位"), max_length=100, blank=True)
    is_mobile = models.BooleanField(_("流动党员"), default=False)
    status = models.CharField(
        _("党籍状态"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.NORMAL
    )
    # the first day the member is off the roll (status other than 正常); None while 正常
    inactive_from = models.DateField(_("离册日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["org__path", "name_pinyin", "name", "id"]
        indexes = [
            models.Index(fields=["org", "category"], name="member_org_category_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(category=Category.FORMAL) | Q(confirmed_on__isnull=False),
                name="member_formal_has_confirmed_on",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_on__isnull=True) | Q(confirmed_on__gt=models.F("joined_on")),
                name="member_confirmed_after_joined",
            ),
            models.CheckConstraint(
                condition=(Q(status=MemberStatus.NORMAL) & Q(inactive_from__isnull=True))
                | (~Q(status=MemberStatus.NORMAL) & Q(inactive_from__isnull=False)),
                name="member_status_inactive_from",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_pinyin = name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin"}
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if (
            "joined_on" in field_names
        ):  # remembered so that a save can tell whether it changed (dues.snapshots)
            instance._loaded_joined_on = values[field_names.index("joined_on")]
        return instance

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class MemberHistory(models.Model):
    """A change of a member's organisation, category or work status, kept for the member's history."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="history"
    )
    field = models.CharField(_("变更项目"), max_length=20, choices=HistoryField.choices)
    old_value = models.CharField(_("变更前"), max_length=200, blank=True)
    new_value = models.CharField(_("变更后"), max_length=200)
    old_org = models.ForeignKey(
        "orgs.Org",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("原组织"),
    )
    new_org = models.ForeignKey(
        "orgs.Org",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("新组织"),
    )
    effective_on = models.DateField(_("生效日期"))
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("操作人")
    )

    class Meta:
        verbose_name = _("党员变更记录")
        verbose_name_plural = _("党员变更记录")
        ordering = ["-effective_on", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.member} {self.get_field_display()} {self.old_value} → {self.new_value}"


class OrgFigures(models.Model):
    """The member figures of one organisation, kept: the members directly in it on the roll (党籍 正常, as the
    党员名册 lists them by default), by category, work status and 流动党员 flag. An organisation without such
    members has no row.
    Kept by `members.figures.refresh`, which the kept-results refresh runs after every write and nightly
    (`compliance.kept.refresh`); the dashboard and the organisation pages sum these rows instead of
    counting the roll."""

    org = models.OneToOneField(
        "orgs.Org", primary_key=True, on_delete=models.CASCADE, related_name="figures", verbose_name=_("组织")
    )
    members = models.PositiveIntegerField(_("党员"), default=0)
    formal = models.PositiveIntegerField(_("正式党员"), default=0)
    probationary = models.PositiveIntegerField(_("预备党员"), default=0)
    active = models.PositiveIntegerField(_("在职"), default=0)
    retired = models.PositiveIntegerField(_("离退休"), default=0)
    mobile = models.PositiveIntegerField(_("流动党员"), default=0)

    class Meta:
        verbose_name = _("组织党员数")
        verbose_name_plural = _("组织党员数")

    def __str__(self) -> str:
        return f"{self.org_id}: {self.members}"
