"""Absence reasons: a kind (病假, 公差, 其他) and a text, required for 其他; shown on the meeting page."""

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from dangjian.conftest import historical_branch_with_members, migrate_back, migrate_forward
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.meetings.models import Absence, Meeting, parse_reason
from dangjian.meetings.services import create_meeting, update_meeting

D = dt.date(2026, 3, 31)


def record(tree, absentees, **data):
    return create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "党员大会", **data},
        types=["assembly"],
        absentees=absentees,
    )


def reasons(meeting):
    return sorted(meeting.absences.values_list("member__name", "reason_kind", "reason"))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ("", "")),
        ("  ", ("", "")),
        ("病假", ("sick", "")),
        ("病假：住院", ("sick", "住院")),
        ("公差", ("official", "")),
        ("公差，赴京参会", ("official", "赴京参会")),
        ("其他：家中有事", ("other", "家中有事")),
        ("其他", ("other", "")),
        ("出差", ("other", "出差")),
        ("请假", ("other", "请假")),
    ],
)
def test_a_reason_written_as_text(text, parsed):
    assert parse_reason(text) == parsed


def test_reasons_are_kept_with_their_kind(tree, branch):
    meeting = record(
        tree,
        {
            branch["书记"].pk: ("sick", ""),
            branch["组织"].pk: ("official", " 赴京参会 "),
            branch["宣传"].pk: ("other", "家中有事"),
            branch["预备"].pk: ("", ""),
        },
    )
    assert reasons(meeting) == [
        ("书记甲", "sick", ""),
        ("宣传丙", "other", "家中有事"),
        ("组织乙", "official", "赴京参会"),
        ("预备戊", "", ""),
    ]
    event = AuditEvent.objects.get(object_type="meetings.meeting", action="create")
    assert (
        event.after["absentees"]
        == "书记甲（病假）、宣传丙（其他：家中有事）、预备戊、组织乙（公差：赴京参会）"  # shu, xuan, yu, zu
    )
    shown = {
        a.member.name: (a.has_reason, a.reason_display) for a in meeting.absences.select_related("member")
    }
    assert shown == {
        "书记甲": (True, "病假"),
        "组织乙": (True, "公差（赴京参会）"),
        "宣传丙": (True, "其他（家中有事）"),
        "预备戊": (False, ""),
    }


def test_a_text_without_a_kind_is_read_as_written(tree, branch):
    meeting = record(tree, {branch["书记"].pk: ("", "病假"), branch["组织"].pk: "出差"})
    assert reasons(meeting) == [("书记甲", "sick", ""), ("组织乙", "other", "出差")]


def test_other_without_its_text_is_refused_and_nothing_is_written(tree, branch):
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="缺席原因为“其他”时请注明具体原因：组织乙") as refused:
        record(tree, {branch["组织"].pk: ("other", " "), branch["书记"].pk: ("sick", "")})
    assert refused.value.field == "absentees"
    assert not Meeting.objects.exists() and AuditEvent.objects.count() == events


def test_an_unknown_kind_is_refused(tree, branch):
    with pytest.raises(ServiceError, match="缺席原因“holiday”无效"):
        record(tree, {branch["组织"].pk: ("holiday", "")})


def test_editing_without_absentees_keeps_their_reasons(tree, branch):
    meeting = record(tree, {branch["组织"].pk: ("official", "赴京")})
    update_meeting(actor=None, meeting=meeting, data={"topic": "改"})
    assert reasons(meeting) == [("组织乙", "official", "赴京")]


def test_the_host_cannot_be_recorded_absent(tree, branch):
    with pytest.raises(ServiceError, match="主持人不能同时记为缺席") as refused:
        record(tree, {branch["书记"].pk: ("sick", "")}, host=branch["书记"])
    assert refused.value.field == "host"
    assert not Meeting.objects.exists()


def test_the_lecturer_cannot_be_recorded_absent_and_nothing_is_written(tree, branch):
    """A 党课 given by the secretary who is ticked absent (病假) would count as the secretary's lecture."""
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="主讲人不能同时记为缺席") as refused:
        create_meeting(
            actor=None,
            data={
                "org": tree.a1,
                "date": D,
                "topic": "党课",
                "host": branch["组织"],
                "lecturer": branch["书记"],
            },
            types=["lecture"],
            absentees={branch["书记"].pk: ("sick", "")},
        )
    assert refused.value.field == "lecturer"
    assert not Meeting.objects.exists() and AuditEvent.objects.count() == events


