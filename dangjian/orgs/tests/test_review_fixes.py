"""Findings of the user review: 撤销 only when nothing is left (and by the organisation above), who may hold a post,
one 书记/党小组长 at a time, 本届开始日期 checks, 党小组 without terms, the tree's count and the type pre-selected."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member
from dangjian.movements import services as movements
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_org, create_post, update_org, update_post

D = dt.date
START = D(2024, 1, 1)


def login(client, user):
    client.force_login(user)
    return client


def state() -> tuple:
    return (
        list(Org.objects.values_list("code", "dissolved_on", "term_started_on").order_by("pk")),
        list(Post.objects.values_list("pk", "ended_on").order_by("pk")),
        AuditEvent.objects.count(),
    )


def post(member, org, title="shuji", started=START, ended=None):
    return create_post(
        actor=None,
        data={"member": member, "org": org, "title": title, "started_on": started, "ended_on": ended},
    )


# --- 1. 撤销 -----------------------------------------------------------------------------------------------------


def test_dissolution_refused_while_members_children_and_pending_transfers_remain(tree, make_member):
    member = make_member(tree.a1, name="甲一党员")
    make_member(tree.a1g1, name="小组党员")  # in the 党小组 below, still open: that one is dissolved first
    movements.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 4, 1), reason="调动"
    )
    before = state()
    with pytest.raises(ServiceError) as exc:
        update_org(actor=None, org=tree.a1, data={"dissolved_on": D(2026, 6, 30)})
    message = exc.value.message
    assert (
        "还有1名党员在册" in message
    )  # 甲一's own: the group's are the group's to settle, not counted twice
    assert "下级组织“甲一第一党小组”尚未撤销" in message
    assert "还有1件待接收的组织关系转接" in message
    assert exc.value.field == "dissolved_on"
    assert state() == before


def test_a_member_off_the_roll_by_then_does_not_block_and_posts_end_on_the_dissolution(tree, make_member):
    member = make_member(tree.a2, name="甲二书记")
    held = post(member, tree.a2, "shuji", D(2022, 1, 1))
    earlier = post(member, tree.a2, "zuzhi", D(2020, 1, 1), D(2021, 1, 1))
    Member.objects.filter(pk=member.pk).update(status="transferred_out", inactive_from=D(2026, 6, 30))
    # the 书记 post outlives the member's roll: as the review found it (recorded before the fix)
    Post.objects.filter(pk=held.pk).update(ended_on=None)
    org = update_org(actor=None, org=tree.a2, data={"dissolved_on": D(2026, 6, 30)})
    assert org.dissolved_on == D(2026, 6, 30)
    held.refresh_from_db()
    earlier.refresh_from_db()
    assert held.ended_on == D(2026, 6, 30)
    assert earlier.ended_on == D(2021, 1, 1)
    event = AuditEvent.objects.filter(object_type="orgs.post", object_id=str(held.pk)).latest("id")
    assert event.action == "update" and "组织撤销" in event.note


def test_a_party_group_with_members_asks_to_move_them_within_the_branch(tree, make_member, users):
    """A 党小组's members stay in the branch: they are moved on the roll, not transferred to another organisation."""
    make_member(tree.a1g1, name="小组党员")
    with pytest.raises(ServiceError) as exc:
        update_org(actor=users["dangwei_a"], org=tree.a1g1, data={"dissolved_on": D(2026, 6, 30)})
    assert "还有1名党员编在本党小组，请先在党员名册中把他们调整到党支部或其他党小组" in exc.value.message
    assert "组织关系转接" not in exc.value.message


def test_a_member_still_on_the_roll_the_day_after_blocks(tree, make_member):
    member = make_member(tree.a2)
    Member.objects.filter(pk=member.pk).update(status="suspended", inactive_from=D(2026, 8, 1))
    with pytest.raises(ServiceError, match="还有1名党员在册"):
        update_org(actor=None, org=tree.a2, data={"dissolved_on": D(2026, 6, 30)})


def test_only_the_organisation_above_dissolves(tree, users):
    before = state()
    with pytest.raises(ServiceError, match="撤销日期由上级党组织的管理员填写"):
        update_org(actor=users["branch_a1"], org=tree.a1, data={"dissolved_on": D(2026, 6, 30)})
    assert state() == before
    # the 党委 admin dissolves the empty 党小组 of 甲一, and 甲一's own admin cannot undo it
    org = update_org(actor=users["dangwei_a"], org=tree.a1g1, data={"dissolved_on": D(2026, 6, 30)})
    assert org.dissolved_on == D(2026, 6, 30)
    with pytest.raises(ServiceError, match="撤销日期由上级党组织的管理员填写"):
        update_org(actor=users["dangwei_a"], org=tree.a, data={"dissolved_on": D(2026, 6, 30)})


