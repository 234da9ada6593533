"""Excel import and export of organizational-life records (组织生活记录).

A row matches an existing record on 组织编码 + 活动类型 (as a set) + 日期 + 主题. People are given by
身份证号 and found through the keyed hash (one query for the whole file); absentees may carry their
reason in brackets after the number (病假, 公差 or 其他, with a text after "："). Records are written through the meetings services, which check
the scope, compute the attendance from the roster on the date and refuse an absentee who is not on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.core.imports import ImportContext, Importer, bulk_filter
from dangjian.core.pii import lookup_hash
from dangjian.core.pinyin import name_key
from dangjian.core.xlsx import CellError, Column, Date, IdNumber, ParsedRow, Text
from dangjian.meetings.choices import AbsenceReason, MeetingType
from dangjian.meetings.models import Meeting, parse_reason
from dangjian.meetings.services import _validate, create_meeting, update_meeting
from dangjian.members.models import Member
from dangjian.members.xlsx import members_by_number, unknown_member
from dangjian.orgs.choices import chinese_label, label_to_value
from dangjian.orgs.models import Org
from dangjian.orgs.xlsx import EXAMPLE_BRANCH_CODE, EXAMPLE_ID_NUMBER, orgs_by_code, unknown_org

ORG, TYPES, DATE, TOPIC = "组织编码", "活动类型", "日期", "主题"
HOST, LECTURER, ABSENTEES = "主持人身份证号", "主讲人身份证号", "缺席人员身份证号"
SEPARATORS = "、,，;；\n"
_OPEN, _CLOSE = "（(", "）)"
_ORDER = {value: n for n, value in enumerate(MeetingType.values)}
# Columns written to the record as they are (the people columns are resolved first).
_PLAIN = ("place", "lecturer_name", "observers", "content")


def split_list(text: str) -> list[str]:
    """Items separated by 、 , ， ; or a line break; separators inside brackets belong to the item."""
    items, current, depth = [], [], 0
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        if char in SEPARATORS and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def type_labels(types: Iterable[str]) -> str:
    return "、".join(chinese_label(MeetingType, t) for t in sorted(types, key=_ORDER.__getitem__))


class MeetingTypes:
    """活动类型: one or several Chinese labels joined by 、 (the stored values are accepted too)."""

    number_format = "@"
    blank: Any = ()

    @property
    def hint(self) -> str:
        labels = "、".join(chinese_label(MeetingType, v) for v in MeetingType.values)
        return f"可选：{labels}。一条记录可以同时是几种活动，用“、”分隔，如“主题党日、党课”。"

    def parse(self, value: Any) -> tuple[str, ...]:
        found: list[str] = []
        for label in split_list(str(value)):
            meeting_type = label_to_value(MeetingType, label)
            if meeting_type is None:
                # the labels and the separator as the file must carry them (Chinese), in a sentence of the
                # active language
                labels = enumeration(chinese_label(MeetingType, v) for v in MeetingType.values)
                raise CellError(
                    _("“%(value)s”无效，应为：%(labels)s（多种用“%(separator)s”分隔）。")
                    % {"value": label, "labels": labels, "separator": "、"}
                )
            if meeting_type not in found:
                found.append(meeting_type)
        if not found:
            raise CellError(_("请至少填写一种活动类型。"))
        return tuple(sorted(found, key=_ORDER.__getitem__))

    def render(self, value: Any) -> Any:
        return type_labels(value) if value else ""


class Absentees:
    """缺席人员身份证号: numbers joined by 、 or commas, each optionally followed by its reason in
    brackets: 病假, 公差 or 其他, with a text after "：" (required for 其他), e.g. 310101199001011234（公差：赴京）.
    A reason that names no kind is 其他 with that text. Parsed to (number, kind, text); numbers are never
    echoed back in messages."""

    number_format = "@"
    blank: Any = ()
    hint = (
        "应到名单中未出席的党员；不填表示全部出席。多人用“、”或“,”分隔，可在身份证号后用括号注明原因："
        "病假、公差或其他，可在“：”后补充说明（其他须说明），如“310101199001011234（公差：赴京参会）”"
        "“310101199001011235（其他：家中有事）”；未写明类别的原因按“其他”记录。"
    )

    def parse(self, value: Any) -> tuple[tuple[str, str, str], ...]:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return ((IdNumber().parse(value), "", ""),)
        items = split_list(str(value))
        found: list[tuple[str, str, str]] = []
        for n, item in enumerate(items, start=1):
            number, reason = item, ""
            opening = next((i for i, char in enumerate(item) if char in _OPEN), -1)
            if opening >= 0:
                number, reason = item[:opening].strip(), item[opening + 1 :].rstrip(_CLOSE).strip()
            several = len(items) > 1
            try:
                number = IdNumber().parse(number)
            except CellError as exc:
                if several:
                    raise CellError(_("第%(n)s个%(message)s") % {"n": n, "message": exc.message}) from exc
                raise
            kind, text = parse_reason(reason)
            if len(text) > 200:
                if several:
                    raise CellError(_("第%(n)s个缺席原因不能超过200个字。") % {"n": n})
                raise CellError(_("缺席原因不能超过200个字。"))
            if kind == AbsenceReason.OTHER and not text:
                if several:
                    raise CellError(_("第%(n)s个缺席原因为“其他”，请在“：”后注明具体原因。") % {"n": n})
                raise CellError(_("缺席原因为“其他”，请在“：”后注明具体原因。"))
            earlier = next((i for i, (other, *_reason) in enumerate(found, start=1) if other == number), None)
            if earlier is not None:
                raise CellError(_("第%(n)s个身份证号与第%(earlier)s个重复。") % {"n": n, "earlier": earlier})
            found.append((number, kind, text))
        return tuple(found)

    def render(self, value: Any) -> Any:
        return "、".join(
            f"{number}（{reason_cell(kind, text)}）" if kind else number for number, kind, text in value or ()
        )


def reason_cell(kind: str, text: str) -> str:
    """A reason as the import reads it back: "病假", "公差：赴京参会", "其他：家中有事"."""
    label = chinese_label(AbsenceReason, kind)
    return f"{label}：{text}" if text else label


MEETING_COLUMNS = (
    Column(
        ORG, "org", Text(50), required=True, help="记录所属的党组织（党支部、党小组、党组等）的组织编码。"
    ),
    Column(TYPES, "types", MeetingTypes(), required=True, width=18),
    Column(DATE, "date", Date(), required=True, help="会议召开的日期，不能晚于今天。"),
    Column(
        TOPIC,
        "topic",
        Text(200),
        required=True,
        help="再次导入时按组织编码、活动类型、日期和主题匹配已有记录。",
        width=30,
    ),
    Column("地点", "place", Text(200), width=18),
    Column(HOST, "host", IdNumber(), help="主持人须已在党员名册中。", width=22),
    Column(LECTURER, "lecturer", IdNumber(), help="党课主讲人是党员时填写。", width=22),
    Column("主讲人姓名", "lecturer_name", Text(100), help="外请主讲人填写姓名；与主讲人身份证号只填一项。"),
    Column(ABSENTEES, "absentees", Absentees(), width=30),
    Column("列席人员", "observers", Text(500), width=20),
    Column("会议记录", "content", Text(), help="会议的主要内容。", width=40),
)


def meeting_key(org_id: int, types: Iterable[str], date: dt.date, topic: str) -> tuple:
    return (org_id, frozenset(types), date, topic.strip())


class MeetingImporter(Importer):
    kind = "meetings"
    title = "组织生活记录"
    columns = MEETING_COLUMNS
    fallback_column = TOPIC

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        orgs = orgs_by_code(r.get("org") for r in rows)
        numbers = [n for r in rows for n in (r.get("host"), r.get("lecturer"), *self._absent_numbers(r)) if n]
        members = members_by_number(numbers, ctx.scope)
        members.update(self._outside_lecturers(rows, orgs, members))
        existing = self._existing(list(orgs.values()), rows)
        seen: dict[tuple, int] = {}
        for row in rows:  # every row is checked in full, even one that already has errors
            org = self._org(row, orgs, ctx)
            people = self._people(row, members, ctx)
            self._validate(row, org, people, ctx)
            key = None
            if org is not None and row.get("types") and row.get("date") and row.get("topic"):
                key = meeting_key(org.pk, row.get("types"), row.get("date"), row.get("topic"))
                if key in seen:
                    ctx.error(
                        row.row,
                        TOPIC,
                        _("与第 %(row)s 行重复（组织、活动类型、日期和主题都相同）。") % {"row": seen[key]},
                    )
                seen.setdefault(key, row.row)
            if not ctx.fails(row.row):
                ctx.attempt(row.row, self._write, row, org, people, existing.get(key), ctx)

    @staticmethod
    def _outside_lecturers(rows: list[ParsedRow], orgs: dict[str, Org], found: dict[str, Member]):
        """Lecturers outside the actor's scope that a meeting may name: post holders of the rows' organisations'
        ancestors or of their units (the 党组书记 lecturing at a branch). Anyone else outside the scope stays
        unknown, with the message of a number never registered."""
        numbers = [r.get("lecturer") for r in rows if r.get("lecturer") and r.get("lecturer") not in found]
        named = list(orgs.values())
        if not numbers or not named:
            return {}
        related = Q(posts__org__path__in={p for o in named for p in o.ancestor_paths()})
        units = {o.unit for o in named if o.unit}
        if units:
            related |= Q(posts__org__unit__in=units)
        hashes = {lookup_hash(n): n for n in numbers}
        people = Member.objects.select_related("org").filter(related).distinct()
        return {hashes[m.id_number_hash]: m for m in bulk_filter(people, "id_number_hash", hashes)}

    @staticmethod
    def _absent_numbers(row: ParsedRow) -> list[str]:
        return [number for number, *_reason in row.get("absentees") or ()]

    def _existing(self, orgs: list[Org], rows: list[ParsedRow]) -> dict[tuple, Meeting]:
        dates = [r.get("date") for r in rows if r.get("date")]
        if not orgs or not dates:
            return {}
        meetings = Meeting.objects.filter(date__gte=min(dates), date__lte=max(dates)).prefetch_related(
            "kinds", "absences"
        )
        found: dict[tuple, Meeting] = {}
        for meeting in sorted(bulk_filter(meetings, "org_id", [o.pk for o in orgs]), key=lambda m: m.pk):
            key = meeting_key(
                meeting.org_id, [k.type for k in meeting.kinds.all()], meeting.date, meeting.topic
            )
            found.setdefault(key, meeting)
        return found

    def _org(self, row: ParsedRow, orgs: dict[str, Org], ctx: ImportContext) -> Org | None:
        code = row.get("org")
        if not code:
            return None
        org = orgs.get(code)
        if org is None:
            ctx.error(row.row, ORG, unknown_org(code))
        elif not ctx.covers(org):
            ctx.error(row.row, ORG, unknown_org(code))
            return None
        return org

    def _people(self, row: ParsedRow, members: dict[str, Member], ctx: ImportContext) -> dict[str, Any]:
        """Host, lecturer and absentees (member id → reason) by 身份证号; unknown numbers are errors."""
        people: dict[str, Any] = {}
        for key, column in (("host", HOST), ("lecturer", LECTURER)):
            number = row.get(key)
            people[key] = members.get(number) if number else None
            if key == "host" and people[key] is not None and not ctx.covers(people[key].org):
                people[key] = None  # an outside lecturer of another row is no host
            if number and people[key] is None:
                ctx.error(row.row, column, unknown_member(number))
        absent = row.get("absentees") or ()
        unknown = [
            number
            for number, *_reason in absent
            if number not in members or not ctx.covers(members[number].org)
        ]
        if unknown:
            ctx.error(row.row, ABSENTEES, unknown_member(unknown))
        people["absentees"] = {
            members[n].pk: (kind, text) for n, kind, text in absent if n in members and n not in unknown
        }
        return people

    def _validate(self, row: ParsedRow, org: Org | None, people: dict[str, Any], ctx: ImportContext) -> None:
        """The services' own checks (types for the organisation, dates, lecturer), run on every row
        so that all of a row's errors are listed; cells already reported are not reported twice."""
        if org is None:
            return
        reported = set(row.invalid) | {c.key for c in self.columns if c.required and not row.get(c.key)}
        data = {
            "org": org,
            "date": row.get("date"),
            "topic": row.get("topic") or "",
            "lecturer": people["lecturer"],
            "lecturer_name": row.get("lecturer_name") or "",
        }
        try:
            _validate(data, list(row.get("types") or ()))
        except ServiceError as exc:
            for key, messages in exc.errors.items():
                if key not in reported:
                    for message in messages:
                        ctx.error(row.row, self.header_for(key), message)

    def _write(self, row: ParsedRow, org: Org, people: dict[str, Any], meeting: Meeting | None, ctx):
        data: dict[str, Any] = {"org": org, "date": row.get("date"), "topic": row.get("topic")}
        for key in ("host", "lecturer"):
            if ctx.has(key):
                data[key] = people[key]
        for key in _PLAIN:
            if ctx.has(key):
                data[key] = row.get(key) or ""
        absentees = people["absentees"] if ctx.has("absentees") else None
        types = list(row.get("types"))
        if meeting is None:
            meeting = create_meeting(actor=ctx.actor, data=data, types=types, absentees=absentees or {})
            action = "create"
        elif self._changed(meeting, data, absentees):
            meeting = update_meeting(actor=ctx.actor, meeting=meeting, data=data, absentees=absentees)
            action = "update"
        else:
            action = "unchanged"
        summary = f"{org.name} {meeting.date:%Y-%m-%d} {type_labels(types)}：{meeting.topic}"
        return action, summary, org.path

    @staticmethod
    def _changed(
        meeting: Meeting, data: dict[str, Any], absentees: dict[int, tuple[str, str]] | None
    ) -> bool:
        for key, value in data.items():
            if key in ("org", "host", "lecturer"):
                if (value.pk if value else None) != getattr(meeting, f"{key}_id"):
                    return True
            elif (value.strip() if isinstance(value, str) else value) != getattr(meeting, key):
                return True
        if absentees is not None:
            current = {a.member_id: (a.reason_kind, a.reason) for a in meeting.absences.all()}
            if current != absentees:
                return True
        return False

    def example(self) -> dict[str, Any]:
        return {
            "org": EXAMPLE_BRANCH_CODE,
            "types": (MeetingType.LECTURE, MeetingType.THEME_DAY),
            "date": dt.date(2025, 6, 27),
            "topic": "“七一”主题党日暨党课：学习党章",
            "place": "党员活动室",
            "host": EXAMPLE_ID_NUMBER,
            "lecturer": EXAMPLE_ID_NUMBER,
            "lecturer_name": "",
            "absentees": (),
            "observers": "",
            "content": "支部书记讲授专题党课，全体党员重温入党誓词并交流学习体会。",
        }

    def export_rows(self, queryset) -> Iterable[dict[str, Any]]:
        meetings = (
            queryset.select_related("org", "host", "lecturer")
            .prefetch_related("kinds", "absences__member")
            .order_by("org__path", "date", "pk")
        )
        for meeting in meetings.iterator(chunk_size=2000):
            absences = sorted(
                meeting.absences.all(), key=lambda a: (name_key(a.member.name), a.member.name, a.member_id)
            )
            yield {
                "org": meeting.org.code,
                "types": tuple(sorted((k.type for k in meeting.kinds.all()), key=_ORDER.__getitem__)),
                "date": meeting.date,
                "topic": meeting.topic,
                "place": meeting.place,
                "host": meeting.host.id_number if meeting.host_id else "",
                "lecturer": meeting.lecturer.id_number if meeting.lecturer_id else "",
                "lecturer_name": meeting.lecturer_name,
                "absentees": tuple((a.member.id_number, a.reason_kind, a.reason) for a in absences),
                "observers": meeting.observers,
                "content": meeting.content,
            }
