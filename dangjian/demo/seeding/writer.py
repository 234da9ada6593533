"""Writes a seeding plan to the database in bulk, and wipes demo data for `seed --reset`.

Bulk writes bypass the per-row services on purpose (60,000 members through `create_member` would
take far too long); the plan is built to satisfy every rule the services enforce, which the tests
check by running the written rows through the service validators. Personal data still goes through
the model field (encrypted in `get_prep_value`) and the keyed look-up hash.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts.models import RoleAssignment, User
from dangjian.compliance.models import KeptResult, KeptStamp, KeptTally, KeptTodo, ResultChange
from dangjian.core import audit, auditchain
from dangjian.core.models import AuditEvent
from dangjian.core.pii import lookup_hash
from dangjian.demo.seeding.specs import Plan
from dangjian.dues.models import (
    ArrearsReview,
    CollectionDay,
    DuesBase,
    DuesPayment,
    DuesRelief,
    LedgerSnapshot,
)
from dangjian.elections.models import Candidate, Election, Exclusion, TermAdjustment
from dangjian.meetings.models import Absence, Attachment, Meeting, MeetingKind, parse_reason
from dangjian.members.models import Member, MemberHistory, OrgFigures
from dangjian.movements.models import LostContact, MobileContact, MobileStint, StatusChange, Transfer
from dangjian.orgs.models import Org, Post, path_segment
from dangjian.pipeline.models import CaseStep, DevelopmentCase
from dangjian.talks.models import Pair, Talk, YouthActivity, YouthGroup
from dangjian.training.models import Participant, StudyRecord, Training

BATCH_SIZE = 2000

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    pass


def write_orgs(plan: Plan) -> dict[str, Org]:
    """Inserts level by level (a parent's primary key is known before its children are built), then
    sets each level's materialized path once its own primary keys are known."""
    by_code: dict[str, Org] = {}
    for depth in sorted({o.depth for o in plan.orgs}):
        level = [
            Org(
                code=o.code,
                name=o.name,
                type=o.type,
                parent=by_code[o.parent] if o.parent else None,
                path=f"~{o.code}",  # placeholder, unique like the code; replaced below
                depth=depth,
                unit=o.unit,
                founded_on=o.founded_on,
                is_retiree_branch=o.is_retiree_branch,
                term_started_on=o.term_started_on,
                term_years=o.term_years,
            )
            for o in plan.orgs
            if o.depth == depth
        ]
        Org.objects.bulk_create(level, batch_size=BATCH_SIZE)
        for org in level:
            org.path = (org.parent.path if org.parent else "") + path_segment(org.pk)
            assert org.path.count("/") == org.depth
            by_code[org.code] = org
        Org.objects.bulk_update(level, ["path"], batch_size=BATCH_SIZE)
    return by_code


def write_members(plan: Plan, orgs: dict[str, Org], progress: Progress) -> list[Member]:
    rows = [
        Member(
            name=m.name,
            id_number=m.id_number,
            id_number_hash=lookup_hash(m.id_number),
            sex=m.sex,
            birth_date=m.birth_date,
            ethnicity=m.ethnicity,
            education=m.education,
            phone=m.phone,
            category=m.category,
            joined_on=m.joined_on,
            confirmed_on=m.confirmed_on,
            org_id=orgs[m.org].pk,
            work_status=m.work_status,
            is_leader=m.is_leader,
            position=m.position,
            is_mobile=m.is_mobile,
        )
        for m in plan.members
    ]
    for start in range(0, len(rows), BATCH_SIZE):
        Member.objects.bulk_create(rows[start : start + BATCH_SIZE])
        progress("党员", min(start + BATCH_SIZE, len(rows)), len(rows))
    return rows


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """Plain INSERTs, bypassing the ORM, whose per-value preparation costs more than the database does
    for these few simple columns (values must already be adapted for the backend): COPY on PostgreSQL,
    a prepared statement run for every row (executemany, in batches) on SQLite."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for start in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, rows[start : start + BATCH_SIZE])


MEETING_COLUMNS = [
    "id",
    "org_id",
    "date",
    "topic",
    "place",
    "host_id",
    "lecturer_id",
    "lecturer_name",
    "observers",
    "agenda",
    "content",
    "decisions",
    "created_at",
    "updated_at",
]


def write_meetings(plan: Plan, orgs: dict[str, Org], members: list[Member], progress: Progress) -> int:
    """Meetings with their types and absences. Primary keys are assigned here (after the highest one
    in use; the PostgreSQL sequence is moved past them), so that the three tables are written with
    plain INSERTs. The attendance counts were computed with the plan, from the rosters on each
    meeting's date."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day = {d: ops.adapt_datefield_value(d) for d in {m.date for m in plan.meetings}}
    first = (Meeting.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    meetings, kinds, absences = [], [], []
    for pk, m in enumerate(plan.meetings, start=first):
        org = orgs[m.org].pk
        host = members[m.host].pk if m.host is not None else None
        lecturer = members[m.lecturer].pk if m.lecturer is not None else None
        meetings.append(
            (
                pk,
                org,
                day[m.date],
                m.topic,
                m.place,
                host,
                lecturer,
                m.lecturer_name,
                m.observers,
                "",
                m.content,
                "",
                now,
                now,
            )
        )
        kinds.extend(
            (pk, str(k.type), org, day[m.date], k.expected, k.present, k.expected_formal, k.present_formal)
            for k in m.kinds
        )
        absences.extend((pk, members[i].pk, *parse_reason(reason)) for i, reason in m.absentees)
    _insert(Meeting, MEETING_COLUMNS, meetings)
    progress("组织生活记录", len(meetings), len(meetings))
    kind_fields = ["meeting_id", "type", "org_id", "date", "expected", "present"]
    _insert(MeetingKind, [*kind_fields, "expected_formal", "present_formal"], kinds)
    _insert(Absence, ["meeting_id", "member_id", "reason_kind", "reason"], absences)
    with connection.cursor() as cursor:
        for sql in ops.sequence_reset_sql(no_style(), [Meeting]):
            cursor.execute(sql)
    return len(meetings)


BASE_COLUMNS = ["member_id", "year", "category", "monthly_base", "effective_month", "fixed_amount", "note"]
PAYMENT_COLUMNS = [
    "member_id",
    "first_month",
    "last_month",
    "amount",
    "paid_on",
    "method",
    "payer_id",
    "is_extra",
    "remit_to_central",
    "note",
]


def write_dues(plan: Plan, orgs: dict[str, Org], members: list[Member], progress: Progress) -> dict[str, int]:
    """党费 bases, collection days and payments, with plain INSERTs (amounts were computed with the plan)."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    days: dict = {}

    def day(d):
        value = days.get(d)
        if value is None:
            value = days[d] = ops.adapt_datefield_value(d)
        return value

    CollectionDay.objects.bulk_create(
        [CollectionDay(org_id=orgs[code].pk, day=d) for code, d in plan.collection_days.items()],
        batch_size=BATCH_SIZE,
    )
    bases = [
        (
            members[b.member].pk,
            b.effective_month.year,
            b.category,
            b.monthly_base,
            day(b.effective_month),
            b.fixed_amount,
            b.note,
            now,
        )
        for b in plan.dues_bases
    ]
    _insert(DuesBase, [*BASE_COLUMNS, "created_at"], bases)
    progress("党费基数", len(bases), len(bases))
    payments = [
        (
            members[p.member].pk,
            day(p.first_month),
            day(p.last_month),
            p.amount,
            day(p.paid_on),
            p.method,
            members[p.payer].pk if p.payer is not None else None,
            p.is_extra,
            p.remit_to_central,
            p.note,
            now,
        )
        for p in plan.dues_payments
    ]
    _insert(DuesPayment, [*PAYMENT_COLUMNS, "created_at"], payments)
    progress("党费缴纳记录", len(payments), len(payments))
    return {
        "collection_days": len(plan.collection_days),
        "dues_bases": len(bases),
        "dues_payments": len(payments),
    }


def write_plan(plan: Plan, *, progress: Progress = no_progress) -> dict[str, int]:
    """Writes everything; the caller holds the transaction."""
    orgs = write_orgs(plan)
    progress("组织", len(orgs), len(orgs))
    members = write_members(plan, orgs, progress)
    posts = [
        Post(
            member_id=members[p.member].pk,
            org_id=orgs[p.org].pk,
            title=p.title,
            started_on=p.started_on,
            ended_on=p.ended_on,
        )
        for p in plan.posts
    ]
    Post.objects.bulk_create(posts, batch_size=BATCH_SIZE)
    progress("党内职务", len(posts), len(posts))
    MemberHistory.objects.bulk_create(
        [
            MemberHistory(
                member_id=members[h.member].pk,
                field=h.field,
                old_value=h.old_value,
                new_value=h.new_value,
                old_org_id=orgs[h.old_org].pk if h.old_org else None,
                new_org_id=orgs[h.new_org].pk if h.new_org else None,
                effective_on=h.effective_on,
            )
            for h in plan.history
        ],
        batch_size=BATCH_SIZE,
    )
    counts = {**plan.counts(), "meetings": write_meetings(plan, orgs, members, progress)}
    counts |= write_dues(plan, orgs, members, progress)
    audit.record(
        actor=None,
        action="create",
        object_type="seed",
        object_repr=f"演示数据 {plan.scale}",
        org_path=orgs["GW"].path,
        note=f"seed={plan.seed}；{summary(counts)}",
    )
    return counts


def summary(counts: dict[str, int]) -> str:
    return (
        f"单位 {counts['units']} 个，党组织 {counts['orgs']} 个（其中党支部 {counts['zhibu']} 个、"
        f"党小组 {counts['xiaozu']} 个），党员 {counts['members']} 名，党内职务 {counts['posts']} 条"
        + (f"，组织生活记录 {counts['meetings']} 条" if "meetings" in counts else "")
    )


# Deleted by `seed --reset`, referencing tables first. Users are kept (their links to members are
# cleared first); nothing else is touched (attachment files, if any, stay in MEDIA_ROOT).
RESET_MODELS = (
    Candidate,
    Exclusion,
    Election,
    TermAdjustment,
    Participant,
    StudyRecord,
    Training,
    Talk.participants.through,
    Talk,
    Pair,
    YouthActivity.participants.through,
    YouthActivity,
    YouthGroup.members.through,
    YouthGroup,
    CaseStep.contacts.through,
    CaseStep.sponsors.through,
    CaseStep,
    DevelopmentCase,
    MobileContact,
    MobileStint,
    LostContact,
    Transfer,
    StatusChange,
    LedgerSnapshot,
    ArrearsReview,
    DuesPayment,
    DuesRelief,
    DuesBase,
    CollectionDay,
    Attachment,
    Absence,
    MeetingKind,
    Meeting,
    RoleAssignment,
    Post,
    MemberHistory,
    Member,
    OrgFigures,
    KeptTodo,
    ResultChange,
    KeptTally,
    KeptStamp,
    KeptResult,
    Org,
    AuditEvent,
)


def analyze() -> None:
    """Refreshes the planner statistics after the bulk load. Without them PostgreSQL plans joins
    for empty tables (a member search over 60,000 rows took 12 s instead of milliseconds)."""
    if connection.vendor == "postgresql":
        tables = ", ".join(
            connection.ops.quote_name(m._meta.db_table)
            for m in (Org, Member, Post, MemberHistory, Meeting, MeetingKind, Absence, DuesBase, DuesPayment)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


def wipe() -> None:
    """Deletes the demo-relevant rows. One DELETE per table: the ORM's collector would load (and
    decrypt) every member, and refuses to delete the self-referencing org tree (on_delete=PROTECT)."""
    User.objects.filter(member__isnull=False).update(member=None)
    auditchain.permit_delete()  # the audit table refuses deletes otherwise (PostgreSQL): a new, empty chain
    with connection.cursor() as cursor:
        for model in RESET_MODELS:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
