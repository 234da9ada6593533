"""The records that refer to a member, found from the model's relations (not from a list of the apps: a relation
added later is found too), counted in one query, and named as a sentence names them ("党费缴纳记录3笔"). Deleting a
member entered by mistake (`services.delete_member`) and undoing the admission that added a 预备党员
(`pipeline.admission`) are refused while such records exist, naming them and how many.

The relations are those of the apps above `members`, read by their labels: nothing here imports them."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Func, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from dangjian.members.models import Member

Key = tuple[str, str]  # (model label, field that refers to the member)

# how a sentence names n records of a kind; any other by its model's name
RECORD_WORDS = {
    ("orgs.post", "member"): ngettext_lazy("党内职务%(n)s项", "党内职务%(n)s项", "n"),
    ("meetings.meeting", "host"): ngettext_lazy("主持组织生活%(n)s次", "主持组织生活%(n)s次", "n"),
    ("meetings.meeting", "lecturer"): ngettext_lazy("主讲组织生活%(n)s次", "主讲组织生活%(n)s次", "n"),
    ("meetings.orglifereview", "member"): ngettext_lazy(
        "组织生活缺席审查%(n)s条", "组织生活缺席审查%(n)s条", "n"
    ),
    ("dues.duesbase", "member"): ngettext_lazy("党费缴费基数%(n)s条", "党费缴费基数%(n)s条", "n"),
    ("dues.duesrelief", "member"): ngettext_lazy("党费减免%(n)s条", "党费减免%(n)s条", "n"),
    ("dues.duespayment", "member"): ngettext_lazy("党费缴纳记录%(n)s笔", "党费缴纳记录%(n)s笔", "n"),
    ("dues.arrearsreview", "member"): ngettext_lazy("欠缴党费审查%(n)s条", "欠缴党费审查%(n)s条", "n"),
    ("movements.statuschange", "member"): ngettext_lazy("党籍状态变更%(n)s条", "党籍状态变更%(n)s条", "n"),
    ("movements.mobilestint", "member"): ngettext_lazy("外出流动登记%(n)s条", "外出流动登记%(n)s条", "n"),
    ("movements.lostcontact", "member"): ngettext_lazy("失联登记%(n)s条", "失联登记%(n)s条", "n"),
    ("movements.transfer", "member"): ngettext_lazy("组织关系转接%(n)s条", "组织关系转接%(n)s条", "n"),
    ("training.participant", "member"): ngettext_lazy("参加培训记录%(n)s条", "参加培训记录%(n)s条", "n"),
    ("training.studyrecord", "member"): ngettext_lazy("学习平台统计%(n)s条", "学习平台统计%(n)s条", "n"),
    ("talks.talk", "participants"): ngettext_lazy("谈心谈话%(n)s次", "谈心谈话%(n)s次", "n"),
    ("talks.pair", "mentor"): ngettext_lazy(
        "新老结对（作为老党员）%(n)s对", "新老结对（作为老党员）%(n)s对", "n"
    ),
    ("talks.pair", "mentee"): ngettext_lazy("新老结对%(n)s对", "新老结对%(n)s对", "n"),
    ("talks.youthgroup", "leader"): ngettext_lazy(
        "担任青年理论学习小组组长%(n)s个", "担任青年理论学习小组组长%(n)s个", "n"
    ),
    ("talks.youthgroup", "members"): ngettext_lazy("青年理论学习小组%(n)s个", "青年理论学习小组%(n)s个", "n"),
    ("talks.youthactivity", "participants"): ngettext_lazy(
        "青年理论学习小组活动%(n)s次", "青年理论学习小组活动%(n)s次", "n"
    ),
    ("evaluations.participant", "member"): ngettext_lazy("民主评议参评%(n)s次", "民主评议参评%(n)s次", "n"),
    ("appraisals.subject", "secretary"): ngettext_lazy("述职评议%(n)s次", "述职评议%(n)s次", "n"),
    ("pipeline.casestep", "contacts"): ngettext_lazy("担任培养联系人%(n)s次", "担任培养联系人%(n)s次", "n"),
    ("pipeline.casestep", "sponsors"): ngettext_lazy("担任入党介绍人%(n)s次", "担任入党介绍人%(n)s次", "n"),
}

# Derived from the member's entry, deleted with it: their own history, the 党费 ledger's cached snapshot.
DERIVED = frozenset({("members.memberhistory", "member"), ("dues.ledgersnapshot", "member")})
# Links that let go of the member (SET_NULL) rather than records about them: a login account (unlinked), the
# development case that admitted them (set back by undoing its admission, pipeline).
LINKS = frozenset({("accounts.user", "member"), ("pipeline.developmentcase", "member")})


def references() -> list[tuple[Key, type, str]]:
    """Every relation that refers to a member: ((model label, field name), model, field name); the tables Django
    makes for a many-to-many field are read through that field."""
    found = []
    for rel in Member._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        model = rel.related_model
        if model._meta.auto_created:  # the table of a many-to-many field: its field is listed too
            continue
        name = rel.field.name
        found.append(((model._meta.label_lower, name), model, name))
    return found


class _Count(Func):
    """COUNT(*) of a correlated subquery, without a GROUP BY."""

    function = "COUNT"
    template = "%(function)s(*)"
    output_field = IntegerField()


def count_of(model, field: str, **extra) -> Coalesce:
    """How many rows of `model` refer (by `field`, and matching `extra`) to the member of the outer query."""
    rows = model._base_manager.filter(**{field: OuterRef("pk")}, **extra).order_by()
    return Coalesce(Subquery(rows.annotate(n=_Count()).values("n")[:1]), 0)


def record_words(key: Key, model, n: int) -> str:
    """n records of the kind `key` as a sentence names them: "党费缴纳记录3笔"."""
    words = RECORD_WORDS.get(key)
    if words is not None:
        return words % {"n": n}
    return _("%(kind)s%(n)s条") % {"kind": model._meta.verbose_name, "n": n}


def records_about(member: Member, leave_out: Collection[Key] = DERIVED | LINKS) -> list[str]:
    """The records of other kinds than `leave_out` that refer to `member`, each named with how many, in the order of
    the relations. One query."""
    found = [(key, model, field) for key, model, field in references() if key not in leave_out]
    if not found:
        return []
    names = {key: f"n{i}" for i, (key, _model, _field) in enumerate(found)}
    row = (
        Member._base_manager.filter(pk=member.pk)
        .values(**{names[key]: count_of(model, field) for key, model, field in found})
        .get()
    )
    return [record_words(key, model, row[names[key]]) for key, model, _field in found if row[names[key]]]
