"""Meeting checks: frequency (per month or quarter, or per year), quorum, and the secretary's lecture; the
checks over who chaired and who attended are in dangjian.meetings.attendance_rules (imported at the end).

Frequency checks count every record of the type (a record with several types counts for each); whether a
meeting reached its quorum is judged only by the quorum checks.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace
from typing import Annotated, Literal, NamedTuple

from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop
from pydantic import AfterValidator, Field

from dangjian.accounts.scope import scope_for
from dangjian.compliance.facts import FactContext, OrgFacts, committee_size, holders, register_facts
from dangjian.compliance.periods import PeriodKind, Window, period_of, required_periods
from dangjian.compliance.registry import (
    Due,
    EvidenceItem,
    EvidenceRef,
    Link,
    OrgTypeName,
    Outcome,
    Params,
    PostTitleName,
    choice_label,
    iso,
    one_of,
    register,
    register_area,
    register_evidence,
    register_param_labels,
    register_short_titles,
    register_value_labels,
    title_name,
)
from dangjian.core.messages import Join, Message
from dangjian.meetings.choices import TYPES_FOR_ORG, MeetingType
from dangjian.meetings.facts import (  # shared with the attendance providers
    RECORD_FIELDS,
    release_records,
    scope_records,
)
from dangjian.meetings.models import Meeting, MeetingKind
from dangjian.orgs.choices import OrgType, chinese_label
from dangjian.orgs.models import Org, Post

MeetingTypeName = Annotated[str, AfterValidator(one_of(MeetingType, "活动类型"))]


@lru_cache(maxsize=64)
def type_label(meeting_type: str) -> str:
    return chinese_label(MeetingType, meeting_type)


def type_name(meeting_type: str) -> Message:
    """The meeting type as a fragment of a message (shown in the viewer's language)."""
    return choice_label(MeetingType, meeting_type)


HOLD = gettext_noop("召开%(type)s")
_VERBS: dict[str, str] = {
    MeetingType.LECTURE: gettext_noop("上%(type)s"),
    MeetingType.THEME_DAY: gettext_noop("开展%(type)s"),
    MeetingType.MEMBER_REVIEW: gettext_noop("开展%(type)s"),
}


@lru_cache(maxsize=64)
def held_label(meeting_type: str) -> Message:
    """ "召开支部党员大会", "上党课", "开展主题党日" (in English a verb phrase: "hold the …", "give a …")."""
    return Message(_VERBS.get(meeting_type, HOLD), type=type_name(meeting_type))


# --- facts: the "meetings" provider ---------------------------------------------------------------------


class Record(NamedTuple):
    """One type a meeting counts as (a MeetingKind row), with its attendance."""

    meeting_id: int
    org_id: int
    type: str
    date: dt.date
    expected: int = 0
    present: int = 0
    expected_formal: int = 0
    present_formal: int = 0
    lecturer_id: int | None = None


@dataclass(frozen=True)
class MeetingFacts:
    records: tuple[Record, ...] = ()  # recorded in the organisation itself
    child_records: tuple[Record, ...] = ()  # recorded in its children (a branch's 党小组)
    anywhere_records: tuple[Record, ...] = ()  # lectures anywhere by holders of its posts (LectureNeeds)
    # whether the organisation heads its 单位 on D (directly under the 工委, no 党组 of the same 单位): loaded
    # only for the organisation types a lecture rule restricts to unit heads (`unit_head_only`), else None
    heads_unit: bool | None = None
    # where ("self", "subtree", "anywhere") → type → its records in (date, meeting) order: built on first use,
    # so that each rule reads the few records of its type instead of filtering all of them again
    by_type: dict[str, dict[str, tuple[Record, ...]]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )


NO_MEETINGS = MeetingFacts()


@dataclass(frozen=True)
class LectureNeeds:
    """Lectures to fetch wherever they were recorded: by holders of `titles` in organisations of
    `org_types` (the union over the rules whose records_in says "anywhere")."""

    meeting_types: frozenset[str] = frozenset()
    titles: frozenset[str] = frozenset()
    org_types: frozenset[str] = frozenset()
    unit_head_types: frozenset[str] = frozenset()  # types whose organisations must head their 单位


def lecture_needs(rules) -> LectureNeeds:
    """What the "anywhere" lecture rules need fetched beyond the scope's own records, and the organisation
    types whose heading of their 单位 decides whether a lecture rule applies."""
    types, titles, org_types, heads = set(), set(), set(), set()
    for rule in rules:
        params = rule.typed_params
        where = getattr(params, "records_in", None)
        if rule.check == "secretary_lecture" and isinstance(where, dict):
            heads |= set(params.unit_head_only)
            anywhere = {t for t, w in where.items() if w == "anywhere"}
            if anywhere:
                types.add(params.meeting_type)
                titles.add(params.title)
                org_types |= anywhere
    return LectureNeeds(frozenset(types), frozenset(titles), frozenset(org_types), frozenset(heads))


@register_facts("meetings", context=True)
def load_meeting_facts(ctx: FactContext) -> dict[int, MeetingFacts]:
    """MeetingKind rows of 1 January … D of the organisations and their children (a branch's 党小组), from the
    scan shared with the attendance providers (meetings/facts.py), and the lectures given anywhere by the
    holders of the posts the "anywhere" lecture rules name: one query for those, whatever the number of
    organisations."""
    start, end = dt.date(ctx.year, 1, 1), ctx.as_of
    ids = {o.pk for o in ctx.orgs}
    own: dict[int, list[Record]] = defaultdict(list)
    children: dict[int, list[Record]] = defaultdict(list)
    width = len(RECORD_FIELDS)  # a scanned row begins with a Record's columns
    for row in scope_records(ctx, "meetings").rows:  # in (date, meeting, type) order
        if row[3] < start:  # read for the organizational-life rules' look back into Y−1
            continue
        record = Record(*row[:width])
        own[record.org_id].append(record)
        if row[10] in ids:
            children[row[10]].append(record)
    release_records(ctx, "meetings")
    needs = lecture_needs(ctx.rules)
    by_lecturer = _anywhere_lectures(ctx, needs, start, end) if needs.titles else {}
    heads = _unit_heads(ctx, needs.unit_head_types) if needs.unit_head_types else {}
    return {
        org.pk: MeetingFacts(
            tuple(own.get(org.pk, ())),
            tuple(children.get(org.pk, ())),
            _lectures_of(org, ctx.posts.get(org.pk, ()), needs, by_lecturer),
            heads.get(org.pk),
        )
        for org in ctx.orgs
    }


def _unit_heads(ctx: FactContext, org_types: frozenset[str]) -> dict[int, bool]:
    """For the organisations of `org_types`: whether each heads its 单位 on D — directly under the 工委, with
    no 党组 of the same 单位 existing on D (a 党委 that leads a department instead of a 党组; the 机关党委 of a
    department led by a 党组 does not). One query: the 工委 and the 党组 of those 单位. An organisation whose
    单位 is not recorded cannot be matched to a 党组 and counts as heading it."""
    candidates = [o for o in ctx.orgs if o.type in org_types]
    if not candidates:
        return {}
    units = sorted({o.unit for o in candidates if o.unit})
    rows = Org.objects.filter(
        Q(type=OrgType.GONGWEI)
        | Q(
            Q(founded_on__isnull=True) | Q(founded_on__lte=ctx.as_of),
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=ctx.as_of),
            type=OrgType.DANGZU,
            unit__in=units,
        )
    ).values_list("pk", "type", "unit")
    roots, led = set(), set()
    for pk, org_type, unit in rows:
        if org_type == OrgType.GONGWEI:
            roots.add(pk)
        else:
            led.add(unit)
    return {o.pk: o.parent_id in roots and not (o.unit and o.unit in led) for o in candidates}


