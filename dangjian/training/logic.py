"""The TRAIN-* logic as pure functions over the "training" facts (no database): the compliance checks, the
secretary's page, the 党委 roll-up and `dangjian training gaps` all call these, so they agree.

Dates: a training counts on its 开始日期 (`started_on`); only completed participations are loaded. Hours of
year Y count the trainings that started from 1 January Y up to D, plus the platform hours of year Y of
the platforms the rule names (rules/study-platforms.yaml says how each platform's figures become 学时;
for one platform and year, a whole-year record "2026" replaces that year's monthly records)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from typing import NamedTuple

from dangjian.compliance.registry import month_count
from dangjian.core.dates import add_months
from dangjian.core.messages import Join, Message

ZERO = Decimal(0)


class TrainingRow(NamedTuple):
    training_id: int
    title: str
    level: str
    started_on: dt.date
    ended_on: dt.date
    hours: Decimal


class StudyRow(NamedTuple):
    platform: str
    period: str  # "2026" or "2026-03"
    points: int | None
    hours: Decimal | None


class Person(NamedTuple):
    member_id: int
    name: str
    joined_on: dt.date | None = None  # 入党日期 (the members on the roll; a post holder: not read)


class SecretaryPost(NamedTuple):
    member_id: int
    name: str
    started_on: dt.date
    ended_on: dt.date | None  # the first day no longer held


class TrainingFacts(NamedTuple):
    """One organisation's training facts: its 书记 posts started by D, its committee post holders on D, its
    members on the roll on D (党支部 with its 党小组 only), and the completed trainings and platform records
    of those people (shared mappings for the whole scope)."""

    secretaries: tuple[SecretaryPost, ...] = ()
    cadres: tuple[Person, ...] = ()
    members: tuple[Person, ...] = ()
    trainings: Mapping[int, tuple[TrainingRow, ...]] = field(default_factory=dict)
    study: Mapping[int, tuple[StudyRow, ...]] = field(default_factory=dict)


class Hours(NamedTuple):
    training: Decimal
    platform: Decimal

    @property
    def total(self) -> Decimal:
        return self.training + self.platform


class Gap(NamedTuple):  # one per member short of hours: a city's evaluation makes tens of thousands
    member_id: int
    name: str
    missing: Message  # what is missing (shown in the viewer's language)


@dataclass(frozen=True)
class RuleResult:
    status: str
    message: Message
    gaps: list[Gap] = field(default_factory=list)


def _details(gaps: list[Gap]) -> Join:
    """ "甲、丙（已完成0学时，差32学时）、乙（已完成8学时，差24学时）": the members with the same shortfall
    together, the groups in the order of their first member. (One fragment per member made a city's messages
    hundreds of thousands of parts, and a branch's list repeated the same shortfall for most of its members.)"""
    groups: dict[Message, list[str]] = {}
    for g in gaps:
        groups.setdefault(g.missing, []).append(g.name)
    return Join(
        Message("%(name)s（%(detail)s）", name=Join(names), detail=missing)
        for missing, names in groups.items()
    )


@lru_cache(maxsize=4096)
def _iso(day: dt.date) -> str:
    return day.strftime("%Y-%m-%d")


@lru_cache(maxsize=4096)  # the hours messages of a city-wide evaluation repeat a few values
def _num(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


@lru_cache(maxsize=4096)  # most members of a city share a few totals (0 early in a year): one message each
def _missing(done: Decimal, target: Decimal) -> Message:
    return Message("已完成%(done)s学时，差%(short)s学时", done=_num(done), short=_num(target - done))


@lru_cache(maxsize=4096)
def _missing_new(done: Decimal, target: Decimal, month: int) -> Message:
    """A member who joined the Party in the year, short of their prorated target (`prorated_target`)."""
    return Message(
        "已完成%(done)s学时，差%(short)s学时（%(month)s月入党，按%(target)s学时计）",
        done=_num(done),
        short=_num(target - done),
        month=month,
        target=_num(target),
    )


# --- hours ------------------------------------------------------------------------------------------------


def prorated_target(min_hours: Decimal, joined_on: dt.date | None, year: int) -> Decimal:
    """The year's target of hours of a member who joined the Party (入党, as 预备党员) in year Y: `min_hours` for
    the months from the month of joining to December, rounded up to a whole 学时 (32 a year, joined in November: 2
    months, 6 学时); anyone else's is `min_hours` (HoursParams.new_members: prorated, rulebook v10)."""
    if joined_on is None or joined_on.year != year:
        return min_hours
    share = min_hours * (13 - joined_on.month) / 12
    return share.to_integral_value(rounding=ROUND_CEILING)


def platform_hours(rows: Iterable[StudyRow], year: int, platforms: Iterable[str], params) -> Decimal:
    """学时 from the platforms named, for year Y (a whole-year record replaces that platform's months)."""
    return _platform_hours(rows, str(year), set(platforms), params)


def _platform_hours(rows: Iterable[StudyRow], year: str, wanted: set[str], params) -> Decimal:
    yearly: dict[str, Decimal] = {}
    monthly: dict[str, Decimal] = {}
    for r in rows:
        if r.platform not in wanted or not r.period.startswith(year):
            continue
        value = params.platforms[r.platform].hours(r.points, r.hours)
        if len(r.period) == 4:
            yearly[r.platform] = yearly.get(r.platform, ZERO) + value
        else:
            monthly[r.platform] = monthly.get(r.platform, ZERO) + value
    return sum((yearly.get(p, monthly.get(p, ZERO)) for p in wanted), ZERO)


def training_hours(rows: Iterable[TrainingRow], start: dt.date, end: dt.date) -> Decimal:
    return sum((r.hours for r in rows if start <= r.started_on <= end), ZERO)


def member_hours(
    facts: TrainingFacts, member_id: int, year: int, as_of: dt.date, platforms: Iterable[str], params
) -> Hours:
    return Hours(
        training_hours(facts.trainings.get(member_id, ()), dt.date(year, 1, 1), as_of),
        platform_hours(facts.study.get(member_id, ()), year, platforms, params),
    )


def hours_rule(
    people: Iterable[Person],
    facts: TrainingFacts,
    *,
    year: int,
    as_of: dt.date,
    min_hours: Decimal,
    platforms: Iterable[str],
    params,
    who: str,
    prorate: bool = False,
) -> RuleResult:
    """Each person ≥ min_hours in year Y. Before 31 December a shortfall is `pending` (the year is not over).
    `who`: "党员" or "书记和委员", who is counted (the messages name them). `prorate`: a person who joined the Party
    in year Y needs only `prorated_target` (their shortfall says so)."""
    if who not in ("党员", "书记和委员"):
        raise ValueError(f"unknown who {who!r}")
    cadres = who == "书记和委员"
    people = list(people)
    if not people:
        day = _iso(as_of)
        return RuleResult(
            "not_applicable",
            Message("不适用：截至%(day)s没有需要统计学时的书记和委员。", day=day)
            if cadres
            else Message("不适用：截至%(day)s没有需要统计学时的党员。", day=day),
        )
    # member_hours for each person, with what is the same for all of them worked out once (a city's evaluation
    # counts 60,000 members' hours)
    wanted, prefix, start = set(platforms), str(year), dt.date(year, 1, 1)
    trainings, study = facts.trainings, facts.study
    none_done = _missing(ZERO, min_hours) if ZERO < min_hours else None
    gaps = []
    new = 0  # people who joined in year Y, on a prorated target
    for p in people:
        taken, studied = trainings.get(p.member_id), study.get(p.member_id)
        if prorate and p.joined_on is not None and p.joined_on >= start:
            new += 1
            share = prorated_target(min_hours, p.joined_on, year)
            total = training_hours(taken or (), start, as_of) + _platform_hours(
                studied or (), prefix, wanted, params
            )
            if total < share:
                gaps.append(Gap(p.member_id, p.name, _missing_new(total, share, p.joined_on.month)))
            continue
        # no training and no platform figures: most members early in a year
        if taken is None and studied is None:
            if none_done is not None:
                gaps.append(Gap(p.member_id, p.name, none_done))
            continue
        total = training_hours(taken or (), start, as_of) + _platform_hours(
            studied or (), prefix, wanted, params
        )
        if total < min_hours:
            gaps.append(Gap(p.member_id, p.name, _missing(total, min_hours)))
    target = _num(min_hours)
    if not gaps:
        kw: dict[str, object] = {"n": len(people), "year": year, "target": target}
        if new:
            return RuleResult(
                "pass",
                Message.plural(
                    "已满足：%(n)s名党员%(year)s年学时均达到%(target)s学时（其中年内入党的%(new)s名按入党后的月数折算）。",
                    **kw,
                    new=new,
                ),
            )
        return RuleResult(
            "pass",
            Message.plural("已满足：%(n)s名书记和委员%(year)s年学时均达到%(target)s学时。", **kw)
            if cadres
            else Message.plural("已满足：%(n)s名党员%(year)s年学时均达到%(target)s学时。", **kw),
        )
    details = _details(gaps)
    if as_of < dt.date(year, 12, 31):
        kw = {"day": _iso(as_of), "n": len(gaps), "target": target, "details": details}
        return RuleResult(
            "pending",
            Message.plural(
                "年度未结束：截至%(day)s有%(n)s名书记和委员尚未达到%(target)s学时：%(details)s。", **kw
            )
            if cadres
            else Message.plural(
                "年度未结束：截至%(day)s有%(n)s名党员尚未达到%(target)s学时：%(details)s。", **kw
            ),
            gaps,
        )
    kw = {"n": len(gaps), "year": year, "target": target, "details": details}
    return RuleResult(
        "fail",
        Message.plural("%(n)s名书记和委员%(year)s年学时未达到%(target)s学时：%(details)s。", **kw)
        if cadres
        else Message.plural("%(n)s名党员%(year)s年学时未达到%(target)s学时：%(details)s。", **kw),
        gaps,
    )


# --- secretaries --------------------------------------------------------------------------------------------


def tenure_start(post: SecretaryPost, posts: Iterable[SecretaryPost]) -> dt.date:
    """The start of the member's continuous tenure as 书记 of the organisation (a re-appointment at 换届,
    a new post starting on or before the previous one's end, is not a new secretary)."""
    mine = sorted((p for p in posts if p.member_id == post.member_id), key=lambda p: p.started_on)
    start = post.started_on
    changed = True
    while changed:
        changed = False
        for p in mine:
            if p.started_on < start and p.ended_on is not None and p.ended_on >= start:
                start, changed = p.started_on, True
            elif p.started_on < start and p.ended_on is None:
                start, changed = p.started_on, True
    return start


def _held_on(post: SecretaryPost, day: dt.date) -> bool:
    return post.started_on <= day and (post.ended_on is None or post.ended_on > day)


def _trained(
    rows: Iterable[TrainingRow], levels: Iterable[str], start: dt.date, end: dt.date
) -> TrainingRow | None:
    levels = set(levels)
    return next((r for r in rows if r.level in levels and start <= r.started_on <= end), None)


def secretary_annual(
    facts: TrainingFacts, *, year: int, as_of: dt.date, levels: Iterable[str], new_grace_months: int
) -> RuleResult:
    """Every 书记 holding the post on D took part in a training of `levels` in year Y (up to D). A secretary
    whose tenure began less than `new_grace_months` before 31 December Y is left to TRAIN-SECRETARY-NEW-6M.
    Before 31 December an untrained secretary is `pending`."""
    year_end = dt.date(year, 12, 31)
    holders: dict[int, SecretaryPost] = {}
    for p in facts.secretaries:
        if _held_on(p, as_of):
            holders.setdefault(p.member_id, p)
    if not holders:
        return RuleResult("not_applicable", Message("不适用：%(day)s该组织没有在任书记。", day=_iso(as_of)))
    checked, gaps = 0, []
    for p in holders.values():
        start = tenure_start(p, facts.secretaries)
        if add_months(start, new_grace_months) > year_end:
            continue  # new this year: TRAIN-SECRETARY-NEW-6M applies
        checked += 1
        if _trained(facts.trainings.get(p.member_id, ()), levels, dt.date(year, 1, 1), as_of) is None:
            gaps.append(Gap(p.member_id, p.name, Message("%(year)s年尚未参加集中轮训", year=year)))
    if not checked:
        return RuleResult(
            "not_applicable", Message("不适用：书记为%(year)s年新任，按新任书记培训要求检查。", year=year)
        )
    if not gaps:
        return RuleResult("pass", Message("已满足：书记%(year)s年已参加集中轮训。", year=year))
    names = Join(g.name for g in gaps)
    if as_of < year_end:
        return RuleResult(
            "pending",
            Message(
                "年度未结束：书记%(names)s截至%(day)s尚未参加%(year)s年集中轮训。",
                names=names,
                day=_iso(as_of),
                year=year,
            ),
            gaps,
        )
    return RuleResult(
        "fail", Message("书记%(names)s%(year)s年未参加集中轮训。", names=names, year=year), gaps
    )


def secretary_new(
    facts: TrainingFacts, *, year: int, as_of: dt.date, levels: Iterable[str], months: int
) -> RuleResult:
    """A 书记 whose (continuous) tenure began by D, with its deadline (任职日期 + `months`) on or after
    1 January Y, took part in a training of `levels` from 任职日期 to the deadline. Fail when D has reached
    the deadline untrained; pending before; a secretary who left before the deadline untrained is not counted."""
    year_start = dt.date(year, 1, 1)
    counted, gaps, waiting = 0, [], []
    seen: set[tuple[int, dt.date]] = set()
    for p in facts.secretaries:
        start = tenure_start(p, facts.secretaries)
        if start != p.started_on or (p.member_id, start) in seen or start > as_of:
            continue
        seen.add((p.member_id, start))
        deadline = add_months(start, months)
        if deadline < year_start:
            continue
        done = _trained(facts.trainings.get(p.member_id, ()), levels, start, min(deadline, as_of))
        if done is None and p.ended_on is not None and p.ended_on <= min(deadline, as_of):
            continue  # left before the deadline
        counted += 1
        if done is not None:
            continue
        dates = {"start": _iso(start), "deadline": _iso(deadline)}
        if as_of >= deadline:
            gaps.append(
                Gap(p.member_id, p.name, Message("%(start)s任职，%(deadline)s前未接受集中培训", **dates))
            )
        else:
            waiting.append(
                Gap(p.member_id, p.name, Message("%(start)s任职，须在%(deadline)s前接受集中培训", **dates))
            )
    within = month_count(months)
    if not counted:
        return RuleResult(
            "not_applicable",
            Message("不适用：%(year)s年没有需在任职%(months)s内培训的新任书记。", year=year, months=within),
        )
    if gaps:
        return RuleResult(
            "fail",
            Message(
                "新任书记未在任职%(months)s内接受集中培训：%(details)s。",
                months=within,
                details=_details(gaps),
            ),
            gaps + waiting,
        )
    if waiting:
        return RuleResult("pending", Message("尚未到期：%(details)s。", details=_details(waiting)), waiting)
    return RuleResult("pass", Message("已满足：新任书记均在任职%(months)s内接受了集中培训。", months=within))
