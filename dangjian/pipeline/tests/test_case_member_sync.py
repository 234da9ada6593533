"""A development case and the member it admitted stay one record of one person.

1. Correcting the member's 姓名 or 身份证号 (the member page, `members.services.update_member`) corrects the case that
   admitted them, in the same transaction, audited without the number; a number on another case not 终止 (or under
   age on the case's application date) is refused and nothing changes, the member's correction neither.
2. Undoing the admission (接收预备党员) takes its 预备党员 off the roll with their derived records (absences from
   organizational life, history); records entered about them since (党费, 培训, an enabled login …) stop it with a
   message naming them and how many, and nothing changes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.accounts.models import User
from dangjian.core import idcard
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.core.pii import lookup_hash, mask_id_number
from dangjian.dues.models import DuesPayment
from dangjian.meetings.models import Absence, Meeting, MeetingKind
from dangjian.meetings.services import create_meeting
from dangjian.members.models import Member, MemberHistory
from dangjian.members.services import update_member
from dangjian.pipeline.admission import admission_records
from dangjian.pipeline.models import CaseStep, DevelopmentCase
from dangjian.pipeline.services import correct_applicant, open_case, undo_step
from dangjian.pipeline.tests.helpers import advance, plan
from dangjian.training.models import Participant, Training

pytestmark = pytest.mark.django_db

REASON = "录错了案例，应为另一申请人"


@pytest.fixture
def applied(today):
    return today - dt.timedelta(days=1200)


@pytest.fixture
def dates(applied):
    return plan(applied)


@pytest.fixture
def voted_on(dates):
    return dates["admission_vote"]


def person_id(birth=dt.date(1998, 5, 20), seq=11, male=True):
    return idcard.make("310230", birth, seq, male)


@pytest.fixture
def formal(tree, make_member):
    return [make_member(tree.a1, name=n) for n in ("联系人甲", "介绍人乙", "介绍人丙")]


@pytest.fixture
def case(tree, applied):
    return open_case(actor=None, org=tree.a1, name="王申请", id_number=person_id(), applied_on=applied)


@pytest.fixture
def admitted(case, formal, dates):
    """The case admitted by the 支部大会: its 预备党员 on the roll."""
    advance(case, "admission_vote", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    assert case.member_id is not None
    return case


def state() -> tuple:
    """Everything either correction may change: the cases, their steps, the roll and its history, the absences,
    the audit log."""
    fields = ("name", "id_number", "id_number_hash", "sex", "birth_date", "stage", "status", "probation_end")
    cases = [
        (c.pk, *(getattr(c, f) for f in fields), c.member_id) for c in DevelopmentCase.objects.order_by("pk")
    ]
    steps = list(CaseStep.objects.order_by("pk").values_list("pk", "key", "date"))
    members = [
        (m.pk, m.name, m.id_number, m.id_number_hash, m.sex, m.birth_date)
        for m in Member.objects.order_by("pk")
    ]
    history = MemberHistory.objects.count()
    absences = list(Absence.objects.order_by("pk").values_list("pk", "member_id"))
    return cases, steps, members, history, absences, AuditEvent.objects.count()


def refused(fn, *fragments):
    before = state()
    with pytest.raises(ServiceError) as exc:
        fn()
    for fragment in fragments:
        assert fragment in exc.value.message, exc.value.message
    assert state() == before
    return exc.value


def audit_text(event) -> str:
    return json.dumps([event.before, event.after, event.note, event.object_repr], ensure_ascii=False)


def no_number_in(event, *numbers) -> None:
    text = audit_text(event)
    for number in numbers:
        assert number not in text and mask_id_number(number) not in text and number[-4:] not in text


# --- 1. the member's correction corrects the case ---------------------------------------------------------


def followed():
    """The case's events of a correction that followed the member's."""
    return AuditEvent.objects.filter(
        object_type="pipeline.developmentcase", action="update", note__startswith="随党员信息"
    )


def test_correcting_the_预备党员_corrects_the_case(admitted, users):
    member = admitted.member
    new_number = person_id(dt.date(1997, 3, 4), seq=21, male=False)
    update_member(actor=users["branch_a1"], member=member, data={"name": "王申清", "id_number": new_number})
    admitted.refresh_from_db()
    assert (admitted.name, admitted.id_number) == ("王申清", new_number)
    assert admitted.id_number_hash == lookup_hash(new_number)
    assert (admitted.sex, admitted.birth_date) == ("F", dt.date(1997, 3, 4))
    event = followed().get()
    assert event.actor == users["branch_a1"] and event.org_path == admitted.org.path
    assert event.object_id == str(admitted.pk)
    assert event.before == {"name": "王申请"}
    assert event.after == {"name": "王申清", "corrected": ["name", "id_number"]}
    assert event.note == "随党员信息更正申请人姓名、身份证号"
    no_number_in(event, person_id(), new_number)
    # the member's own event comes first, in the same transaction
    member_event = AuditEvent.objects.filter(object_type="members.member", action="update").latest("id")
    assert member_event.id < event.id


def test_the_name_alone_and_nothing(admitted, users):
    member = admitted.member
    update_member(actor=users["branch_a1"], member=member, data={"name": "王申请"})  # unchanged
    update_member(actor=users["branch_a1"], member=member, data={"position": "科员"})  # not the person's name
    assert not followed().exists()
    update_member(actor=users["branch_a1"], member=member, data={"name": " 王申清 "})
    admitted.refresh_from_db()
    assert admitted.name == "王申清" and admitted.id_number == person_id()
    event = followed().get()
    assert (
        event.after == {"name": "王申清", "corrected": ["name"]} and event.note == "随党员信息更正申请人姓名"
    )


def test_a_正式党员_admitted_through_a_case_corrects_the_ended_case(case, formal, users, dates):
    advance(case, "conversion_approval", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    assert case.status == "converted" and case.member.category == "formal"
    new_number = person_id(seq=31)
    update_member(actor=users["branch_a1"], member=case.member, data={"id_number": new_number})
    case.refresh_from_db()
    assert case.id_number == new_number and case.id_number_hash == lookup_hash(new_number)
    event = followed().get()
    assert event.before == {} and event.after == {"corrected": ["id_number"]}


def test_a_member_moved_since_corrects_the_case_where_they_were_admitted(
    case, formal, users, tree, dates, today
):
    """The case stays with the branch that admitted them; the member's correction, in scope of the member's
    administrator, corrects it there, audited on that branch."""
    advance(case, "conversion_approval", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    update_member(actor=users["dangwei_a"], member=case.member, data={"org": tree.a2}, effective_on=today)
    update_member(actor=users["branch_a2"], member=case.member, data={"name": "王申清"})
    case.refresh_from_db()
    assert case.org == tree.a1 and case.name == "王申清"
    event = followed().get()
    assert event.org_path == tree.a1.path and event.actor == users["branch_a2"]


def test_the_member_page_corrects_the_case(client, admitted, users):
    member = admitted.member
    new_number = person_id(dt.date(1997, 3, 4), seq=41)
    client.force_login(users["branch_a1"])
    data = {
        "name": "王申清",
        "id_number": new_number,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "phone": member.phone,
        "category": member.category,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": "",
        "org": str(member.org_id),
        "work_status": member.work_status,
        "position": member.position,
    }
    response = client.post(reverse("members:edit", args=[member.pk]), data)
    assert response.status_code == 302
    page = client.get(reverse("pipeline:detail", args=[admitted.pk])).content.decode()
    assert "王申清" in page and "王申请" not in page
    assert mask_id_number(new_number) in page and mask_id_number(person_id()) not in page


def test_a_number_on_another_case_is_refused_and_nothing_changes(admitted, users, tree, client, applied):
    other = open_case(actor=None, org=tree.a2, name="李申请", id_number=person_id(seq=51), applied_on=applied)
    error = refused(
        lambda: update_member(
            actor=users["branch_a1"],
            member=admitted.member,
            data={"name": "王申清", "id_number": other.id_number},
        ),
        "该身份证号已登记在另一个发展党员案例中",
        "请核对身份证号",
    )
    assert error.field == "id_number"
    assert "李申请" not in error.message and tree.a2.name not in error.message  # never who or where
    # the page says it on the field, and nothing changes
    member = admitted.member
    client.force_login(users["branch_a1"])
    before = state()
    response = client.post(
        reverse("members:edit", args=[member.pk]),
        {
            "name": "王申清",
            "id_number": other.id_number,
            "ethnicity": member.ethnicity,
            "category": member.category,
            "joined_on": member.joined_on.isoformat(),
            "org": str(member.org_id),
            "work_status": member.work_status,
        },
    )
    assert (
        response.status_code == 200 and "该身份证号已登记在另一个发展党员案例中" in response.content.decode()
    )
    assert state() == before


def test_a_member_without_a_case_cannot_take_an_applicant_number(tree, users, make_member, applied):
    member = make_member(tree.a1, name="名册党员")
    applicant = open_case(
        actor=None,
        org=tree.a2,
        name="李申请",
        id_number=person_id(dt.date(1980, 1, 1), seq=61),
        applied_on=applied,
    )
    refused(
        lambda: update_member(
            actor=users["branch_a1"], member=member, data={"id_number": applicant.id_number}
        ),
        "该身份证号已登记在另一个发展党员案例中",
    )
    # a 终止 case does not hold its number
    from dangjian.pipeline.services import StepData, record_step

    record_step(
        actor=None,
        case=applicant,
        key="withdrawal",
        on=applied + dt.timedelta(days=5),
        data=StepData(note="撤回"),
    )
    update_member(actor=users["branch_a1"], member=member, data={"id_number": applicant.id_number})
    assert Member.objects.get(pk=member.pk).id_number == applicant.id_number


def test_a_number_on_the_roll_is_refused_by_the_roll(admitted, users, formal):
    refused(
        lambda: update_member(
            actor=users["branch_a1"], member=admitted.member, data={"id_number": formal[0].id_number}
        ),
        "该身份证号已在系统中登记",
    )


def test_a_number_under_age_on_the_application_is_refused(admitted, users, applied):
    """Of age when admitted, as the roll checks, but not when they applied: the case refuses it."""
    birth = applied - dt.timedelta(days=int(17.5 * 365))
    young = person_id(birth, seq=71)
    refused(
        lambda: update_member(actor=users["branch_a1"], member=admitted.member, data={"id_number": young}),
        "递交入党申请时",
        f"（{applied:%Y-%m-%d}）未满18周岁",
        "DEV-01",
    )


def test_correct_applicant_writes_one_event_per_record(admitted, users):
    """The case's correction corrects the member, whose correction finds the case agreeing: no second event."""
    new_number = person_id(seq=81)
    correct_applicant(actor=users["branch_a1"], case=admitted, name="王申清", id_number=new_number)
    corrected = AuditEvent.objects.filter(
        object_type="pipeline.developmentcase", note__startswith="更正申请人"
    )
    assert corrected.count() == 1 and not followed().exists()
    assert AuditEvent.objects.filter(object_type="members.member", action="update").count() == 1
    admitted.refresh_from_db()
    assert admitted.member.id_number == admitted.id_number == new_number