def _anywhere_lectures(ctx: FactContext, needs: LectureNeeds, start: dt.date, end: dt.date):
    """Lectures given (anywhere) by the holders of the needed posts, by lecturer."""
    lecturers = Post.objects.filter(
        org__in=ctx.ids_sq,
        org__type__in=sorted(needs.org_types),
        title__in=sorted(needs.titles),
        started_on__lte=end,
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start))
    rows = (
        MeetingKind.objects.filter(
            type__in=sorted(needs.meeting_types),
            date__gte=start,
            date__lte=end,
            meeting__lecturer_id__in=lecturers.values("member_id"),
        )
        .order_by("date", "meeting_id", "type")
        .values_list(*RECORD_FIELDS)
    )
    by_lecturer: dict[int, list[Record]] = defaultdict(list)
    for values in rows:
        record = Record(*values)
        if record.lecturer_id is not None:  # the query asks for lectures by given members only
            by_lecturer[record.lecturer_id].append(record)
    return by_lecturer


def _lectures_of(org, posts, needs: LectureNeeds, by_lecturer) -> tuple[Record, ...]:
    if org.type not in needs.org_types:
        return ()
    lecturers = {p.member_id for p in posts if p.title in needs.titles}
    found = {r for lecturer in lecturers for r in by_lecturer.get(lecturer, ())}
    return tuple(sorted(found, key=lambda r: (r.date, r.meeting_id, r.type)))


