"""Writes a seeding plan to the database in bulk, and wipes demo data for `seed --reset`.

Bulk writes bypass the per-row services on purpose (60,000 members through `create_member` would
take far too long); the plan is built to satisfy every rule the services enforce, which the tests
check by running the written rows through the service validators. Personal data still goes through
the model field (encrypted in `get_prep_value`) and the keyed look-up hash.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.assessment.models import FrozenUnit, ManualScore, Round, SelfReview
from dangjian.compliance.models import KeptTally
from dangjian.core import audit, auditchain
from dangjian.core.bulk import advance_sequences, first_free_pk, insert_rows
from dangjian.core.models import AuditEvent
from dangjian.core.pii import lookup_hash
from dangjian.core.pinyin import name_key
from dangjian.demo.seeding.specs import Plan
from dangjian.dues.models import (
    CollectionDay,
    DuesBase,
    DuesPayment,
)
from dangjian.meetings.models import Absence, Meeting, MeetingKind, parse_reason
from dangjian.members.models import Member, MemberHistory
from dangjian.movements.models import MobileStint
from dangjian.orgs.models import Org, Post, path_segment

Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    pass


def write_orgs(plan: Plan) -> tuple[dict[str, int], dict[str, str]]:
    """Primary keys assigned level by level (as the row-by-level inserts did before), so that each materialized
    path is known before the rows are written: one write for the whole tree. Returns the primary keys and the
    paths by code."""
    ids: dict[str, int] = {}
    paths: dict[str, str] = {}
    rows = []
    pk = first_free_pk(Org)
    for depth in sorted({o.depth for o in plan.orgs}):
        for o in plan.orgs:
            if o.depth != depth:
                continue
            parent = ids[o.parent] if o.parent else None
            path = (paths[o.parent] if o.parent else "") + path_segment(pk)
            assert path.count("/") == depth
            ids[o.code], paths[o.code] = pk, path
            rows.append(
                (
                    pk,
                    o.code,
                    o.name,
                    o.type,
                    parent,
                    path,
                    depth,
                    o.unit,
                    o.founded_on,
                    o.is_retiree_branch,
                    o.term_started_on,
                    o.term_years,
                )
            )
            pk += 1
    columns = ["id", "code", "name", "type", "parent_id", "path", "depth", "unit", "founded_on"]
    insert_rows(Org, [*columns, "is_retiree_branch", "term_started_on", "term_years"], rows)
    return ids, paths


MEMBER_COLUMNS = [
    "id",
    "name",
    "name_pinyin",
    "id_number",
    "id_number_hash",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "phone",
    "category",
    "joined_on",
    "confirmed_on",
    "org_id",
    "work_status",
    "is_leader",
    "position",
    "is_mobile",
]


def write_members(plan: Plan, orgs: dict[str, int], progress: Progress) -> list[int]:
    """Returns the members' primary keys, in the order of the plan. The personal data goes through the model
    field (encrypted as `get_prep_value` does for every save) and the keyed look-up hash."""
    encrypt = Member._meta.get_field("id_number").get_prep_value
    first = first_free_pk(Member)
    rows = [
        (
            pk,
            m.name,
            name_key(m.name),
            encrypt(m.id_number),
            lookup_hash(m.id_number),
            m.sex,
            m.birth_date,
            m.ethnicity,
            m.education,
            encrypt(m.phone),
            m.category,
            m.joined_on,
            m.confirmed_on,
            orgs[m.org],
            m.work_status,
            m.is_leader,
            m.position,
            m.is_mobile,
        )
        for pk, m in enumerate(plan.members, start=first)
    ]
    insert_rows(Member, MEMBER_COLUMNS, rows)
    progress("党员", len(rows), len(rows))
    return [row[0] for row in rows]


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
    "content",
]


def write_meetings(plan: Plan, orgs: dict[str, int], members: list[int], progress: Progress) -> int:
    """Meetings with their types and absences (the meetings' primary keys assigned here, so that the three
    tables are written in one pass each). The attendance counts were computed with the plan, from the rosters
    on each meeting's date."""
    first = first_free_pk(Meeting)
    meetings, kinds, absences = [], [], []
    for pk, m in enumerate(plan.meetings, start=first):
        org = orgs[m.org]
        host = members[m.host] if m.host is not None else None
        lecturer = members[m.lecturer] if m.lecturer is not None else None
        meetings.append(
            (pk, org, m.date, m.topic, m.place, host, lecturer, m.lecturer_name, m.observers, m.content)
        )
        kinds.extend(
            (pk, str(k.type), org, m.date, k.expected, k.present, k.expected_formal, k.present_formal)
            for k in m.kinds
        )
        absences.extend((pk, members[i], *parse_reason(reason)) for i, reason in m.absentees)
    insert_rows(Meeting, MEETING_COLUMNS, meetings)
    progress("组织生活记录", len(meetings), len(meetings))
    kind_fields = ["meeting_id", "type", "org_id", "date", "expected", "present"]
    insert_rows(MeetingKind, [*kind_fields, "expected_formal", "present_formal"], kinds)
    insert_rows(Absence, ["meeting_id", "member_id", "reason_kind", "reason"], absences)
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


