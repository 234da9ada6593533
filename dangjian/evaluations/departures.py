"""Participants who have left the branch since its 民主评议 was opened.

The participants are fixed at opening (services.open_evaluation). One of them has left when their member record no
longer puts them on the branch's roll: off the roll (组织关系转出本系统, 死亡, 出党, 停止党籍: `Member.status`, from
`inactive_from`), or now in an organisation outside the branch and its 党小组 (组织关系转接 to another organisation of
the system). A completed evaluation counts only those who left by its completion day: a member who left afterwards
took part to the end. Back on the branch's roll (a 停止党籍 lifted, transferred back), they are a participant like
the others again.

A participant who has left is asked for nothing more: no grade (the 组织评定 and the 公示 do not wait for them), no
个人自评, no ballot. What they did stays: a ballot they cast is in the counters (nothing names it), a grade already
given is kept and shown, and counts towards the 优秀 cap as EVAL-EXCELLENT-CAP counts every grade kept. The ballots
cast after they left still rate them: every participant's counters come from the same ballots, so no participant's
tally rests on fewer ballots than the threshold that hides the tallies (`min_ballots_for_tallies`) assumes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from dangjian.evaluations.models import Evaluation, Participant
from dangjian.evaluations.params import EvaluationParams, graded_of
from dangjian.members.choices import HistoryField, MemberStatus
from dangjian.members.models import Member, MemberHistory

MOVED = "moved"  # now in another organisation of the system (the other reasons are `MemberStatus` values)


@dataclass(frozen=True)
class Departure:
    """Why and when a participant left the branch: `reason` a `MemberStatus` value other than 正常, or MOVED (then
    `org_name`, the organisation the member is in now); `on` the first day away (None: a move with no history)."""

    reason: str
    on: dt.date | None
    org_name: str = ""

    @property
    def label(self) -> str:
        """In the words of the evaluation's pages: “已于2025-06-01转出”, “已于2025-06-01转至甲二支部”…"""
        day = f"{self.on:%Y-%m-%d}" if self.on else ""
        if self.reason == MOVED:
            if not day:
                return _("已转至%(org)s") % {"org": self.org_name}
            return _("已于%(date)s转至%(org)s") % {"date": day, "org": self.org_name}
        if self.reason == MemberStatus.TRANSFERRED_OUT:
            return _("已于%(date)s转出") % {"date": day}
        if self.reason == MemberStatus.DECEASED:
            return _("已于%(date)s去世") % {"date": day}
        if self.reason == MemberStatus.LEFT_PARTY:
            return _("已于%(date)s出党") % {"date": day}
        return _("已于%(date)s停止党籍") % {"date": day}


def has_left(member: Member, branch_path: str, on: dt.date) -> bool:
    """Whether `member` (read with their organisation) is off the roll of the branch whose path is `branch_path` on
    `on`: off the roll (their status from `inactive_from`), or in an organisation outside the branch's subtree. No
    query."""
    return _off_roll(member, on) or not member.org.path.startswith(branch_path)


def _off_roll(member: Member, on: dt.date) -> bool:
    return member.status != MemberStatus.NORMAL and (
        member.inactive_from is None or member.inactive_from <= on
    )


def departures(ev: Evaluation, people: Iterable[Participant]) -> dict[int, Departure]:
    """The participants of `ev` (read with its branch) who have left it, by participant id, with why and when.
    `people` are read with their members and the members' organisations (`select_related("member__org")`). No
    query, unless a participant moved to another organisation: then one, the day of the move from their history.
    A completed evaluation: only those who left by its completion day."""
    today = dt.date.today()
    branch_path = ev.org.path
    found: dict[int, Departure] = {}
    moved: dict[int, Participant] = {}
    for p in people:
        member = p.member
        if _off_roll(member, today):
            found[p.pk] = Departure(member.status, member.inactive_from)
        elif not member.org.path.startswith(branch_path):
            moved[p.member_id] = p
    if moved:
        days: dict[int, dt.date] = {}
        # the latest move out of the branch's subtree (the member may have moved again since)
        for member_id, day in (
            MemberHistory.objects.filter(
                member_id__in=list(moved), field=HistoryField.ORG, old_org__path__startswith=branch_path
            )
            .exclude(new_org__path__startswith=branch_path)
            .order_by("member_id", "-effective_on", "-id")
            .values_list("member_id", "effective_on")
        ):
            days.setdefault(member_id, day)
        for member_id, p in moved.items():
            found[p.pk] = Departure(MOVED, days.get(member_id), p.member.org.name)
    if ev.completed_on is None:  # as `has_left` tells it now, which the services check
        return found
    return {pk: d for pk, d in found.items() if d.on is None or d.on <= ev.completed_on}


def grading(
    people: Iterable[Participant], left: Mapping[int, Departure], params: EvaluationParams
) -> tuple[list[Participant], list[Participant]]:
    """The 组织评定's two lists: the participants it grades (`params.graded_of`) still on the branch's roll, and those
    who left with a grade already given (kept). The 优秀 cap (EVAL-02) is a share of both together — the grades the
    evaluation ends with, as EVAL-EXCELLENT-CAP counts them; one who left ungraded is in neither."""
    people = list(people)
    graded = [p for p in graded_of(people, params) if p.pk not in left]
    kept = [p for p in people if p.pk in left and p.grade]
    return graded, kept
