"""Meeting checks over who chaired and who attended (v5), imported by dangjian.meetings.rules:

- `meeting_chaired` (MTG-CHAIRED-BY-SECRETARY, BR-23): every record of the chaired types in the window was
  chaired by the 书记 on its date, or by a holder of a stand-in post (副书记, 委员 …) when the 书记 is recorded
  absent at it or no 书记 is in post; every 党小组会 of the branch's 党小组 by the 党小组长, or by another when the
  党小组长 is recorded absent;
- `leader_org_life` (MEM-LEADER-DUAL-LIFE, LEAD-04): every member marked 领导干部 attended a 组织生活会 of the
  branch (or of their 党小组) in the year; absences with a recorded reason are listed, not failed;
- `orglife_absence` (MEM-ORGLIFE-ABSENT-6M, CONST-01): no member took part in none of the branch's
  organizational life, without a recorded reason, for `absent_months` consecutive months unless the branch
  recorded a review (OrgLifeReview) reaching the run's last month; a person decides, nothing changes by itself.

Facts: "meeting_chairs" and "orglife" (dangjian.meetings.facts); month logic in dangjian.meetings.attendance.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _l
from pydantic import Field

from dangjian.compliance.facts import OrgFacts, PostSpan, holders
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Due,
    Link,
    Outcome,
    Params,
    PostTitleName,
    dissolved,
    iso,
    month_count,
    register,
    register_area,
    register_param_labels,
    register_short_titles,
    register_value_labels,
    some_names,
    title_name,
)
from dangjian.core.messages import Join, Message
from dangjian.meetings import attendance
from dangjian.meetings.facts import NO_CHAIRS, ChairedRecord, ChairFacts, LifeFacts
from dangjian.meetings.rules import MeetingTypeName, meeting_ids, record_link, type_label, type_name
from dangjian.orgs.choices import PostTitle, chinese_label


def _types(types) -> Join:
    return Join([type_name(t) for t in types])


# --- MTG-CHAIRED-BY-SECRETARY ---------------------------------------------------------------------------


class ChairedParams(Params):
    meeting_types: list[MeetingTypeName] = Field(min_length=1)  # chaired by the 书记
    standin_titles: list[PostTitleName] = Field(min_length=1)  # may chair when the 书记 is recorded absent
    group_meeting_types: list[MeetingTypeName] = Field(default_factory=list)  # chaired by the 党小组长


def _chair_facts(facts: OrgFacts) -> ChairFacts:
    return facts.extra.get("meeting_chairs") or NO_CHAIRS


def _branch_issue(
    record: ChairedRecord, posts: tuple[PostSpan, ...], p: ChairedParams
) -> tuple[Message | None, bool]:
    """(what is wrong with the chair, or None; whether a stand-in chaired)."""
    if record.host_id is None:
        return Message("未记录主持人"), False
    secretaries = holders(posts, PostTitle.SECRETARY, record.date)
    if record.host_id in secretaries:
        return None, False
    standins: set[int] = set()
    for title in p.standin_titles:
        standins |= holders(posts, title, record.date)
    if record.host_id in standins:
        if not secretaries or secretaries & record.absent:
            return None, True
        return Message("主持人%(host)s不是书记，书记未记录缺席", host=record.host_name), False
    titles = Join([title_name(t) for t in p.standin_titles])
    return Message("主持人%(host)s不是书记，也不担任%(titles)s", host=record.host_name, titles=titles), False


def _group_issue(record: ChairedRecord, posts: tuple[PostSpan, ...]) -> tuple[Message | None, bool]:
    if record.host_id is None:
        return Message("未记录主持人"), False
    leaders = holders(posts, PostTitle.GROUP_LEADER, record.date)
    if record.host_id in leaders:
        return None, False
    if not leaders:
        return Message("当日没有在任的党小组长"), False
    if leaders & record.absent:
        return None, True
    return Message("主持人%(host)s不是党小组长，党小组长未记录缺席", host=record.host_name), False


def _by_meeting(records, window: Window) -> dict[int, list[ChairedRecord]]:
    found: dict[int, list[ChairedRecord]] = {}
    for record in records:
        if window.start <= record.date <= window.end:
            found.setdefault(record.meeting_id, []).append(record)
    return found


@register(
    "meeting_chaired",
    ChairedParams,
    facts=("meeting_chairs",),
    evidence="meeting",
    label=_l("会议主持人"),
)
def meeting_chaired(facts: OrgFacts, window: Window, p: ChairedParams) -> Outcome:
    chairs = _chair_facts(facts)
    checked: list[tuple[int, dt.date, Message]] = []  # (meeting, date, detail) of those that fall short
    total, standin = 0, 0
    own = _by_meeting((r for r in chairs.records if r.type in p.meeting_types), window)
    groups = _by_meeting((r for r in chairs.group_records if r.type in p.group_meeting_types), window)
    for meeting_id, records in own.items():
        first = records[0]
        issue, by_standin = _branch_issue(first, facts.posts, p)
        total, standin = total + 1, standin + by_standin
        if issue is not None:
            types = _types(r.type for r in records)
            detail = Message("%(day)s%(types)s（%(why)s）", day=iso(first.date), types=types, why=issue)
            checked.append((meeting_id, first.date, detail))
    for meeting_id, records in groups.items():
        first = records[0]
        issue, by_standin = _group_issue(first, chairs.group_posts.get(first.org_id, ()))
        total, standin = total + 1, standin + by_standin
        if issue is not None:
            types = _types(r.type for r in records)
            detail = Message(
                "%(day)s%(org)s%(types)s（%(why)s）",
                day=iso(first.date),
                org=first.org_name,
                types=types,
                why=issue,
            )
            checked.append((meeting_id, first.date, detail))
    all_types = _types([*p.meeting_types, *p.group_meeting_types])
    if not total:
        return Outcome(
            "not_applicable",
            Message(
                "不适用：%(year)s年（截至%(day)s）没有%(types)s记录需要检查主持人。",
                year=window.year,
                day=iso(window.end),
                types=all_types,
            ),
        )
    if not checked:
        if standin:
            message = Message.plural(
                "已满足：%(n)s次会议均由书记（党小组会由党小组长）主持，其中%(standin)s次书记或党小组长缺席、由他人主持。",
                n=total,
                standin=standin,
            )
        else:
            message = Message.plural("已满足：%(n)s次会议均由书记（党小组会由党小组长）主持。", n=total)
        return Outcome("pass", message, [], sorted(set(own) | set(groups)))
    checked.sort(key=lambda c: (c[1], c[0]))
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s次会议的主持人不符合规定：%(details)s。",
            n=len(checked),
            details=Join([detail for _m, _d, detail in checked], "；"),
        ),
        sorted({iso(day) for _m, day, _detail in checked}),
        sorted({meeting_id for meeting_id, _d, _detail in checked}),
    )


# --- MEM-LEADER-DUAL-LIFE -------------------------------------------------------------------------------


class LeaderLifeParams(Params):
    meeting_types: list[MeetingTypeName] = Field(min_length=1)  # what counts as the branch's 组织生活会


def _life(facts: OrgFacts) -> LifeFacts:
    return facts.extra.get("orglife") or LifeFacts(facts.ref.id, dt.date(1900, 1, 1))


def _leaders(facts: OrgFacts, window: Window, p: LeaderLifeParams, until: dt.date | None = None):
    return attendance.leader_attendance(
        _life(facts), frozenset(p.meeting_types), window.start, until or window.end
    )


def _names(found) -> Join | Message:
    return some_names([a.member.name for a in found])


def leader_todo(facts: OrgFacts, window: Window, p: LeaderLifeParams, on: dt.date) -> list[Due]:
    missing = [
        a for a in _leaders(facts, window, p, on) if a.status in (attendance.ABSENT, attendance.NOT_HELD)
    ]
    if not missing:
        return []
    due = (
        min(dt.date(on.year, 12, 31), facts.dissolved_on) if facts.dissolved_on else dt.date(on.year, 12, 31)
    )
    message = Message(
        "本年度尚有领导干部未参加本支部的%(types)s：%(names)s。",
        types=_types(p.meeting_types),
        names=_names(missing),
    )
    return [Due(str(on.year), due, message)]


def leader_link(rule, org, status: str) -> Link | None:
    return record_link(rule, org, status)


@register(
    "leader_org_life",
    LeaderLifeParams,
    todo=leader_todo,
    facts=("orglife",),
    evidence="meeting",
    label=_l("领导干部双重组织生活"),
    link=leader_link,
)
def leader_org_life(facts: OrgFacts, window: Window, p: LeaderLifeParams) -> Outcome:
    found = _leaders(facts, window, p)
    types = _types(p.meeting_types)
    if not found:
        return Outcome(
            "not_applicable", Message("不适用：%(day)s本支部没有标记为领导干部的党员。", day=iso(window.end))
        )
    evidence = meeting_ids(r for a in found for r in a.records if a.status == attendance.PRESENT)
    missing = [a for a in found if a.status in (attendance.ABSENT, attendance.NOT_HELD)]
    excused = [a for a in found if a.status == attendance.EXCUSED_ABSENT]
    later = [a for a in found if a.status == attendance.CAME_LATER]
    listed = []
    if excused:
        listed.append(Message("因故缺席并注明原因：%(names)s", names=_names(excused)))
    if later:
        listed.append(Message("到本支部前已召开：%(names)s", names=_names(later)))
    if not missing:
        if listed:
            message = Message.plural(
                "已满足：%(n)s名领导干部均已参加本支部（含党小组）的%(types)s或注明缺席原因；%(listed)s。",
                n=len(found),
                types=types,
                listed=Join(listed, "；"),
            )
        else:
            message = Message.plural(
                "已满足：%(n)s名领导干部均参加了本支部（含党小组）的%(types)s。", n=len(found), types=types
            )
        return Outcome("pass", message, [], evidence)
    names = _names(missing)
    if not window.closed and window.as_of < window.year_end:
        return Outcome(
            "pending",
            Message(
                "待完成：%(year)s年尚有领导干部未参加本支部的%(types)s：%(names)s（截至%(day)s），应于年底前完成。",
                year=window.year,
                types=types,
                names=names,
                day=iso(window.as_of),
            ),
            [],
            evidence,
        )
    if window.dissolved_on is not None and window.closed and window.dissolved_on < window.year_end:
        return Outcome(
            "not_applicable",
            Message(
                "不适用：该组织已于%(day)s撤销，%(year)s年尚有领导干部未参加本支部的%(types)s：%(names)s。",
                day=iso(window.dissolved_on),
                year=window.year,
                types=types,
                names=names,
            ),
        )
    details = Join(
        [
            Message("%(name)s（缺席且未注明原因）", name=a.member.name)
            if a.status == attendance.ABSENT
            else Message("%(name)s（本支部未召开）", name=a.member.name)
            for a in missing
        ]
    )
    return Outcome(
        "fail",
        Message(
            "%(year)s年有领导干部未参加本支部的%(types)s：%(details)s。",
            year=window.year,
            types=types,
            details=details,
        ),
        [str(window.year)],
        evidence,
    )


# --- MEM-ORGLIFE-ABSENT-6M ------------------------------------------------------------------------------


class AbsentParams(Params):
    absent_months: int = Field(ge=1)
    meeting_types: list[MeetingTypeName] = Field(min_length=1)  # what counts as organizational life


def review_link(rule, org, status: str) -> Link | None:
    if status != "fail":
        return None
    url = reverse("meetings:absences") + "?" + urlencode({"org": org.id})
    return Link(url, str(_l("去审查")), primary=True)


@register(
    "orglife_absence",
    AbsentParams,
    facts=("orglife",),
    label=_l("连续不参加组织生活审查"),
    link=review_link,
)
def orglife_absence(facts: OrgFacts, window: Window, p: AbsentParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    found = attendance.cases(_life(facts), frozenset(p.meeting_types), p.absent_months, window.as_of)
    run = month_count(p.absent_months)
    if not found:
        return Outcome(
            "pass",
            Message(
                "已满足：截至%(day)s没有连续%(run)s未参加组织生活、未注明原因且未经支部审查的党员。",
                day=iso(window.as_of),
                run=run,
            ),
        )
    details = Join(
        [
            Message.plural(
                "%(name)s（%(start)s至%(end)s，%(n)s个月）",
                name=r.member.name,
                start=attendance.month_label(r.first),
                end=attendance.month_label(r.last),
                n=r.length,
            )
            for r in found
        ]
    )
    members = {r.member.id for r in found}
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s名党员连续%(run)s以上未参加组织生活且未注明原因，尚无支部审查记录：%(details)s。",
            n=len(members),
            run=run,
            details=details,
        ),
        sorted({r.label for r in found}),
    )


register_short_titles(
    {
        "MTG-CHAIRED-BY-SECRETARY": _l("会议主持"),
        "MEM-LEADER-DUAL-LIFE": _l("双重组织生活"),
        "MEM-ORGLIFE-ABSENT-6M": _l("连续缺席"),
    }
)
register_param_labels(
    {
        "meeting_types": _l("计入的活动类型"),
        "standin_titles": _l("书记缺席时可主持的职务"),
        "group_meeting_types": _l("由党小组长主持的活动类型"),
        "absent_months": _l("连续月数"),
    }
)
register_value_labels("meeting_types", type_label)
register_value_labels("group_meeting_types", type_label)
register_value_labels("standin_titles", lambda value: chinese_label(PostTitle, value))

register_area(
    "meetings",
    _l("三会一课"),
    order=20,
    kinds=(
        "meeting_chaired",
        "leader_org_life",
        "orglife_absence",
    ),
)
