"""Rosters computed in memory from a seeding plan, exactly as `dangjian.meetings.roster` computes them
from the database on a date: a member's organisation on a date is their current one with the moves
dated after it undone (latest first, as the roster query orders them), 正式 from 转正日期, committees
and 党组 members from the posts held on that date (from 任职日期, up to the day before 离任日期)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from dangjian.demo.seeding.clock import Clock
from dangjian.demo.seeding.specs import OrgSpec, Plan
from dangjian.meetings.choices import Roster
from dangjian.members.choices import HistoryField
from dangjian.orgs.choices import COMMITTEE_TITLES

Entry = tuple[int, bool]  # (member index, 正式党员 on the date)


class Facts:
    """The plan indexed for rosters on a date."""

    def __init__(self, plan: Plan):
        self.members = plan.members
        self.first = Clock(plan.today).first  # records begin on the window's first day
        self.orgs = {o.code: o for o in plan.orgs}
        self.children: dict[str, list[str]] = defaultdict(list)
        for o in plan.orgs:
            if o.parent:
                self.children[o.parent].append(o.code)
        self.posts: dict[str, list] = defaultdict(list)
        for p in plan.posts:
            self.posts[p.org].append(p)
        self.moves: dict[int, list[tuple[dt.date, int, str | None]]] = defaultdict(list)
        self.moved: dict[str, list[int]] = defaultdict(list)
        for seq, h in enumerate(plan.history):  # written in plan order: seq orders like the primary key
            if h.field == HistoryField.ORG:
                self.moves[h.member].append((h.effective_on, seq, h.old_org))
                for code in (h.old_org, h.new_org):
                    if code:
                        self.moved[code].append(h.member)
        for moves in self.moves.values():
            moves.sort(key=lambda m: (m[0], m[1]), reverse=True)  # latest first, like the roster query
        self.by_org: dict[str, list[int]] = defaultdict(list)
        for i, m in enumerate(plan.members):
            self.by_org[m.org].append(i)
        self._subtree: dict[str, frozenset[str]] = {}
        self._candidates: dict[str, list[tuple[int, dt.date, dt.date | None, bool]]] = {}
        self._committee: dict[str, list[tuple[dt.date, dt.date | None]]] = {}

    def subtree(self, code: str) -> frozenset[str]:
        if code not in self._subtree:
            codes, stack = [], [code]
            while stack:
                current = stack.pop()
                codes.append(current)
                stack.extend(self.children.get(current, ()))
            self._subtree[code] = frozenset(codes)
        return self._subtree[code]

    def org_on(self, member: int, on: dt.date) -> str:
        current = self.members[member].org
        for effective_on, _, old_org in self.moves.get(member, ()):
            if effective_on <= on:
                break
            if old_org is not None:
                current = old_org
        return current

    def members_on(self, code: str, on: dt.date) -> list[Entry]:
        """正式 and 预备 members of the organisation and its descendants on `on`."""
        candidates = self._candidates.get(code)
        if candidates is None:
            subtree = self.subtree(code)
            found = {i for c in sorted(subtree) for i in (*self.by_org.get(c, ()), *self.moved.get(c, ()))}
            members = self.members
            # (index, 入党日期, 转正日期, moved): a member who never moved is in the subtree on every date
            candidates = self._candidates[code] = [
                (i, members[i].joined_on, members[i].confirmed_on, i in self.moves) for i in sorted(found)
            ]
        subtree = self.subtree(code)
        return [
            (i, confirmed is not None and confirmed <= on)
            for i, joined, confirmed, moved in candidates
            if joined <= on and (not moved or self.org_on(i, on) in subtree)
        ]

    def held(self, code: str, on: dt.date, titles: frozenset[str] | None = None) -> list:
        return [
            p
            for p in self.posts.get(code, ())
            if p.started_on <= on
            and (p.ended_on is None or p.ended_on > on)
            and (titles is None or p.title in titles)
        ]

    def holders(self, code: str, on: dt.date, titles: frozenset[str] | None = None) -> list[Entry]:
        seen: dict[int, bool] = {}
        for p in self.held(code, on, titles):
            seen.setdefault(p.member, self.members[p.member].formal_by(on))
        return list(seen.items())

    def roster(self, code: str, kind: str, on: dt.date) -> list[Entry]:
        if kind == Roster.MEMBERS:
            return self.members_on(code, on)
        if kind == Roster.COMMITTEE:
            return self.holders(code, on, COMMITTEE_TITLES)
        if kind == Roster.LEADERSHIP:
            return self.holders(code, on)
        return []

    def has_committee(self, code: str, on: dt.date) -> bool:
        spans = self._committee.get(code)
        if spans is None:  # asked for every working day of the year: the committee posts' spans, once
            spans = self._committee[code] = [
                (p.started_on, p.ended_on) for p in self.posts.get(code, ()) if p.title in COMMITTEE_TITLES
            ]
        return sum(1 for start, end in spans if start <= on and (end is None or end > on)) >= 3

    def holder(self, code: str, on: dt.date, *titles: str) -> int | None:
        """The holder of the first of `titles` that is held on `on`."""
        for title in titles:
            for p in self.held(code, on, frozenset({title})):
                return p.member
        return None

    def start(self, org: OrgSpec) -> dt.date:
        return max(self.first, org.founded_on or self.first)
