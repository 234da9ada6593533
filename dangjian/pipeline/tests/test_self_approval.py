"""No self-approval in 发展党员: 党委审批 and 党委批准转正 are the higher organisation's decisions, recorded only by an
admin of an organisation strictly above the case's branch (and naming such an organisation as 审批党组织); the
refusal says why and changes nothing. 培养联系人 and 入党介绍人 are picked within the actor's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.imports import run_import
from dangjian.core.models import AuditEvent
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.members.models import Member
from dangjian.pipeline.models import CaseStep
from dangjian.pipeline.services import StepData, open_case, record_step
from dangjian.pipeline.tests.helpers import advance, plan
from dangjian.pipeline.tests.test_approver import admitted, import_rows, pid

OWN_BRANCH = "上级批准应由上级党组织的管理员登记：甲一支部的上级党组织不在您的管理范围内，未登记。"


@pytest.mark.django_db
def test_a_branch_admin_cannot_record_the_dangwei_approval_of_its_own_case(
    client, users, tree, make_member, today
):
    new = admitted(tree.a1, make_member, 1, today)
    client.force_login(users["branch_a1"])  # signing in is itself an audit event
    before = AuditEvent.objects.count()
    url = reverse("pipeline:detail", args=[new.pk])
    on = (today - dt.timedelta(days=10)).isoformat()
    page = client.get(url).content.decode()  # the page does not offer the step; it says who records it
    assert 'data-step="approval"' in page and 'href="?step=approval"' not in page
    assert "党委审批：由上级党委审批，并由上级党委管理员登记。" in page
    assert 'name="step" value="approval"' not in page
    # a POST made up all the same records nothing
    response = client.post(url, {"step": "approval", "date": on, "note": "", "approver_org": tree.a.pk})
    assert response.status_code == 302
    assert "“党委审批”由上级党委审批，并由上级党委管理员登记。" in client.get(url).content.decode()
    assert not CaseStep.objects.filter(case=new, key="approval").exists()
    assert AuditEvent.objects.count() == before
    # the 党委's admin is offered it, and records it
    client.force_login(users["dangwei_a"])
    page = client.get(url).content.decode()
    assert 'href="?step=approval"' in page and "由上级党委审批" not in page
    assert (
        client.post(url, {"step": "approval", "date": on, "note": "", "approver_org": tree.a.pk}).status_code
        == 302
    )
    assert CaseStep.objects.filter(case=new, key="approval").exists()


@pytest.mark.django_db
def test_the_service_refuses_the_branch_admin_the_dangwei_approval_all_the_same(
    users, tree, make_member, today
):
    new = admitted(tree.a1, make_member, 1, today)
    on = today - dt.timedelta(days=10)
    with pytest.raises(ServiceError) as refused:
        record_step(
            actor=users["branch_a1"], case=new, key="approval", on=on, data=StepData(approver_org=tree.a)
        )
    assert (
        refused.value.message
        == "上级批准应由审批党组织（甲委机关党委）的管理员登记，您不能登记本组织的上级批准。"
    )
    assert not CaseStep.objects.filter(case=new, key="approval").exists()


@pytest.mark.django_db
def test_the_branch_itself_is_never_the_approving_organisation(users, tree, make_member, today):
    new = admitted(tree.a1, make_member, 2, today)
    on = today - dt.timedelta(days=10)
    with pytest.raises(ServiceError) as refused:
        record_step(
            actor=users["dangwei_a"], case=new, key="approval", on=on, data=StepData(approver_org=tree.a1)
        )
    assert refused.value.message == "审批党组织应为甲一支部的上级党组织，本组织不能批准自己的事项。"
    assert not CaseStep.objects.filter(case=new, key="approval").exists()
    record_step(actor=users["dangwei_a"], case=new, key="approval", on=on, data=StepData(approver_org=tree.a))
    assert CaseStep.objects.get(case=new, key="approval").approver_org == tree.a


@pytest.mark.django_db
def test_a_branch_admin_cannot_record_the_approval_of_a_conversion(users, tree, make_member, today):
    people = [make_member(tree.a1, name=f"正式{i}") for i in range(3)]
    dates = plan(dt.date(today.year - 4, 1, 5))
    new = open_case(
        actor=None, org=tree.a1, name="转正甲", id_number=pid(7), applied_on=dt.date(today.year - 4, 1, 5)
    )
    advance(new, "conversion_vote", dates, contacts=people[:1], sponsors=people[1:])
    member = Member.objects.get(name="转正甲")
    with pytest.raises(ServiceError) as refused:
        record_step(
            actor=users["branch_a1"], case=new, key="conversion_approval", on=dates["conversion_approval"]
        )
    assert refused.value.message == OWN_BRANCH
    assert not CaseStep.objects.filter(case=new, key="conversion_approval").exists()
    assert Member.objects.get(pk=member.pk).category == "probationary"
    record_step(
        actor=users["dangwei_a"], case=new, key="conversion_approval", on=dates["conversion_approval"]
    )
    assert Member.objects.get(pk=member.pk).category == "formal"


@pytest.mark.django_db
def test_a_branch_admin_cannot_import_the_approval_of_its_own_case(tree, make_user, tmp_path):
    b1_admin = make_user("b1_admin", "branch_admin", tree.b1)
    path = write_xlsx(tmp_path / "a.xlsx", import_rows("B"))
    result = run_import("dev-cases", path, actor=b1_admin, dry_run=False)
    assert [(e.column, e.message) for e in result.errors] == [
        ("党委审批日期", "上级批准应由审批党组织（乙委机关党委）的管理员登记，您不能登记本组织的上级批准。")
    ]
    assert not CaseStep.objects.exists()
    b_admin = make_user("b_admin", "dangwei_admin", tree.b)
    assert run_import("dev-cases", path, actor=b_admin, dry_run=False).ok()


@pytest.mark.django_db
def test_sponsors_and_contacts_are_picked_within_the_actors_scope(users, tree, make_member, today):
    own = [make_member(tree.a1, name=f"本支部{i}") for i in range(3)]
    foreign = make_member(tree.b1, name="乙委党员")
    dates = plan(dt.date(today.year - 2, 1, 5))
    new = open_case(
        actor=None, org=tree.a1, name="发展甲", id_number=pid(8), applied_on=dt.date(today.year - 2, 1, 5)
    )
    actor = users["branch_a1"]
    record_step(actor=actor, case=new, key="talk", on=dates["talk"])
    with pytest.raises(ServiceError) as refused:
        record_step(
            actor=actor, case=new, key="activist", on=dates["activist"], data=StepData(contacts=[foreign])
        )
    assert (refused.value.message, refused.value.field) == (
        "所选党员不存在或不在您的管理范围内。",
        "contacts",
    )
    assert not CaseStep.objects.filter(case=new, key="activist").exists()
    later = {k: v for k, v in dates.items() if k != "talk"}
    advance(new, "candidate", later, contacts=own[:1], actor=actor)
    with pytest.raises(ServiceError) as refused:
        record_step(
            actor=actor,
            case=new,
            key="sponsors",
            on=dates["sponsors"],
            data=StepData(sponsors=[own[1], foreign]),
        )
    assert (refused.value.message, refused.value.field) == (
        "所选党员不存在或不在您的管理范围内。",
        "sponsors",
    )
    record_step(actor=actor, case=new, key="sponsors", on=dates["sponsors"], data=StepData(sponsors=own[1:]))
