"""What a branch's 组织委员 meets entering steps by hand: a repeatable step (培养考察) entered twice for the same day
is refused, not kept as two records; a step the case page cannot take now (the browser's back button after it was
recorded, a stale form, a step out of order) says why; an application whose 身份证号 is already a case names that
case to whoever administers its branch, and nothing more to anyone else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from dangjian.core import idcard
from dangjian.core.errors import ServiceError
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.services import open_case, record_step
from dangjian.pipeline.tests.helpers import advance, plan

pytestmark = pytest.mark.django_db


def pid(seq: int) -> str:
    return idcard.make("310230", dt.date(1995, 3, 3) + dt.timedelta(days=seq), seq, seq % 2 == 0)


def _activist(tree, make_member, today, actor=None):
    contact = make_member(tree.a1, name="联系人甲")
    applied = today - dt.timedelta(days=400)
    case = open_case(actor=actor, org=tree.a1, name="考察对象", id_number=pid(1), applied_on=applied)
    dates = plan(applied)
    advance(case, "activist", dates, contacts=[contact], actor=actor)
    return case, dates


def test_a_repeatable_step_entered_again_for_the_same_day_is_refused(tree, make_member, today):
    case, dates = _activist(tree, make_member, today)
    day = dates["assessment"]
    record_step(actor=None, case=case, key="assessment", on=day)
    with pytest.raises(ServiceError) as refused:
        record_step(actor=None, case=case, key="assessment", on=day)
    assert refused.value.message == (
        f"“培养考察（每半年一次）”已有{day:%Y-%m-%d}的记录，不能重复登记；如是另一次，请填写其实际日期。"
    )
    assert refused.value.field == "date"
    assert case.steps.filter(key="assessment").count() == 1
    # another day is another assessment (every half year): recorded
    record_step(actor=None, case=case, key="assessment", on=day + dt.timedelta(days=1))
    assert case.steps.filter(key="assessment").count() == 2


def test_the_same_assessment_through_the_page_twice_keeps_one_record(client, users, tree, make_member, today):
    """Two forms (the page opened again, not the same form resent): the second is refused on the form, with the
    date kept, and the case holds one assessment of that day."""
    case, dates = _activist(tree, make_member, today)
    client.force_login(users["branch_a1"])
    url = reverse("pipeline:detail", args=[case.pk])
    day = dates["assessment"].isoformat()
    assert client.post(url, {"step": "assessment", "date": day}).status_code == 302
    response = client.post(url, {"step": "assessment", "date": day})
    assert response.status_code == 400
    assert "不能重复登记" in str(response.context["form"].non_field_errors())
    assert response.context["form"]["date"].value() == day
    assert case.steps.filter(key="assessment").count() == 1


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_step_the_page_cannot_take_says_why(client, users, tree, today):
    applied = today - dt.timedelta(days=30)
    case = open_case(actor=None, org=tree.a1, name="回退申请", id_number=pid(2), applied_on=applied)
    client.force_login(users["branch_a1"])
    url = reverse("pipeline:detail", args=[case.pk])
    talk = applied + dt.timedelta(days=5)
    recorded = client.post(url, {"step": "talk", "date": talk.isoformat()}, follow=True)
    assert _messages(recorded) == ["已登记“党组织派人谈话”。"]
    # the browser's back button: the form of the step just recorded
    response = client.get(url, {"step": "talk"})
    assert _messages(response) == [f"“党组织派人谈话”已于{talk:%Y-%m-%d}登记。"]
    # the same step sent again from a stale page: not recorded a second time, and said why
    response = client.post(url, {"step": "talk", "date": talk.isoformat()}, follow=True)
    assert response.redirect_chain == [(url, 302)] and case.steps.filter(key="talk").count() == 1
    assert _messages(response) == [f"“党组织派人谈话”已于{talk:%Y-%m-%d}登记。"]
    # a step skipped: the one to record first is named
    response = client.get(url, {"step": "candidate"})
    assert _messages(response) == [
        "“确定为发展对象”须在入党积极分子阶段登记，该案例当前为入党申请人（DEV-07）。"
    ]
    # no such step: as before
    response = client.get(url, {"step": "nonsense"})
    assert _messages(response) == ["该步骤现在不能登记。"]


def test_an_application_already_registered_is_named_to_its_branch(client, users, tree, today):
    applied = today - dt.timedelta(days=10)
    open_case(actor=users["branch_a1"], org=tree.a1, name="王申请", id_number=pid(3), applied_on=applied)
    with pytest.raises(ServiceError) as refused:
        open_case(actor=users["branch_a1"], org=tree.a1, name="王申请", id_number=pid(3), applied_on=today)
    assert refused.value.message == (
        f"该身份证号已登记为甲一支部的入党申请人“王申请”（{applied:%Y-%m-%d}递交入党申请书），不能重复登记；"
        "请在“发展党员”中打开该案例继续办理。"
    )
    assert refused.value.field == "id_number"
    # another branch's administrator learns no more than that a case holds the number
    with pytest.raises(ServiceError) as refused:
        open_case(actor=users["branch_a2"], org=tree.a2, name="王申请", id_number=pid(3), applied_on=today)
    assert refused.value.message == "该身份证号已有正在进行的发展党员案例。"
    assert DevelopmentCase.objects.count() == 1
    # through the form: under the 身份证号, what was typed kept
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("pipeline:create"),
        {"org": tree.a1.pk, "name": "王申请", "id_number": pid(3), "applied_on": today.isoformat()},
    )
    assert response.status_code == 400
    assert "甲一支部的入党申请人“王申请”" in str(response.context["form"].errors["id_number"])
    assert response.context["form"]["name"].value() == "王申请"
    assert DevelopmentCase.objects.count() == 1


def test_a_correction_to_a_number_of_another_case_names_it(users, tree, today):
    applied = today - dt.timedelta(days=10)
    open_case(actor=None, org=tree.a1, name="甲申请", id_number=pid(4), applied_on=applied)
    other = open_case(actor=None, org=tree.a1, name="乙申请", id_number=pid(5), applied_on=applied)
    from dangjian.pipeline.services import correct_applicant

    with pytest.raises(ServiceError) as refused:
        correct_applicant(actor=users["branch_a1"], case=other, name="乙申请", id_number=pid(4))
    assert "甲一支部的入党申请人“甲申请”" in refused.value.message
    other.refresh_from_db()
    assert other.id_number == pid(5)