def meeting_facts(facts: OrgFacts) -> MeetingFacts:
    return facts.extra.get("meetings") or NO_MEETINGS


# --- evidence and links ---------------------------------------------------------------------------------


@register_evidence("meeting")
def resolve_meetings(user, ids: list[int]) -> dict[int, EvidenceItem]:
    """The meetings a result rests on (one query); one outside the user's scope shows its date only."""
    scope = scope_for(user)
    found = {}
    rows = Meeting.objects.filter(pk__in=ids).values_list(
        "id", "date", "topic", "org__name", "org_id", "org__path"
    )
    for pk, day, topic, org_name, org_id, org_path in rows:
        ref = EvidenceRef("meeting", pk)
        if scope.covers(SimpleNamespace(pk=org_id, path=org_path)):
            found[pk] = EvidenceItem(ref, day, topic, org_name, reverse("meetings:detail", args=[pk]))
        else:
            found[pk] = EvidenceItem(ref, day, visible=False)
    return found


def recordable_meeting_type(rule) -> str | None:
    """The meeting type to record to satisfy `rule` ("去录入" links), or None. Quorum checks are not
    satisfied by recording another meeting: a short meeting is fixed by holding the next one."""
    if rule.check in ("periodic_meetings", "annual_meeting", "secretary_lecture", "member_review_annual"):
        return rule.typed_params.meeting_type
    if rule.check == "leader_org_life":  # the 领导干部 take part in the branch's next 组织生活会
        return rule.typed_params.meeting_types[0]
    return None


def record_link(rule, org, status: str) -> Link | None:
    """ "去录入…" for an open result, when the organisation can record the meeting type."""
    wanted = recordable_meeting_type(rule)
    if status not in ("fail", "pending") or wanted not in TYPES_FOR_ORG.get(org.type, frozenset()):
        return None
    url = reverse("meetings:create") + "?" + urlencode({"org": org.id, "type": wanted})
    return Link(url, str(_l("去录入%(type)s") % {"type": MeetingType(wanted).label}), primary=True)


