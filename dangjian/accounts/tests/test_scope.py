from dangjian.accounts.scope import scope_for
from dangjian.members.models import Member
from dangjian.orgs.models import Org, Post


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_each_role_sees_its_subtree(users, tree):
    assert codes(Org.objects.visible_to(users["gongwei"])) == sorted(
        Org.objects.values_list("code", flat=True)
    )
    assert codes(Org.objects.visible_to(users["dangwei_a"])) == ["A", "A1", "A1G1", "A2"]
    assert codes(Org.objects.visible_to(users["branch_a1"])) == ["A1", "A1G1"]
    assert codes(Org.objects.visible_to(users["member_a1"])) == []
    assert codes(Org.objects.visible_to(users["norole"])) == []


def test_assignment_without_descendants_covers_only_that_org(tree, make_user, make_member):
    user = make_user("only_a1", "branch_admin", tree.a1, include_descendants=False)
    make_member(tree.a1g1, name="小组成员")
    assert codes(Org.objects.visible_to(user)) == ["A1"]
    assert list(Member.objects.visible_to(user).values_list("name", flat=True)) == []


def test_visible_subtree_is_the_subtree_restricted_to_the_scope(users, tree, make_user):
    only_a = make_user("only_a", "dangwei_admin", tree.a, include_descendants=False)
    assert codes(Org.objects.visible_subtree(only_a, tree.a)) == ["A"]
    assert codes(Org.objects.visible_subtree(only_a, tree.a, include_self=False)) == []
    assert codes(Org.objects.visible_subtree(only_a, tree.a1)) == []
    assert codes(Org.objects.visible_subtree(only_a, tree.gw)) == ["A"]
    assert codes(Org.objects.visible_subtree(users["dangwei_a"], tree.a)) == ["A", "A1", "A1G1", "A2"]
    assert codes(Org.objects.visible_subtree(users["dangwei_a"], tree.a, include_self=False)) == [
        "A1",
        "A1G1",
        "A2",
    ]
    assert codes(Org.objects.visible_subtree(users["branch_a1"], tree.a)) == ["A1", "A1G1"]
    assert codes(Org.objects.visible_subtree(users["branch_a1"], tree.b)) == []
    assert codes(Org.objects.visible_subtree(users["gongwei"], tree.b)) == ["B", "B-ZZ", "B1"]
    assert codes(Org.objects.visible_subtree(users["member_a1"], tree.a1)) == []


def test_member_sees_only_own_record(users, tree, make_member):
    make_member(tree.a1, name="同支部党员")
    assert list(Member.objects.visible_to(users["member_a1"])) == [users["own_member"]]


def test_anonymous_sees_nothing(tree, make_member):
    from django.contrib.auth.models import AnonymousUser

    make_member(tree.a1)
    assert not Member.objects.visible_to(AnonymousUser()).exists()
    assert not Org.objects.visible_to(AnonymousUser()).exists()


def test_party_posts_grant_no_system_permission(tree, make_member, make_user):
    import datetime as dt

    from dangjian.orgs.services import create_post

    secretary = make_member(tree.a1, name="书记")
    create_post(
        actor=None,
        data={"member": secretary, "org": tree.a1, "title": "shuji", "started_on": dt.date(2024, 1, 1)},
    )
    user = make_user("secretary_login", member=secretary)
    assert not scope_for(user).is_admin
    assert codes(Org.objects.visible_to(user)) == []
    assert Post.objects.visible_to(user).count() == 0


def test_personal_data_access(users, tree, make_member):
    other = make_member(tree.a1, name="他人")
    assert scope_for(users["branch_a1"]).can_see_personal_data(other)
    assert not scope_for(users["branch_a2"]).can_see_personal_data(other)
    assert not scope_for(users["member_a1"]).can_see_personal_data(other)
    assert scope_for(users["member_a1"]).can_see_personal_data(users["own_member"])


