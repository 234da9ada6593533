"""Organizational-life records for the seed, over the window of months up to the reference day (clock.py).

Pure Python over the finished plan, from its own seeded RNG (the rest of the plan is unchanged by
it). The attendance of every record is computed in memory from the rosters on its date (rosters.py),
exactly as `dangjian.meetings.roster` would compute it from the database.

What each organisation records:

- 党支部: a 主题党日 every month, a 支部委员会 every month while it has a committee (3 or more
  committee posts held), a 支部党员大会 and a 党课 every quarter (often on the same record as the
  主题党日, or the 党课 with the 支部党员大会), the 组织生活会 with 民主评议党员 in some branches;
- 党小组: a 党小组会 every month;
- 党组: 理论学习中心组学习 most months, the 民主生活会 in some, and a 党课 by the 党组书记 in the
  unit's 机关党委 in most.

About 10% of organisations miss a month or a quarter of each periodic obligation, a few meetings
fall short of their quorum on purpose and a few branches had every 党课 given by someone other than
their 书记, so that every meeting rule has failures somewhere (the annual ones of the current year are
still pending for many organisations, as they would be in reality). Each meeting is drawn on its usual day
of the month: in today's month, those drawn after today are not held yet.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from dangjian.core.dates import add_months
from dangjian.demo.seeding import data
from dangjian.demo.seeding import meeting_data as words
from dangjian.demo.seeding.clock import Clock, month_end, quarter_of
from dangjian.demo.seeding.rosters import Entry, Facts
from dangjian.demo.seeding.specs import KindSpec, MeetingSpec, OrgSpec, Plan
from dangjian.meetings.choices import ROSTER_OF_TYPE, MeetingType, Roster
from dangjian.members.choices import WorkStatus
from dangjian.orgs.choices import COMMITTEE_TITLES, OrgType, PostTitle

T = MeetingType

GAP_SHARE = 0.10  # organisations that miss a period of each periodic obligation
ORG_LIFE_SHARE = 0.30  # branches that have held this year's 组织生活会 by the reference day
PAST_ORG_LIFE_SHARE = 0.90  # branches that held a past year's (in the months of the window)
NON_SECRETARY_LECTURES_SHARE = 0.06  # branches whose 党课 were all given by someone else
ASSEMBLY_SHORT_SHARE = 0.03  # branches with one 支部党员大会 short of its quorum
COMMITTEE_SHORT_SHARE = 0.02
DEMOCRATIC_LIFE_SHARE = 0.55
DEMOCRATIC_LIFE_SHORT_SHARE = 0.10
DANGZU_LECTURE_SHARE = 0.85

ORDER = {t: n for n, t in enumerate(T.values)}
QUARTER_NAMES = "一二三四"


def quarter_end(quarter: dt.date) -> dt.date:
    return month_end(add_months(quarter, 2))


@dataclass
class Draft:
    org: str
    types: set[str]
    date: dt.date
    title: str  # e.g. "3月主题党日"; combined types are added after it
    subject: str
    place: str = ""
    host: int | None = None
    lecturer: int | None = None
    lecturer_name: str = ""
    observers: str = ""
    lecture_subject: str = ""
    extra: list[str] = field(default_factory=list)
    short: bool = False  # falls short of its quorum on purpose

    def add(self, meeting_type: str, label: str) -> None:
        self.types.add(meeting_type)
        self.extra.append(label)


class MeetingsBuilder:
    def __init__(self, plan: Plan, seed: int):
        self.plan = plan
        self.clock = Clock(plan.today)
        self.today = plan.today
        self.facts = Facts(plan)
        self.rng = random.Random(f"dangjian-meetings-{seed}")
        self.surnames = [s for s, _ in data.SURNAMES[:40]]
        self.drafts: list[Draft] = []

    # --- choosing ------------------------------------------------------------------------------
    def choose(self, orgs: list[OrgSpec], share: float, minimum: int = 1) -> set[str]:
        if not orgs:
            return set()
        count = min(len(orgs), max(minimum, round(share * len(orgs))))
        return {o.code for o in self.rng.sample(orgs, count)}

    def day_in(self, month: dt.date, start: dt.date, near: int | None = None) -> dt.date | None:
        """A workday of the month on or after `start`: the one nearest to day `near`, or any; None when
        there is none, or when the day drawn is after today (not held yet)."""
        days = [d for d in self.clock.workdays.get(month, ()) if d >= start]
        if not days:
            return None
        day = self.rng.choice(days) if near is None else min(days, key=lambda d: (abs(d.day - near), d))
        return day if day <= self.today else None

    def gaps(self, candidates: list[dt.date], most: int) -> set[dt.date]:
        """1..`most` of the candidate periods of each year, missed by an organisation that falls short (in
        every year of the window: each year's compliance shows it)."""
        missed: set[dt.date] = set()
        for year in sorted({c.year for c in candidates}):
            periods = [c for c in candidates if c.year == year]
            missed.update(self.rng.sample(periods, min(len(periods), self.rng.randint(1, most))))
        return missed

    # --- organisations -------------------------------------------------------------------------
    def build(self) -> list[MeetingSpec]:
        orgs = self.plan.orgs
        branches = [o for o in orgs if o.type == OrgType.ZHIBU]
        with_committee = [b for b in branches if self.facts.has_committee(b.code, self.today)]
        flags = {
            "theme_gap": self.choose(branches, GAP_SHARE),
            "committee_gap": self.choose(with_committee, GAP_SHARE),
            "assembly_gap": self.choose(branches, GAP_SHARE),
            "lecture_gap": self.choose(branches, GAP_SHARE),
            "org_life": self.choose(branches, ORG_LIFE_SHARE),
            "past_org_life": self.choose(branches, PAST_ORG_LIFE_SHARE),
            "no_secretary": self.choose(branches, NON_SECRETARY_LECTURES_SHARE),
            "assembly_short": self.choose(branches, ASSEMBLY_SHORT_SHARE, minimum=2),
            "committee_short": self.choose(with_committee, COMMITTEE_SHORT_SHARE),
        }
        for branch in branches:
            self.branch_year(branch, {name for name, codes in flags.items() if branch.code in codes})
        groups = [o for o in orgs if o.type == OrgType.XIAOZU]
        group_gaps = self.choose(groups, GAP_SHARE)
        for group in groups:
            self.group_year(group, group.code in group_gaps)
        dangzus = [o for o in orgs if o.type == OrgType.DANGZU]
        held = self.choose(dangzus, DEMOCRATIC_LIFE_SHARE)
        short = self.choose([o for o in dangzus if o.code in held], DEMOCRATIC_LIFE_SHORT_SHARE)
        lectures = self.choose(dangzus, DANGZU_LECTURE_SHARE)
        for dangzu in dangzus:
            self.dangzu_year(dangzu, dangzu.code in held, dangzu.code in short, dangzu.code in lectures)
        return [self.finish(d) for d in self.drafts]

    def room(self, org: OrgSpec) -> str:
        return self.rng.choice(words.RETIREE_ROOMS if org.is_retiree_branch else words.MEETING_ROOMS)

    def branch_host(self, code: str, on: dt.date) -> int | None:
        titles = (
            PostTitle.SECRETARY,
            PostTitle.DEPUTY_SECRETARY,
            PostTitle.ORGANIZATION,
            PostTitle.PROPAGANDA,
        )
        return self.facts.holder(code, on, *titles)

    def branch_year(self, branch: OrgSpec, flags: set[str]) -> None:
        rng, facts, code, today = self.rng, self.facts, branch.code, self.today
        start = facts.start(branch)
        if start > today:
            return
        months = [m for m in self.clock.months if month_end(m) >= start]
        required = [m for m in months if m >= start and month_end(m) <= today]
        quarters = sorted({quarter_of(m) for m in months})
        required_quarters = [q for q in quarters if q >= start and quarter_end(q) <= today]
        # 主题党日: a fixed day each month (e.g. the third Friday), moved to the nearest workday.
        skip = self.gaps(required, 2) if "theme_gap" in flags else set()
        week, weekday = rng.randint(1, 4), rng.randint(0, 4)
        theme: dict[dt.date, Draft] = {}
        for m in months:
            target = m + dt.timedelta(days=(weekday - m.weekday()) % 7 + 7 * (week - 1))
            day = self.day_in(m, start, target.day)
            if day is None or m in skip:
                continue
            subject, place = rng.choice(words.THEME_DAYS[m.month])
            theme[m] = Draft(
                code, {T.THEME_DAY}, day, f"{m.month}月主题党日", subject, place or self.room(branch)
            )
        committee = self.committee_meetings(branch, start, months, required, "committee_gap" in flags)
        skip = self.gaps(required_quarters, 1) if "assembly_gap" in flags else set()
        assembly = self.quarterly(branch, start, quarters, skip, theme, T.ASSEMBLY)
        skip = self.gaps(required_quarters, 1) if "lecture_gap" in flags else set()
        lecture = self.quarterly(branch, start, quarters, skip, theme, T.LECTURE, assembly)
        self.lecturers(branch, list(lecture.values()), "no_secretary" in flags)
        drafts = [*theme.values(), *committee.values(), *assembly.values(), *lecture.values()]
        for year in self.clock.years:
            if "org_life" in flags if year == today.year else "past_org_life" in flags:
                drafts.extend(self.org_life(branch, start, year))
        if "assembly_short" in flags:
            self.fall_short(assembly)
        if "committee_short" in flags:
            self.fall_short(committee)
        unique = {id(d): d for d in drafts}  # a combined record appears under several types
        for draft in sorted(unique.values(), key=lambda d: (d.date, min(ORDER[t] for t in d.types))):
            if draft.host is None:
                draft.host = self.branch_host(code, draft.date)
            self.drafts.append(draft)

    def fall_short(self, held: dict[dt.date, Draft]) -> None:
        """One record of each year falls short of its quorum (each year's compliance shows it)."""
        for year in self.clock.years:
            periods = sorted(p for p in held if p.year == year)
            if periods:
                held[self.rng.choice(periods)].short = True

    def committee_meetings(
        self, branch: OrgSpec, start: dt.date, months: list[dt.date], required: list[dt.date], gap: bool
    ) -> dict[dt.date, Draft]:
        """Early in each month in which the branch has a committee (3 or more committee posts held)."""
        rng, code = self.rng, branch.code
        days = {
            m: [d for d in self.clock.workdays[m] if d >= start and self.facts.has_committee(code, d)]
            for m in months
        }
        skip = self.gaps([m for m in required if days[m]], 2) if gap else set()
        held: dict[dt.date, Draft] = {}
        for m in months:
            near = rng.randint(3, 12)
            if days[m] and m not in skip:
                day = min(days[m], key=lambda d: (abs(d.day - near), d))
                if day > self.today:  # not held yet
                    continue
                subject = rng.choice(words.COMMITTEE_TOPICS)
                held[m] = Draft(
                    code, {T.COMMITTEE}, day, f"{m.month}月支部委员会", subject, self.room(branch)
                )
        return held

    def quarterly(
        self,
        branch: OrgSpec,
        start: dt.date,
        quarters: list[dt.date],
        skip: set[dt.date],
        theme: dict[dt.date, Draft],
        meeting_type: str,
        assembly: dict[dt.date, Draft] | None = None,
    ) -> dict[dt.date, Draft]:
        """One record per quarter (the current quarter in some branches): often the month's 主题党日."""
        rng, label = self.rng, "支部党员大会" if meeting_type == T.ASSEMBLY else "党课"
        held: dict[dt.date, Draft] = {}
        for q in quarters:
            months = [m for m in self.clock.quarter_months(q) if self.day_in(m, start) is not None]
            if not months or q in skip or (quarter_end(q) > self.today and rng.random() > 0.35):
                continue
            roll = rng.random()
            if assembly and q in assembly and roll < 0.15:
                held[q] = assembly[q]
            elif roll < 0.55 and (
                fits := [m for m in months if m in theme and self.fits(theme[m], meeting_type)]
            ):
                held[q] = theme[rng.choice(fits)]
            else:
                m = rng.choice(months)
                day = self.day_in(m, start)
                if day is None:  # drawn after today in today's month: not held yet
                    continue
                if meeting_type == T.ASSEMBLY:
                    year = "" if q.year == self.today.year else f"{q.year}年"
                    title, subject = (
                        f"{year}第{QUARTER_NAMES[(q.month - 1) // 3]}季度支部党员大会",
                        rng.choice(words.ASSEMBLY_TOPICS),
                    )
                else:
                    title, subject = "党课", rng.choice(words.LECTURE_TOPICS)
                held[q] = Draft(branch.code, {meeting_type}, day, title, subject, self.room(branch))
                if meeting_type == T.LECTURE:
                    held[q].lecture_subject = subject
                continue
            held[q].add(meeting_type, label)
        if meeting_type == T.LECTURE:
            for draft in held.values():
                draft.lecture_subject = draft.lecture_subject or rng.choice(words.LECTURE_TOPICS)
        return held

    @staticmethod
    def fits(theme_day: Draft, meeting_type: str) -> bool:
        """A 党课 can be given anywhere (a 现场党课); a 支部党员大会 is held in a meeting room."""
        return meeting_type == T.LECTURE or theme_day.place in (*words.MEETING_ROOMS, *words.RETIREE_ROOMS)

    def outside_speaker(self) -> str:
        rng = self.rng
        return (
            f"{rng.choice(words.SPEAKER_BODIES)}{rng.choice(self.surnames)}{rng.choice(words.SPEAKER_TITLES)}"
        )

    def lecturers(self, branch: OrgSpec, lectures: list[Draft], never_secretary: bool) -> None:
        """Mostly the secretary on the day (at least once unless `never_secretary`), else another
        committee member, an ordinary member or an outside speaker."""
        rng, facts, code = self.rng, self.facts, branch.code
        lectures = sorted(lectures, key=lambda d: d.date)
        secretaries = [facts.holder(code, d.date, PostTitle.SECRETARY) for d in lectures]
        chosen = [n for n, s in enumerate(secretaries) if s is not None]
        designated = rng.choice(chosen) if chosen and not never_secretary else None
        for n, (draft, secretary) in enumerate(zip(lectures, secretaries, strict=True)):
            roll = rng.random()
            if n == designated or (secretary is not None and not never_secretary and roll < 0.35):
                draft.lecturer = secretary
            elif roll < 0.7:
                others = [i for i, _ in facts.holders(code, draft.date, COMMITTEE_TITLES) if i != secretary]
                if not others:
                    others = [
                        i for i, formal in facts.members_on(code, draft.date) if formal and i != secretary
                    ]
                if others:
                    draft.lecturer = rng.choice(others)
                else:
                    draft.lecturer_name = self.outside_speaker()
            else:
                draft.lecturer_name = self.outside_speaker()

    def unit_committee(self, org: OrgSpec) -> OrgSpec:
        while org.type != OrgType.DANGWEI and org.parent:
            org = self.facts.orgs[org.parent]
        return org

    def org_life(self, branch: OrgSpec, start: dt.date, year: int) -> list[Draft]:
        """The 组织生活会 (with 民主评议党员 in most) held in `year`: this year's early in the year for the
        previous year, or in October; a past year's in the last or the first months of the window."""
        rng = self.rng
        if year == self.today.year:
            if rng.random() < 0.7:
                month, title = dt.date(year, rng.choice([1, 2, 3]), 1), f"{year - 1}年度组织生活会"
            else:
                month, title = dt.date(year, 10, 1), f"{year}年度专题组织生活会"
        else:
            months = [m for m in self.clock.months if m.year == year and m.month in (1, 2, 3, 11, 12)]
            if not months:
                return []
            month = rng.choice(months)
            title = f"{year - 1 if month.month <= 3 else year}年度组织生活会"
        day = self.day_in(month, start)
        if day is None:
            return []
        draft = Draft(branch.code, {T.ORG_LIFE}, day, title, "对照检查、批评和自我批评", self.room(branch))
        if rng.random() < 0.85:
            draft.add(T.MEMBER_REVIEW, "民主评议党员")
        party = self.unit_committee(branch)
        guest = self.facts.holder(party.code, day, PostTitle.ORGANIZATION, PostTitle.COMMITTEE)
        if guest is not None and rng.random() < 0.6:
            draft.observers = f"{party.name}委员 {self.plan.members[guest].name}"
        return [draft]

    def group_year(self, group: OrgSpec, gap: bool) -> None:
        rng, facts, today = self.rng, self.facts, self.today
        start = facts.start(group)
        if start > today:
            return
        required = [m for m in self.clock.months if m >= start and month_end(m) <= today]
        near = rng.randint(5, 25)
        skip = self.gaps(required, 2) if gap else set()
        held: dict[dt.date, Draft] = {}
        for m in self.clock.months:
            day = self.day_in(m, start, near)
            if day is not None and m not in skip:
                subject = rng.choice(words.GROUP_TOPICS)
                room = self.room(facts.orgs[group.parent or group.code])
                held[m] = Draft(group.code, {T.GROUP}, day, f"{m.month}月党小组会", subject, room)
        for draft in held.values():
            draft.host = facts.holder(group.code, draft.date, PostTitle.GROUP_LEADER)
            self.drafts.append(draft)

    def dangzu_year(self, dangzu: OrgSpec, democratic_life: bool, short: bool, lecture: bool) -> None:
        rng, facts, code = self.rng, self.facts, dangzu.code
        start = facts.start(dangzu)
        drafts = []
        for m in self.clock.months:
            if m.month == 2 or rng.random() < 0.12:
                continue
            day = self.day_in(m, start)
            if day is not None:
                subject = rng.choice(words.CENTRAL_GROUP_TOPICS)
                drafts.append(
                    Draft(
                        code, {T.CENTRAL_GROUP}, day, f"{m.month}月理论学习中心组学习", subject, "党组会议室"
                    )
                )
        if democratic_life:  # early in each year of the window, for the year before
            held = []
            for year in self.clock.years:
                day = self.day_in(dt.date(year, rng.choice([1, 1, 2, 2, 3]), 1), start)
                if day is not None:
                    draft = Draft(
                        code, {T.DEMOCRATIC_LIFE}, day, f"{year - 1}年度民主生活会", "对照检查", "党组会议室"
                    )
                    draft.observers = "市纪委监委派驻纪检监察组、市委组织部有关同志"
                    held.append(draft)
            if held:
                held[-1].short = short  # the latest one falls short
            drafts.extend(held)
        for draft in drafts:
            draft.host = facts.holder(code, draft.date, PostTitle.SECRETARY)
        secretaries = facts.held(code, self.today, frozenset({PostTitle.SECRETARY}))
        party = next(o for o in self.plan.orgs if o.type == OrgType.DANGWEI and o.unit == dangzu.unit)
        for year in self.clock.years if lecture and secretaries else ():  # once a year, March to October
            earliest = max(facts.start(party), secretaries[0].started_on, dt.date(year, 3, 1))
            if earliest.year != year or earliest.month > 10:
                continue
            day = self.day_in(dt.date(year, rng.randint(earliest.month, 10), 1), earliest)
            if day is not None:
                draft = Draft(
                    party.code, {T.LECTURE}, day, "党组书记讲党课", rng.choice(words.LECTURE_TOPICS)
                )
                draft.place, draft.lecture_subject = "机关礼堂", draft.subject
                draft.lecturer = facts.holder(code, day, PostTitle.SECRETARY)
                draft.host = facts.holder(party.code, day, PostTitle.SECRETARY, PostTitle.DEPUTY_SECRETARY)
                drafts.append(draft)
        self.drafts.extend(sorted(drafts, key=lambda d: d.date))

    # --- attendance ----------------------------------------------------------------------------
    def finish(self, draft: Draft) -> MeetingSpec:
        types = tuple(sorted(draft.types, key=ORDER.__getitem__))
        rosters: dict[str, list[Entry]] = {}
        for t in types:
            kind = ROSTER_OF_TYPE[t]
            if kind not in rosters:
                rosters[kind] = self.facts.roster(draft.org, kind, draft.date)
        absent = self.absentees(draft, types, rosters)
        kinds = []
        for t in types:
            entries = rosters[ROSTER_OF_TYPE[t]]
            present = [(i, formal) for i, formal in entries if i not in absent]
            kinds.append(
                KindSpec(
                    t,
                    len(entries),
                    len(present),
                    sum(formal for _, formal in entries),
                    sum(formal for _, formal in present),
                )
            )
        return MeetingSpec(
            org=draft.org,
            types=types,
            date=draft.date,
            topic=self.topic(draft),
            place=draft.place,
            host=draft.host,
            lecturer=draft.lecturer,
            lecturer_name=draft.lecturer_name,
            observers=draft.observers,
            content=self.minutes(draft, types),
            absentees=tuple(sorted(absent.items())),
            kinds=tuple(kinds),
        )

    def topic(self, draft: Draft) -> str:
        extra = f"暨{'、'.join(draft.extra)}" if draft.extra else ""
        return f"{draft.title}{extra}：{draft.subject}"[:200]

    def minutes(self, draft: Draft, types: tuple[str, ...]) -> str:
        members = self.plan.members
        parts = [f"{members[draft.host].name}主持。"] if draft.host is not None else []
        for t in types:
            pool = words.MINUTES.get(t)
            if pool:
                parts.append(self.rng.choice(pool))
        if T.LECTURE in types:
            speaker = members[draft.lecturer].name if draft.lecturer is not None else draft.lecturer_name
            parts.append(f"{speaker}讲授党课《{draft.lecture_subject or draft.subject}》。")
        return "".join(parts)

    def absentees(
        self, draft: Draft, types: tuple[str, ...], rosters: dict[str, list[Entry]]
    ) -> dict[int, str]:
        """A few absentees drawn from the roster (never the host or the lecturer); quorums are kept
        unless the draft is meant to fall short, and then just enough are absent to miss it."""
        rng, members = self.rng, self.plan.members
        union: dict[int, bool] = {}
        for entries in rosters.values():
            for i, formal in entries:
                union.setdefault(i, formal)
        keep = {draft.host, draft.lecturer}
        pool = [(i, formal) for i, formal in union.items() if i not in keep]
        org = self.facts.orgs[draft.org]
        branch = self.facts.orgs[org.parent] if org.type == OrgType.XIAOZU and org.parent else org
        retiree = branch.is_retiree_branch
        rate = {Roster.MEMBERS: 0.11 if retiree else 0.05, Roster.COMMITTEE: 0.07}.get(
            ROSTER_OF_TYPE[types[0]], 0.05
        )
        if T.DEMOCRATIC_LIFE in types:
            rate = 0.03
        absent = [i for i, _ in pool if rng.random() < rate]
        if draft.short:
            absent = self.shortfall(types, rosters, pool)
        else:
            while absent and not self.quorate(types, rosters, set(absent)):
                absent.pop()
        return {i: self.reason(members[i].work_status == WorkStatus.RETIRED) for i in sorted(absent)}

    def shortfall(
        self, types: tuple[str, ...], rosters: dict[str, list[Entry]], pool: list[Entry]
    ) -> list[int]:
        rng = self.rng
        if T.ASSEMBLY in types:
            entries = rosters[Roster.MEMBERS]
            expected = sum(formal for _, formal in entries)
            target = expected // 2 - (1 if expected >= 8 and rng.random() < 0.4 else 0)
            formal = [i for i, f in pool if f]
            return rng.sample(formal, min(len(formal), expected - target))
        kind = Roster.COMMITTEE if T.COMMITTEE in types else Roster.LEADERSHIP
        expected = len(rosters[kind])
        target = expected // 2 if kind == Roster.COMMITTEE else -(-2 * expected // 3) - 1
        candidates = [i for i, _ in pool]
        return rng.sample(candidates, min(len(candidates), expected - target))

    @staticmethod
    def quorate(types: tuple[str, ...], rosters: dict[str, list[Entry]], absent: set[int]) -> bool:
        for t in types:
            entries = rosters[ROSTER_OF_TYPE[t]]
            present = [(i, f) for i, f in entries if i not in absent]
            if entries and not present:
                return False
            if t == T.ASSEMBLY:
                formal = sum(f for _, f in entries)
                if 2 * sum(f for _, f in present) <= formal:
                    return False
            elif t == T.COMMITTEE and 2 * len(present) <= len(entries):
                return False
            elif t == T.DEMOCRATIC_LIFE and 3 * len(present) < 2 * len(entries):
                return False
        return True

    def reason(self, retired: bool) -> str:
        table = words.ABSENCE_REASONS_RETIRED if retired else words.ABSENCE_REASONS_ACTIVE
        return self.rng.choices([r for r, _ in table], [w for _, w in table])[0]


def build_meetings(plan: Plan, seed: int) -> list[MeetingSpec]:
    return MeetingsBuilder(plan, seed).build()