register_short_titles(
    {
        "MTG-ASSEMBLY-QUARTERLY": _l("党员大会"),
        "MTG-COMMITTEE-MONTHLY": _l("支委会"),
        "MTG-GROUP-MONTHLY": _l("党小组会"),
        "MTG-LECTURE-QUARTERLY": _l("党课"),
        "MTG-THEME-DAY-MONTHLY": _l("主题党日"),
        "MTG-ORG-LIFE-ANNUAL": _l("组织生活会"),
        "MTG-MEMBER-REVIEW-ANNUAL": _l("民主评议"),
        "MTG-DEMOCRATIC-LIFE-ANNUAL": _l("民主生活会"),
        "LECTURE-SECRETARY-ANNUAL": _l("书记讲党课"),
        "MTG-ASSEMBLY-QUORUM": _l("大会到会"),
        "MTG-COMMITTEE-QUORUM": _l("支委会到会"),
        "MTG-DEMOCRATIC-LIFE-QUORUM": _l("生活会到会"),
    }
)
register_param_labels(
    {
        "meeting_type": _l("活动类型"),
        "min_per_period": _l("每个周期至少次数"),
        "records_in": _l("计入的记录"),
        "only_with_committee_posts": _l("仅适用于在任委员职务不少于"),
        "attendees": _l("计入到会的人员"),
        "numerator": _l("比例分子"),
        "denominator": _l("比例分母"),
        "strict": _l("须严格超过"),
        "unit_head_only": _l("仅当其领导本部门时适用的组织类型"),
    }
)
register_value_labels("unit_head_only", lambda value: chinese_label(OrgType, value))
register_value_labels("meeting_type", type_label)
register_value_labels(
    "records_in", {"self": _l("本组织"), "subtree": _l("本组织及下级组织"), "anywhere": _l("任何组织")}
)
register_value_labels("attendees", {"formal": _l("正式党员（有表决权）"), "all": _l("全部应到人员")})


# --- the checks -----------------------------------------------------------------------------------------

RecordsIn = Literal["self", "subtree"]


def records_in(facts: OrgFacts, where: str) -> tuple[Record, ...]:
    """self: recorded in the organisation; subtree: also in its 党小组; anywhere: the lectures of its
    post holders wherever recorded."""
    meetings = meeting_facts(facts)
    if where == "self":
        return meetings.records
    if where == "subtree":
        return meetings.records + meetings.child_records
    if where == "anywhere":
        return meetings.anywhere_records
    raise ValueError(f"unknown records_in {where!r}")


def typed_records(facts: OrgFacts, where: str, meeting_type: str) -> tuple[Record, ...]:
    """The records of `meeting_type` among `records_in(facts, where)`, in (date, meeting) order."""
    meetings = meeting_facts(facts)
    index = meetings.by_type.get(where)
    if index is None:
        grouped: dict[str, list[Record]] = defaultdict(list)
        for r in records_in(facts, where):
            grouped[r.type].append(r)
        index = {t: tuple(sorted(rs, key=_DATE_ORDER)) for t, rs in grouped.items()}
        if meetings is not NO_MEETINGS:
            meetings.by_type[where] = index
    return index.get(meeting_type, ())


_DATE_ORDER = operator.itemgetter(3, 0)  # (date, meeting id) of a Record, without a Python call per record


def held_in(
    facts: OrgFacts, where: str, meeting_type: str, window: Window, until: dt.date | None = None
) -> list[Record]:
    """The records of `meeting_type` among `records_in(facts, where)` dated in the window (up to `until` when
    given), in (date, meeting) order."""
    first, last = window.start, until or window.end
    return [r for r in typed_records(facts, where, meeting_type) if first <= r.date <= last]


def meeting_ids(records) -> list[int]:
    return sorted({r.meeting_id for r in records})


def annual_unmet(window: Window, what: Message) -> Outcome:
    """An annual requirement without a qualifying record in the window (`what`: a verb phrase, "召开…")."""
    if not window.closed and window.as_of < window.year_end:
        return Outcome(
            "pending",
            Message(
                "待完成：%(year)s年尚未%(what)s（截至%(day)s），应于年底前完成。",
                year=window.year,
                what=what,
                day=iso(window.as_of),
            ),
        )
    if window.dissolved_on is not None and window.closed and window.dissolved_on < window.year_end:
        return Outcome(
            "not_applicable",
            Message(
                "不适用：该组织已于%(day)s撤销，%(year)s年未%(what)s。",
                day=iso(window.dissolved_on),
                year=window.year,
                what=what,
            ),
        )
    return Outcome(
        "fail", Message("%(year)s年未%(what)s。", year=window.year, what=what), missing=[str(window.year)]
    )


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
        Message(
            "不适用：%(day)s未设支部委员会（在任委员%(size)s人，不足%(min)s人）。",
            day=iso(on),
            size=size,
            min=p.only_with_committee_posts,
        ),
    )