# --- 2. undoing the admission takes the 预备党员 off the roll -------------------------------------------------


def meeting_after_vote(tree, member, voted_on, reason="病假", days=30) -> Meeting:
    return create_meeting(
        actor=None,
        data={"org": tree.a1, "date": voted_on + dt.timedelta(days=days), "topic": "支部党员大会"},
        types=["assembly"],
        absentees={member.pk: reason},
    )


def test_undo_the_admission_removes_the_member_and_sets_the_case_back(admitted, users):
    member = admitted.member
    vote = admitted.steps.get(key="admission_vote")
    update_member(actor=users["branch_a1"], member=member, data={"work_status": "retired"})  # a history row
    undo_step(actor=users["branch_a1"], step=vote, reason=REASON)
    admitted.refresh_from_db()
    assert (admitted.stage, admitted.status, admitted.probation_end, admitted.member_id) == (
        "candidate",
        "open",
        None,
        None,
    )
    assert not Member.objects.filter(pk=member.pk).exists()
    assert not MemberHistory.objects.filter(member_id=member.pk).exists()
    assert not CaseStep.objects.filter(pk=vote.pk).exists()
    deleted = AuditEvent.objects.get(object_type="members.member", action="delete")
    assert deleted.object_id == str(member.pk) and deleted.actor == users["branch_a1"]
    assert (
        deleted.note
        == f"撤销误录的“支部大会讨论接收预备党员”，王申请的预备党员记录随之从党员名册删除，原因：{REASON}"
    )
    update = AuditEvent.objects.filter(object_type="pipeline.developmentcase", action="update").latest("id")
    assert update.before["member"] == "王申请" and update.after["member"] is None
    assert update.before["status"] == "admitted" and update.after["status"] == "open"
    for event in (deleted, update):
        assert person_id() not in audit_text(event)


