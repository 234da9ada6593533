"""The guarded steps: refused when out of order, too early or missing data (citing the rule), accepted on the
boundary day; vote thresholds at exactly half; the registry effects of admission and 转正; extension and
cancellation; scope; a refused write changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core import idcard
from dangjian.core.dates import add_months
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member
from dangjian.pipeline.models import CaseStep, DevelopmentCase
from dangjian.pipeline.services import StepData, open_case, record_step
from dangjian.pipeline.tests.helpers import advance, plan
from dangjian.pipeline.workflow import load_workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(today):
    return today - dt.timedelta(days=1200)


def person_id(birth=dt.date(1998, 5, 20), seq=11):
    return idcard.make("310230", birth, seq, True)


@pytest.fixture
def formal(tree, make_member):
    return [make_member(tree.a1, name=n) for n in ("联系人甲", "联系人乙", "介绍人丙")]


@pytest.fixture
def case(tree, applied):
    return open_case(actor=None, org=tree.a1, name="王申请", id_number=person_id(), applied_on=applied)


def refused(fn, *fragments):
    with pytest.raises(ServiceError) as exc:
        fn()
    for fragment in fragments:
        assert fragment in exc.value.message, exc.value.message
    return exc.value


def test_applicant_must_be_18_on_the_application_day(tree):
    birth = dt.date(2000, 3, 10)
    eighteen = dt.date(2018, 3, 10)
    refused(
        lambda: open_case(
            actor=None,
            org=tree.a1,
            name="甲",
            id_number=person_id(birth),
            applied_on=eighteen - dt.timedelta(1),
        ),
        "年满18周岁",
        "（DEV-01）",
    )
    assert not DevelopmentCase.objects.exists()
    case = open_case(actor=None, org=tree.a1, name="甲", id_number=person_id(birth), applied_on=eighteen)
    assert case.stage == "applicant" and case.status == "open"
    assert list(case.steps.values_list("key", "date")) == [("application", eighteen)]


def test_application_only_to_a_branch_and_once(tree, case, applied):
    refused(
        lambda: open_case(actor=None, org=tree.a, name="乙", id_number=person_id(seq=13), applied_on=applied),
        "不是党支部",
    )
    refused(
        lambda: open_case(actor=None, org=tree.a2, name="王申请", id_number=person_id(), applied_on=applied),
        "正在进行",
    )


def test_out_of_order_step_is_refused_with_the_rule_and_nothing_changes(case, formal, applied, today):
    events = AuditEvent.objects.count()
    refused(
        lambda: record_step(
            actor=None,
            case=case,
            key="activist",
            on=applied + dt.timedelta(30),
            data=StepData(contacts=formal[:1]),
        ),
        "须先登记“党组织派人谈话”（DEV-03）",
    )
    refused(lambda: record_step(actor=None, case=case, key="candidate", on=today), "须在入党积极分子阶段登记")
    refused(lambda: record_step(actor=None, case=case, key="talk", on=applied - dt.timedelta(1)), "不能早于")
    refused(
        lambda: record_step(actor=None, case=case, key="talk", on=today + dt.timedelta(1)), "不能晚于今天"
    )
    assert case.steps.count() == 1
    assert AuditEvent.objects.count() == events
    record_step(actor=None, case=case, key="talk", on=applied)  # the same day is fine
    refused(lambda: record_step(actor=None, case=case, key="talk", on=applied), "已于")


def test_contacts_one_or_two_formal_members(case, formal, make_member, tree, applied):
    dates = plan(applied)
    advance(case, "talk", dates)
    on = dates["activist"]
    refused(lambda: record_step(actor=None, case=case, key="activist", on=on), "1至2名", "（DEV-05）")
    refused(
        lambda: record_step(actor=None, case=case, key="activist", on=on, data=StepData(contacts=formal)),
        "（DEV-05）",
    )
    probationary = make_member(tree.a1, name="预备丁", category="probationary", confirmed_on=None)
    refused(
        lambda: record_step(
            actor=None, case=case, key="activist", on=on, data=StepData(contacts=[probationary])
        ),
        "“预备丁”",
        "不是正式党员",
    )
    step = record_step(actor=None, case=case, key="activist", on=on, data=StepData(contacts=formal[:2]))
    assert set(step.contacts.all()) == set(formal[:2])
    case.refresh_from_db()
    assert case.stage == "activist"


def test_candidate_one_year_after_activist_boundary(case, formal, applied):
    dates = plan(applied)
    advance(case, "opinions", dates, contacts=formal[:1])
    boundary = add_months(dates["activist"], 12)
    error = refused(
        lambda: record_step(actor=None, case=case, key="candidate", on=boundary - dt.timedelta(1)),
        "（DEV-07）",
        f"最早可于{boundary:%Y-%m-%d}登记",
    )
    assert error.field == "date"
    record_step(actor=None, case=case, key="candidate", on=boundary)
    case.refresh_from_db()
    assert case.stage == "candidate"


def test_sponsors_and_training(case, formal, make_member, tree, applied):
    dates = plan(applied)
    advance(case, "candidate", dates, contacts=formal[:1])
    on = dates["sponsors"]
    refused(
        lambda: record_step(actor=None, case=case, key="sponsors", on=on, data=StepData(sponsors=formal[:1])),
        "2名正式党员",
        "（DEV-08）",
    )
    late = make_member(
        tree.a1, name="新转正", joined_on=on - dt.timedelta(400), confirmed_on=on + dt.timedelta(1)
    )
    refused(
        lambda: record_step(
            actor=None, case=case, key="sponsors", on=on, data=StepData(sponsors=[formal[0], late])
        ),
        "“新转正”",
        "（DEV-08）",
    )
    record_step(actor=None, case=case, key="sponsors", on=on, data=StepData(sponsors=formal[1:]))
    on = dates["training"]
    refused(
        lambda: record_step(
            actor=None, case=case, key="training", on=on, data=StepData(training_days=2, training_hours=23)
        ),
        "不少于3天或24学时",
        "（DEV-10）",
    )
    record_step(actor=None, case=case, key="training", on=on, data=StepData(training_hours=24))
    assert case.steps.get(key="training").training_hours == 24


@pytest.mark.parametrize(
    ("expected", "present", "yes", "fragment"),
    [
        (10, 5, 5, "（DEV-12）"),  # exactly half present: no quorum
        (10, 6, 5, "（DEV-13）"),  # exactly half yes: fails
        (9, 5, 4, "（DEV-13）"),
        (10, 11, 6, "实到会人数不能多于"),
    ],
)
def test_admission_vote_thresholds_refused(case, formal, expected, present, yes, fragment, applied):
    dates = plan(applied)
    advance(case, "application_form", dates, contacts=formal[:1], sponsors=formal[1:])
    refused(
        lambda: record_step(
            actor=None,
            case=case,
            key="admission_vote",
            on=dates["admission_vote"],
            data=StepData(expected_voters=expected, present_voters=present, yes_votes=yes),
        ),
        fragment,
    )
    assert not Member.objects.filter(name="王申请").exists()
    case.refresh_from_db()
    assert case.stage == "candidate"


def test_admission_vote_creates_the_probationary_member(case, formal, applied):
    dates = plan(applied)
    advance(case, "application_form", dates, contacts=formal[:1], sponsors=formal[1:])
    vote = dates["admission_vote"]
    # 6 of 10 present, 6 yes including written votes of absentees: more than half of the expected
    record_step(
        actor=None,
        case=case,
        key="admission_vote",
        on=vote,
        data=StepData(expected_voters=10, present_voters=6, yes_votes=6),
    )
    case.refresh_from_db()
    member = case.member
    assert member is not None and member.category == "probationary" and member.joined_on == vote
    assert member.org == case.org and member.id_number == case.id_number
    assert case.stage == "probationary" and case.status == "admitted"
    assert case.probation_end == add_months(vote, 12)


def test_conversion_not_before_probation_end_and_confirmed_on_is_its_end(case, formal, today):
    dates = plan(today - dt.timedelta(days=1200))
    advance(case, "conversion_application", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    end = case.probation_end
    refused(
        lambda: record_step(
            actor=None,
            case=case,
            key="conversion_vote",
            on=end - dt.timedelta(1),
            data=StepData(expected_voters=10, present_voters=8, yes_votes=8),
        ),
        "预备期满",
        "（DEV-17）",
        f"{end:%Y-%m-%d}",
    )
    record_step(
        actor=None,
        case=case,
        key="conversion_vote",
        on=end,
        data=StepData(expected_voters=10, present_voters=8, yes_votes=6),
    )
    record_step(actor=None, case=case, key="conversion_approval", on=end + dt.timedelta(20))
    case.refresh_from_db()
    assert case.status == "converted" and case.stage == "formal"
    assert case.member.category == "formal" and case.member.confirmed_on == end
    assert case.member.history.filter(field="category", effective_on=end).exists()


def test_extension_once_six_to_twelve_months(case, formal, applied):
    dates = plan(applied)
    advance(case, "oath", dates, contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    end = case.probation_end
    refused(
        lambda: record_step(
            actor=None, case=case, key="extension", on=end, data=StepData(extension_months=5)
        ),
        "不少于6个月",
        "（DEV-17）",
    )
    refused(
        lambda: record_step(
            actor=None,
            case=case,
            key="extension",
            on=end - dt.timedelta(1),
            data=StepData(extension_months=6),
        ),
        "（DEV-17）",
    )
    record_step(actor=None, case=case, key="extension", on=end, data=StepData(extension_months=6))
    case.refresh_from_db()
    assert case.status == "extended" and case.probation_end == add_months(end, 6)
    refused(
        lambda: record_step(
            actor=None, case=case, key="extension", on=end, data=StepData(extension_months=6)
        ),
        "只能延长1次",
    )


def test_cancellation_needs_a_reason_and_ends_the_case(case, formal, applied):
    dates = plan(applied)
    advance(case, "admission_vote", dates, contacts=formal[:1], sponsors=formal[1:])
    on = dates["admission_vote"] + dt.timedelta(100)
    refused(lambda: record_step(actor=None, case=case, key="cancellation", on=on), "须写明原因")
    record_step(actor=None, case=case, key="cancellation", on=on, data=StepData(note="不履行党员义务"))
    case.refresh_from_db()
    assert case.status == "cancelled" and case.closed_on == on
    # the 预备党员 leaves the roll: 出党, outcome 取消预备党员资格, from the decision date
    member = case.member
    member.refresh_from_db()
    assert (member.status, member.inactive_from) == ("left_party", on)
    assert member.status_changes.get().outcome == "probation_cancelled"
    refused(lambda: record_step(actor=None, case=case, key="party_talk", on=on), "已结束")


def test_scope(case, users, applied):
    with pytest.raises(OutOfScope):
        record_step(actor=users["branch_a2"], case=case, key="talk", on=applied)
    assert case.steps.count() == 1
    record_step(actor=users["branch_a1"], case=case, key="talk", on=applied)
    step = CaseStep.objects.get(key="talk")
    assert step.recorded_by == users["branch_a1"]
    event = AuditEvent.objects.filter(object_type="pipeline.casestep").latest("at")
    assert event.actor == users["branch_a1"] and event.org_path == case.org.path


def test_publicity_option_adds_a_step_and_five_working_days(case, formal, settings, applied):
    settings.PIPELINE_WORKFLOW_OPTIONS = {"publicity_before_candidate": True}
    wf = load_workflow()
    assert wf.has("publicity") and "publicity" in wf.step("candidate").requires
    dates = plan(applied)
    advance(case, "opinions", dates, contacts=formal[:1])
    refused(
        lambda: record_step(actor=None, case=case, key="candidate", on=dates["candidate"]),
        "须先登记“发展对象公示”（DEV-23）",
    )
    start = dates["candidate"] - dt.timedelta(days=10)
    while start.weekday() != 0:  # a Monday: 5 working days later is the next Monday
        start -= dt.timedelta(days=1)
    record_step(actor=None, case=case, key="publicity", on=start)
    record_step(actor=None, case=case, key="candidate", on=dates["candidate"])
    assert case.steps.filter(key="candidate").exists()


def test_publicity_working_days_boundary(tree, formal, settings, today):
    settings.PIPELINE_WORKFLOW_OPTIONS = {"publicity_before_candidate": True}
    applied = today - dt.timedelta(days=900)
    case = open_case(actor=None, org=tree.a1, name="公示", id_number=person_id(seq=21), applied_on=applied)
    dates = plan(applied)
    advance(case, "opinions", dates, contacts=formal[:1])
    monday = add_months(dates["activist"], 13)
    while monday.weekday() != 0:
        monday += dt.timedelta(days=1)
    record_step(actor=None, case=case, key="publicity", on=monday)
    next_monday = monday + dt.timedelta(days=7)
    refused(
        lambda: record_step(actor=None, case=case, key="candidate", on=next_monday - dt.timedelta(1)),
        "5个工作日",
        "（DEV-23）",
        f"{next_monday:%Y-%m-%d}",
    )
    record_step(actor=None, case=case, key="candidate", on=next_monday)


def test_options_are_off_by_default():
    wf = load_workflow()
    assert not any(o.enabled for o in wf.options.values())
    assert not wf.has("publicity")
    assert wf.step("admission_vote").due is None and wf.step("oath").due is None
