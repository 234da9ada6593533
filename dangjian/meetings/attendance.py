"""Who took part in a branch's organizational life, month by month: pure functions over the "orglife" facts
(dangjian.meetings.facts), shared by the checks MEM-ORGLIFE-ABSENT-6M and MEM-LEADER-DUAL-LIFE and by the page
of members absent for months.

A member is expected at a record (应到) as the roster of its types says, read from what the facts hold: a
record of the branch (支部党员大会, 党课, 主题党日 …) expects every member of the branch and its 党小组; a record of
a 党小组 its own members; a 支部委员会 the holders of the committee posts on its date. A member counts from
入党日期 and from the day they came into the branch (their latest move from outside it): months in another
branch are not counted here. An absentee of a record was expected at it whatever the reconstruction says
(the roster of its date put them there). Attended = expected and not recorded absent.

A month of a member is
- attended: at least one record of the month attended;
- excused: expected at records of the month, absent from all of them, each absence with a recorded reason;
- unexcused: absent from all of them, at least one absence without a recorded reason;
- empty: no record of the month expected them (the branch held none, or before they came).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dangjian.meetings.choices import ROSTER_OF_TYPE, Roster
from dangjian.meetings.facts import LifeFacts, LifeMember, LifeRecord
from dangjian.orgs.choices import COMMITTEE_TITLES

ATTENDED, EXCUSED, UNEXCUSED, EMPTY = "attended", "excused", "unexcused", "empty"


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_of(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_complete_month(on: dt.date) -> int:
    """The last month over on `on`: its own month on its last day, else the month before."""
    tomorrow = on + dt.timedelta(days=1)
    return month_index(on) if tomorrow.month != on.month else month_index(on) - 1


def _committee_on(facts: LifeFacts, day: dt.date) -> set[int]:
    return {p.member_id for p in facts.committee if p.title in COMMITTEE_TITLES and p.held_on(day)}


# (record, the member's reason kind when absent — "" without a recorded reason — or None when present)
Presence = tuple[LifeRecord, str | None]


def presence(
    facts: LifeFacts,
    types: frozenset[str],
    start: dt.date | None = None,
    end: dt.date | None = None,
    only: set[int] | None = None,
) -> dict[int, list[Presence]]:
    """For each member (of `only`, when given), the records of `types` (dated `start` … `end`) that expected
    them, in date order, with their absence. One pass over the records, each looking only at the members its
    roster can name."""
    members = facts.members if only is None else [m for m in facts.members if m.id in only]
    by_org: dict[int, list[LifeMember]] = {}
    for member in members:
        by_org.setdefault(member.org_id, []).append(member)
    known = {m.id: m for m in members}
    found: dict[int, list[Presence]] = {}
    for record in facts.records:
        if not record.types & types or (start and record.date < start) or (end and record.date > end):
            continue
        day = record.date
        rosters = {ROSTER_OF_TYPE.get(kind) for kind in record.types}
        candidates: dict[int, LifeMember] = {}
        if Roster.MEMBERS in rosters:
            if record.org_id == facts.branch_id:
                candidates.update((m.id, m) for m in members)
            else:
                candidates.update((m.id, m) for m in by_org.get(record.org_id, ()))
        if Roster.COMMITTEE in rosters and record.org_id == facts.branch_id:
            candidates.update((pk, known[pk]) for pk in _committee_on(facts, day) if pk in known)
        for member_id, reason in record.absent.items():
            if member_id in known:
                found.setdefault(member_id, []).append((record, reason))
        for member in candidates.values():
            if member.id in record.absent:
                continue
            if day < member.joined_on or (member.since is not None and day < member.since):
                continue
            found.setdefault(member.id, []).append((record, None))
    return found


def month_statuses(entries: list[Presence]) -> dict[int, str]:
    """A member's status in each month with a record that expected them (see the module docstring)."""
    by_month: dict[int, list[str | None]] = {}
    for record, reason in entries:
        by_month.setdefault(month_index(record.date), []).append(reason)
    statuses = {}
    for month, reasons in by_month.items():
        if any(reason is None for reason in reasons):
            statuses[month] = ATTENDED
        elif all(reasons):
            statuses[month] = EXCUSED
        else:
            statuses[month] = UNEXCUSED
    return statuses