def test_undo_the_admission_removes_its_absences_from_organizational_life(
    admitted, users, tree, formal, voted_on
):
    member = admitted.member
    first = meeting_after_vote(tree, member, voted_on, "病假")
    second = meeting_after_vote(tree, member, voted_on, "", days=60)
    others = create_meeting(  # someone else absent: kept
        actor=None,
        data={"org": tree.a1, "date": voted_on + dt.timedelta(days=90), "topic": "支部党员大会"},
        types=["assembly"],
        absentees={formal[0].pk: "公差"},
    )
    kinds = list(MeetingKind.objects.order_by("pk").values_list("meeting_id", "expected", "present"))
    assert admission_records(member).absences == 2
    undo_step(actor=users["branch_a1"], step=admitted.steps.get(key="admission_vote"), reason=REASON)
    assert not Absence.objects.filter(member_id=member.pk).exists()
    assert list(Absence.objects.values_list("meeting_id", "member_id")) == [(others.pk, formal[0].pk)]
    assert Meeting.objects.filter(pk__in=[first.pk, second.pk]).count() == 2  # the records stay
    # their 应到 no longer counts them (nor their 实到, where they were present)
    assert list(MeetingKind.objects.order_by("pk").values_list("meeting_id", "expected", "present")) == [
        (pk, expected - 1, present - (pk == others.pk)) for pk, expected, present in kinds
    ]
    events = list(AuditEvent.objects.filter(object_type="meetings.absence", action="delete").order_by("id"))
    assert [e.before["meeting"] for e in events] == [first.pk, second.pk]
    assert [e.before["reason_kind"] for e in events] == ["sick", ""]
    assert all(e.org_path == tree.a1.path and e.before["member"] == "王申请" for e in events)
    assert events[0].object_repr == f"{first}：王申请缺席"
    assert events[-1].id < AuditEvent.objects.get(object_type="members.member", action="delete").id