def periodic_todo(facts: OrgFacts, window: Window, p: PeriodicParams, on: dt.date) -> list[Due]:
    if _no_committee(facts, p, on):
        return []
    period = period_of(on, p.period)
    held = [r for r in typed_records(facts, p.records_in, p.meeting_type) if period.start <= r.date <= on]
    if len(held) >= p.min_per_period:
        return []
    held_now = held_label(p.meeting_type)
    message = (
        Message("本月（%(period)s）尚未%(held)s。", period=period.label, held=held_now)
        if p.period == "month"
        else Message("本季度（%(period)s）尚未%(held)s。", period=period.label, held=held_now)
    )
    return [Due(period.label, due_by(facts, period.end), message)]


@register(
    "periodic_meetings",
    PeriodicParams,
    todo=periodic_todo,
    facts=("meetings",),
    evidence="meeting",
    label=_l("按周期统计会议次数"),
    link=record_link,
)
def periodic_meetings(facts: OrgFacts, window: Window, p: PeriodicParams) -> Outcome:
    label, monthly = type_name(p.meeting_type), p.period == "month"
    not_applicable = _no_committee(facts, p, window.end)
    if not_applicable:
        return not_applicable
    held = held_in(facts, p.records_in, p.meeting_type, window)
    required = required_periods(window, p.period)
    # the records per month (1–12) or quarter (1–4) of the window's year, counted without a label per record
    per_period = [0] * 13
    if monthly:
        for r in held:
            per_period[r.date.month] += 1
    else:
        for r in held:
            per_period[(r.date.month + 2) // 3] += 1
    missing = [
        q.label
        for q in required
        if per_period[q.start.month if monthly else (q.start.month + 2) // 3] < p.min_per_period
    ]
    evidence = meeting_ids(held)
    if missing:
        kw = {"year": window.year, "n": len(missing), "type": label, "periods": Join(missing)}
        return Outcome(
            "fail",
            Message.plural("%(year)s年缺少%(n)s个月的%(type)s：%(periods)s。", **kw)
            if monthly
            else Message.plural("%(year)s年缺少%(n)s个季度的%(type)s：%(periods)s。", **kw),
            missing,
            evidence,
        )
    if required:
        kw = {"year": window.year, "n": len(required), "type": label, "count": len(held)}
        return Outcome(
            "pass",
            Message.plural("已满足：%(year)s年需检查的%(n)s个月均有%(type)s记录（共%(count)s次）。", **kw)
            if monthly
            else Message.plural(
                "已满足：%(year)s年需检查的%(n)s个季度均有%(type)s记录（共%(count)s次）。", **kw
            ),
            [],
            evidence,
        )
    if window.closed:  # the semantics: no required period → pending, dissolved or not
        kw = {"day": iso(window.dissolved_on), "year": window.year}
        return Outcome(
            "pending",
            Message("待定：该组织已于%(day)s撤销，%(year)s年没有完整的月需要检查。", **kw)
            if monthly
            else Message("待定：该组织已于%(day)s撤销，%(year)s年没有完整的季度需要检查。", **kw),
            [],
            evidence,
        )
    kw = {"day": iso(window.as_of), "type": label, "count": len(held)}
    return Outcome(
        "pending",
        Message("待定：截至%(day)s尚无完整的月需要检查（已有%(type)s记录%(count)s次）。", **kw)
        if monthly
        else Message("待定：截至%(day)s尚无完整的季度需要检查（已有%(type)s记录%(count)s次）。", **kw),
        [],
        evidence,
    )


# --- once a year ------------------------------------------------------------------------------------


class AnnualParams(Params):
    meeting_type: MeetingTypeName
    min_count: int = Field(ge=1)
    records_in: RecordsIn = "self"


def annual_todo(facts: OrgFacts, window: Window, p: AnnualParams, on: dt.date) -> list[Due]:
    held = held_in(facts, p.records_in, p.meeting_type, window, until=on)
    if len(held) >= p.min_count:
        return []
    year_end = dt.date(on.year, 12, 31)
    return [
        Due(
            str(on.year),
            due_by(facts, year_end),
            Message("本年度尚未%(held)s。", held=held_label(p.meeting_type)),
        )
    ]


@register(
    "annual_meeting",
    AnnualParams,
    todo=annual_todo,
    facts=("meetings",),
    evidence="meeting",
    label=_l("年度会议"),
    link=record_link,
)
def annual_meeting(facts: OrgFacts, window: Window, p: AnnualParams) -> Outcome:
    held = held_in(facts, p.records_in, p.meeting_type, window)
    what = held_label(p.meeting_type)
    if len(held) >= p.min_count:
        dates = Join(sorted({iso(r.date) for r in held}))
        return Outcome(
            "pass",
            Message("已满足：本年度已%(held)s（%(dates)s）。", held=what, dates=dates),
            [],
            meeting_ids(held),
        )
    if held:
        what = Message.plural(
            "%(held)s（应至少%(n)s次，已%(count)s次）", held=what, n=p.min_count, count=len(held)
        )
    outcome = annual_unmet(window, what)
    return Outcome(outcome.status, outcome.message, outcome.missing, meeting_ids(held))


# --- quorum -----------------------------------------------------------------------------------------


class QuorumParams(Params):
    meeting_type: MeetingTypeName
    attendees: Literal["formal", "all"]
    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)
    strict: bool


FRACTION_WORDS = {(1, 2): Message("半数"), (2, 3): Message("三分之二")}


def quorum_text(p: QuorumParams) -> Message:
    """ "实到正式党员超过应到正式党员的半数" …"""
    fraction = FRACTION_WORDS.get((p.numerator, p.denominator)) or f"{p.numerator}/{p.denominator}"
    if p.attendees == "formal":
        if p.strict:
            return Message("实到正式党员超过应到正式党员的%(fraction)s", fraction=fraction)
        return Message("实到正式党员不少于应到正式党员的%(fraction)s", fraction=fraction)
    if p.strict:
        return Message("实到人数超过应到人数的%(fraction)s", fraction=fraction)
    return Message("实到人数不少于应到人数的%(fraction)s", fraction=fraction)


def reached(record: Record, p: QuorumParams) -> bool:
    """Nobody expected is never a quorum; with `strict` the share must be exceeded ("超过半数": exactly half
    falls short), without it reached ("半数以上": 以上 includes the number itself, exactly half is enough)."""
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


@register("meeting_quorum", QuorumParams, facts=("meetings",), evidence="meeting", label=_l("到会人数"))
def meeting_quorum(facts: OrgFacts, window: Window, p: QuorumParams) -> Outcome:
    label = type_name(p.meeting_type)
    held = held_in(facts, "self", p.meeting_type, window)
    short = [r for r in held if not reached(r, p)]
    evidence = meeting_ids(r for r in held if reached(r, p))
    if not short:
        if not held:
            return Outcome("pass", Message("已满足：本年度没有需要检查出席人数的%(type)s。", type=label))
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(n)s次%(type)s均达到出席要求（%(quorum)s）。",
                n=len(held),
                type=label,
                quorum=quorum_text(p),
            ),
            [],
            evidence,
        )
    formal = p.attendees == "formal"
    details = Join(
        Message(
            "%(day)s（应到%(expected)s，实到%(present)s）",
            day=iso(r.date),
            expected=r.expected_formal if formal else r.expected,
            present=r.present_formal if formal else r.present,
        )
        for r in short
    )
    missing = sorted({iso(r.date) for r in short})
    return Outcome(
        "fail",
        Message.plural(
            "%(n)s次%(type)s未达到出席要求（%(quorum)s）：%(details)s。",
            n=len(short),
            type=label,
            quorum=quorum_text(p),
            details=details,
        ),
        missing,
        evidence,
    )