def test_a_gongwei_grant_with_descendants_filters_nothing(users, tree, make_user, make_member):
    """The 工委 is the one root (a database constraint), so its administrators' lists need no filter on the
    organisations; without descendants the grant is the 工委 alone."""
    import pytest
    from django.db import IntegrityError, transaction
    from django.db.models import Q

    from dangjian.meetings.models import Meeting

    scope = scope_for(users["gongwei"])
    assert scope.everything and scope.org_q() == Q() and scope.member_q("member__") == Q()
    assert "orgs_org" not in str(Meeting.objects.visible_to(users["gongwei"]).query)
    only_gw = make_user("only_gw", "gongwei_admin", tree.gw, include_descendants=False)
    assert not scope_for(only_gw).everything
    assert codes(Org.objects.visible_to(only_gw)) == ["GW"]
    assert not scope_for(users["dangwei_a"]).everything
    with pytest.raises(IntegrityError), transaction.atomic():
        Org.objects.create(code="X", name="无上级党委", type="dangwei", path="99999999/")


def test_a_scope_is_read_in_one_query_with_every_grant(tree, make_user, django_assert_num_queries):
    """The scope's query (written once from the models, not compiled per request): party assignments with their
    organisation's path and whether they reach the subtree; a revoked system role is no role; an active one makes
    a system account, which sees no party record."""
    from dangjian.accounts.choices import SystemRole, SystemRoleStatus
    from dangjian.accounts.models import RoleAssignment, SystemRoleGrant
    from dangjian.accounts.scope import Grant, _load

    user = make_user("two_roles", "branch_admin", tree.a1)
    RoleAssignment.objects.create(user=user, role="dangwei_admin", org=tree.b, include_descendants=False)
    SystemRoleGrant.objects.create(user=user, role=SystemRole.SYSTEM_ADMIN, status=SystemRoleStatus.REVOKED)
    with django_assert_num_queries(1):
        scope = _load(user)
    assert sorted(scope.grants, key=lambda g: g.org_id) == sorted(
        [
            Grant("branch_admin", tree.a1.pk, tree.a1.path, True),
            Grant("dangwei_admin", tree.b.pk, tree.b.path, False),
        ],
        key=lambda g: g.org_id,
    )
    assert scope.system_role is None and not scope.everything
    assert scope.covers(tree.a1g1) and scope.covers(tree.b) and not scope.covers(tree.a2)

    root = make_user("root_admin", "gongwei_admin", tree.gw)
    assert _load(root).everything

    system = make_user("sys_only")
    SystemRoleGrant.objects.create(user=system, role=SystemRole.SYSTEM_ADMIN, status=SystemRoleStatus.ACTIVE)
    with django_assert_num_queries(1):
        scope = _load(system)
    assert scope.system_role == SystemRole.SYSTEM_ADMIN and scope.grants == []


def test_the_scope_as_sql_selects_what_the_filter_selects(users, tree, make_user, django_user_model):
    """Scope.org_sql, for the queries written by hand, against Scope.org_q, for every kind of scope: a 工委 (all),
    a 党委 and a 党支部 with their subtrees, one organisation without its 党小组, two grants, a member, no role,
    a superuser."""
    from django.db import connection

    from dangjian.accounts.scope import Grant

    only_a1 = make_user("only_a1", "branch_admin", tree.a1, include_descendants=False)
    two = make_user("two_grants", "branch_admin", tree.a1, include_descendants=False)
    superuser = django_user_model.objects.create_superuser("root_scope", password="x")
    table = connection.ops.quote_name(Org._meta.db_table)
    scopes = [scope_for(u) for u in (users["gongwei"], users["dangwei_a"], users["branch_a1"], only_a1)]
    scopes += [scope_for(u) for u in (users["member_a1"], users["norole"], superuser)]
    both = scope_for(two)
    both.grants.append(Grant("branch_admin", tree.b.pk, tree.b.path, True))  # and a second one, with subtree
    scopes.append(both)
    seen = []
    for scope in scopes:
        sql, params = scope.org_sql("o.path", "o.id")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT o.code FROM {table} o WHERE {sql}", params)
            found = sorted(code for (code,) in cursor.fetchall())
        assert found == codes(Org.objects.filter(scope.org_q())), scope
        seen.append(len(found))
    assert seen[2:4] == [2, 1] and seen[4:6] == [0, 0] and seen[0] == seen[6] == Org.objects.count()
    assert seen[7] == 1 + Org.objects.filter(path__startswith=tree.b.path).count()
