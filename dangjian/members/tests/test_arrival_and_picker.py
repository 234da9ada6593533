"""A change of organisation on the member form takes effect no earlier than the member came into the system, a move
between the 党小组 of one branch reads as an adjustment on the timeline (not as a 组织关系转入), and the 任命职务
picker offers the members on the roll, each with their organisation's 单位."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.conftest import unique_id_number
from dangjian.core.errors import ServiceError
from dangjian.members import timeline as tl
from dangjian.members.models import Member, MemberHistory
from dangjian.members.selectors import member_choices
from dangjian.members.services import update_member
from dangjian.movements.services import transfer_in
from dangjian.orgs.services import create_org

D = dt.date
ARRIVED = D(2026, 11, 20)


@pytest.fixture
def a1g2(tree):
    return create_org(
        actor=None,
        data={
            "code": "A1G2",
            "name": "甲一第二党小组",
            "type": "xiaozu",
            "parent": tree.a1,
            "founded_on": D(2018, 3, 1),
            "unit": "甲委",
        },
    )


def _received(org, name="转入者", on=ARRIVED) -> Member:
    data = {
        "name": name,
        "id_number": unique_id_number(),
        "category": "formal",
        "joined_on": D(2010, 7, 1),
        "confirmed_on": D(2011, 7, 1),
        "org": org,
        "work_status": "active",
    }
    member = transfer_in(
        actor=None, data=data, letter_no="沪组转字021", origin="某区委组织部", transferred_on=on
    )
    return Member.objects.select_related("org").get(pk=member.member_id)


# --- 1. the effective date of a change of organisation --------------------------------------------------


def test_a_move_effective_before_the_member_arrived_is_refused(tree, a1g2):
    member = _received(tree.a1g1)
    with pytest.raises(ServiceError) as refused:
        update_member(actor=None, member=member, data={"org": a1g2}, effective_on=D(2026, 11, 1))
    assert refused.value.field == "effective_on"
    assert "不能早于转入者的组织关系转入本系统的日期（2026-11-20）" in refused.value.message
    assert Member.objects.get(pk=member.pk).org_id == tree.a1g1.pk
    assert not MemberHistory.objects.filter(member=member).exists()
    # on or after the arrival it goes through
    update_member(actor=None, member=member, data={"org": a1g2}, effective_on=ARRIVED)
    assert Member.objects.get(pk=member.pk).org_id == a1g2.pk


def test_a_move_effective_before_joining_the_party_is_refused(tree, make_member):
    member = make_member(tree.a1, name="老党员", joined_on=D(2015, 7, 1), confirmed_on=D(2016, 7, 1))
    with pytest.raises(ServiceError, match=r"变更生效日期不能早于入党日期（2015-07-01）") as refused:
        update_member(actor=None, member=member, data={"org": tree.a1g1}, effective_on=D(2015, 6, 30))
    assert refused.value.field == "effective_on"
    # other changes dated before arriving stay possible (a retirement before the transfer, say)
    update_member(actor=None, member=member, data={"work_status": "retired"}, effective_on=D(2015, 1, 1))


def test_the_edit_page_refuses_the_date_next_to_its_field_and_keeps_the_input(client, users, tree, a1g2):
    member = _received(tree.a1g1)
    client.force_login(users["dangwei_a"])
    url = reverse("members:edit", args=[member.pk])
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "phone": member.phone,
        "category": member.category,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat(),
        "org": str(a1g2.pk),
        "work_status": member.work_status,
        "position": "",
        "effective_on": "2026-11-01",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "2026-11-20" in form.errors["effective_on"][0]
    html = response.content.decode()
    assert 'id="id_effective_on_error"' in html and 'value="2026-11-01"' in html
    assert Member.objects.get(pk=member.pk).org_id == tree.a1g1.pk


@pytest.mark.parametrize("moved_on", [D(2026, 11, 25), ARRIVED])
def test_the_timeline_shows_a_move_between_groups_as_an_adjustment_after_the_arrival(tree, a1g2, moved_on):
    member = _received(tree.a1g1)
    update_member(actor=None, member=member, data={"org": a1g2}, effective_on=moved_on)
    events = tl.timeline(Member.objects.select_related("org").get(pk=member.pk), on=D(2026, 12, 7))
    kinds = [e.kind for e in events]
    # after the arrival, and shown beside it even on the same day (another change than the 转入)
    assert kinds.index("movements.transfer_in") < kinds.index("member.org_adjusted")
    move = next(e for e in events if e.kind == "member.org_adjusted")
    assert (move.date, move.group) == (moved_on, "org")
    assert move.title == "调整到甲一第二党小组"
    assert move.detail == "由甲一第一党小组调整到甲一第二党小组"
    assert "组织关系转入甲一第二党小组" not in [e.title for e in events]


def test_a_move_from_the_branch_into_its_group_is_an_adjustment_too(tree, make_member):
    member = make_member(tree.a1, name="组员")
    update_member(actor=None, member=member, data={"org": tree.a1g1}, effective_on=D(2024, 3, 1))
    move = next(e for e in tl.member_events(member, D(2026, 1, 1)) if e.kind == "member.org_adjusted")
    assert (move.title, move.detail) == ("调整到甲一第一党小组", "由甲一支部调整到甲一第一党小组")


# --- 5. the 任命职务 picker --------------------------------------------------------------------------------


def test_the_post_picker_offers_the_members_on_the_roll_only(client, users, tree, make_member):
    make_member(tree.a1, name="在册者")
    gone = make_member(tree.a1, name="已转出")
    Member.objects.filter(pk=gone.pk).update(status="transferred_out", inactive_from=D(2026, 10, 1))
    names = {m.name for m in member_choices(users["dangwei_a"], tree.a1)}
    assert "在册者" in names and "已转出" not in names
    assert "已转出" not in {m.name for m in member_choices(users["dangwei_a"], tree.a1, q="已转")}
    client.force_login(users["dangwei_a"])
    form = client.get(reverse("orgs:post_create", args=[tree.a1.pk]))
    assert "已转出" not in form.content.decode()
    search = client.get(reverse("orgs:member_options", args=[tree.a1.pk]), {"member_q": "已转"})
    assert "已转出" not in search.content.decode()
    # a form's picker of an organisation's members searches all of them: its field decides who may be picked
    within = client.get(
        reverse("orgs:member_options", args=[tree.a1.pk]), {"field": "host", "host_q": "已转", "within": "1"}
    )
    assert "已转出" in within.content.decode()


def test_the_post_being_edited_keeps_its_holder_offered(client, users, tree, make_member):
    from dangjian.orgs.services import create_post

    holder = make_member(tree.a1, name="原书记")
    post = create_post(
        actor=None,
        data={
            "member": holder,
            "org": tree.a1,
            "title": "shuji",
            "started_on": D(2020, 1, 1),
            "ended_on": D(2026, 9, 30),
        },
    )
    Member.objects.filter(pk=holder.pk).update(status="transferred_out", inactive_from=D(2026, 10, 1))
    client.force_login(users["dangwei_a"])
    page = client.get(reverse("orgs:post_edit", args=[post.pk])).content.decode()
    assert f'<option value="{holder.pk}" selected>原书记（甲一支部）' in page


def test_members_of_branches_of_the_same_name_are_told_apart_by_their_unit(
    client, users, tree, make_member, django_assert_max_num_queries
):
    office_a = create_org(
        actor=None,
        data={"code": "A-BG", "name": "办公室党支部", "type": "zhibu", "parent": tree.a, "unit": "甲委"},
    )
    office_b = create_org(
        actor=None,
        data={"code": "B-BG", "name": "办公室党支部", "type": "zhibu", "parent": tree.b, "unit": "乙委"},
    )
    make_member(office_a, name="孙浩然")
    make_member(office_b, name="孙浩然")
    for i in range(10):
        make_member(office_b, name=f"孙{i}")
    client.force_login(users["gongwei"])
    url = reverse("orgs:member_options", args=[tree.gw.pk])
    with django_assert_max_num_queries(8):
        html = client.get(url, {"member_q": "孙"}).content.decode()
    assert "孙浩然（办公室党支部） · 甲委</option>" in html
    assert "孙浩然（办公室党支部） · 乙委</option>" in html
    client.force_login(users["dangwei_a"])
    page = client.get(reverse("orgs:post_create", args=[tree.a.pk])).content.decode()
    assert "孙浩然（办公室党支部） · 甲委</option>" in page