# --- the secretary's lecture ------------------------------------------------------------------------


class SecretaryLectureParams(Params):
    meeting_type: MeetingTypeName
    title: PostTitleName
    min_count: int = Field(ge=1)
    records_in: dict[OrgTypeName, Literal["self", "subtree", "anywhere"]]
    # organisation types checked only when they head their 单位 (directly under the 工委, no 党组 of the same
    # 单位): the 党委 that leads a department instead of a 党组 (v5); none by default (v1–v4)
    unit_head_only: list[OrgTypeName] = Field(default_factory=list)


def _lecture_rule(applies_to: list[str], p: SecretaryLectureParams) -> None:
    missing = [t for t in applies_to if t not in p.records_in]
    if missing:
        raise ValueError(f"records_in 缺少适用组织类型 {'、'.join(missing)} 的记录范围")
    stray = [t for t in p.unit_head_only if t not in applies_to]
    if stray:
        raise ValueError(f"unit_head_only 中的组织类型 {'、'.join(stray)} 不在适用组织类型中")


def _not_unit_head(facts: OrgFacts, p: SecretaryLectureParams) -> Outcome | None:
    """Not applicable to an organisation of a `unit_head_only` type that does not head its 单位."""
    if facts.ref.type not in p.unit_head_only or meeting_facts(facts).heads_unit is not False:
        return None
    return Outcome(
        "not_applicable",
        Message(
            "不适用：该%(type)s不是直接隶属工委、领导本部门的党组织（本单位设有党组，由党组书记讲党课）。",
            type=choice_label(OrgType, facts.ref.type),
        ),
    )