def test_undo_refused_while_records_about_the_member_remain(admitted, users, tree, voted_on):
    member = admitted.member
    meeting_after_vote(tree, member, voted_on)
    for month in (1, 2, 3):
        day = dt.date(voted_on.year, month, 1)
        DuesPayment.objects.create(
            member=member, first_month=day, last_month=day, amount=Decimal("2.00"), paid_on=day, method="cash"
        )
    training = Training.objects.create(
        title="预备党员培训",
        organiser="甲委",
        level="other",
        org=tree.a1,
        started_on=voted_on,
        ended_on=voted_on,
        hours=Decimal("8"),
    )
    Participant.objects.create(training=training, member=member)
    vote = admitted.steps.get(key="admission_vote")
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=vote, reason=REASON),
        "“支部大会讨论接收预备党员”不能撤销：撤销时须从党员名册中删除王申请的预备党员记录",
        "党费缴纳记录3笔",
        "参加培训记录1条",
        "请先删除或更正这些记录，再撤销本步记录。",
    )
    # the records deleted, the undo goes through (the absence goes with the member)
    DuesPayment.objects.filter(member=member).delete()
    Participant.objects.filter(member=member).delete()
    undo_step(actor=users["branch_a1"], step=vote, reason=REASON)
    assert not Member.objects.filter(pk=member.pk).exists()


def test_undo_refused_by_a_record_that_would_silently_go_with_the_member(admitted, users, voted_on):
    """A declared 党费 base would be deleted with the member (a cascade, not a protected reference): it was entered
    about them, so it stops the undo all the same."""
    from dangjian.dues.models import DuesBase

    DuesBase.objects.create(
        member=admitted.member,
        year=voted_on.year,
        category="active",
        monthly_base=Decimal("5000"),
        effective_month=voted_on.replace(day=1),
    )
    refused(
        lambda: undo_step(
            actor=users["branch_a1"], step=admitted.steps.get(key="admission_vote"), reason=REASON
        ),
        "党费缴费基数1条",
    )


