"""Meeting checks: frequency (per month or quarter, or per year), quorum, and the secretary's lecture.

Frequency checks count every record of the type (a record with several types counts for each); whether a
meeting reached its quorum is judged only by the quorum checks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Literal

from pydantic import Field

from dangjian.compliance.checks.base import (
    Due,
    MeetingTypeName,
    OrgTypeName,
    Outcome,
    Params,
    PostTitleName,
    held_label,
    iso,
    register,
    title_label,
    type_label,
)
from dangjian.compliance.facts import OrgFacts, Record, committee_size, holders
from dangjian.compliance.periods import PeriodKind, Window, period_label, period_of, required_periods

RecordsIn = Literal["self", "subtree"]
PERIOD_WORD = {"month": "个月", "quarter": "个季度"}


def records_in(facts: OrgFacts, where: str) -> tuple[Record, ...]:
    """self: recorded in the organisation; subtree: also in its 党小组; anywhere: the lectures of its
    post holders wherever recorded."""
    if where == "self":
        return facts.records
    if where == "subtree":
        return facts.records + facts.child_records
    if where == "anywhere":
        return facts.anywhere_records
    raise ValueError(f"unknown records_in {where!r}")


def of_type(records: tuple[Record, ...], meeting_type: str, window: Window, until: dt.date | None = None):
    last = until or window.end
    found = [r for r in records if r.type == meeting_type and window.start <= r.date <= last]
    return sorted(found, key=lambda r: (r.date, r.meeting_id))


def meeting_ids(records) -> list[int]:
    return sorted({r.meeting_id for r in records})


def annual_unmet(window: Window, what: str) -> Outcome:
    """An annual requirement without a qualifying record in the window."""
    if not window.closed and window.as_of < window.year_end:
        return Outcome(
            "pending", f"待完成：{window.year}年尚未{what}（截至{iso(window.as_of)}），应于年底前完成。"
        )
    if window.closed and window.dissolved_on < window.year_end:
        return Outcome(
            "not_applicable", f"不适用：该组织已于{iso(window.dissolved_on)}撤销，{window.year}年未{what}。"
        )
    return Outcome("fail", f"{window.year}年未{what}。", missing=[str(window.year)])


def due_by(facts: OrgFacts, last_day: dt.date) -> dt.date:
    return min(last_day, facts.dissolved_on) if facts.dissolved_on else last_day


# --- per month or quarter ---------------------------------------------------------------------------


class PeriodicParams(Params):
    meeting_type: MeetingTypeName
    period: PeriodKind
    min_per_period: int = Field(ge=1)
    records_in: RecordsIn = "self"
    only_with_committee_posts: int | None = Field(default=None, ge=1)


def _no_committee(facts: OrgFacts, p: PeriodicParams, on: dt.date) -> Outcome | None:
    if p.only_with_committee_posts is None:
        return None
    size = committee_size(facts.posts, on)
    if size >= p.only_with_committee_posts:
        return None
    return Outcome(
        "not_applicable",
        f"不适用：{iso(on)}未设支部委员会（在任委员{size}人，不足{p.only_with_committee_posts}人）。",
    )


def periodic_todo(facts: OrgFacts, window: Window, p: PeriodicParams, on: dt.date) -> list[Due]:
    if _no_committee(facts, p, on):
        return []
    period = period_of(on, p.period)
    held = [
        r
        for r in records_in(facts, p.records_in)
        if r.type == p.meeting_type and period.start <= r.date <= on
    ]
    if len(held) >= p.min_per_period:
        return []
    word = "本月" if p.period == "month" else "本季度"
    return [
        Due(
            period.label,
            due_by(facts, period.end),
            f"{word}（{period.label}）尚未{held_label(p.meeting_type)}。",
        )
    ]


@register("periodic_meetings", PeriodicParams, todo=periodic_todo)
def periodic_meetings(facts: OrgFacts, window: Window, p: PeriodicParams) -> Outcome:
    label, word = type_label(p.meeting_type), PERIOD_WORD[p.period]
    not_applicable = _no_committee(facts, p, window.end)
    if not_applicable:
        return not_applicable
    held = of_type(records_in(facts, p.records_in), p.meeting_type, window)
    per_period = Counter(period_label(r.date, p.period) for r in held)
    required = required_periods(window, p.period)
    missing = [q.label for q in required if per_period[q.label] < p.min_per_period]
    evidence = meeting_ids(held)
    if missing:
        return Outcome(
            "fail",
            f"{window.year}年缺少{len(missing)}{word}的{label}：{'、'.join(missing)}。",
            missing,
            evidence,
        )
    if required:
        return Outcome(
            "pass",
            f"已满足：{window.year}年需检查的{len(required)}{word}均有{label}记录（共{len(held)}次）。",
            [],
            evidence,
        )
    if window.closed:  # the semantics: no required period → pending, dissolved or not
        return Outcome(
            "pending",
            f"待定：该组织已于{iso(window.dissolved_on)}撤销，{window.year}年没有完整的{word[1:]}需要检查。",
            [],
            evidence,
        )
    return Outcome(
        "pending",
        f"待定：截至{iso(window.as_of)}尚无完整的{word[1:]}需要检查（已有{label}记录{len(held)}次）。",
        [],
        evidence,
    )


# --- once a year ------------------------------------------------------------------------------------


class AnnualParams(Params):
    meeting_type: MeetingTypeName
    min_count: int = Field(ge=1)
    records_in: RecordsIn = "self"


def annual_todo(facts: OrgFacts, window: Window, p: AnnualParams, on: dt.date) -> list[Due]:
    held = of_type(records_in(facts, p.records_in), p.meeting_type, window, until=on)
    if len(held) >= p.min_count:
        return []
    year_end = dt.date(on.year, 12, 31)
    return [Due(str(on.year), due_by(facts, year_end), f"本年度尚未{held_label(p.meeting_type)}。")]


@register("annual_meeting", AnnualParams, todo=annual_todo)
def annual_meeting(facts: OrgFacts, window: Window, p: AnnualParams) -> Outcome:
    held = of_type(records_in(facts, p.records_in), p.meeting_type, window)
    if len(held) >= p.min_count:
        dates = "、".join(sorted({iso(r.date) for r in held}))
        return Outcome(
            "pass", f"已满足：本年度已{held_label(p.meeting_type)}（{dates}）。", [], meeting_ids(held)
        )
    outcome = annual_unmet(
        window, held_label(p.meeting_type) + (f"（应至少{p.min_count}次，已{len(held)}次）" if held else "")
    )
    return Outcome(outcome.status, outcome.message, outcome.missing, meeting_ids(held))


# --- quorum -----------------------------------------------------------------------------------------


class QuorumParams(Params):
    meeting_type: MeetingTypeName
    attendees: Literal["formal", "all"]
    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)
    strict: bool


FRACTION_WORDS = {(1, 2): "半数", (2, 3): "三分之二"}


def quorum_text(p: QuorumParams) -> str:
    fraction = FRACTION_WORDS.get((p.numerator, p.denominator), f"{p.numerator}/{p.denominator}")
    who = "正式党员" if p.attendees == "formal" else "人数"
    return f"实到{who}{'超过' if p.strict else '不少于'}应到{who}的{fraction}"


def reached(record: Record, p: QuorumParams) -> bool:
    """Nobody expected is never a quorum; "more than half" is strict (exactly half falls short)."""
    expected, present = (
        (record.expected_formal, record.present_formal)
        if p.attendees == "formal"
        else (record.expected, record.present)
    )
    if expected <= 0:
        return False
    if p.strict:
        return present * p.denominator > expected * p.numerator
    return present * p.denominator >= expected * p.numerator


@register("meeting_quorum", QuorumParams)
def meeting_quorum(facts: OrgFacts, window: Window, p: QuorumParams) -> Outcome:
    label = type_label(p.meeting_type)
    held = of_type(facts.records, p.meeting_type, window)
    short = [r for r in held if not reached(r, p)]
    evidence = meeting_ids(r for r in held if reached(r, p))
    if not short:
        if not held:
            return Outcome("pass", f"已满足：本年度没有需要检查出席人数的{label}。")
        return Outcome(
            "pass", f"已满足：{len(held)}次{label}均达到出席要求（{quorum_text(p)}）。", [], evidence
        )
    formal = p.attendees == "formal"
    details = "、".join(
        f"{iso(r.date)}（应到{r.expected_formal if formal else r.expected}，"
        f"实到{r.present_formal if formal else r.present}）"
        for r in short
    )
    missing = sorted({iso(r.date) for r in short})
    return Outcome(
        "fail", f"{len(short)}次{label}未达到出席要求（{quorum_text(p)}）：{details}。", missing, evidence
    )


# --- the secretary's lecture ------------------------------------------------------------------------


class SecretaryLectureParams(Params):
    meeting_type: MeetingTypeName
    title: PostTitleName
    min_count: int = Field(ge=1)
    records_in: dict[OrgTypeName, Literal["self", "subtree", "anywhere"]]


def _lecture_rule(applies_to: list[str], p: SecretaryLectureParams) -> None:
    missing = [t for t in applies_to if t not in p.records_in]
    if missing:
        raise ValueError(f"records_in 缺少适用组织类型 {'、'.join(missing)} 的记录范围")


def _given_by_holder(
    facts: OrgFacts, window: Window, p: SecretaryLectureParams, until: dt.date | None = None
):
    lectures = of_type(records_in(facts, p.records_in[facts.ref.type]), p.meeting_type, window, until)
    return [
        r
        for r in lectures
        if r.lecturer_id is not None and r.lecturer_id in holders(facts.posts, p.title, r.date)
    ]


def secretary_lecture_todo(
    facts: OrgFacts, window: Window, p: SecretaryLectureParams, on: dt.date
) -> list[Due]:
    if len(_given_by_holder(facts, window, p, until=on)) >= p.min_count:
        return []
    due = due_by(facts, dt.date(on.year, 12, 31))
    return [Due(str(on.year), due, f"本年度{title_label(p.title)}尚未讲{type_label(p.meeting_type)}。")]


@register(
    "secretary_lecture", SecretaryLectureParams, todo=secretary_lecture_todo, validate_rule=_lecture_rule
)
def secretary_lecture(facts: OrgFacts, window: Window, p: SecretaryLectureParams) -> Outcome:
    title, label = title_label(p.title), type_label(p.meeting_type)
    given = _given_by_holder(facts, window, p)
    if len(given) >= p.min_count:
        dates = "、".join(sorted({iso(r.date) for r in given}))
        return Outcome("pass", f"已满足：{title}本年度已讲{label}（{dates}）。", [], meeting_ids(given))
    return annual_unmet(window, f"由在任{title}讲{label}")
