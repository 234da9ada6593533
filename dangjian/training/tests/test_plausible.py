"""A training as recorded: its 学时 within what its days allow, begun by today, its participants 已完成 only once
it is over; the add-participants list with 全选; the 培训情况汇总 of a 支部管理员's own 党支部."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.training.models import Participant, Training
from dangjian.training.services import add_participants, create_training

pytestmark = pytest.mark.django_db
D = dt.date


def data(today, org, **overrides):
    return {
        "title": "党支部书记轮训",
        "organiser": "市级机关工作党委",
        "level": "county_rotation",
        "org": org,
        "started_on": today - dt.timedelta(days=10),
        "ended_on": today - dt.timedelta(days=10),
        "hours": Decimal("8"),
    } | overrides


def rows() -> tuple[int, int, int]:
    return Training.objects.count(), Participant.objects.count(), AuditEvent.objects.count()


# --- 学时 within the training's days ------------------------------------------------------------------------


def test_a_one_day_training_of_500_hours_is_refused_with_the_bound_in_words(users, tree, today):
    before = rows()
    with pytest.raises(ServiceError) as info:
        create_training(actor=users["dangwei_a"], data=data(today, tree.a, hours=Decimal("500")))
    assert info.value.field == "hours"
    assert info.value.message == "学时不能超过培训天数×8：本次培训1天，最多8学时。"
    assert rows() == before


def test_the_bound_counts_the_first_and_last_day(users, tree, today):
    start = today - dt.timedelta(days=20)
    span = {"started_on": start, "ended_on": start + dt.timedelta(days=4)}  # five days: at most 40
    with pytest.raises(ServiceError, match="本次培训5天，最多40学时"):
        create_training(actor=users["dangwei_a"], data=data(today, tree.a, hours=Decimal("40.5"), **span))
    assert create_training(actor=users["dangwei_a"], data=data(today, tree.a, hours=Decimal("40"), **span)).pk
    one_day = create_training(
        actor=users["dangwei_a"], data=data(today, tree.a, title="一天", hours=Decimal("8"))
    )
    assert one_day.hours == Decimal("8")


def test_the_form_shows_the_refusal_beside_the_hours(client, users, tree, today):
    client.force_login(users["dangwei_a"])
    day = (today - dt.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("training:index"),
        {
            "title": "一日培训",
            "organiser": "市委党校",
            "level": "other",
            "org": tree.a.pk,
            "started_on": day,
            "ended_on": day,
            "hours": "500",
        },
    )
    assert response.status_code == 400 and not Training.objects.filter(title="一日培训").exists()
    assert response.context["form"].errors["hours"] == ["学时不能超过培训天数×8：本次培训1天，最多8学时。"]


# --- no training ahead of today, 已完成 only once it is over -------------------------------------------------


def test_a_training_starting_after_today_is_refused(users, tree, today):
    later = today + dt.timedelta(days=34)
    before = rows()
    with pytest.raises(ServiceError) as info:
        create_training(actor=users["dangwei_a"], data=data(today, tree.a, started_on=later, ended_on=later))
    assert info.value.field == "started_on" and "开始日期不能晚于今天" in info.value.message
    assert rows() == before


def test_an_unfinished_training_takes_participants_as_not_completed_only(users, tree, make_member, today):
    """Begun yesterday, ending in three days: its participants are 未完成 until it is over; then the page offers
    them again and they are recorded 已完成."""
    admin = users["dangwei_a"]
    training = create_training(
        actor=admin,
        data=data(
            today,
            tree.a,
            started_on=today - dt.timedelta(days=1),
            ended_on=today + dt.timedelta(days=3),
            hours=Decimal("40"),
        ),
    )
    m = make_member(tree.a1, name="参训党员")
    before = rows()
    with pytest.raises(ServiceError) as info:
        add_participants(actor=admin, training=training, members=[m], completed=True)
    assert "培训尚未结束" in info.value.message and info.value.field == "completed"
    assert rows() == before
    assert add_participants(actor=admin, training=training, members=[m], completed=False) == (1, 0)
    assert not Participant.objects.get(training=training, member=m).completed

    with time_machine.travel(dt.datetime.combine(training.ended_on, dt.time(12)), tick=False):
        assert add_participants(actor=admin, training=training, members=[m], completed=True) == (0, 1)
    assert Participant.objects.get(training=training, member=m).completed


def test_the_page_of_an_unfinished_training_offers_no_completed_box(client, users, tree, make_member, today):
    admin = users["dangwei_a"]
    training = create_training(
        actor=admin,
        data=data(
            today,
            tree.a,
            started_on=today,
            ended_on=today + dt.timedelta(days=1),
            hours=Decimal("16"),
        ),
    )
    m = make_member(tree.a1, name="参训党员")
    client.force_login(admin)
    url = reverse("training:detail", args=[training.pk])
    page = client.get(url, {"branch": tree.a1.pk}).content.decode()
    assert 'name="completed"' not in page and 'data-testid="not-ended"' in page
    client.post(reverse("training:add_participants", args=[training.pk]), {"member": [m.pk]})
    assert not Participant.objects.get(training=training, member=m).completed
    with time_machine.travel(dt.datetime.combine(training.ended_on, dt.time(12)), tick=False):
        client.force_login(admin)  # a new day, a new session
        page = client.get(url, {"branch": tree.a1.pk}).content.decode()
        # over: the box is back, and the participant recorded 未完成 is offered again, marked as such
        assert 'name="completed"' in page and f'value="{m.pk}"' in page and 'data-testid="unfinished"' in page
        response = client.post(
            reverse("training:add_participants", args=[training.pk]),
            {"member": [m.pk], "completed": "on", "branch": tree.a1.pk},
            follow=True,
        )
    assert Participant.objects.get(training=training, member=m).completed
    assert "已登记 1 名参训人员（新增 0 名，更新 1 名）。" in response.content.decode()


# --- 全选 of the members offered ---------------------------------------------------------------------------


def test_the_members_offered_have_select_all(client, users, tree, make_member, today):
    admin = users["branch_a1"]
    training = create_training(actor=admin, data=data(today, tree.a1))
    members = [make_member(tree.a1, name=f"党员{i:02d}") for i in range(23)]
    client.force_login(admin)
    url = reverse("training:detail", args=[training.pk])
    page = client.get(url, {"branch": tree.a1.pk}).content.decode()
    assert 'data-testid="pick-all"' in page and "js/pick-all.js" in page
    boxes = re.findall(r'<input[^>]*name="member"[^>]*>', page)
    assert len(boxes) >= 23 and all("data-dj-pick" in b and "checked" not in b for b in boxes)
    # without script, 全选 is a link: the same list, every box ticked
    ticked = client.get(url, {"branch": tree.a1.pk, "pick": "all"}).content.decode()
    boxes = re.findall(r'<input[^>]*name="member"[^>]*>', ticked)
    assert len(boxes) >= 23 and all("checked" in b for b in boxes)
    values = [int(v) for v in re.findall(r'name="member" value="(\d+)"', ticked)]
    client.post(
        reverse("training:add_participants", args=[training.pk]),
        {"member": values, "completed": "on", "branch": tree.a1.pk},
    )
    assert {m.pk for m in members} <= set(
        Participant.objects.filter(training=training).values_list("member_id", flat=True)
    )


# --- 培训情况汇总 of a 支部管理员 ----------------------------------------------------------------------------


def test_a_branch_administrator_sees_the_summary_of_their_own_branch(
    client, users, tree, make_member, appoint, today
):
    sec = make_member(tree.a1, name="甲一书记")
    appoint(sec, tree.a1, D(2020, 1, 1))
    client.force_login(users["branch_a1"])
    response = client.get(reverse("training:rollup"), {"year": today.year})
    assert response.status_code == 200 and response.context["org"] == tree.a1
    page = response.content.decode()
    assert "没有可汇总的组织。" not in page
    assert [line["org"].code for line in response.context["lines"]] == ["A1"]
    assert 'data-org="A1"' in page and "甲一书记" in page
    assert re.search(rf'<option value="{tree.a1.pk}"[^>]*selected', page)
    # chosen by name, the same; another branch is outside the scope
    assert client.get(reverse("training:rollup"), {"org": tree.a1.pk}).status_code == 200
    assert client.get(reverse("training:rollup"), {"org": tree.a2.pk}).status_code == 404
    assert client.get(reverse("training:rollup"), {"org": tree.a.pk}).status_code == 404


def test_a_party_committee_administrator_still_picks_among_committees(client, users, tree, today):
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("training:rollup"), {"year": today.year})
    assert response.context["org"] == tree.a and response.context["org_kind"] == "committee"
    assert client.get(reverse("training:rollup"), {"org": tree.a1.pk}).status_code == 404
