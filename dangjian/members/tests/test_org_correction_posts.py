"""Correcting a member's organisation on the member form does not leave their posts running in the organisation
they leave: it is refused, naming the posts, until they are ended (or the member is moved by a 组织关系转接, which
ends them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member, MemberHistory
from dangjian.members.services import update_member
from dangjian.orgs.models import Post
from dangjian.orgs.services import create_post, update_post

D = dt.date
START = D(2022, 1, 1)


def post(member, org, title, started=START, ended=None):
    return create_post(
        actor=None,
        data={"member": member, "org": org, "title": title, "started_on": started, "ended_on": ended},
    )


def state(member) -> tuple:
    return (
        Member.objects.get(pk=member.pk).org_id,
        list(Post.objects.filter(member=member).values_list("pk", "org_id", "ended_on").order_by("pk")),
        MemberHistory.objects.filter(member=member).count(),
        AuditEvent.objects.count(),
    )


def test_a_correction_is_refused_while_the_member_holds_posts_in_the_organisation_left(
    tree, make_member, today
):
    member = make_member(tree.a1, name="甲一书记")
    secretary = post(member, tree.a1, "shuji")
    post(member, tree.a1, "zuzhi", D(2019, 1, 1), D(2021, 12, 31))  # ended before: not named
    before = state(member)
    with pytest.raises(ServiceError) as refused:
        update_member(actor=None, member=member, data={"org": tree.a2})
    message = refused.value.message
    assert refused.value.field == "org"
    assert "甲一书记在原所在组织仍担任甲一支部书记（2022-01-01起），不能在此修改所在组织" in message
    assert "组织委员" not in message
    assert "填写离任日期" in message and "组织关系转接" in message
    assert state(member) == before  # nothing written, no post ended silently

    # once the post is ended, the correction goes through and the post stays as it was ended
    update_post(actor=None, post=secretary, data={"ended_on": today})
    update_member(actor=None, member=member, data={"org": tree.a2})
    assert Member.objects.get(pk=member.pk).org_id == tree.a2.pk
    secretary.refresh_from_db()
    assert secretary.ended_on == today


def test_the_change_s_effective_date_is_when_the_posts_must_have_ended(tree, make_member):
    member = make_member(tree.a1, name="委员甲")
    post(member, tree.a1, "weiyuan", D(2022, 1, 1), D(2026, 11, 30))
    with pytest.raises(ServiceError) as refused:
        update_member(actor=None, member=member, data={"org": tree.a2}, effective_on=D(2026, 11, 29))
    assert "甲一支部委员（2022-01-01起）" in refused.value.message
    assert "不晚于2026-11-29" in refused.value.message
    update_member(actor=None, member=member, data={"org": tree.a2}, effective_on=D(2026, 11, 30))
    assert Member.objects.get(pk=member.pk).org_id == tree.a2.pk


def test_posts_of_organisations_the_member_stays_in_do_not_refuse(tree, make_member, today):
    # a 支部委员 placed in a 党小组 of the branch (and back) stays in the branch; a 党委委员 moved to another branch of
    # the same 党委 stays in the 党委
    member = make_member(tree.a1, name="委员乙")
    branch_post = post(member, tree.a1, "xuanchuan")
    committee_post = post(member, tree.a, "weiyuan")
    update_member(actor=None, member=member, data={"org": tree.a1g1})
    update_member(actor=None, member=member, data={"org": tree.a1})
    branch_post.refresh_from_db()
    assert branch_post.ended_on is None
    with pytest.raises(ServiceError) as refused:
        update_member(actor=None, member=member, data={"org": tree.a2})
    assert "甲一支部宣传委员" in refused.value.message and "甲委机关党委" not in refused.value.message
    update_post(actor=None, post=branch_post, data={"ended_on": today})
    update_member(actor=None, member=member, data={"org": tree.a2})
    assert Member.objects.get(pk=member.pk).org_id == tree.a2.pk
    committee_post.refresh_from_db()
    assert committee_post.ended_on is None


def test_a_group_leader_leaving_the_group_and_a_committee_member_leaving_the_committee_are_refused(
    tree, make_member
):
    leader = make_member(tree.a1g1, name="小组长")
    post(leader, tree.a1g1, "xiaozuzhang")
    with pytest.raises(ServiceError) as refused:
        update_member(actor=None, member=leader, data={"org": tree.a1})
    assert "甲一第一党小组党小组长（2022-01-01起）" in refused.value.message

    member = make_member(tree.a1, name="党委委员")
    post(member, tree.a, "weiyuan")
    with pytest.raises(ServiceError) as refused:
        update_member(actor=None, member=member, data={"org": tree.b1})  # out of 甲委机关党委
    assert "甲委机关党委委员（2022-01-01起）" in refused.value.message
    assert Member.objects.get(pk=member.pk).org_id == tree.a1.pk


def test_the_edit_page_names_the_posts_and_changes_nothing(client, users, tree, make_member):
    member = make_member(tree.a1, name="页面书记")
    post(member, tree.a1, "shuji")
    post(member, tree.a1, "zuzhi", D(2023, 3, 1))
    client.force_login(users["dangwei_a"])
    url = reverse("members:edit", args=[member.pk])
    assert "须先填写职务的离任日期" in client.get(url).content.decode()  # the field's help says it
    before = state(member)
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "phone": member.phone,
        "category": member.category,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat(),
        "org": str(tree.a2.pk),
        "work_status": member.work_status,
        "position": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "甲一支部书记（2022-01-01起）、甲一支部组织委员（2023-03-01起）" in page
    assert response.context["form"].errors["org"]
    assert state(member) == before
