"""Reads of the organizational-life records for the pages. Every read starts from the user's scope and
costs a bounded number of queries whatever the number of records or members."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dangjian.compliance import kept
from dangjian.compliance.evaluator import todo
from dangjian.compliance.registry import REGISTRY
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core.i18n import enumeration
from dangjian.core.pinyin import name_key
from dangjian.meetings.choices import ROSTER_OF_TYPE, TYPES_FOR_ORG, AbsenceReason, MeetingType, Roster
from dangjian.meetings.models import Attachment, Meeting, MeetingKind
from dangjian.meetings.roster import RosterEntry, rosters_for_types
from dangjian.members.models import Member, personal_fields
from dangjian.orgs.choices import PostTitle
from dangjian.orgs.models import Org, Post

TYPE_ORDER = {value: i for i, value in enumerate(MeetingType.values)}

# Short labels for the calendar cells (the full label is the badge's title).
SHORT_LABELS: dict[str, str] = {
    MeetingType.ASSEMBLY: "党员大会",
    MeetingType.COMMITTEE: "支委会",
    MeetingType.GROUP: "小组会",
    MeetingType.LECTURE: "党课",
    MeetingType.THEME_DAY: "主题党日",
    MeetingType.ORG_LIFE: "组织生活会",
    MeetingType.MEMBER_REVIEW: "民主评议",
    MeetingType.DEMOCRATIC_LIFE: "民主生活会",
    MeetingType.CENTRAL_GROUP: "中心组学习",
    MeetingType.TALK: "谈心谈话",
}

WEEKDAYS = (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))
CALENDAR_PER_DAY = 4  # records shown in a calendar cell; the rest are counted and linked


# --- organisations ------------------------------------------------------------------------------


def recording_orgs(user, *, include: Org | None = None) -> QuerySet[Org]:
    """Organisations the user may record meetings for: visible, of a type that holds meetings, not
    dissolved, in tree order. `include` keeps a record's own organisation on its edit form. Not evaluated: the
    form's picker reads at most `settings.ORG_PICKER_ABOVE` + 1 of them and above that searches them (a
    工委管理员's are the city's 4,900 organisations: reading them all cost about 150 ms a form)."""
    qs = Org.objects.visible_to(user).filter(type__in=list(TYPES_FOR_ORG)).active()
    if include is not None:
        qs = qs | Org.objects.filter(pk=include.pk)
    return qs.order_by("path")


def filter_org_options(user) -> QuerySet[Org]:
    """Organisations the user may filter the lists by: everything visible, in tree order (loaded by the
    filter's field, or searched when there are many: `OrgChoiceField`)."""
    return Org.objects.visible_to(user).order_by("path").only("id", "name", "depth", "path", "type", "unit")


def _pk(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def recording_org(user, pk: Any) -> Org | None:
    """One organisation the user may record meetings for, or None (one query)."""
    pk = _pk(pk)
    if pk is None:
        return None
    return Org.objects.visible_to(user).filter(type__in=list(TYPES_FOR_ORG), pk=pk).first()


def allowed_types(org: Org | None) -> list[str]:
    """The meeting types `org` may record, in the canonical order (all of them when no org is known)."""
    if org is None:
        return list(MeetingType.values)
    allowed = TYPES_FOR_ORG.get(org.type, frozenset())
    return [t for t in MeetingType.values if t in allowed]


# --- the roster on the entry form ---------------------------------------------------------------


@dataclass
class RosterRow:
    member_id: int
    name: str
    formal: bool
    org_name: str  # shown when the member belongs to a 党小组 (or another sub-organisation)
    types: list[str]
    absent: bool = False
    reason_kind: str = ""
    reason: str = ""
    # the sub-organisation's name as the roster shows it under the meeting's organisation: "第一党小组" for
    # "办公室党支部第一党小组" (the whole name on hover; as the 党费收缴表 names it)
    org_label: str = ""

    @property
    def type_labels(self) -> list[str]:
        return [SHORT_LABELS[t] for t in self.types]


def name_within(name: str, parent: str) -> str:
    """`name` without the leading name of the organisation it sits under ("第一党小组" for "办公室党支部第一党小组"
    under "办公室党支部"); the whole name when it does not begin with it."""
    return name[len(parent) :] if parent and name.startswith(parent) and len(name) > len(parent) else name


@dataclass
class TypeCount:
    type: str
    label: str
    expected: int
    present: int
    expected_formal: int
    present_formal: int


@dataclass(frozen=True)
class SameDay:
    """A record already kept for the organisation on the day, with the chosen types it also counts as."""

    pk: int
    topic: str
    types: tuple[str, ...]

    @property
    def type_labels(self) -> str:
        return "、".join(str(MeetingType(t).label) for t in self.types)


SAME_DAY_SHOWN = 3  # records named by the notice; a day with more is unusual enough


def same_day_records(
    org: Org | None, on: dt.date | None, types: list[str], *, exclude: int | None = None
) -> list[SameDay]:
    """Records of `org` dated `on` that count as one of `types` (other than record `exclude`), in the order they
    were recorded: what a second entry of the same meeting would look like. One query on the records' types
    (their organisation, type and date index); none without an organisation, a day or a type."""
    if org is None or on is None or not types:
        return []
    rows = (
        MeetingKind.objects.filter(org=org, date=on, type__in=sorted(types))
        .exclude(meeting_id=exclude)
        .order_by("meeting_id", "type")
        .values_list("meeting_id", "meeting__topic", "type")
    )
    found: dict[int, tuple[str, list[str]]] = {}
    for pk, topic, kind in rows:
        found.setdefault(pk, (topic, []))[1].append(kind)
    return [
        SameDay(pk, topic, tuple(sorted(kinds, key=TYPE_ORDER.__getitem__)))
        for pk, (topic, kinds) in list(found.items())[:SAME_DAY_SHOWN]
    ]


@dataclass(frozen=True)
class HeldPerson:
    """Someone ticked absent, or chosen as host or lecturer, whom the roster now shown does not list (another
    organisation or date was chosen since): not saved, and ticked or chosen again when a later roster lists them."""

    member_id: int
    name: str  # "" for a member outside the user's scope (counted, never named)
    reason_kind: str = ""
    reason: str = ""

    @property
    def label(self) -> str:
        """ "组织乙（病假：住院）": the name with the reason typed for the absence."""
        kind = str(dict(AbsenceReason.choices).get(self.reason_kind, ""))
        reason = f"{kind}：{self.reason}" if kind and self.reason else kind or self.reason
        return f"{self.name}（{reason}）" if reason else self.name


@dataclass
class Held:
    """What the form's ticks and choices name that the roster now shown does not list (`held_people`)."""

    absentees: list[HeldPerson] = field(default_factory=list)
    host: HeldPerson | None = None
    lecturer: HeldPerson | None = None

    def __bool__(self) -> bool:
        return bool(self.absentees or self.host or self.lecturer)

    @staticmethod
    def _names(people: list[HeldPerson]) -> str:
        names = [p.label for p in people if p.name]
        hidden = sum(1 for p in people if not p.name)
        if hidden:
            names.append(
                ngettext("另有%(n)s名不在您管理范围内的人员", "另有%(n)s名不在您管理范围内的人员", hidden)
                % {"n": hidden}
            )
        return enumeration(names)

    @property
    def absentee_names(self) -> str:
        return self._names(self.absentees)

    @property
    def host_name(self) -> str:
        return self._names([self.host]) if self.host else ""

    @property
    def lecturer_name(self) -> str:
        return self._names([self.lecturer]) if self.lecturer else ""


def held_people(
    user,
    absentees: dict[int, tuple[str, str]],
    host: int | None = None,
    lecturer: int | None = None,
    *,
    known: dict[int, tuple[str, str]] | None = None,
) -> Held:
    """The held ticks and choices with their names: `known` (name, pinyin key) of the edited record's absentees,
    host and lecturer, else of the members the user may see (one query, none when all are known); an id outside the
    scope stays unnamed, as in the services' refusals."""
    names = {pk: name for pk, (name, _key) in (known or {}).items()}
    pinyin = {pk: key for pk, (_name, key) in (known or {}).items()}
    wanted = {pk for pk in (*absentees, host, lecturer) if pk is not None and pk not in names}
    if wanted:
        for pk, name, key in (
            Member.objects.visible_to(user).filter(pk__in=wanted).values_list("pk", "name", "name_pinyin")
        ):
            names[pk], pinyin[pk] = name, key
    order = {pk: (not names.get(pk), pinyin.get(pk, ""), names.get(pk, ""), pk) for pk in absentees}
    return Held(
        absentees=[
            HeldPerson(pk, names.get(pk, ""), *absentees[pk])
            for pk in sorted(absentees, key=order.__getitem__)
        ],
        host=HeldPerson(host, names.get(host, "")) if host is not None else None,
        lecturer=HeldPerson(lecturer, names.get(lecturer, "")) if lecturer is not None else None,
    )


@dataclass
class RosterView:
    org: Org | None
    date: dt.date | None
    types: list[str]
    rows: list[RosterRow] = field(default_factory=list)
    counts: list[TypeCount] = field(default_factory=list)
    shared: bool = True  # every selected type has the same roster: no per-row type labels needed
    counted: bool = False  # at least one selected type takes attendance
    people: list[tuple[int, str]] = field(default_factory=list)  # host / lecturer options
    secretary_id: int | None = None
    # records of the organisation on the same day sharing one of the chosen types (a possible double entry)
    same_day: list[SameDay] = field(default_factory=list)
    # on the edit form: what saving would change in the record's attendance (`recount`)
    recount: Recount | None = None
    # the form's ticks and choices of people this roster does not list (kept on the page, not saved)
    held: Held = field(default_factory=Held)

    @property
    def reason_choices(self) -> list[tuple[str, str]]:
        return list(AbsenceReason.choices)

    @property
    def ready(self) -> bool:
        return self.org is not None and self.date is not None and bool(self.types)

    @property
    def listed(self) -> bool:
        """The form lists the rows to tick: attendance is taken, and the organisation existed on the date."""
        org, on = self.org, self.date
        if not self.ready or not self.counted or org is None or on is None:
            return False
        return not (org.founded_on and on < org.founded_on) and not (
            org.dissolved_on and on > org.dissolved_on
        )

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def present(self) -> int:
        return sum(not r.absent for r in self.rows)

    @property
    def expected_formal(self) -> int:
        return sum(r.formal for r in self.rows)

    @property
    def present_formal(self) -> int:
        return sum(r.formal and not r.absent for r in self.rows)

    @property
    def expected_probationary(self) -> int:
        return self.expected - self.expected_formal

    @property
    def type_labels(self) -> str:
        return "、".join(str(MeetingType(t).label) for t in self.types)


def _post_holders(org: Org, on: dt.date) -> list[tuple[int, str, str]]:
    """(member id, name, title) of the posts of `org` held on `on`, 书记 first (one query)."""
    order = {t: i for i, t in enumerate(PostTitle.values)}
    rows = (
        Post.objects.current(on)
        .filter(org=org)
        .values_list("member_id", "member__name", "title")
        .order_by("member__name_pinyin", "member__name", "member_id")
    )
    return sorted(rows, key=lambda r: order.get(r[2], 99))


def roster_view(
    org: Org | None,
    on: dt.date | None,
    types: list[str],
    *,
    absent: set[int] | None = None,
    reasons: dict[int, tuple[str, str]] | None = None,
) -> RosterView:
    """The expected attendees (应到) of a record of `types` held by `org` on `on`: the union of the
    types' rosters, each person with the types whose roster they are on, ticked absent when in
    `absent`; plus the host/lecturer options (the roster and the organisation's post holders).

    A bounded number of queries: the rosters (three at most per distinct roster kind), the posts,
    and the names of the sub-organisations the members belong to."""
    absent, reasons = absent or set(), reasons or {}
    types = [t for t in allowed_types(org) if t in set(types)]
    view = RosterView(org=org, date=on, types=types)
    if org is None or on is None:
        return view
    holders = _post_holders(org, on)
    view.secretary_id = next((m for m, _name, title in holders if title == PostTitle.SECRETARY), None)
    by_member: dict[int, RosterEntry] = {}
    member_types: dict[int, list[str]] = defaultdict(list)
    rosters = rosters_for_types(org, types, on) if types else {}
    for meeting_type in types:
        for entry in rosters.get(meeting_type, []):
            by_member.setdefault(entry.member_id, entry)
            member_types[entry.member_id].append(meeting_type)
    view.counted = any(ROSTER_OF_TYPE[t] != Roster.NONE for t in types)
    kinds = {ROSTER_OF_TYPE[t] for t in types if ROSTER_OF_TYPE[t] != Roster.NONE}
    view.shared = len(kinds) <= 1
    sub_orgs = {e.org_id for e in by_member.values()} - {org.pk}
    org_names = dict(Org.objects.filter(pk__in=sub_orgs).values_list("pk", "name")) if sub_orgs else {}
    view.rows = sorted(
        (
            RosterRow(
                member_id=e.member_id,
                name=e.name,
                formal=e.formal,
                org_name=org_names.get(e.org_id, ""),
                org_label=name_within(org_names.get(e.org_id, ""), org.name),
                types=member_types[e.member_id],
                absent=e.member_id in absent,
                reason_kind=reasons.get(e.member_id, ("", ""))[0] if e.member_id in absent else "",
                reason=reasons.get(e.member_id, ("", ""))[1] if e.member_id in absent else "",
            )
            for e in by_member.values()
        ),
        key=lambda r: (r.org_name, r.name, r.member_id),
    )
    for meeting_type in types:
        if ROSTER_OF_TYPE[meeting_type] == Roster.NONE:
            continue
        rows = [r for r in view.rows if meeting_type in r.types]
        view.counts.append(
            TypeCount(
                type=meeting_type,
                label=str(MeetingType(meeting_type).label),
                expected=len(rows),
                present=sum(not r.absent for r in rows),
                expected_formal=sum(r.formal for r in rows),
                present_formal=sum(r.formal and not r.absent for r in rows),
            )
        )
    title_labels = dict(PostTitle.choices)
    people: dict[int, str] = {}
    for member_id, name, title in holders:
        people.setdefault(member_id, f"{name}（{title_labels.get(title, title)}）")
    for row in view.rows:
        people.setdefault(row.member_id, f"{row.name}（{row.org_name}）" if row.org_name else row.name)
    view.people = list(people.items())
    return view


# --- the edit form: what saving would change ------------------------------------------------------


@dataclass(frozen=True)
class RecountChange:
    """A person who would join or leave a record's 应到 on saving, and what in the registry says so."""

    name: str
    why: str


@dataclass(frozen=True)
class RecountCount:
    label: str
    expected: tuple[int, int]  # (recorded, on saving)
    present: tuple[int, int]
    expected_formal: tuple[int, int]


@dataclass
class Recount:
    """How saving an edited record would change its attendance: a record keeps the counts computed when it was
    saved (`MeetingKind`), and saving computes them again from the roster on its date as the registry stands now.
    Entries made in the registry since, with dates on or before the meeting (a member entered later, a 预备党员
    admitted at the meeting, a correction of someone's organisation or 党籍状态), change them. `added` and `removed`
    name the people the registry's entries made after the record was saved account for (and the absentees no
    longer on the roster); `unexplained`: the counts change by more than they do (a corrected 入党日期 or
    任职日期 leaves no such trace)."""

    date: dt.date
    counts: list[RecountCount]
    added: list[RecountChange]
    removed: list[RecountChange]
    unexplained: bool


def recount(meeting: Meeting, view: RosterView) -> Recount | None:
    """What saving `meeting` with the roster `view` (its organisation, date and types, as the form has them) would
    change in its recorded attendance, or None: nothing, or the form changes the organisation, date or types (the
    roster then follows them, as the user asks). Two queries when nothing changes (the record's counts, unless
    prefetched, and its absentees), two or three more to name who would change (members entered and history recorded since the record
    was saved; posts recorded since, for a record of a committee)."""
    org = view.org
    if (
        org is None
        or not view.ready
        or not view.counted
        or org.pk != meeting.org_id
        or view.date != meeting.date
    ):
        return None
    stored = {k.type: k for k in meeting.kinds.all()}  # prefetched by the edit page
    if set(stored) != set(view.types):
        return None
    rows = {r.member_id: r for r in view.rows}
    absences = list(
        meeting.absences.order_by("member__name_pinyin", "member__name", "member_id").values_list(
            "member_id", "member__name"
        )
    )
    dropped = [(pk, name) for pk, name in absences if pk not in rows]
    counts = []
    for c in view.counts:
        k = stored[c.type]
        if (k.expected, k.expected_formal) != (c.expected, c.expected_formal) or (
            dropped and k.present != c.present
        ):
            counts.append(
                RecountCount(
                    c.label,
                    (k.expected, c.expected),
                    (k.present, c.present),
                    (k.expected_formal, c.expected_formal),
                )
            )
    if not counts and not dropped:
        return None
    from dangjian.members.choices import HistoryField
    from dangjian.members.models import Member, MemberHistory

    since, on = meeting.updated_at, meeting.date
    added: dict[int, RecountChange] = {}
    removed: dict[int, RecountChange] = {}
    entered = Member.objects.filter(pk__in=list(rows), created_at__gt=since).values_list("pk", flat=True)
    for pk in entered:
        added[pk] = RecountChange(rows[pk].name, str(_("记录保存后登记到党员名册")))
    later = (
        MemberHistory.objects.filter(at__gt=since, effective_on__lte=on)
        .filter(
            Q(field=HistoryField.ORG, old_org__path__startswith=org.path)
            | Q(field=HistoryField.ORG, new_org__path__startswith=org.path)
            | Q(field=HistoryField.STATUS, member__org__path__startswith=org.path)
        )
        .select_related("member", "old_org", "new_org")
        .only(
            "member__id",
            "member__name",
            "field",
            "new_value",
            "old_org__path",
            "new_org__name",
            "new_org__path",
            "effective_on",
        )
        .order_by("-at", "-id")
    )
    for h in later:  # the latest entry first: it says where they are
        pk, day = h.member.pk, f"{h.effective_on:%Y-%m-%d}"
        if pk in added or pk in removed:
            continue
        if h.field == HistoryField.STATUS:
            if pk not in rows:
                why = _("记录保存后登记的党籍状态变更：%(date)s起为%(status)s") % {
                    "date": day,
                    "status": h.new_value,
                }
                removed[pk] = RecountChange(h.member.name, str(why))
            continue
        into = h.new_org is not None and h.new_org.path.startswith(org.path)
        out_of = h.old_org is not None and h.old_org.path.startswith(org.path)
        where = h.new_org.name if h.new_org is not None else h.new_value
        why = str(_("记录保存后登记的组织变更：%(date)s起在%(org)s") % {"date": day, "org": where})
        if pk in rows and into and not out_of:
            added[pk] = RecountChange(h.member.name, why)
        elif pk not in rows and out_of and not into:
            removed[pk] = RecountChange(h.member.name, why)
    if any(
        ROSTER_OF_TYPE[c.type] != Roster.MEMBERS and stored[c.type].expected != c.expected
        for c in view.counts
    ):
        posts = (
            Post.objects.current(on)
            .filter(org=org, created_at__gt=since, member_id__in=list(rows))
            .values_list("member_id", flat=True)
        )
        for pk in posts:
            added.setdefault(pk, RecountChange(rows[pk].name, str(_("记录保存后登记的职务"))))
    was_absent = str(_("原记为缺席"))
    for pk, name in dropped:
        found = removed.get(pk)
        removed[pk] = RecountChange(name, f"{found.why}；{was_absent}" if found else was_absent)
    # the named changes account for each type's change of 应到, or something else changed too
    unexplained = any(
        c.expected - stored[c.type].expected
        != sum(1 for pk in added if c.type in rows[pk].types)
        - (len(removed) if ROSTER_OF_TYPE[c.type] == Roster.MEMBERS else 0)
        for c in view.counts
    )
    return Recount(
        date=on,
        counts=counts,
        added=sorted(added.values(), key=lambda c: (name_key(c.name), c.name)),
        removed=sorted(removed.values(), key=lambda c: (name_key(c.name), c.name)),
        unexplained=unexplained,
    )


# --- lists --------------------------------------------------------------------------------------


def _with_kinds():
    return Prefetch("kinds", queryset=MeetingKind.objects.order_by("id"))


def decorate(meetings: list[Meeting]) -> list[Meeting]:
    """Sorts each record's prefetched kinds and picks the headline attendance (the largest roster)."""
    for meeting in meetings:
        kinds = sorted(meeting.kinds.all(), key=lambda k: TYPE_ORDER.get(k.type, 99))
        for kind in kinds:
            kind.short_label = SHORT_LABELS.get(kind.type, kind.type)
        meeting.kind_list = kinds
        counted = [k for k in kinds if ROSTER_OF_TYPE.get(k.type) != Roster.NONE]
        meeting.headline = max(counted, key=lambda k: k.expected, default=None)
    return meetings


def meeting_list(user, filters: dict[str, Any]):
    """Records visible to `user`, narrowed by the cleaned filters, newest first. Not evaluated: the
    caller paginates (one COUNT, one page query with the organisation and the author joined, one
    query for the types of the page's records)."""
    qs = (
        Meeting.objects.visible_to(user)
        .select_related("org", "created_by", "created_by__member")
        .defer(*personal_fields("created_by__member"))
        .prefetch_related(_with_kinds())
        .order_by("-date", "-id")
    )
    org = filters.get("org")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if filters.get("type"):
        qs = qs.filter(kinds__type=filters["type"])
    if filters.get("date_from"):
        qs = qs.filter(date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(date__lte=filters["date_to"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(topic__icontains=q)
    return qs


def editable_meeting(user, pk: int) -> Meeting | None:
    """The record `pk` if the user may edit it (its organisation within their scope), else None (one query): the
    roster refresh of its edit form compares the roster with what it recorded, and offers its host and lecturer."""
    from dangjian.accounts.scope import scope_for

    return (
        Meeting.objects.filter(scope_for(user).org_q("org__"), pk=pk)
        .select_related("host", "lecturer")
        .only(
            "id", "org_id", "date", "updated_at", "host__id", "host__name", "lecturer__id", "lecturer__name"
        )
        .first()
    )


def visible_meeting(user, pk: int) -> Meeting:
    """One record the user may see, with what its detail page shows; 404 otherwise (one query)."""
    return get_object_or_404(
        Meeting.objects.visible_to(user)
        .select_related("org", "host", "lecturer", "created_by", "created_by__member")
        .defer(*personal_fields("host", "lecturer", "created_by__member")),
        pk=pk,
    )


def meeting_detail(meeting: Meeting, scope) -> dict[str, Any]:
    """The types with their attendance, the absentees (linked when the user may open them) and the
    attachments (three queries)."""
    kinds = sorted(meeting.kinds.all(), key=lambda k: TYPE_ORDER.get(k.type, 99))
    for kind in kinds:
        kind.counted = ROSTER_OF_TYPE.get(kind.type) != Roster.NONE
    absences = list(
        meeting.absences.select_related("member", "member__org")
        .defer(*personal_fields("member"))
        .order_by("member__name_pinyin", "member__name", "member_id")
    )
    for absence in absences:
        absence.linkable = scope.covers(absence.member.org)
    return {
        "kinds": kinds,
        "absences": absences,
        "attachments": list(meeting.attachments.order_by("id")),
    }


def visible_attachment(user, pk: int) -> Attachment:
    return get_object_or_404(
        Attachment.objects.filter(meeting__in=Meeting.objects.visible_to(user).values("pk")), pk=pk
    )


# --- calendar -----------------------------------------------------------------------------------


@dataclass
class CalendarDay:
    date: dt.date
    in_month: bool
    meetings: list[Meeting] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.meetings)

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.date.weekday()]


def month_calendar(user, first: dt.date, org: Org | None) -> tuple[list[list[CalendarDay]], int]:
    """A Monday-first month grid with each day's records (at most CALENDAR_PER_DAY per day, the rest
    counted) and the number of records in the month. Three queries whatever the number of records:
    the counts per day, the first records of each day (a window function), their types."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    qs = Meeting.objects.visible_to(user).filter(date__gte=first, date__lte=last)
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    totals = dict(qs.order_by().values_list("date").annotate(n=Count("id")))
    shown = (
        qs.annotate(
            day_rank=Window(
                RowNumber(), partition_by=[F("date")], order_by=[F("org__path").asc(), F("id").asc()]
            )
        )
        .filter(day_rank__lte=CALENDAR_PER_DAY)
        .select_related("org")
        .prefetch_related(_with_kinds())
        .order_by("date", "org__path", "id")
        if totals
        else []
    )
    by_day: dict[dt.date, list[Meeting]] = defaultdict(list)
    for meeting in decorate(list(shown)):
        by_day[meeting.date].append(meeting)
    start = first - dt.timedelta(days=first.weekday())
    end = last + dt.timedelta(days=6 - last.weekday())
    weeks: list[list[CalendarDay]] = []
    day = start
    while day <= end:
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append(CalendarDay(day, day.month == first.month, by_day.get(day, []), totals.get(day, 0)))
        day += dt.timedelta(days=1)
    return weeks, sum(totals.values())


# --- 待办 ---------------------------------------------------------------------------------------


def todo_items(orgs, on: dt.date) -> list:
    """The 待办 of `orgs` on `on`: the kept ones (compliance.kept) when the scope's kept results are of that
    day, else evaluated live."""
    ruleset = load_ruleset()
    if kept.todo_current(orgs, on, ruleset=ruleset):
        return kept.kept_todo(orgs, ruleset=ruleset)
    return todo(orgs, on=on, ruleset=ruleset)


@dataclass
class TodoEntry:
    item: Any  # compliance TodoItem
    days_left: int
    type: str | None

    @property
    def type_label(self) -> str:
        return str(MeetingType(self.type).label) if self.type else ""

    @property
    def link(self) -> tuple[str, str] | None:
        """The item's button as (url, label): the entry form with the organisation and the meeting type it wants,
        else its check kind's own page (民主评议党员并评定等次 is done on the 民主评议 pages: no meeting record
        satisfies it), else none."""
        org = self.item.org
        if self.type:
            query = urlencode({"org": org.id, "type": self.type})
            return f"{reverse('meetings:create')}?{query}", str(_("去录入"))
        kind = REGISTRY.get(self.item.rule.check)
        found = kind.link(self.item.rule, org, "pending") if kind is not None and kind.link else None
        return (found.url, found.label) if found is not None else None

    @property
    def overdue_days(self) -> int:
        return max(-self.days_left, 0)

    @property
    def urgency(self) -> str:
        return "urgent" if self.days_left <= 7 else ("soon" if self.days_left <= 31 else "later")


@dataclass
class TodoGroup:
    org: Any  # OrgRef
    entries: list[TodoEntry]

    @property
    def first_due(self) -> dt.date:
        return self.entries[0].item.due_by


@dataclass
class TodoUnit:
    unit: str
    orgs: int
    items: int
    first_due: dt.date


def _todo_orgs(user, on: dt.date, org: Org | None, unit: str | None):
    orgs = Org.objects.visible_to(user).active(on)
    if org is not None:
        orgs = orgs.filter(path__startswith=org.path)
    if unit is not None:
        orgs = orgs.filter(unit=unit)
    return orgs


def todo_soonest(
    user, on: dt.date, *, org: Org | None = None, limit: int
) -> tuple[int, int, list[tuple[TodoGroup, TodoEntry]]] | None:
    """For the compact panel, from the kept 待办 (three queries whatever the scope): the organisations and
    items counted, and the `limit` soonest entries. None when the scope's kept results are not of `on`."""
    from dangjian.meetings.rules import recordable_meeting_type

    orgs = _todo_orgs(user, on, org, None)
    ruleset = load_ruleset()
    if not kept.todo_current(orgs, on, ruleset=ruleset):
        return None
    n_orgs, n_items, items = kept.kept_todo_soonest(orgs, ruleset=ruleset, limit=limit)
    entries = [TodoEntry(item, (item.due_by - on).days, recordable_meeting_type(item.rule)) for item in items]
    return n_orgs, n_items, [(TodoGroup(e.item.org, [e]), e) for e in entries]


def todo_unit_summary(user, on: dt.date, *, org: Org | None = None) -> tuple[int, int, list[TodoUnit]] | None:
    """A large scope's 待办 per 单位 from the kept 待办 (two queries whatever the scope): (organisations, items, the
    units as `todo_units` orders them). None when the scope's kept results are not of `on`."""
    orgs = _todo_orgs(user, on, org, None)
    ruleset = load_ruleset()
    if not kept.todo_current(orgs, on, ruleset=ruleset):
        return None
    units = [TodoUnit(*row) for row in kept.kept_todo_units(orgs, ruleset=ruleset)]
    units.sort(key=lambda u: (-u.orgs, u.unit))
    return sum(u.orgs for u in units), sum(u.items for u in units), units


def todo_groups(user, on: dt.date, *, org: Org | None = None, unit: str | None = None) -> list[TodoGroup]:
    """What each organisation in scope still has to hold in the current period, grouped by organisation,
    soonest due first."""
    from dangjian.meetings.rules import recordable_meeting_type

    orgs = _todo_orgs(user, on, org, unit)
    grouped: dict[int, list[TodoEntry]] = defaultdict(list)
    refs: dict[int, Any] = {}
    for item in todo_items(orgs, on):
        refs[item.org.id] = item.org
        grouped[item.org.id].append(
            TodoEntry(item, (item.due_by - on).days, recordable_meeting_type(item.rule))
        )
    groups = [
        TodoGroup(refs[org_id], sorted(entries, key=lambda e: (e.item.due_by, e.item.rule.id)))
        for org_id, entries in grouped.items()
    ]
    return sorted(groups, key=lambda g: (g.first_due, g.org.path))


def todo_units(groups: list[TodoGroup]) -> list[TodoUnit]:
    """The groups counted per 单位 (for a large scope, drilled down by unit)."""
    units: dict[str, TodoUnit] = {}
    for group in groups:
        name = group.org.unit or ""
        unit = units.get(name)
        if unit is None:
            units[name] = TodoUnit(name, 1, len(group.entries), group.first_due)
        else:
            unit.orgs += 1
            unit.items += len(group.entries)
            unit.first_due = min(unit.first_due, group.first_due)
    return sorted(units.values(), key=lambda u: (-u.orgs, u.unit))


# --- members absent from organizational life for months (MEM-ORGLIFE-ABSENT-6M) ---------------------

ORGLIFE_RULE = "MEM-ORGLIFE-ABSENT-6M"
CASE, WARNING = "case", "warning"


@dataclass
class AbsenceItem:
    run: Any  # attendance.Run
    branch: Org
    member_org: str  # the 党小组 holding the member, when not the branch itself
    level: str  # CASE (to review) or WARNING (half the months, still going on)
    last_review: Any = None  # the member's latest OrgLifeReview
    form: Any = None


def orglife_rule():
    """MEM-ORGLIFE-ABSENT-6M of the latest rulebook (its months and types), or None when it has none."""
    try:
        return load_ruleset().rule(ORGLIFE_RULE)
    except KeyError:
        return None


def orglife_member(user, pk: Any) -> Any:
    """A member of the organisations the user administers (never their own record through it), or None."""
    from dangjian.accounts.scope import scope_for
    from dangjian.members.models import Member

    pk = _pk(pk)
    if pk is None:
        return None
    return Member.objects.filter(scope_for(user).org_q("org__"), pk=pk).select_related("org").first()


def absence_items(user, on: dt.date, org: Org | None = None) -> list[AbsenceItem]:
    """The members of the user's branches (with their 党小组) whose run of months without taking part in
    organizational life, without a recorded reason and not yet reviewed, reaches the rule's months (to
    review) or half of them and is still going on (a warning); computed as the rule computes them. A fixed
    number of queries: the branches, the rule's facts ("orglife"), the 党小组 names, the latest reviews."""
    from dangjian.compliance.facts import FactContext
    from dangjian.meetings.attendance import all_runs, last_complete_month
    from dangjian.meetings.facts import load_life_facts
    from dangjian.meetings.models import OrgLifeReview

    rule = orglife_rule()
    if rule is None:
        return []
    params = rule.typed_params
    branches = Org.objects.visible_to(user).filter(type="zhibu").active(on)
    if org is not None:
        branches = branches.filter(path__startswith=org.path)
    rows = list(branches.order_by("path"))
    if not rows:
        return []
    ids = [b.pk for b in rows]
    facts = load_life_facts(FactContext(ids, rows, on.year, on, (rule,), {}))
    by_pk = {b.pk: b for b in rows}
    types, warn = frozenset(params.meeting_types), max(1, params.absent_months // 2)
    last = last_complete_month(on)
    items = []
    for branch_id, life in facts.items():
        for run in all_runs(life, types, on):
            if run.length >= params.absent_months:
                level = CASE
            elif run.length >= warn and run.last == last:
                level = WARNING
            else:
                continue
            items.append(AbsenceItem(run, by_pk[branch_id], "", level))
    if not items:
        return []
    groups = {i.run.member.org_id for i in items} - set(by_pk)
    names = dict(Org.objects.filter(pk__in=groups).values_list("pk", "name")) if groups else {}
    reviews: dict[int, Any] = {}
    for review in OrgLifeReview.objects.filter(member_id__in={i.run.member.id for i in items}).order_by(
        "member_id", "-reviewed_on", "-id"
    ):
        reviews.setdefault(review.member_id, review)
    for item in items:
        item.member_org = names.get(item.run.member.org_id, "")
        item.last_review = reviews.get(item.run.member.id)
    return sorted(
        items,
        key=lambda i: (
            i.level != CASE,
            i.branch.path,
            name_key(i.run.member.name),
            i.run.member.name,
            i.run.first,
        ),
    )
