import datetime as dt

import pytest

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.members.models import Member
from dangjian.members.services import update_member
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_org, create_post, update_org


def test_subtree_is_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = sorted(Org.objects.subtree(tree.a).values_list("code", flat=True))
    assert codes == ["A", "A1", "A1G1", "A2"]


def test_branch_under_dangzu_is_refused(tree):
    with pytest.raises(ServiceError, match="党支部只能设在党委或党总支之下"):
        create_org(actor=None, data={"code": "X", "name": "X", "type": "zhibu", "parent": tree.a_dz})
    assert not Org.objects.filter(code="X").exists()


def test_moving_a_subtree_rewrites_paths(tree):
    update_org(actor=None, org=tree.b_zz, data={"parent": tree.a})
    b1 = Org.objects.get(code="B1")
    assert b1.path.startswith(Org.objects.get(code="A").path)
    assert b1.depth == 4


def test_member_move_out_of_scope_changes_nothing(users, tree, make_member):
    m = make_member(tree.a1, name="王五")
    with pytest.raises(OutOfScope):
        update_member(actor=users["branch_a1"], member=m, data={"org": tree.a2})
    assert Member.objects.get(pk=m.pk).org_id == tree.a1.pk


def test_secretary_on_date_is_one_query(tree, make_member, django_assert_num_queries):
    old = make_member(tree.a1, name="老书记")
    new = make_member(tree.a1, name="新书记")
    create_post(
        actor=None,
        data={
            "member": old,
            "org": tree.a1,
            "title": "shuji",
            "started_on": dt.date(2019, 1, 1),
            "ended_on": dt.date(2022, 3, 1),
        },
    )
    create_post(
        actor=None, data={"member": new, "org": tree.a1, "title": "shuji", "started_on": dt.date(2022, 3, 1)}
    )
    with django_assert_num_queries(1):
        names = list(
            Post.objects.holders(tree.a1, "shuji", dt.date(2022, 2, 28)).values_list(
                "member__name", flat=True
            )
        )
    assert names == ["老书记"]
    assert list(
        Post.objects.holders(tree.a1, "shuji", dt.date(2022, 3, 1)).values_list("member__name", flat=True)
    ) == ["新书记"]