def test_the_edit_form_disables_the_dissolution_date_for_the_organisation_itself(client, tree, users):
    login(client, users["branch_a1"])
    page = client.get(reverse("orgs:edit", args=[tree.a1.pk])).content.decode()
    field = re.search(r'<input[^>]*name="dissolved_on"[^>]*>', page).group(0)
    assert "disabled" in field
    # a posted date is ignored (the field is disabled): nothing is dissolved
    data = {
        "code": "A1",
        "name": "甲一支部",
        "type": "zhibu",
        "parent": tree.a.pk,
        "unit": "甲委",
        "founded_on": "2018-03-01",
        "dissolved_on": "2026-06-30",
    }
    response = client.post(reverse("orgs:edit", args=[tree.a1.pk]), data)
    assert response.status_code == 302
    assert Org.objects.get(pk=tree.a1.pk).dissolved_on is None
    login(client, users["dangwei_a"])
    page = client.get(reverse("orgs:edit", args=[tree.a1.pk])).content.decode()
    assert "disabled" not in re.search(r'<input[^>]*name="dissolved_on"[^>]*>', page).group(0)


def test_the_dissolution_refusal_is_shown_on_the_form(client, tree, users, make_member):
    make_member(tree.a2)
    login(client, users["dangwei_a"])
    data = {
        "code": "A2",
        "name": "甲二支部",
        "type": "zhibu",
        "parent": tree.a.pk,
        "unit": "甲委",
        "founded_on": "2018-03-01",
        "dissolved_on": "2026-06-30",
    }
    response = client.post(reverse("orgs:edit", args=[tree.a2.pk]), data)
    assert response.status_code == 200
    assert "还有1名党员在册" in response.content.decode()
    assert Org.objects.get(pk=tree.a2.pk).dissolved_on is None


# --- 2. who holds a post ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["transferred_out", "suspended", "deceased", "left_party"])
def test_a_member_off_the_roll_holds_no_new_post(tree, make_member, status):
    member = make_member(tree.a1)
    Member.objects.filter(pk=member.pk).update(status=status, inactive_from=D(2026, 3, 1))
    member.refresh_from_db()
    before = state()
    with pytest.raises(ServiceError, match="已不在党员名册"):
        post(member, tree.a1, "zuzhi", D(2026, 5, 1))
    with pytest.raises(ServiceError, match="离任日期应不晚于2026-03-01"):
        post(member, tree.a1, "zuzhi", D(2025, 5, 1))  # open-ended beyond the roll
    assert state() == before
    # a tenure of the past, ended before they left the roll, is recorded
    assert post(member, tree.a1, "zuzhi", D(2024, 5, 1), D(2026, 3, 1)).pk


def test_a_probationary_member_holds_no_committee_post_but_may_lead_a_group(tree, make_member):
    member = make_member(tree.a1g1, category="probationary", confirmed_on=None, joined_on=D(2026, 1, 10))
    for title in ("shuji", "weiyuan", "fushuji"):
        with pytest.raises(ServiceError, match="预备党员，没有被选举权"):
            post(member, tree.a1, title, D(2026, 5, 1))
    assert post(member, tree.a1g1, "xiaozuzhang", D(2026, 5, 1)).pk
    confirmed = make_member(tree.a1, joined_on=D(2020, 1, 1), confirmed_on=D(2021, 1, 1))
    with pytest.raises(ServiceError, match="任职日期不能早于转正日期"):
        post(confirmed, tree.a1, "zuzhi", D(2020, 6, 1))
    assert post(confirmed, tree.a1, "zuzhi", D(2021, 1, 1)).pk