def _given_by_holder(
    facts: OrgFacts, window: Window, p: SecretaryLectureParams, until: dt.date | None = None
):
    lectures = held_in(facts, p.records_in[facts.ref.type], p.meeting_type, window, until)
    return [
        r
        for r in lectures
        if r.lecturer_id is not None and r.lecturer_id in holders(facts.posts, p.title, r.date)
    ]


def secretary_lecture_todo(
    facts: OrgFacts, window: Window, p: SecretaryLectureParams, on: dt.date
) -> list[Due]:
    if _not_unit_head(facts, p) or len(_given_by_holder(facts, window, p, until=on)) >= p.min_count:
        return []
    due = due_by(facts, dt.date(on.year, 12, 31))
    message = Message(
        "本年度%(title)s尚未讲%(type)s。", title=title_name(p.title), type=type_name(p.meeting_type)
    )
    return [Due(str(on.year), due, message)]


@register(
    "secretary_lecture",
    SecretaryLectureParams,
    todo=secretary_lecture_todo,
    validate_rule=_lecture_rule,
    facts=("meetings",),
    evidence="meeting",
    label=_l("书记讲党课"),
    link=record_link,
)
def secretary_lecture(facts: OrgFacts, window: Window, p: SecretaryLectureParams) -> Outcome:
    not_applicable = _not_unit_head(facts, p)
    if not_applicable:
        return not_applicable
    title, label = title_name(p.title), type_name(p.meeting_type)
    given = _given_by_holder(facts, window, p)
    if len(given) >= p.min_count:
        dates = Join(sorted({iso(r.date) for r in given}))
        message = Message(
            "已满足：%(title)s本年度已讲%(type)s（%(dates)s）。", title=title, type=label, dates=dates
        )
        return Outcome("pass", message, [], meeting_ids(given))
    return annual_unmet(window, Message("由在任%(title)s讲%(type)s", title=title, type=label))


# the checks over who chaired and who attended (v5): registered on import
from dangjian.meetings import attendance_rules  # noqa: E402, F401

register_area(
    "meetings",
    _l("三会一课"),
    order=20,
    kinds=(
        "periodic_meetings",
        "annual_meeting",
        "meeting_quorum",
        "secretary_lecture",
    ),
)
