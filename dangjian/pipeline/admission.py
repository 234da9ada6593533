"""What undoing an admission (接收预备党员, the step that adds the 预备党员 to the roll) has to remove with the member,
and what stops it. Undoing the admission deletes the member record it created (`services.undo_step`): with it go
the records derived from that entry — the member's own history (members), the absences ticked on the rosters of
organizational life they were on (meetings: a roster is computed from the roll, so the mistaken entry put them
there) and their place in the 应到/实到 those records keep (`meetings.services.uncount_member`), the 党费 ledger's
cached snapshot (dues) and the case's link to them. Every other record that refers to them — a 党费
payment, a declared base, a training, a post, a 转接, a talk … — was entered about them by someone: it stops the
undo, named with how many, to be deleted or corrected first. So does a login account still enabled for them (the
系统管理员 disables it first; a disabled one is unlinked).

The references are found from the model's relations, not from a list of the apps (`members.references`, which
deleting a member on its own goes by too): a relation added later stops the undo (by its model's name) until it is
judged derived here. One query, whatever the number of relations."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.core.i18n import enumeration
from dangjian.members.models import Member
from dangjian.members.references import DERIVED, count_of, record_words, references

# removed with the member: (model label, field that refers to the member) — besides what is derived from any
# member's entry (their history, the 党费 ledger's snapshot), the absences and the case's link to them
REMOVED_WITH_MEMBER = DERIVED | frozenset(
    {
        ("meetings.absence", "member"),
        ("pipeline.developmentcase", "member"),
    }
)
ABSENCES = ("meetings.absence", "member")
ACCOUNT = ("accounts.user", "member")


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
            counts[key] = count_of(model, field, is_active=True)
        elif key == ABSENCES or key not in REMOVED_WITH_MEMBER:
            counts[key] = count_of(model, field)
    names = {key: f"n{i}" for i, key in enumerate(counts)}
    row = Member._base_manager.filter(pk=member.pk).values(**{names[k]: v for k, v in counts.items()}).get()
    blocking = []
    for key, model, _field in references():
        if key in (ACCOUNT, ABSENCES) or key in REMOVED_WITH_MEMBER:
            continue
        n = row[names[key]]
        if n:
            blocking.append(record_words(key, model, n))
    return AdmissionRecords(
        blocking=blocking,
        account=bool(row.get(names.get(ACCOUNT, ""), 0)),
        absences=row.get(names[ABSENCES], 0) if ABSENCES in names else 0,
    )