def test_one_secretary_and_one_group_leader_at_a_time(tree, make_member):
    first, second = make_member(tree.a1, name="甲书记"), make_member(tree.a1g1, name="乙书记")
    current = post(first, tree.a1, "shuji", D(2024, 1, 1))
    with pytest.raises(ServiceError, match="同一时期只能有一名书记：甲书记任书记（2024-01-01起）"):
        post(second, tree.a1, "shuji", D(2025, 1, 1))
    with pytest.raises(ServiceError, match="同一时期只能有一名书记"):
        post(second, tree.a1, "shuji", D(2023, 1, 1), D(2024, 6, 1))  # overlapping from before
    assert post(
        second, tree.a1, "shuji", D(2023, 1, 1), D(2024, 1, 1)
    ).pk  # the predecessor, until the handover
    update_post(actor=None, post=current, data={"ended_on": D(2025, 1, 1)})
    assert post(second, tree.a1, "shuji", D(2025, 1, 1)).pk  # the successor
    assert post(first, tree.a2, "shuji", D(2025, 1, 1)).pk  # another organisation's
    assert post(first, tree.a1, "fushuji", D(2025, 2, 1)).pk  # several 副书记 are allowed
    post(second, tree.a1g1, "xiaozuzhang", D(2025, 1, 1))
    with pytest.raises(ServiceError, match="同一时期只能有一名党小组长"):
        post(first, tree.a1g1, "xiaozuzhang", D(2026, 1, 1))


def test_the_posts_import_is_refused_the_same_way(tree, make_member):
    """The 党内职务 import (members.xlsx.PostImporter._write) calls create_post: the same rules apply."""
    from dangjian.members.xlsx import PostImporter

    member = make_member(tree.a1, category="probationary", confirmed_on=None, joined_on=D(2026, 1, 10))
    assert "create_post" in PostImporter._write.__code__.co_names
    with pytest.raises(ServiceError, match="预备党员"):
        post(member, tree.a1, "zuzhi", D(2026, 5, 1))


# --- 5. terms ---------------------------------------------------------------------------------------------------


def test_term_start_neither_before_founding_nor_after_today(tree, today):
    before = state()
    with pytest.raises(ServiceError, match="本届开始日期不能早于成立日期（2018-03-01）"):
        update_org(actor=None, org=tree.a1, data={"term_started_on": D(2001, 1, 1)})
    with pytest.raises(ServiceError, match="本届开始日期不能晚于今天"):
        update_org(actor=None, org=tree.a1, data={"term_started_on": today + dt.timedelta(days=1)})
    assert state() == before
    assert update_org(actor=None, org=tree.a1, data={"term_started_on": D(2024, 3, 1)}).term_end == D(
        2027, 3, 1
    )


def test_a_group_has_no_term(client, tree, users, today):
    with pytest.raises(ServiceError, match="党小组不设任期"):
        create_org(
            actor=None,
            data={
                "code": "A1G2",
                "name": "甲一第二党小组",
                "type": "xiaozu",
                "parent": tree.a1,
                "founded_on": D(2026, 3, 1),
                "term_started_on": D(2025, 1, 1),
            },
        )
    login(client, users["branch_a1"])
    page = client.get(reverse("orgs:create") + f"?parent={tree.a1.pk}").content.decode()
    assert 'name="term_started_on"' not in page and 'name="term_years"' not in page
    page = client.get(reverse("orgs:edit", args=[tree.a1g1.pk])).content.decode()
    assert 'name="term_started_on"' not in page
    assert "本届届满日期" not in client.get(reverse("orgs:detail", args=[tree.a1g1.pk])).content.decode()
    page = client.get(reverse("orgs:edit", args=[tree.a1.pk])).content.decode()
    assert re.search(rf'name="term_started_on"[^>]*max="{today.isoformat()}"', page)


# --- 6. the tree's count, the type pre-selected -------------------------------------------------------------------


def test_the_tree_counts_what_it_shows(client, tree, users):
    update_org(actor=None, org=tree.a1g1, data={"dissolved_on": D(2025, 6, 30)})
    login(client, users["dangwei_a"])  # 甲委机关党委, 甲一, 甲一第一党小组 (已撤销), 甲二
    assert "共 3 个" in client.get(reverse("orgs:tree")).content.decode()
    assert "共 4 个" in client.get(reverse("orgs:tree"), {"dissolved": "1"}).content.decode()


def test_a_new_organisation_under_a_party_committee_is_a_branch_by_default(client, tree, users):
    login(client, users["dangwei_a"])
    page = client.get(reverse("orgs:create") + f"?parent={tree.a.pk}").content.decode()
    assert re.search(r'<option value="zhibu"[^>]*selected', page)
    assert not re.search(r'<option value="zongzhi"[^>]*selected', page)
