"""A user's display name (the navigation bar's, on every page): the full name, else the linked member's name read
alone — never the member's whole record with its 身份证号 and phone decrypted — else the username."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import User


def test_the_member_name_alone_is_read_once(tree, make_user, make_member):
    member = make_member(tree.a1, name="张支书")
    user = User.objects.get(pk=make_user("zhangzs", member=member).pk)
    with CaptureQueriesContext(connection) as ctx:
        assert user.display_name() == "张支书"
        assert user.display_name() == "张支书"  # the name is kept on the instance
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    assert '"id_number"' not in sql and '"phone"' not in sql and '"name"' in sql


def test_a_loaded_member_record_is_used_as_it_is(tree, make_user, make_member):
    member = make_member(tree.a1, name="李委员")
    make_user("liwy", member=member)
    user = User.objects.select_related("member").get(username="liwy")
    with CaptureQueriesContext(connection) as ctx:
        assert user.display_name() == "李委员"
    assert not ctx.captured_queries


def test_the_full_name_comes_first_and_the_username_last(tree, make_user, make_member):
    named = make_user("wangfn", member=make_member(tree.a1, name="王某"))
    named.first_name = "王主任"
    assert named.display_name() == "王主任"
    assert make_user("nobody").display_name() == "nobody"
    relinked = User.objects.get(pk=make_user("zhaoxx", member=make_member(tree.a1, name="赵一")).pk)
    assert relinked.display_name() == "赵一"
    relinked.member = make_member(tree.a2, name="赵二")  # linked to another record on the same instance
    assert relinked.display_name() == "赵二"
