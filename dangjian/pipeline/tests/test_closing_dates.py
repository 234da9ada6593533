"""A step that closes a case (终止发展, 取消预备党员资格, 党委批准转正) is dated no earlier than the latest step recorded:
the refusal names that step and its date, and nothing is written; the same day is accepted."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core import idcard
from dangjian.core.errors import ServiceError
from dangjian.members.models import Member
from dangjian.pipeline.models import CaseStep
from dangjian.pipeline.progress import earliest, state_of
from dangjian.pipeline.services import StepData, open_case, record_step
from dangjian.pipeline.tests.helpers import advance, plan
from dangjian.pipeline.workflow import load_workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(today):
    return today - dt.timedelta(days=1200)


@pytest.fixture
def formal(tree, make_member):
    return [make_member(tree.a1, name=n) for n in ("联系人甲", "介绍人乙", "介绍人丙")]


@pytest.fixture
def case(tree, applied):
    number = idcard.make("310230", dt.date(1998, 5, 20), 17, True)
    return open_case(actor=None, org=tree.a1, name="赵结案", id_number=number, applied_on=applied)


def refusal(**kwargs) -> str:
    with pytest.raises(ServiceError) as exc:
        record_step(actor=None, **kwargs)
    return exc.value.message


def test_withdrawal_before_the_latest_step_is_refused_naming_it(case, formal, applied):
    dates = plan(applied)
    advance(case, "training", dates, contacts=formal[:1], sponsors=formal[1:])
    last = dates["training"]  # the latest step recorded (集中培训)
    steps = case.steps.count()
    message = refusal(case=case, key="withdrawal", on=dates["activist"], data=StepData(note="本人撤回申请"))
    assert "“终止发展”" in message and f"“集中培训”（{last:%Y-%m-%d}）" in message
    assert f"最早可于{last:%Y-%m-%d}" in message
    case.refresh_from_db()
    assert case.status == "open" and case.closed_on is None and case.steps.count() == steps
    # the due list's earliest day says the same
    wf = load_workflow()
    first, reason, _rule = earliest(wf, wf.step("withdrawal"), state_of(case, case.steps.all(), wf))
    assert first == last and "集中培训" in reason
    # on the day of the latest step: accepted, and the steps read in order
    record_step(actor=None, case=case, key="withdrawal", on=last, data=StepData(note="本人撤回申请"))
    case.refresh_from_db()
    assert case.status == "cancelled" and case.closed_on == last
    assert list(case.steps.values_list("key", flat=True))[-1] == "withdrawal"


def test_cancellation_before_the_oath_is_refused_and_the_member_stays(case, formal, applied):
    dates = plan(applied)
    advance(case, "oath", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    member_id = case.member_id
    too_early = dates["approval"] - dt.timedelta(
        days=5
    )  # after the admission, before the approval and the oath
    message = refusal(case=case, key="cancellation", on=too_early, data=StepData(note="不履行党员义务"))
    assert "“取消预备党员资格”" in message and f"“入党宣誓”（{dates['oath']:%Y-%m-%d}）" in message
    case.refresh_from_db()
    member = Member.objects.get(pk=member_id)
    assert case.status == "admitted" and member.status == "normal" and member.inactive_from is None
    assert not CaseStep.objects.filter(case=case, key="cancellation").exists()
    on = dates["oath"] + dt.timedelta(days=1)
    record_step(actor=None, case=case, key="cancellation", on=on, data=StepData(note="不履行党员义务"))
    member.refresh_from_db()
    assert (member.status, member.inactive_from) == ("left_party", on)
