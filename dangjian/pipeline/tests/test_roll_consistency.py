"""A development case and the member roll say the same of one person, on every path between them.

1. An applicant of a case not ended joins the roll through the case's admission (支部大会讨论接收预备党员), not by being
   entered as a member: the member form, `create_members` and a members file refuse their 身份证号, naming the case's
   branch and stage to whoever administers it, and nothing more to anyone else; the admission itself (recorded or
   imported) still adds them.
2. A development-cases file does not rename a case whose 预备党员 is on the roll, nor link a case to a member of
   another 姓名: the roll's 姓名 is corrected on the member page or the case page, which correct both.
3. Undoing an admission takes its 预备党员 out of the 应到/实到 the meetings that counted them keep, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.core import idcard
from dangjian.core.errors import ServiceError
from dangjian.core.imports import RowError, run_import
from dangjian.core.models import AuditEvent
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.dues.models import DuesBase
from dangjian.meetings.models import MeetingKind
from dangjian.meetings.services import create_meeting
from dangjian.members.models import Member
from dangjian.members.services import MembersRefused, create_member, create_members, delete_member
from dangjian.orgs.services import create_post
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.services import StepData, import_case, open_case, record_step, undo_step
from dangjian.pipeline.tests.helpers import advance, data_for, plan

pytestmark = pytest.mark.django_db

D = dt.date
REASON = "录错了案例，应为另一申请人"
ADMISSION = "支部大会讨论接收预备党员"


BIRTH = D(1998, 5, 20)


def person_id(seq=11):
    return idcard.make("310230", BIRTH, seq, True)


def applied_on() -> dt.date:
    return dt.date.today() - dt.timedelta(days=1200)


def member_data(org, number, name="王申请", **extra):
    return {
        "name": name,
        "id_number": number,
        "category": "probationary",
        "joined_on": D(2024, 7, 1),
        "org": org,
        "work_status": "active",
        **extra,
    }


@pytest.fixture
def formal(tree, make_member):
    return [make_member(tree.a1, name=n) for n in ("联系人甲", "介绍人乙", "介绍人丙")]


@pytest.fixture
def case(tree):
    return open_case(actor=None, org=tree.a1, name="王申请", id_number=person_id(), applied_on=applied_on())


def counts():
    return Member.objects.count(), AuditEvent.objects.count()


# --- 1. the applicant is not entered as a member ---------------------------------------------------------------


def test_create_member_refuses_an_applicant_naming_the_case(case, tree, users):
    before = counts()
    with pytest.raises(ServiceError) as refused:
        create_member(actor=users["branch_a1"], data=member_data(tree.a1, person_id()))
    assert refused.value.field == "id_number"
    assert refused.value.message == (
        "该身份证号是甲一支部的发展党员案例中的入党申请人，尚未接收为预备党员，不能在党员名册中直接新增："
        f"其党员记录在该案例登记“{ADMISSION}”时自动添加到党员名册。请在“发展党员”中办理该案例。"
    )
    assert counts() == before
    # the 党委 above the branch is told the same; the system itself too
    with pytest.raises(ServiceError, match="甲一支部的发展党员案例中的入党申请人"):
        create_member(actor=users["dangwei_a"], data=member_data(tree.a1g1, person_id()))
    with pytest.raises(ServiceError, match="甲一支部"):
        create_member(actor=None, data=member_data(tree.a2, person_id()))
    assert counts() == before


def test_outside_the_case_branch_the_refusal_does_not_say_where(case, tree, users):
    with pytest.raises(ServiceError) as refused:
        create_member(actor=users["branch_a2"], data=member_data(tree.a2, person_id()))
    message = refused.value.message
    assert message.startswith("该身份证号已有正在进行的发展党员案例，不能在党员名册中直接新增")
    assert ADMISSION in message
    assert "甲一" not in message and "入党申请人" not in message and "王申请" not in message


def test_the_stage_is_named_and_an_ended_case_does_not_refuse(case, tree, formal, users):
    dates = plan(case.applied_on)
    advance(case, "candidate", dates, contacts=formal[:1])
    with pytest.raises(ServiceError, match="甲一支部的发展党员案例中的发展对象"):
        create_member(actor=users["branch_a1"], data=member_data(tree.a1, person_id()))
    # 终止发展: the person is no longer on their way to the roll through the case
    record_step(
        actor=None,
        case=case,
        key="withdrawal",
        on=dates["candidate"] + dt.timedelta(days=1),
        data=StepData(note="本人申请终止"),
    )
    case.refresh_from_db()
    assert case.status == "cancelled"
    member = create_member(actor=users["branch_a1"], data=member_data(tree.a1, person_id()))
    assert member.pk is not None


def test_the_admission_adds_its_applicant(case, formal):
    advance(case, "admission_vote", plan(case.applied_on), contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    assert case.member is not None and case.member.id_number == person_id()


def test_the_member_page_does_not_delete_a_probationary_member_the_admission_added(
    client, case, formal, users
):
    """Deleting them there left the case admitted with no member: the page says to undo the admission, which sets
    the case back and takes them off the roll; nothing changes."""
    advance(case, "admission_vote", plan(case.applied_on), contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    member = case.member
    client.force_login(users["branch_a1"])
    before = counts()
    response = client.post(reverse("members:delete", args=[member.pk]))
    assert response.url == reverse("members:detail", args=[member.pk])
    assert counts() == before  # nothing written, no audit event
    assert (
        f"王申请的预备党员记录是甲一支部的发展党员案例登记“{ADMISSION}”时添加到党员名册的，不能在此删除；"
        f"确属误录的，请在“发展党员”中该案例的页面撤销“{ADMISSION}”，其预备党员记录随之删除。"
    ) in client.get(response.url).content.decode()
    case.refresh_from_db()
    assert case.member_id == member.pk
    # the way it names: the undo removes the record and sets the case back
    undo_step(actor=users["branch_a1"], step=case.steps.get(key="admission_vote"), reason=REASON)
    assert not Member.objects.filter(pk=member.pk).exists()


def test_a_member_on_the_roll_before_the_admission_may_still_be_deleted_on_their_page(
    case, tree, formal, users
):
    """A case an import linked to a member already on the roll did not add them (entered before its admission was
    recorded): the case page sends a mistaken entry to the member page first, which deletes them."""
    member = create_member(actor=None, data=member_data(tree.a1, person_id(seq=31), name="赵已在册"))
    advance(case, "admission_vote", plan(case.applied_on), contacts=formal[:1], sponsors=formal[1:])
    DevelopmentCase.objects.filter(pk=case.pk).update(member=member)  # as an import links it
    delete_member(actor=users["branch_a1"], member=member)
    assert not Member.objects.filter(pk=member.pk).exists()


def test_an_admitted_case_whose_member_left_the_roll_says_to_undo_the_admission(case, tree, formal, users):
    advance(case, "admission_vote", plan(case.applied_on), contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    Member.objects.filter(pk=case.member_id).delete()  # older data: deleted before the member page refused it
    with pytest.raises(ServiceError) as refused:
        create_member(actor=users["branch_a1"], data=member_data(tree.a1, person_id()))
    assert refused.value.message == (
        "该身份证号是甲一支部的发展党员案例中的预备党员，其预备党员记录已不在党员名册中，不能在此新增："
        f"请在该案例页面撤销“{ADMISSION}”后重新登记，党员记录随之添加到党员名册。"
    )


def test_create_members_refuses_the_applicant_row_only(case, tree, users):
    other = person_id(seq=21)
    items = [member_data(tree.a1, other, name="周新"), member_data(tree.a1, person_id())]
    before = counts()
    with pytest.raises(MembersRefused) as refused:
        create_members(actor=users["branch_a1"], data=items)
    assert list(refused.value.refusals) == [1]
    assert refused.value.refusals[1].field == "id_number"
    assert "甲一支部的发展党员案例中的入党申请人" in refused.value.refusals[1].message
    assert counts() == before
    assert [m.name for m in create_members(actor=users["branch_a1"], data=items[:1])] == ["周新"]


def test_a_members_file_reports_the_applicant_on_its_row(case, tree, tmp_path, users):
    header = {"人员类别": "预备党员", "入党日期": "2024-07-01", "所在组织编码": "A1"}
    rows = [
        {"姓名": "周新", "身份证号": person_id(seq=21), **header},
        {"姓名": "王申请", "身份证号": person_id(), **header},
    ]
    result = run_import(
        "members", write_xlsx(tmp_path / "m.xlsx", rows), actor=users["branch_a1"], dry_run=False
    )
    assert result.errors == [
        RowError(
            3,
            "身份证号",
            "该身份证号是甲一支部的发展党员案例中的入党申请人，尚未接收为预备党员，不能在党员名册中直接新增："
            f"其党员记录在该案例登记“{ADMISSION}”时自动添加到党员名册。请在“发展党员”中办理该案例。",
        )
    ]
    assert not Member.objects.filter(
        name__in=["周新", "王申请"]
    ).exists()  # a file with errors writes nothing


def test_the_member_form_shows_the_refusal_on_the_number(client, case, tree, users):
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("members:create"),
        {
            "name": "王申请",
            "id_number": person_id(),
            "ethnicity": "汉族",
            "category": "probationary",
            "joined_on": "2024-07-01",
            "org": str(tree.a1.pk),
            "work_status": "active",
        },
    )
    assert response.status_code in (200, 400)
    assert "甲一支部的发展党员案例中的入党申请人" in response.content.decode()
    assert not Member.objects.filter(name="王申请").exists()


# --- 2. a cases file and the roll's 姓名 ---------------------------------------------------------------------

IMPORTED = {
    "application": D(2023, 1, 5),
    "talk": D(2023, 1, 20),
    "activist": D(2023, 3, 1),
    "candidate": D(2024, 3, 10),
    "admission_vote": D(2024, 7, 1),
}


def test_a_cases_file_does_not_rename_an_admitted_case(tree, users):
    number = person_id(seq=31)
    _action, case = import_case(
        actor=None, org=tree.a1, name="导入丙", id_number=number, stage="probationary", dates=IMPORTED
    )
    member = case.member
    assert member.name == "导入丙"
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        import_case(
            actor=users["branch_a1"],
            org=tree.a1,
            name="导入丁",
            id_number=number,
            stage="probationary",
            dates=IMPORTED,
        )
    assert refused.value.field == "name"
    assert refused.value.message == (
        "该案例的申请人已接收为预备党员，姓名与党员名册中的记录一致（导入丙），不能通过导入修改。"
        "如姓名确有错误，请在案例页面“更正姓名/身份证号”，或在“党员信息”中更正，案例与党员名册一并更正。"
    )
    case.refresh_from_db()
    member.refresh_from_db()
    assert (case.name, member.name) == ("导入丙", "导入丙")
    assert AuditEvent.objects.count() == events
    # the same name: unchanged, as before
    assert (
        import_case(
            actor=None, org=tree.a1, name="导入丙", id_number=number, stage="probationary", dates=IMPORTED
        )[0]
        == "unchanged"
    )


def test_a_cases_file_still_renames_a_case_not_admitted(tree):
    number = person_id(seq=41)
    dates = {k: IMPORTED[k] for k in ("application", "talk", "activist")}
    import_case(actor=None, org=tree.a1, name="导入戊", id_number=number, stage="activist", dates=dates)
    action, case = import_case(
        actor=None, org=tree.a1, name="导入己", id_number=number, stage="activist", dates=dates
    )
    assert (action, case.name) == ("update", "导入己")
    # audited: the 姓名 before and after (it was written without an event)
    event = AuditEvent.objects.filter(object_type="pipeline.developmentcase", action="import").latest("id")
    assert (event.before["name"], event.after["name"]) == ("导入戊", "导入己")


def test_a_cases_file_does_not_link_a_member_of_another_name(tree, make_member):
    number = person_id(seq=51)
    make_member(
        tree.a1,
        name="赵党员",
        id_number=number,
        category="probationary",
        confirmed_on=None,
        joined_on=IMPORTED["admission_vote"],
    )
    before = DevelopmentCase.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        import_case(
            actor=None, org=tree.a1, name="赵某", id_number=number, stage="probationary", dates=IMPORTED
        )
    assert refused.value.field == "name"
    assert refused.value.message == "党员名册中该身份证号的党员姓名为“赵党员”，与所填姓名不一致，请核对。"
    assert (DevelopmentCase.objects.count(), AuditEvent.objects.count()) == before
    _action, case = import_case(
        actor=None, org=tree.a1, name="赵党员", id_number=number, stage="probationary", dates=IMPORTED
    )
    assert case.member.name == "赵党员"


# --- 3. undoing the admission and the meetings' counts ---------------------------------------------------------


def kinds_of(meeting):
    return {
        k.type: (k.expected, k.present, k.expected_formal, k.present_formal)
        for k in MeetingKind.objects.filter(meeting=meeting)
    }


def test_undoing_the_admission_takes_the_member_out_of_the_meetings_counts(case, tree, formal, users):
    dates = plan(case.applied_on)
    vote = dates["admission_vote"]
    create_post(
        actor=None, data={"member": formal[0], "org": tree.a1, "title": "shuji", "started_on": D(2020, 1, 1)}
    )
    advance(case, "application_form", dates, contacts=formal[:1], sponsors=formal[1:])

    def meeting(org, days, types, absentees=None, topic="支部党员大会"):
        return create_meeting(
            actor=None,
            data={"org": org, "date": vote + dt.timedelta(days=days), "topic": topic},
            types=types,
            absentees=absentees or {},
        )

    saved_before = meeting(
        tree.a1, 10, ["assembly"]
    )  # saved before the member was entered: never counted them
    record_step(actor=None, case=case, key="admission_vote", on=vote, data=data_for("admission_vote"))
    case.refresh_from_db()
    member = case.member
    present = meeting(tree.a1, 20, ["assembly", "committee"])
    absent = meeting(tree.a1, 30, ["assembly"], {member.pk: "病假"})
    lecture = meeting(tree.a, 40, ["lecture"], topic="党委党课")  # the 党委's: its whole subtree is expected
    group = meeting(tree.a1g1, 50, ["group"], topic="党小组会")  # not their 党小组
    before = {m.pk: kinds_of(m) for m in (saved_before, present, absent, lecture, group)}
    # 4 formal members in 甲一支部 (users' 李党员 and the three) and the 预备党员
    assert before[present.pk] == {"assembly": (5, 5, 4, 4), "committee": (1, 1, 1, 1)}
    assert before[absent.pk] == {"assembly": (5, 4, 4, 4)}
    assert before[lecture.pk] == {"lecture": (5, 5, 4, 4)}
    assert before[saved_before.pk] == {"assembly": (4, 4, 4, 4)}

    undo_step(actor=users["branch_a1"], step=case.steps.get(key="admission_vote"), reason=REASON)
    assert not Member.objects.filter(pk=member.pk).exists()
    assert kinds_of(present) == {"assembly": (4, 4, 4, 4), "committee": (1, 1, 1, 1)}
    assert kinds_of(absent) == {"assembly": (4, 4, 4, 4)}
    assert kinds_of(lecture) == {"lecture": (4, 4, 4, 4)}
    assert kinds_of(saved_before) == before[saved_before.pk]
    assert kinds_of(group) == before[group.pk]
    events = list(AuditEvent.objects.filter(object_type="meetings.meeting", action="update").order_by("id"))
    assert [e.object_id for e in events] == [str(present.pk), str(absent.pk), str(lecture.pk)]
    note = f"撤销误录的“{ADMISSION}”，王申请的预备党员记录随之从党员名册删除，原因：{REASON}"
    assert all(e.note == note and e.actor == users["branch_a1"] for e in events)
    assert events[0].org_path == tree.a1.path and events[2].org_path == tree.a.path
    assert "支部党员大会 应到5 实到5" in events[0].before["attendance"]
    assert "支部党员大会 应到4 实到4" in events[0].after["attendance"]
    # before the member's own deletion, in the same transaction
    deleted = AuditEvent.objects.get(object_type="members.member", action="delete", object_id=str(member.pk))
    assert events[-1].id < deleted.id


def test_a_refused_undo_leaves_the_counts(case, tree, formal, users):
    dates = plan(case.applied_on)
    advance(case, "admission_vote", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    held = create_meeting(
        actor=None,
        data={
            "org": tree.a1,
            "date": dates["admission_vote"] + dt.timedelta(days=20),
            "topic": "支部党员大会",
        },
        types=["assembly"],
    )
    DuesBase.objects.create(
        member=case.member,
        year=dates["admission_vote"].year,
        category="active",
        monthly_base=Decimal("5000"),
        effective_month=dates["admission_vote"].replace(day=1),
    )
    before = kinds_of(held)
    with pytest.raises(ServiceError, match="党费缴费基数1条"):
        undo_step(actor=users["branch_a1"], step=case.steps.get(key="admission_vote"), reason=REASON)
    assert kinds_of(held) == before
    assert not AuditEvent.objects.filter(object_type="meetings.meeting", action="update").exists()


def test_the_case_page_says_the_counts_follow(client, case, tree, formal, users):
    advance(case, "admission_vote", plan(case.applied_on), contacts=formal[:1], sponsors=formal[1:])
    client.force_login(users["branch_a1"])
    html = client.get(reverse("pipeline:detail", args=[case.pk])).content.decode()
    assert "此前已录入的组织生活记录如把其计入应到、实到人数，撤销时一并减去，记入操作日志。" in html
    assert "重新保存即按现在的名单重新计算" not in html
