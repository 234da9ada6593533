"""The seed's bulk writer (COPY on PostgreSQL, prepared INSERTs on SQLite): the rows written are exactly the
plan's, on whichever database the tests run (run them on both to compare the two paths), and the primary keys it
assigns leave the sequences where later writes through the services do not collide."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO

from django.core.management import call_command
from django.db import connection

from dangjian.conftest import unique_id_number
from dangjian.core.pii import lookup_hash
from dangjian.core.pinyin import name_key
from dangjian.demo.seeding import build_plan
from dangjian.demo.tests import TODAY
from dangjian.dues.models import CollectionDay, DuesBase, DuesPayment
from dangjian.meetings.models import Absence, Meeting, MeetingKind, parse_reason
from dangjian.meetings.services import create_meeting
from dangjian.members.models import Member, MemberHistory
from dangjian.members.services import create_member
from dangjian.orgs.models import Org, Post, path_segment
from dangjian.orgs.services import create_org


def seed(*args: str) -> None:
    call_command("seed", "--scale", "small", "--today", f"{TODAY}", "--seed", "1", *args, stdout=StringIO())


def written() -> dict[str, Counter]:
    """Every table the seed writes, as rows of natural keys (org codes, 身份证号) instead of primary keys."""
    code = dict(Org.objects.values_list("pk", "code"))
    person = {m.pk: m.id_number for m in Member.objects.only("id_number")}
    meeting_key = {
        pk: (code[org], day, topic)
        for pk, org, day, topic in Meeting.objects.values_list("pk", "org", "date", "topic")
    }
    return {
        "orgs": Counter(
            (
                o.code,
                o.name,
                o.type,
                code.get(o.parent_id),
                o.depth,
                o.unit,
                o.founded_on,
                o.is_retiree_branch,
                o.term_started_on,
                o.term_years,
            )
            for o in Org.objects.all()
        ),
        "members": Counter(
            (
                m.id_number,
                m.name,
                m.sex,
                m.birth_date,
                m.ethnicity,
                m.education,
                m.phone,
                m.category,
                m.joined_on,
                m.confirmed_on,
                code[m.org_id],
                m.work_status,
                m.is_leader,
                m.position,
                m.is_mobile,
            )
            for m in Member.objects.all()
        ),
        "posts": Counter(
            (person[p.member_id], code[p.org_id], p.title, p.started_on, p.ended_on)
            for p in Post.objects.all()
        ),
        "history": Counter(
            (
                person[h.member_id],
                h.field,
                h.old_value,
                h.new_value,
                code.get(h.old_org_id),
                code.get(h.new_org_id),
                h.effective_on,
            )
            for h in MemberHistory.objects.all()
        ),
        "meetings": Counter(
            (
                code[m.org_id],
                m.date,
                m.topic,
                m.place,
                person.get(m.host_id),
                person.get(m.lecturer_id),
                m.lecturer_name,
                m.observers,
                m.content,
                m.agenda,
                m.decisions,
            )
            for m in Meeting.objects.all()
        ),
        "kinds": Counter(
            (
                meeting_key[k.meeting_id],
                k.type,
                code[k.org_id],
                k.date,
                k.expected,
                k.present,
                k.expected_formal,
                k.present_formal,
            )
            for k in MeetingKind.objects.all()
        ),
        "absences": Counter(
            (meeting_key[a.meeting_id], person[a.member_id], a.reason_kind, a.reason)
            for a in Absence.objects.all()
        ),
        "collection_days": Counter((code[c.org_id], c.day) for c in CollectionDay.objects.all()),
        "dues_bases": Counter(
            (
                person[b.member_id],
                b.year,
                b.category,
                b.monthly_base,
                b.effective_month,
                b.fixed_amount,
                b.note,
            )
            for b in DuesBase.objects.all()
        ),
        "dues_payments": Counter(
            (
                person[p.member_id],
                p.first_month,
                p.last_month,
                p.amount,
                p.paid_on,
                p.method,
                person.get(p.payer_id),
                p.is_extra,
                p.remit_to_central,
                p.note,
            )
            for p in DuesPayment.objects.all()
        ),
    }


def planned() -> dict[str, Counter]:
    """The same rows, straight from the plan."""
    plan = build_plan("small", 1, TODAY)
    person = [m.id_number for m in plan.members]
    key = [(m.org, m.date, m.topic) for m in plan.meetings]
    return {
        "orgs": Counter(
            (
                o.code,
                o.name,
                o.type,
                o.parent,
                o.depth,
                o.unit,
                o.founded_on,
                o.is_retiree_branch,
                o.term_started_on,
                o.term_years,
            )
            for o in plan.orgs
        ),
        "members": Counter(
            (
                m.id_number,
                m.name,
                m.sex,
                m.birth_date,
                m.ethnicity,
                m.education,
                m.phone,
                m.category,
                m.joined_on,
                m.confirmed_on,
                m.org,
                m.work_status,
                m.is_leader,
                m.position,
                m.is_mobile,
            )
            for m in plan.members
        ),
        "posts": Counter((person[p.member], p.org, p.title, p.started_on, p.ended_on) for p in plan.posts),
        "history": Counter(
            (person[h.member], h.field, h.old_value, h.new_value, h.old_org, h.new_org, h.effective_on)
            for h in plan.history
        ),
        "meetings": Counter(
            (
                m.org,
                m.date,
                m.topic,
                m.place,
                None if m.host is None else person[m.host],
                None if m.lecturer is None else person[m.lecturer],
                m.lecturer_name,
                m.observers,
                m.content,
                "",
                "",
            )
            for m in plan.meetings
        ),
        "kinds": Counter(
            (key[n], k.type, m.org, m.date, k.expected, k.present, k.expected_formal, k.present_formal)
            for n, m in enumerate(plan.meetings)
            for k in m.kinds
        ),
        "absences": Counter(
            (key[n], person[i], *parse_reason(reason))
            for n, m in enumerate(plan.meetings)
            for i, reason in m.absentees
        ),
        "collection_days": Counter(plan.collection_days.items()),
        "dues_bases": Counter(
            (
                person[b.member],
                b.effective_month.year,
                b.category,
                b.monthly_base,
                b.effective_month,
                b.fixed_amount,
                b.note,
            )
            for b in plan.dues_bases
        ),
        "dues_payments": Counter(
            (
                person[p.member],
                p.first_month,
                p.last_month,
                p.amount,
                p.paid_on,
                p.method,
                None if p.payer is None else person[p.payer],
                p.is_extra,
                p.remit_to_central,
                p.note,
            )
            for p in plan.dues_payments
        ),
    }


def test_written_rows_are_exactly_the_plan(db):
    seed()
    rows, expected = written(), planned()
    assert {table: sum(c.values()) for table, c in rows.items()} == {
        table: sum(c.values()) for table, c in expected.items()
    }
    assert all(expected[table] for table in expected)  # every table has rows to compare
    for table in expected:
        assert rows[table] == expected[table], table


def test_derived_columns_paths_hashes_and_timestamps(db):
    seed()
    orgs = {o.pk: o for o in Org.objects.all()}
    for org in orgs.values():
        parent = orgs[org.parent_id].path if org.parent_id else ""
        assert org.path == parent + path_segment(org.pk)
        assert org.created_at is not None and org.updated_at is not None
    for member in Member.objects.all():
        assert member.id_number_hash == lookup_hash(member.id_number)
        assert member.name_pinyin == name_key(member.name) != ""
        assert (member.status, member.inactive_from) == ("normal", None)
    with connection.cursor() as cursor:  # stored as cipher text, as the model field writes it
        cursor.execute(f"SELECT id_number, phone FROM {Member._meta.db_table}")
        stored = cursor.fetchall()
    assert stored and all(
        number.startswith("gAAAA") and (phone == "" or phone.startswith("gAAAA")) for number, phone in stored
    )
    assert not DuesPayment.objects.filter(created_at__isnull=True).exists()


def test_service_writes_after_seeding_get_new_keys(db):
    """The seed assigns the keys of organisations, members and meetings itself: the sequences must have been
    moved past them (on PostgreSQL a new row would otherwise collide with a seeded one), also after --reset."""
    for args in ((), ("--reset",)):
        seed(*args)
        top = {
            model: model.objects.order_by("-pk").values_list("pk", flat=True)[0]
            for model in (Org, Member, Meeting)
        }
        branch = Org.objects.filter(type="zhibu").order_by("code").first()
        group = create_org(
            actor=None,
            data={"code": f"NEW{len(args)}", "name": "新党小组", "type": "xiaozu", "parent": branch},
        )
        member = create_member(
            actor=None,
            data={
                "name": "新党员",
                "id_number": unique_id_number(),
                "category": "formal",
                "joined_on": dt.date(2015, 7, 1),
                "confirmed_on": dt.date(2016, 7, 1),
                "org": branch,
                "work_status": "active",
            },
        )
        meeting = create_meeting(
            actor=None,
            data={"org": branch, "date": dt.date(2026, 11, 20), "topic": "支部委员会"},
            types=["theme_day"],
        )
        assert group.pk > top[Org] and member.pk > top[Member] and meeting.pk > top[Meeting]


def test_the_reset_empties_every_table_that_refers_to_the_demo_data_referencing_ones_first():
    """Found from the models: a table any app adds that refers to the organisations or the members (directly or
    through other such rows) is wiped too, before the rows it refers to; users are kept."""
    from django.apps import apps

    from dangjian.accounts.models import User
    from dangjian.demo.seeding.writer import reset_models
    from dangjian.orgs.models import Org

    order = reset_models()
    position = {m: i for i, m in enumerate(order)}
    assert User not in position and Org in position
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.get_fields():
            if not (f.concrete and f.is_relation) or f.related_model in (None, model):
                continue
            if f.related_model in position and model is not User:
                assert model in position, f"{model._meta.label} refers to {f.related_model._meta.label}"
                assert position[model] < position[f.related_model], model._meta.label
    labels = {m._meta.label for m in order}
    assert {
        "meetings.PlannedMeeting",
        "evaluations.Evaluation",
        "assessment.Round",
        "core.AuditEvent",
    } <= labels