def write_dues(plan: Plan, orgs: dict[str, int], members: list[int], progress: Progress) -> dict[str, int]:
    """党费 bases, collection days and payments (amounts were computed with the plan)."""
    days = [(orgs[code], d) for code, d in plan.collection_days.items()]
    insert_rows(CollectionDay, ["org_id", "day"], days)
    bases = [
        (
            members[b.member],
            b.effective_month.year,
            b.category,
            b.monthly_base,
            b.effective_month,
            b.fixed_amount,
            b.note,
        )
        for b in plan.dues_bases
    ]
    insert_rows(DuesBase, BASE_COLUMNS, bases)
    progress("党费基数", len(bases), len(bases))
    payments = [
        (
            members[p.member],
            p.first_month,
            p.last_month,
            p.amount,
            p.paid_on,
            p.method,
            members[p.payer] if p.payer is not None else None,
            p.is_extra,
            p.remit_to_central,
            p.note,
        )
        for p in plan.dues_payments
    ]
    insert_rows(DuesPayment, PAYMENT_COLUMNS, payments)
    progress("党费缴纳记录", len(payments), len(payments))
    return {
        "collection_days": len(plan.collection_days),
        "dues_bases": len(bases),
        "dues_payments": len(payments),
    }


def write_plan(plan: Plan, *, progress: Progress = no_progress) -> dict[str, int]:
    """Writes everything; the caller holds the transaction. Rows are written with COPY on PostgreSQL and
    prepared INSERTs on SQLite (`core.bulk.insert_rows`), the same values either way."""
    orgs, paths = write_orgs(plan)
    progress("组织", len(orgs), len(orgs))
    members = write_members(plan, orgs, progress)
    posts = [(members[p.member], orgs[p.org], p.title, p.started_on, p.ended_on) for p in plan.posts]
    insert_rows(Post, ["member_id", "org_id", "title", "started_on", "ended_on"], posts)
    progress("党内职务", len(posts), len(posts))
    history = [
        (
            members[h.member],
            h.field,
            h.old_value,
            h.new_value,
            orgs[h.old_org] if h.old_org else None,
            orgs[h.new_org] if h.new_org else None,
            h.effective_on,
        )
        for h in plan.history
    ]
    columns = ["member_id", "field", "old_value", "new_value", "old_org_id", "new_org_id", "effective_on"]
    insert_rows(MemberHistory, columns, history)
    created = timezone.now()
    stints = [
        (members[st.member], st.destination, False, "", st.fixed_place, st.left_on, None, "", None, created)
        for st in plan.stints
    ]
    stint_columns = ["member_id", "destination", "abroad", "abroad_purpose", "fixed_place", "left_on"]
    insert_rows(MobileStint, [*stint_columns, "returned_on", "note", "created_by_id", "created_at"], stints)
    counts = {**plan.counts(), "meetings": write_meetings(plan, orgs, members, progress)}
    counts |= write_dues(plan, orgs, members, progress)
    advance_sequences([Org, Member, Meeting])  # their primary keys were assigned here
    audit.record(
        actor=None,
        action="create",
        object_type="seed",
        object_repr=f"演示数据 {plan.scale}",
        org_path=paths["GW"],
        note=f"seed={plan.seed}；{summary(counts)}",
    )
    return counts


def summary(counts: dict[str, int]) -> str:
    return (
        f"单位 {counts['units']} 个，党组织 {counts['orgs']} 个（其中党支部 {counts['zhibu']} 个、"
        f"党小组 {counts['xiaozu']} 个），党员 {counts['members']} 名，党内职务 {counts['posts']} 条"
        + (f"，组织生活记录 {counts['meetings']} 条" if "meetings" in counts else "")
    )


# Deleted by `seed --reset`: every table whose rows refer, directly or through other such rows, to the
# organisations or the members — found from the models, so that a table added by any app is wiped too — referencing
# tables first; and the tables below, which refer to nothing but hold what the demo data produced. Users are kept
# (their links to members are cleared first); nothing else is touched (attachment files, if any, stay in
# MEDIA_ROOT).
RESET_ALSO = (SelfReview, ManualScore, FrozenUnit, Round, KeptTally, AuditEvent)


def reset_models() -> list[type[Model]]:
    """The models `seed --reset` empties, in an order that deletes referencing rows before the rows they refer to."""
    from django.apps import apps

    every = apps.get_models(include_auto_created=True)

    def targets(model) -> set:
        return {
            f.related_model
            for f in model._meta.get_fields()
            if f.concrete and f.is_relation and f.related_model is not None and f.related_model is not model
        }

    found: set = {Org, Member}
    grown = True
    while grown:
        grown = False
        for model in every:
            if model not in found and model is not User and targets(model) & found:
                found.add(model)
                grown = True
    ordered: list = []
    remaining = set(found)
    while remaining:
        # a model no remaining model refers to can go now
        ready = sorted(
            (m for m in remaining if not any(m in targets(other) for other in remaining if other is not m)),
            key=lambda m: m._meta.label,
        )
        if not ready:
            raise RuntimeError(
                "cycle of references among " + ", ".join(sorted(m._meta.label for m in remaining))
            )
        ordered += ready
        remaining -= set(ready)
    return ordered + [m for m in RESET_ALSO if m not in found]


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
        for model in reset_models():
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