def test_undo_refused_while_the_members_login_is_enabled(admitted, users, make_user):
    member = admitted.member
    account = make_user("wang", "member", admitted.org, member=member)
    vote = admitted.steps.get(key="admission_vote")
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=vote, reason=REASON),
        "其登录账号仍在启用，须先由系统管理员停用该账号，再撤销本步记录。",
    )
    User.objects.filter(pk=account.pk).update(is_active=False)
    undo_step(actor=users["branch_a1"], step=vote, reason=REASON)
    account.refresh_from_db()
    assert account.member_id is None


def test_undo_refused_when_the_member_is_now_outside_the_actors_scope(admitted, users, tree, today):
    member = admitted.member
    update_member(actor=users["dangwei_a"], member=member, data={"org": tree.a2}, effective_on=today)
    vote = admitted.steps.get(key="admission_vote")
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=vote, reason=REASON),
        "不能由您撤销",
        "不在您的管理范围内",
    )
    undo_step(actor=users["dangwei_a"], step=vote, reason=REASON)  # the 党委 over both branches may
    assert not Member.objects.filter(pk=member.pk).exists()


def test_a_member_on_the_roll_before_the_admission_is_not_deleted_by_its_undo(admitted, users):
    """An import links a case to a member already on the roll: undoing the admission does not delete a record it did
    not add; the member is deleted first on their own page if they too were entered by mistake."""
    member = admitted.member
    vote = admitted.steps.get(key="admission_vote")
    Member.objects.filter(pk=member.pk).update(created_at=vote.recorded_at - dt.timedelta(days=30))
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=vote, reason=REASON),
        "王申请的预备党员记录在登记本步之前已在党员名册中，不是由本步添加的",
        "请先在“党员信息”中核实并删除",
    )


def test_admission_records_is_one_query(admitted, tree, voted_on):
    meeting_after_vote(tree, admitted.member, voted_on)
    with CaptureQueriesContext(connection) as queries:
        records = admission_records(admitted.member)
    assert len(queries.captured_queries) == 1
    assert (records.blocking, records.account, records.absences) == ([], False, 1)


# --- the pages ----------------------------------------------------------------------------------------------


@pytest.fixture
def admin_a1(client, users):
    client.force_login(users["branch_a1"])
    return client


def test_case_page_offers_the_admission_undo_and_says_what_goes(admin_a1, admitted, tree, voted_on):
    meeting_after_vote(tree, admitted.member, voted_on)
    html = admin_a1.get(reverse("pipeline:detail", args=[admitted.pk])).content.decode()
    assert 'data-testid="undo-form"' in html and 'data-testid="undo-hint"' not in html
    assert "撤销后，王申请的预备党员记录将从党员名册中删除，连同其在1次组织生活中的缺席记录。" in html
    assert "并从党员名册中删除王申请的预备党员记录？" in html  # the confirmation says it too


def test_case_page_names_the_records_that_stop_the_admission_undo(admin_a1, admitted, voted_on):
    day = dt.date(voted_on.year, 1, 1)
    DuesPayment.objects.create(
        member=admitted.member,
        first_month=day,
        last_month=day,
        amount=Decimal("2.00"),
        paid_on=day,
        method="cash",
    )
    html = admin_a1.get(reverse("pipeline:detail", args=[admitted.pk])).content.decode()
    assert 'data-testid="undo-form"' not in html and 'data-testid="undo-hint"' in html
    assert "党费缴纳记录1笔，请先删除或更正这些记录" in html


def test_undo_the_admission_through_the_page(admin_a1, admitted):
    member = admitted.member
    vote = admitted.steps.get(key="admission_vote")
    response = admin_a1.post(
        reverse("pipeline:step_undo", args=[admitted.pk, vote.pk]), {"reason": REASON}, follow=True
    )
    html = response.content.decode()
    assert (
        "已撤销“支部大会讨论接收预备党员”" in html
        and "王申请的预备党员记录已从党员名册中删除，可按正确的信息重新登记。" in html
    )
    assert not Member.objects.filter(pk=member.pk).exists()
    # the case offers the admission again
    assert 'data-step="admission_vote"' in html
