import datetime as dt
from decimal import Decimal

import pytest

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.training.models import Participant, StudyRecord, Training
from dangjian.training.services import add_participants, create_training, record_study, remove_participant

pytestmark = pytest.mark.django_db
D = dt.date


def data(org, **extra):
    return {
        "title": "基层党组织书记示范培训班",
        "organiser": "中共上海市委党校",
        "level": "county_rotation",
        "org": org,
        "started_on": D(2026, 4, 1),
        "ended_on": D(2026, 4, 3),
        "hours": Decimal("24"),
        **extra,
    }


def test_create_training_in_scope_records_the_audit_event(users, tree):
    t = create_training(actor=users["dangwei_a"], data=data(tree.a))
    assert t.org == tree.a and t.hours == Decimal("24")
    event = AuditEvent.objects.get(object_type="training.training", object_id=str(t.pk))
    assert event.after["level"] == "县级以上党委集中轮训"


def test_a_refused_training_changes_nothing(users, tree):
    events = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        create_training(actor=users["branch_a2"], data=data(tree.a1))
    with pytest.raises(ServiceError) as exc:
        create_training(actor=users["dangwei_a"], data=data(tree.a, ended_on=D(2026, 3, 1), hours="0"))
    assert set(exc.value.errors) == {"ended_on", "hours"}
    assert not Training.objects.exists() and AuditEvent.objects.count() == events


def test_participants_must_be_in_scope_and_on_the_roll(users, tree, make_member):
    t = create_training(actor=users["dangwei_a"], data=data(tree.a))
    a1 = make_member(tree.a1, name="甲")
    b1 = make_member(tree.b1, name="乙")
    late = make_member(
        tree.a1, name="丙", joined_on=D(2026, 6, 1), category="probationary", confirmed_on=None
    )
    with pytest.raises(ServiceError, match=r"^所选党员不存在或不在您的管理范围内。$"):  # nobody named
        add_participants(actor=users["dangwei_a"], training=t, members=[a1, b1])
    with pytest.raises(ServiceError):
        add_participants(actor=users["dangwei_a"], training=t, members=[late])
    assert not Participant.objects.exists()
    added, updated = add_participants(
        actor=users["dangwei_a"], training=t, members=[a1], certificates={a1.pk: "ZS-001"}
    )
    assert (added, updated) == (1, 0)
    assert add_participants(actor=users["dangwei_a"], training=t, members=[a1], completed=False) == (0, 1)
    p = Participant.objects.get()
    assert p.completed is False and p.certificate_no == "ZS-001"
    with pytest.raises(OutOfScope):
        remove_participant(actor=users["branch_a2"], participant=p)
    remove_participant(actor=users["dangwei_a"], participant=p)
    assert not Participant.objects.exists()


def test_record_study_is_an_upsert_on_member_platform_period(users, tree, make_member):
    m = make_member(tree.a1, name="甲")
    r, action = record_study(
        actor=users["branch_a1"], member=m, platform="xuexi", period="2026-3", hours="12.5"
    )
    assert (action, r.period, r.year) == ("create", "2026-03", 2026)
    assert (
        record_study(actor=None, member=m, platform="xuexi", period="2026-03", hours=Decimal("12.50"))[1]
        == "unchanged"
    )
    assert (
        record_study(actor=None, member=m, platform="xuexi", period="2026-03", hours="13", points=800)[1]
        == "update"
    )
    assert StudyRecord.objects.count() == 1
    with pytest.raises(OutOfScope):
        record_study(actor=users["branch_a2"], member=m, platform="xuexi", period="2026", hours="1")
    for bad in ({"period": "2026-13", "hours": "1"}, {"period": "2026"}, {"period": "2026", "hours": "-1"}):
        with pytest.raises(ServiceError):
            record_study(actor=None, member=m, platform="xuexi", **bad)
    with pytest.raises(ServiceError):
        record_study(actor=None, member=m, platform="weixin", period="2026", hours="1")
    assert StudyRecord.objects.count() == 1
