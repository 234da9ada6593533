"""Corrections of a case: undoing the last recorded step (撤销误录) and correcting the applicant's 姓名 and 身份证号.
The services: allowed and what they set back, refused (scope, a case that has ended, not the last step, the
application, a 党委's decision undone by the branch, a reason too short, an invalid or taken number; the admission,
undone with its 预备党员, is test_case_member_sync's), every refusal changing nothing, the audit events (never a 身份证号). The pages:
the form on the last step only, the refusals as messages, the correction page with the number masked."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from dangjian.core import idcard
from dangjian.core.dates import add_months
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.core.pii import lookup_hash, mask_id_number
from dangjian.members.models import Member
from dangjian.members.services import delete_member, update_member
from dangjian.pipeline.models import CaseStep, DevelopmentCase
from dangjian.pipeline.services import (
    StepData,
    correct_applicant,
    open_case,
    record_step,
    undo_step,
)
from dangjian.pipeline.tests.helpers import advance, plan

pytestmark = pytest.mark.django_db

REASON = "日期填错"


@pytest.fixture
def applied(today):
    return today - dt.timedelta(days=1200)


def person_id(birth=dt.date(1998, 5, 20), seq=11, male=True):
    return idcard.make("310230", birth, seq, male)


@pytest.fixture
def formal(tree, make_member):
    return [make_member(tree.a1, name=n) for n in ("联系人甲", "介绍人乙", "介绍人丙")]


@pytest.fixture
def case(tree, applied):
    return open_case(actor=None, org=tree.a1, name="王申请", id_number=person_id(), applied_on=applied)


def state() -> tuple:
    """Everything a correction may change: the cases, their steps (with their people), the roll, the audit log."""
    fields = ("name", "id_number", "id_number_hash", "sex", "birth_date", "stage", "status", "probation_end")
    cases = [
        (c.pk, *(getattr(c, f) for f in fields), c.member_id, c.closed_on)
        for c in DevelopmentCase.objects.order_by("pk")
    ]
    steps = [
        (s.pk, s.case_id, s.key, s.date, tuple(s.contacts.values_list("pk", flat=True)))
        for s in CaseStep.objects.order_by("pk")
    ]
    members = list(Member.objects.order_by("pk").values_list("pk", "name", "id_number_hash", "category"))
    return cases, steps, members, AuditEvent.objects.count()


def refused(fn, *fragments, error=ServiceError):
    """The call is refused with a message holding every fragment, and nothing changes."""
    before = state()
    with pytest.raises(error) as exc:
        fn()
    for fragment in fragments:
        assert fragment in exc.value.message, exc.value.message
    assert state() == before
    return exc.value


def last(case) -> CaseStep:
    return case.steps.order_by("date", "id").last()


def audit_text(event) -> str:
    return json.dumps([event.before, event.after, event.note, event.object_repr], ensure_ascii=False)


# --- undoing a step ------------------------------------------------------------------------------------------


def test_undo_the_last_step_deletes_it_with_an_audited_reason(case, users, applied):
    talk = record_step(actor=users["branch_a1"], case=case, key="talk", on=applied + dt.timedelta(days=10))
    undo_step(actor=users["branch_a1"], step=talk, reason="  日期填错，应为下月  ")
    assert list(case.steps.values_list("key", flat=True)) == ["application"]
    event = AuditEvent.objects.get(object_type="pipeline.casestep", action="delete")
    assert event.actor == users["branch_a1"] and event.org_path == case.org.path
    assert event.object_id == str(talk.pk) and event.object_repr == "王申请：党组织派人谈话"
    assert event.before["step"] == "党组织派人谈话" and event.before["key"] == "talk"
    assert event.before["date"] == talk.date.isoformat()
    assert event.note == "撤销误录，原因：日期填错，应为下月"
    text = audit_text(event)
    assert case.id_number not in text and mask_id_number(case.id_number) not in text
    # nothing of the case changed: no event for it
    assert not AuditEvent.objects.filter(object_type="pipeline.developmentcase", action="update").exists()
    # and the step may be recorded again, on the right day
    record_step(actor=users["branch_a1"], case=case, key="talk", on=applied + dt.timedelta(days=20))


def test_undo_a_step_that_moved_the_stage_sets_the_stage_back(case, formal, users, applied):
    dates = plan(applied)
    advance(case, "activist", dates, contacts=formal[:1])
    case.refresh_from_db()
    assert case.stage == "activist"
    activist = case.steps.get(key="activist")
    undo_step(actor=users["branch_a1"], step=activist, reason=REASON)
    case.refresh_from_db()
    assert case.stage == "applicant" and case.status == "open"
    assert not CaseStep.objects.filter(pk=activist.pk).exists()
    deleted = AuditEvent.objects.get(object_type="pipeline.casestep", action="delete")
    assert deleted.before["contacts"] == ["联系人甲"]
    update = AuditEvent.objects.filter(object_type="pipeline.developmentcase", action="update").latest("id")
    assert (update.before, update.after) == ({"stage": "activist"}, {"stage": "applicant"})
    assert case.id_number not in audit_text(update)


def test_undo_refused_unless_it_is_the_last_step(case, formal, users, applied):
    dates = plan(applied)
    advance(case, "activist", dates, contacts=formal[:1])
    talk = case.steps.get(key="talk")
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=talk, reason=REASON),
        "只能撤销最后一步记录",
        "确定为入党积极分子",
        f"{dates['activist']:%Y-%m-%d}",
    )


def test_a_step_entered_late_with_an_earlier_date_is_undone(case, formal, users, applied):
    """Steps of the same stage entered out of date order: the last by date and the last entered may be undone, a
    step that is neither may not (the refusal names both)."""
    dates = plan(applied)
    advance(case, "candidate", dates, contacts=formal[:1])
    day = dates["candidate"] + dt.timedelta(days=30)
    record_step(actor=None, case=case, key="training", on=day, data=StepData(training_days=3))
    review = record_step(actor=None, case=case, key="political_review", on=day - dt.timedelta(days=5))
    candidate = case.steps.get(key="candidate")
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=candidate, reason=REASON),
        "只能撤销最后一步记录",
        f"按日期为“集中培训”，{day:%Y-%m-%d}",
        f"最后登记的是“政治审查”，{review.date:%Y-%m-%d}",
    )
    undo_step(actor=users["branch_a1"], step=review, reason=REASON)  # entered last, dated before the training
    assert list(case.steps.order_by("date", "id").values_list("key", flat=True))[-2:] == [
        "candidate",
        "training",
    ]
    deleted = AuditEvent.objects.get(object_type="pipeline.casestep", action="delete")
    assert deleted.object_id == str(review.pk) and "日期填错" in deleted.note
    case.refresh_from_db()
    assert case.stage == "candidate"
    # now the training is both the last by date and the last entered; the one before it is refused again
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=candidate, reason=REASON),
        "只能撤销最后一步记录（“集中培训”",
    )


def test_the_last_step_is_the_latest_by_date_then_as_recorded(case, formal, users, applied):
    """On the same day, the last is the one entered later."""
    dates = plan(applied)
    advance(case, "candidate", dates, contacts=formal[:1])
    day = dates["candidate"] + dt.timedelta(days=30)
    review = record_step(actor=None, case=case, key="political_review", on=day)
    same_day = record_step(actor=None, case=case, key="training", on=day, data=StepData(training_days=3))
    refused(lambda: undo_step(actor=users["branch_a1"], step=review, reason=REASON), "只能撤销最后一步记录")
    undo_step(actor=users["branch_a1"], step=same_day, reason=REASON)
    undo_step(actor=users["branch_a1"], step=review, reason=REASON)
    assert last(case).key == "candidate"


def test_undo_refused_out_of_scope_and_for_a_member(case, users, applied):
    talk = record_step(actor=None, case=case, key="talk", on=applied + dt.timedelta(days=10))
    for persona in ("branch_a2", "member_a1", "norole"):
        refused(lambda p=persona: undo_step(actor=users[p], step=talk, reason=REASON), error=OutOfScope)
    undo_step(actor=users["dangwei_a"], step=talk, reason=REASON)  # the 党委 above the branch may
    assert not CaseStep.objects.filter(pk=talk.pk).exists()


def test_undo_needs_a_reason(case, users, applied):
    talk = record_step(actor=None, case=case, key="talk", on=applied + dt.timedelta(days=10))
    for reason in ("", "   ", "有误"):
        refused(lambda r=reason: undo_step(actor=users["branch_a1"], step=talk, reason=r), "撤销原因")


def test_undo_refused_on_a_case_that_has_ended(case, users, applied):
    record_step(actor=None, case=case, key="talk", on=applied + dt.timedelta(days=10))
    withdrawal = record_step(
        actor=None,
        case=case,
        key="withdrawal",
        on=applied + dt.timedelta(days=20),
        data=StepData(note="本人撤回"),
    )
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=withdrawal, reason=REASON), "该案例已结束", "已终止"
    )


def test_the_application_is_not_undone(case, users):
    application = case.steps.get()
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=application, reason=REASON),
        "第一步，不能撤销",
        "终止发展",
    )


def test_the_admission_is_undone_with_its_member(case, formal, users, applied):
    """Undoing the admission takes its 预备党员 off the roll (test_case_member_sync: what stops it); a member deleted
    from the roll first leaves the admission to undo alone."""
    dates = plan(applied)
    advance(case, "admission_vote", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    member = case.member
    vote = case.steps.get(key="admission_vote")
    undo_step(actor=users["branch_a1"], step=vote, reason=REASON)
    case.refresh_from_db()
    assert (case.stage, case.status, case.probation_end, case.member_id) == ("candidate", "open", None, None)
    assert not Member.objects.filter(pk=member.pk).exists()
    update = AuditEvent.objects.filter(object_type="pipeline.developmentcase", action="update").latest("id")
    assert update.before == {
        "stage": "probationary",
        "status": "admitted",
        "probation_end": add_months(dates["admission_vote"], 12).isoformat(),
        "member": "王申请",
    }
    assert update.after == {"stage": "candidate", "status": "open", "probation_end": None, "member": None}
    # recorded again, on the right day: a new 预备党员
    record_step(
        actor=None,
        case=case,
        key="admission_vote",
        on=dates["admission_vote"] + dt.timedelta(days=1),
        data=StepData(expected_voters=10, present_voters=8, yes_votes=8),
    )
    case.refresh_from_db()
    assert case.member.joined_on == dates["admission_vote"] + dt.timedelta(days=1)
    # the 预备党员 it added is not deleted on their own page: the admission is undone instead
    with pytest.raises(ServiceError) as kept:
        delete_member(actor=users["branch_a1"], member=case.member)
    assert "请在“发展党员”中该案例的页面撤销“支部大会讨论接收预备党员”" in kept.value.message
    assert Member.objects.filter(pk=case.member_id).exists()
    # a member deleted from the roll before that was refused (older data): the undo sets the case back alone
    Member.objects.filter(pk=case.member_id).delete()
    undo_step(actor=users["branch_a1"], step=case.steps.get(key="admission_vote"), reason=REASON)
    case.refresh_from_db()
    assert (case.stage, case.status, case.member_id) == ("candidate", "open", None)
    update = AuditEvent.objects.filter(object_type="pipeline.developmentcase", action="update").latest("id")
    assert "member" not in update.before


def test_undo_an_extension_sets_the_probation_back(case, formal, users, applied):
    dates = plan(applied)
    advance(case, "oath", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    end = case.probation_end
    extension = record_step(actor=None, case=case, key="extension", on=end, data=StepData(extension_months=6))
    case.refresh_from_db()
    assert (case.status, case.probation_end) == ("extended", add_months(end, 6))
    undo_step(actor=users["branch_a1"], step=extension, reason=REASON)
    case.refresh_from_db()
    assert (case.status, case.probation_end, case.stage) == ("admitted", end, "probationary")
    assert case.member.category == "probationary"


def test_a_党委_decision_is_undone_by_the_党委_only(case, formal, users, applied):
    dates = plan(applied)
    advance(case, "approval", dates, contacts=formal[:1], sponsors=formal[1:])
    approval = case.steps.get(key="approval")
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=approval, reason=REASON),
        "由上级党委管理员登记，也只能由上级党委管理员撤销",
    )
    undo_step(actor=users["dangwei_a"], step=approval, reason=REASON)
    assert last(case).key == "party_talk"


def test_undo_refused_when_the_case_does_not_agree_with_its_steps(case, formal, users, applied):
    dates = plan(applied)
    advance(case, "activist", dates, contacts=formal[:1])
    DevelopmentCase.objects.filter(pk=case.pk).update(stage="candidate")  # a stage no step explains
    refused(
        lambda: undo_step(actor=users["branch_a1"], step=case.steps.get(key="activist"), reason=REASON),
        "不一致",
    )


def test_an_undone_step_is_not_undone_twice(case, users, applied):
    talk = record_step(actor=None, case=case, key="talk", on=applied + dt.timedelta(days=10))
    undo_step(actor=users["branch_a1"], step=talk, reason=REASON)
    refused(lambda: undo_step(actor=users["branch_a1"], step=talk, reason=REASON), "已不存在")


# --- correcting the applicant -----------------------------------------------------------------------------


def test_correct_name_and_number(case, users):
    new_number = person_id(dt.date(1990, 1, 2), seq=21, male=False)
    changed = correct_applicant(
        actor=users["branch_a1"], case=case, name=" 王申清 ", id_number=new_number.lower()
    )
    assert changed == ["name", "id_number"]
    case.refresh_from_db()
    assert case.name == "王申清" and case.id_number == new_number
    assert case.id_number_hash == lookup_hash(new_number)
    assert (case.sex, case.birth_date) == ("F", dt.date(1990, 1, 2))
    event = AuditEvent.objects.get(object_type="pipeline.developmentcase", action="update")
    assert event.actor == users["branch_a1"] and event.org_path == case.org.path
    assert event.before == {"name": "王申请"}
    assert event.after == {"name": "王申清", "corrected": ["name", "id_number"]}
    from dangjian.portal.views import audit_diffs

    audit_diffs([event])  # the audit page names the fields corrected
    assert event.diff == [("姓名", "王申请", "王申清"), ("更正项目", "—", "姓名、身份证号")]
    text = audit_text(event)
    for number in (person_id(), new_number):
        assert number not in text and mask_id_number(number) not in text and number[-4:] not in text


def test_correct_the_number_only_or_nothing(case, users):
    assert correct_applicant(actor=users["branch_a1"], case=case, name="王申请", id_number="") == []
    assert correct_applicant(actor=users["branch_a1"], case=case, name="王申请", id_number=person_id()) == []
    assert not AuditEvent.objects.filter(object_type="pipeline.developmentcase", action="update").exists()
    other = person_id(seq=31)
    assert correct_applicant(actor=users["branch_a1"], case=case, name="王申请", id_number=other) == [
        "id_number"
    ]
    event = AuditEvent.objects.get(object_type="pipeline.developmentcase", action="update")
    assert event.before == {} and event.after == {"corrected": ["id_number"]}


def test_correction_validated_as_a_new_case(case, tree, users, make_member, applied):
    actor = users["branch_a1"]
    refused(lambda: correct_applicant(actor=actor, case=case, name="  ", id_number=""), "姓名不能为空")
    refused(
        lambda: correct_applicant(actor=actor, case=case, name="王" * 51, id_number=""), "姓名不能超过50个字"
    )
    refused(lambda: correct_applicant(actor=actor, case=case, name="王申请", id_number="123"), "身份证号")
    bad_check = person_id(seq=41)
    bad_check = bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1")
    refused(lambda: correct_applicant(actor=actor, case=case, name="王申请", id_number=bad_check), "身份证号")
    other = open_case(actor=None, org=tree.a2, name="李申请", id_number=person_id(seq=51), applied_on=applied)
    refused(
        lambda: correct_applicant(actor=actor, case=case, name="王申请", id_number=other.id_number),
        "已有正在进行的发展党员案例",
    )
    on_roll = make_member(tree.b1, name="名册党员")
    refused(
        lambda: correct_applicant(actor=actor, case=case, name="王申请", id_number=on_roll.id_number),
        "已登记在党员名册中",
    )
    young = person_id(applied - dt.timedelta(days=17 * 365), seq=61)  # 17 on the application's date
    refused(
        lambda: correct_applicant(actor=actor, case=case, name="王申请", id_number=young),
        "年满18周岁",
        "DEV-01",
    )


def test_correction_refused_out_of_scope_and_on_an_ended_case(case, users, applied):
    for persona in ("branch_a2", "member_a1"):
        refused(
            lambda p=persona: correct_applicant(actor=users[p], case=case, name="王申清"),
            error=OutOfScope,
        )
    record_step(
        actor=None,
        case=case,
        key="withdrawal",
        on=applied + dt.timedelta(days=5),
        data=StepData(note="本人撤回"),
    )
    refused(lambda: correct_applicant(actor=users["branch_a1"], case=case, name="王申清"), "该案例已结束")


def test_correction_of_a_probationary_member_corrects_the_roll_too(case, formal, users, applied):
    dates = plan(applied)
    advance(case, "admission_vote", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    new_number = person_id(dt.date(1997, 3, 4), seq=71)
    correct_applicant(actor=users["branch_a1"], case=case, name="王申清", id_number=new_number)
    member = Member.objects.get(pk=case.member_id)
    assert (member.name, member.id_number, member.birth_date) == ("王申清", new_number, dt.date(1997, 3, 4))
    assert AuditEvent.objects.filter(
        object_type="members.member", action="update", object_id=str(member.pk)
    ).exists()
    # corrected on the roll, the case follows at once (test_case_member_sync): nothing is left to correct here
    right = person_id(dt.date(1997, 3, 4), seq=72)
    update_member(actor=users["branch_a1"], member=member, data={"id_number": right})
    case.refresh_from_db()
    assert case.id_number == right
    assert correct_applicant(actor=users["branch_a1"], case=case, name="王申清", id_number=right) == []
    member.refresh_from_db()
    assert case.id_number == member.id_number == right


def test_correction_refused_by_the_roll_changes_nothing(case, formal, users, tree, make_member, applied):
    """The 预备党员's record refuses the number (on the roll already, elsewhere): neither record changes."""
    dates = plan(applied)
    advance(case, "admission_vote", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    refused(
        lambda: correct_applicant(
            actor=users["branch_a1"], case=case, name="王申清", id_number=formal[0].id_number
        ),
        "已登记在党员名册中",
    )


# --- the pages --------------------------------------------------------------------------------------------


@pytest.fixture
def admin_a1(client, users):
    client.force_login(users["branch_a1"])
    return client


def test_case_page_offers_the_undo_on_the_last_step_only(admin_a1, case, formal, applied):
    dates = plan(applied)
    advance(case, "activist", dates, contacts=formal[:1])
    html = admin_a1.get(reverse("pipeline:detail", args=[case.pk])).content.decode()
    activist = case.steps.get(key="activist")
    assert html.count('data-testid="undo-form"') == 1
    assert reverse("pipeline:step_undo", args=[case.pk, activist.pk]) in html
    assert "撤销本步记录" in html and 'name="reason"' in html
    assert reverse("pipeline:applicant", args=[case.pk]) in html and "更正姓名/身份证号" in html


def test_case_page_offers_the_undo_on_the_last_by_date_and_the_last_entered(admin_a1, case, formal, applied):
    dates = plan(applied)
    advance(case, "candidate", dates, contacts=formal[:1])
    day = dates["candidate"] + dt.timedelta(days=30)
    training = record_step(actor=None, case=case, key="training", on=day, data=StepData(training_days=3))
    review = record_step(actor=None, case=case, key="political_review", on=day - dt.timedelta(days=5))
    html = admin_a1.get(reverse("pipeline:detail", args=[case.pk])).content.decode()
    assert html.count('data-testid="undo-form"') == 2
    for step in (training, review):
        assert reverse("pipeline:step_undo", args=[case.pk, step.pk]) in html
    assert "按日期的最后一步，或最后登记的一步" in html


def test_case_page_offers_no_undo_of_the_application_nor_on_an_ended_case(admin_a1, case, applied):
    html = admin_a1.get(reverse("pipeline:detail", args=[case.pk])).content.decode()
    assert 'data-testid="undo"' not in html
    record_step(
        actor=None, case=case, key="withdrawal", on=applied + dt.timedelta(5), data=StepData(note="撤回")
    )
    html = admin_a1.get(reverse("pipeline:detail", args=[case.pk])).content.decode()
    assert 'data-testid="undo"' not in html and 'data-testid="correct-applicant"' not in html


def test_case_page_says_what_undoing_an_admission_does(admin_a1, case, formal, applied):
    advance(case, "admission_vote", plan(applied), contacts=formal[:1], sponsors=formal[1:])
    html = admin_a1.get(reverse("pipeline:detail", args=[case.pk])).content.decode()
    assert 'data-testid="undo-form"' in html and 'data-testid="undo-hint"' not in html
    assert "撤销后，王申请的预备党员记录将从党员名册中删除。" in html


def test_case_page_offers_the_党委_decision_to_the_党委_only(client, users, case, formal, applied):
    advance(case, "approval", plan(applied), contacts=formal[:1], sponsors=formal[1:])
    url = reverse("pipeline:detail", args=[case.pk])
    client.force_login(users["branch_a1"])
    assert 'data-testid="undo"' not in client.get(url).content.decode()
    client.force_login(users["dangwei_a"])
    assert 'data-testid="undo-form"' in client.get(url).content.decode()


def test_undo_through_the_page(admin_a1, case, applied):
    talk = record_step(actor=None, case=case, key="talk", on=applied + dt.timedelta(days=10))
    url = reverse("pipeline:step_undo", args=[case.pk, talk.pk])
    detail = reverse("pipeline:detail", args=[case.pk])
    assert admin_a1.get(url).status_code == 405
    response = admin_a1.post(url, {"reason": "有误"}, follow=True)  # too short: refused
    assert response.redirect_chain == [(detail, 302)] and "撤销原因不少于4个字" in response.content.decode()
    assert CaseStep.objects.filter(pk=talk.pk).exists()
    response = admin_a1.post(url, {"reason": REASON}, follow=True)
    assert response.redirect_chain == [(detail, 302)]
    assert "已撤销“党组织派人谈话”" in response.content.decode()
    assert not CaseStep.objects.filter(pk=talk.pk).exists()
    response = admin_a1.post(url, {"reason": REASON}, follow=True)  # a second click: nothing left to undo
    assert response.redirect_chain == [(detail, 302)] and "已不存在" in response.content.decode()
    application = case.steps.get()
    response = admin_a1.post(
        reverse("pipeline:step_undo", args=[case.pk, application.pk]), {"reason": REASON}, follow=True
    )
    assert "第一步，不能撤销" in response.content.decode() and case.steps.count() == 1


def test_undo_page_scope(client, users, case, applied):
    talk = record_step(actor=None, case=case, key="talk", on=applied + dt.timedelta(days=10))
    url = reverse("pipeline:step_undo", args=[case.pk, talk.pk])
    client.force_login(users["branch_a2"])
    assert client.post(url, {"reason": REASON}).status_code == 404
    client.force_login(users["member_a1"])
    assert client.post(url, {"reason": REASON}).status_code == 403
    client.logout()
    assert client.post(url, {"reason": REASON}).status_code == 302
    assert CaseStep.objects.filter(pk=talk.pk).exists()


def test_applicant_page_shows_the_number_masked_and_corrects(admin_a1, case):
    url = reverse("pipeline:applicant", args=[case.pk])
    response = admin_a1.get(url)
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert case.id_number not in html and mask_id_number(case.id_number) in html
    assert 'value="王申请"' in html
    response = admin_a1.post(url, {"name": "王申请", "id_number": "123"})
    assert response.status_code == 400 and "身份证号" in response.content.decode()
    assert "123" not in DevelopmentCase.objects.get(pk=case.pk).id_number
    new_number = person_id(seq=81)
    response = admin_a1.post(url, {"name": "王申清", "id_number": new_number})
    assert response.status_code == 302 and response.url == reverse("pipeline:detail", args=[case.pk])
    case.refresh_from_db()
    assert (case.name, case.id_number) == ("王申清", new_number)
    html = admin_a1.get(reverse("pipeline:index"), {"org": case.org_id}).content.decode()
    assert "王申清" in html and new_number not in html  # the list shows it masked, as before


def test_applicant_page_scope_and_ended_case(client, users, case, applied):
    url = reverse("pipeline:applicant", args=[case.pk])
    client.force_login(users["branch_a2"])
    assert client.get(url).status_code == 404 and client.post(url, {"name": "越权"}).status_code == 404
    client.force_login(users["branch_a1"])
    record_step(
        actor=None, case=case, key="withdrawal", on=applied + dt.timedelta(5), data=StepData(note="撤回")
    )
    response = client.post(url, {"name": "王申清", "id_number": ""}, follow=True)
    assert "该案例已结束，不能更正申请人信息" in response.content.decode()
    assert DevelopmentCase.objects.get(pk=case.pk).name == "王申请"


def test_case_page_queries_do_not_grow_with_the_undo_form(admin_a1, case, monkeypatch, applied):
    """Whether the last step may be undone is decided from what the page reads already: the page with the form
    costs the same queries as without it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.pipeline import views

    record_step(actor=None, case=case, key="talk", on=applied + dt.timedelta(days=10))
    url = reverse("pipeline:detail", args=[case.pk])
    with CaptureQueriesContext(connection) as with_form:
        html = admin_a1.get(url).content.decode()
    assert 'data-testid="undo-form"' in html
    monkeypatch.setattr(views, "undo_refusal", lambda *args, **kwargs: "不能撤销")
    with CaptureQueriesContext(connection) as without:
        html = admin_a1.get(url).content.decode()
    assert 'data-testid="undo"' not in html
    assert len(with_form.captured_queries) == len(without.captured_queries)