def test_an_edit_cannot_tick_the_lecturer_absent(tree, branch):
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "党课", "lecturer": branch["书记"]},
        types=["lecture"],
    )
    with pytest.raises(ServiceError, match="主讲人不能同时记为缺席"):
        update_meeting(actor=None, meeting=meeting, data={}, absentees={branch["书记"].pk: ("official", "")})
    assert reasons(meeting) == []


def test_the_form_shows_the_lecturer_absent_refusal_and_keeps_what_was_typed(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("meetings:create"),
        {
            "org": tree.a1.pk,
            "date": D.isoformat(),
            "types": ["lecture"],
            "topic": "书记讲党课",
            "lecturer": branch["书记"].pk,
            "absentees": [str(branch["书记"].pk)],
            f"reason_kind_{branch['书记'].pk}": "sick",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<div class="invalid-feedback d-block" id="id_lecturer_error">主讲人不能同时记为缺席。</div>' in page
    )
    assert 'value="书记讲党课"' in page
    pk = branch["书记"].pk
    assert f'value="{pk}" id="dj-absent-{pk}" data-dj-keep aria-describedby="dj-roster-help" checked>' in page
    assert '<option value="sick" selected>病假</option>' in page  # the tick and its reason stay
    assert not Meeting.objects.exists()


def test_the_database_refuses_a_text_without_a_kind_and_other_without_a_text(tree, branch):
    meeting = record(tree, {})
    for kind, text in (("", "病假"), ("other", "")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Absence.objects.create(meeting=meeting, member=branch["组织"], reason_kind=kind, reason=text)


def test_the_form_posts_the_kind_and_the_detail_page_shows_it(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    absent = [branch["组织"], branch["宣传"], branch["预备"]]
    response = client.post(
        reverse("meetings:create"),
        {
            "org": tree.a1.pk,
            "date": D.isoformat(),
            "types": ["assembly"],
            "topic": "三月党员大会",
            "host": branch["书记"].pk,
            "absentees": [str(m.pk) for m in absent],
            f"reason_kind_{absent[0].pk}": "official",
            f"reason_{absent[0].pk}": "赴京参会",
            f"reason_kind_{absent[1].pk}": "sick",
            f"reason_kind_{absent[2].pk}": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get()
    assert reasons(meeting) == [
        ("宣传丙", "sick", ""),
        ("组织乙", "official", "赴京参会"),
        ("预备戊", "", ""),
    ]
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert '<span data-reason="official">公差（赴京参会）</span>' in page
    assert '<span data-reason="sick">病假</span>' in page
    assert '<span class="text-danger" data-reason="">未注明原因</span>' in page
    # the edit form shows each absentee's kind selected and the text
    edit = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert f'name="reason_kind_{absent[0].pk}"' in edit
    assert '<option value="official" selected>公差</option>' in edit
    assert 'value="赴京参会"' in edit


def test_the_form_refuses_other_without_a_text(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("meetings:create"),
        {
            "org": tree.a1.pk,
            "date": D.isoformat(),
            "types": ["assembly"],
            "topic": "三月党员大会",
            "absentees": [str(branch["组织"].pk)],
            f"reason_kind_{branch['组织'].pk}": "other",
        },
    )
    assert response.status_code == 200
    assert "缺席原因为“其他”时请注明具体原因：组织乙" in response.content.decode()
    assert not Meeting.objects.exists()
    # said at the top of the form too, linked to the roster's message: under a long roster it is out of sight
    top = re.search(
        r'data-testid="absentee-error-top"><a href="#id_absentees_error">([^<]+)</a>',
        response.content.decode(),
    )
    assert top and "请注明具体原因：组织乙" in top.group(1)


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_recorded_reasons_their_kind():
    apps = migrate_back("meetings", "0002_meeting_date_desc_idx")  # meetings before the reason kinds
    Meeting_, Absence_ = apps.get_model("meetings", "Meeting"), apps.get_model("meetings", "Absence")
    texts = ["", "病假", "病假：住院", "公差", "出差", "其他", "其他：家中有事"]
    org, people = historical_branch_with_members(apps, [f"党员{n}" for n in range(len(texts))])
    meeting = Meeting_.objects.create(org=org, date=dt.date(2025, 3, 1), topic="会")
    for member, text in zip(people, texts, strict=True):
        Absence_.objects.create(meeting=meeting, member=member, reason=text)
    migrate_forward()
    found = list(Absence.objects.order_by("member__name").values_list("reason_kind", "reason"))
    assert found == [
        ("", ""),
        ("sick", ""),
        ("sick", "住院"),
        ("official", ""),
        ("other", "出差"),
        ("other", "其他"),
        ("other", "家中有事"),
    ]