@dataclass(frozen=True)
class Run:
    """Consecutive months without taking part and without a recorded reason: months with no record for the
    member in between neither break nor count."""

    member: LifeMember
    first: int  # month index of its first unexcused month
    last: int  # and of its last
    months: tuple[int, ...]  # the unexcused months

    @property
    def length(self) -> int:
        return len(self.months)

    @property
    def label(self) -> str:
        return f"{month_label(self.first)}~{month_label(self.last)}"


def runs(member: LifeMember, entries: list[Presence], facts: LifeFacts, on: dt.date) -> list[Run]:
    """The member's runs over the complete months from the first loaded to the last over on `on`. Months up
    to the latest reviewed month (OrgLifeReview.through_month) are reviewed: a run is cut there, and what
    follows counts afresh."""
    statuses = month_statuses(entries)
    first = month_index(facts.start)
    if member.reviewed_through is not None:
        first = max(first, month_index(member.reviewed_through) + 1)
    found: list[Run] = []
    current: list[int] = []
    for month in range(first, last_complete_month(on) + 1):
        status = statuses.get(month, EMPTY)
        if status == UNEXCUSED:
            current.append(month)
        elif status in (ATTENDED, EXCUSED) and current:
            found.append(Run(member, current[0], current[-1], tuple(current)))
            current = []
    if current:
        found.append(Run(member, current[0], current[-1], tuple(current)))
    return found


def all_runs(facts: LifeFacts, types: frozenset[str], on: dt.date) -> list[Run]:
    """Every member's runs (not yet reviewed), by member name then month. A run is made of months where the
    member was absent without a recorded reason, so only the members with such an absence are looked at (in a
    branch most members have none: their months are never walked)."""
    suspects = {
        member_id
        for record in facts.records
        if record.types & types
        for member_id, reason in record.absent.items()
        if not reason
    }
    if not suspects:
        return []
    table = presence(facts, types, only=suspects)
    # facts.members are in the roll's pinyin order (compliance.facts.branch_roll): the runs follow it
    rank = {m.id: i for i, m in enumerate(facts.members)}
    found = [r for m in facts.members if m.id in suspects for r in runs(m, table.get(m.id, []), facts, on)]
    return sorted(found, key=lambda r: (rank[r.member.id], r.first))


def cases(facts: LifeFacts, types: frozenset[str], months: int, on: dt.date) -> list[Run]:
    """Every run of `months` or more unexcused months not yet reviewed."""
    return [r for r in all_runs(facts, types, on) if r.length >= months]


# --- 领导干部 at the 组织生活会 -------------------------------------------------------------------------

PRESENT, EXCUSED_ABSENT, ABSENT, CAME_LATER, NOT_HELD = (
    "present",
    "excused",
    "absent",
    "came_later",
    "not_held",
)


@dataclass(frozen=True)
class LeaderAttendance:
    member: LifeMember
    status: str  # PRESENT, EXCUSED_ABSENT, ABSENT, CAME_LATER or NOT_HELD
    records: tuple[LifeRecord, ...]  # the records of the window expecting them (or all, when none did)


def leader_attendance(
    facts: LifeFacts, types: frozenset[str], start: dt.date, end: dt.date
) -> list[LeaderAttendance]:
    """Each member marked 领导干部: present at a record of `types` dated `start` … `end` (the branch's or their
    党小组's); else absent from all expecting them with a reason recorded for each (excused), or without
    (absent); not expected at any although records were held (they came later, or joined later); or none held."""
    leaders = [member for member in facts.members if member.is_leader]
    if not leaders:  # a branch without any: nothing to look up
        return []
    held = [r for r in facts.records if r.types & types and start <= r.date <= end]
    # the presence of the leaders only (not of every member, to read the leaders' rows)
    table = presence(facts, types, start, end, only={member.id for member in leaders})
    found = []
    for member in leaders:
        mine = table.get(member.id, [])
        if any(reason is None for _record, reason in mine):
            status = PRESENT
        elif mine:
            status = EXCUSED_ABSENT if all(reason for _record, reason in mine) else ABSENT
        elif held:
            status = CAME_LATER
        else:
            status = NOT_HELD
        found.append(LeaderAttendance(member, status, tuple(r for r, _reason in mine) or tuple(held)))
    return found
