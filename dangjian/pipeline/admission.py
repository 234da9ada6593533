"""What undoing an admission (接收预备党员, the step that adds the 预备党员 to the roll) has to remove with the member,
and what stops it. Undoing the admission deletes the member record it created (`services.undo_step`): with it go
the records derived from that entry — the member's own history (members), the absences ticked on the rosters of
organizational life they were on (meetings: a roster is computed from the roll, so the mistaken entry put them
there; the meeting record keeps the 应到/实到 it computed when saved, which saving it again computes anew), the 党费
ledger's cached snapshot (dues) and the case's link to them. Every other record that refers to them — a 党费
payment, a declared base, a training, a post, a 转接, a talk … — was entered about them by someone: it stops the
undo, named with how many, to be deleted or corrected first. So does a login account still enabled for them (the
系统管理员 disables it first; a disabled one is unlinked).

The references are found from the model's relations, not from a list of the apps: a relation added later stops the
undo (by its model's name) until it is judged derived here. One query, whatever the number of relations."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Func, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy, pgettext

from dangjian.core.i18n import enumeration
from dangjian.members.models import Member

# removed with the member: (model label, field that refers to the member)
REMOVED_WITH_MEMBER = frozenset(
    {
        ("members.memberhistory", "member"),
        ("meetings.absence", "member"),
        ("dues.ledgersnapshot", "member"),
        ("pipeline.developmentcase", "member"),
    }
)
ABSENCES = ("meetings.absence", "member")
ACCOUNT = ("accounts.user", "member")

# how a sentence names n records of a kind that stops the undo; any other by its model's name
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


def references() -> list[tuple[tuple[str, str], type, str]]:
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


def _count(model, field: str, **extra) -> Coalesce:
    rows = model._base_manager.filter(**{field: OuterRef("pk")}, **extra).order_by()
    return Coalesce(Subquery(rows.annotate(n=_Count()).values("n")[:1]), 0)


@dataclass(frozen=True)
class AdmissionRecords:
    """What the roll holds about the 预备党员 an admission added, as far as undoing the admission goes."""

    blocking: list[str]  # each a kind of record and how many, as a sentence names them ("党费缴纳记录3笔")
    account: bool  # a login account linked to them is still enabled
    absences: int  # absences from organizational life, removed with them

    def refusal(self, step: str, name: str) -> str | None:
        """Why undoing the admission `step` of the member named `name` is refused, or None."""
        todo = []
        if self.blocking:
            todo.append(
                _("其已有%(records)s，请先删除或更正这些记录") % {"records": enumeration(self.blocking)}
            )
        if self.account:
            todo.append(_("其登录账号仍在启用，须先由系统管理员停用该账号"))
        if not todo:
            return None
        return _(
            "“%(step)s”不能撤销：撤销时须从党员名册中删除%(name)s的预备党员记录，但%(todo)s，再撤销本步记录。"
        ) % {
            "step": step,
            "name": name,
            "todo": pgettext("clause separator", "；").join(todo),
        }


def admission_records(member: Member) -> AdmissionRecords:
    """The records that stop removing `member` with the admission, and the absences removed with them. One query."""
    counts = {}
    for key, model, field in references():
        if key == ACCOUNT:
            counts[key] = _count(model, field, is_active=True)
        elif key == ABSENCES or key not in REMOVED_WITH_MEMBER:
            counts[key] = _count(model, field)
    names = {key: f"n{i}" for i, key in enumerate(counts)}
    row = Member._base_manager.filter(pk=member.pk).values(**{names[k]: v for k, v in counts.items()}).get()
    blocking = []
    for key, model, _field in references():
        if key in (ACCOUNT, ABSENCES) or key in REMOVED_WITH_MEMBER:
            continue
        n = row[names[key]]
        if not n:
            continue
        words = RECORD_WORDS.get(key)
        if words is not None:
            blocking.append(words % {"n": n})
        else:
            blocking.append(_("%(kind)s%(n)s条") % {"kind": model._meta.verbose_name, "n": n})
    return AdmissionRecords(
        blocking=blocking,
        account=bool(row.get(names.get(ACCOUNT, ""), 0)),
        absences=row.get(names[ABSENCES], 0) if ABSENCES in names else 0,
    )
