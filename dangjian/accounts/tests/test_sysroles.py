"""三员分立: the system roles, their mutual exclusion with each other and with the party roles, the requests a
系统管理员 makes and the 安全管理员 decides, the account services, and the pages."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.accounts import sysroles
from dangjian.accounts.models import RoleAssignment, RoleRequest, SystemRoleGrant, User
from dangjian.accounts.scope import scope_for
from dangjian.accounts.services import assign_role, create_user
from dangjian.conftest import TEST_PASSWORD
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member
from dangjian.orgs.models import Org


def counts() -> dict[str, int]:
    return {
        "assignments": RoleAssignment.objects.count(),
        "requests": RoleRequest.objects.count(),
        "system": SystemRoleGrant.objects.count(),
        "events": AuditEvent.objects.count(),
        "users": User.objects.count(),
    }


@pytest.fixture
def newcomer(db):
    return create_user(actor=None, username="newcomer", password=TEST_PASSWORD)


@pytest.fixture
def s(system_users):
    return system_users


# --- scope and system_role ----------------------------------------------------------------------------------


def test_a_system_role_has_an_empty_party_scope_in_one_query(s, users, tree, django_assert_num_queries):
    xitong = User.objects.get(username="xitong")
    with django_assert_num_queries(1):
        scope = scope_for(xitong)
    assert scope.system_role == "system_admin" and not scope.is_admin and scope.grants == []
    assert not Org.objects.visible_to(xitong).exists()
    assert not Member.objects.visible_to(xitong).exists()
    assert sysroles.system_role(xitong) == "system_admin"
    assert sysroles.system_role(users["gongwei"]) is None
    assert scope_for(users["gongwei"]).everything  # the party roles keep their scope


def test_a_system_role_sees_no_party_record_even_with_a_superuser_flag_or_a_member_link(s, tree, make_member):
    xitong = s["xitong"]
    User.objects.filter(pk=xitong.pk).update(is_superuser=True, member=make_member(tree.a1))
    xitong = User.objects.get(pk=xitong.pk)
    assert not Member.objects.visible_to(xitong).exists()
    assert not Org.objects.visible_to(xitong).exists()


# --- mutual exclusion ---------------------------------------------------------------------------------------


def test_an_account_holds_at_most_one_system_role(s):
    before = counts()
    with pytest.raises(ServiceError, match="只能担任一种系统角色"):
        sysroles.grant_system_role(actor=None, user=s["xitong"], role="audit_admin")
    assert counts() == before
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        SystemRoleGrant.objects.create(user=s["xitong"], role="audit_admin")


def test_a_party_role_holder_gets_no_system_role_and_vice_versa(s, users, tree):
    before = counts()
    with pytest.raises(ServiceError, match="持有党组织角色"):
        sysroles.grant_system_role(actor=None, user=users["branch_a1"], role="audit_admin")
    with pytest.raises(ServiceError, match="担任系统管理员，按照三员分立的要求不能再授予党组织角色"):
        assign_role(actor=None, user=s["xitong"], role="branch_admin", org=tree.a1)
    with pytest.raises(ServiceError, match="持有党组织角色"):
        sysroles.request_system_grant(actor=s["xitong"], user=users["member_a1"], role="audit_admin")
    with pytest.raises(ServiceError, match="不能再授予党组织角色"):
        sysroles.request_party_grant(actor=s["xitong"], user=s["shenji"], role="member", org=tree.a1)
    assert counts() == before


def test_a_system_grant_approved_after_a_party_grant_was_made_is_refused(s, users, tree, newcomer):
    """The exclusion is re-checked when the approval takes effect."""
    request = sysroles.request_system_grant(actor=s["xitong"], user=newcomer, role="audit_admin")
    assign_role(actor=None, user=newcomer, role="member", org=tree.a1)  # the command line, meanwhile
    before = counts()
    with pytest.raises(ServiceError, match="持有党组织角色"):
        sysroles.approve_request(actor=s["anquan"], request=request)
    assert counts() == before
    assert RoleRequest.objects.get(pk=request.pk).status == "pending"


# --- requests and decisions ---------------------------------------------------------------------------------


def test_a_party_grant_takes_effect_only_when_the_security_admin_approves_it(s, tree, newcomer):
    request = sysroles.request_party_grant(
        actor=s["xitong"], user=newcomer, role="branch_admin", org=tree.a1, reason="新任支部组织委员"
    )
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    assert not Org.objects.visible_to(User.objects.get(pk=newcomer.pk)).exists()
    event = AuditEvent.objects.get(action="request")
    assert (event.actor, event.object_type, event.org_path) == (
        s["xitong"],
        "accounts.rolerequest",
        tree.a1.path,
    )
    assert event.after["role"] == "支部管理员" and event.after["org"] == "A1"

    sysroles.approve_request(actor=s["anquan"], request=request, note="同意")
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_note) == ("approved", s["anquan"], "同意")
    assignment = RoleAssignment.objects.get(user=newcomer)
    assert (assignment.role, assignment.org, assignment.include_descendants) == (
        "branch_admin",
        tree.a1,
        True,
    )
    fresh = User.objects.get(pk=newcomer.pk)
    assert set(Org.objects.visible_to(fresh)) == {tree.a1, tree.a1g1}
    assert [(e.action, e.object_type, e.actor) for e in AuditEvent.objects.order_by("id")][-2:] == [
        ("create", "accounts.roleassignment", s["anquan"]),
        ("approve", "accounts.rolerequest", s["anquan"]),
    ]


def test_a_rejected_request_changes_nothing_but_its_status_and_needs_a_reason(s, tree, newcomer):
    request = sysroles.request_party_grant(actor=s["xitong"], user=newcomer, role="branch_admin", org=tree.a1)
    before = counts()
    with pytest.raises(ServiceError, match="驳回申请须填写理由"):
        sysroles.reject_request(actor=s["anquan"], request=request, note="  ")
    assert counts() == before
    sysroles.reject_request(actor=s["anquan"], request=request, note="未见任职文件")
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("rejected", "未见任职文件")
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    assert AuditEvent.objects.filter(action="reject", actor=s["anquan"]).count() == 1
    with pytest.raises(ServiceError, match="已审批"):
        sysroles.approve_request(actor=s["anquan"], request=request)


def test_nobody_decides_a_request_about_their_own_account(s):
    grant = SystemRoleGrant.objects.get(user=s["anquan"], status="active")
    request = sysroles.request_system_revoke(actor=s["xitong"], grant=grant, reason="调岗")
    before = counts()
    with pytest.raises(ServiceError, match="不能审批本人"):
        sysroles.approve_request(actor=s["anquan"], request=request)
    assert counts() == before
    assert SystemRoleGrant.objects.get(pk=grant.pk).status == "active"


def test_nobody_approves_their_own_request(s, tree, newcomer):
    """A request is approved by a 安全管理员 other than its author: the author, a 系统管理员, cannot decide at all;
    and were the author to become a 安全管理员, their own request stays theirs."""
    request = sysroles.request_party_grant(actor=s["xitong"], user=newcomer, role="branch_admin", org=tree.a1)
    with pytest.raises(OutOfScope, match="只有安全管理员"):
        sysroles.approve_request(actor=s["xitong"], request=request)
    RoleRequest.objects.filter(pk=request.pk).update(requested_by=s["anquan"])
    with pytest.raises(ServiceError, match="不能审批本人提出的申请"):
        sysroles.approve_request(actor=s["anquan"], request=request)
    assert not RoleRequest.objects.filter(status="approved").exists()


def test_a_system_role_is_granted_and_revoked_through_requests(s, newcomer):
    request = sysroles.request_system_grant(actor=s["xitong"], user=newcomer, role="audit_admin")
    assert sysroles.system_role(User.objects.get(pk=newcomer.pk)) is None
    sysroles.approve_request(actor=s["anquan"], request=request)
    assert sysroles.system_role(User.objects.get(pk=newcomer.pk)) == "audit_admin"
    grant = SystemRoleGrant.objects.get(user=newcomer, status="active")
    assert grant.granted_by == s["anquan"]
    revoke = sysroles.request_system_revoke(actor=s["xitong"], grant=grant)
    with pytest.raises(ServiceError, match="请勿重复提交"):
        sysroles.request_system_revoke(actor=s["xitong"], grant=grant)
    sysroles.approve_request(actor=s["anquan"], request=revoke)
    assert sysroles.system_role(User.objects.get(pk=newcomer.pk)) is None
    assert SystemRoleGrant.objects.get(pk=grant.pk).status == "revoked"


def test_a_party_revocation_takes_effect_on_approval(s, users, tree):
    assignment = users["branch_a2"].roles.get()
    request = sysroles.request_party_revoke(actor=s["xitong"], assignment=assignment, reason="调离")
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    sysroles.approve_request(actor=s["anquan"], request=request)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_type="accounts.roleassignment").count() == 1


@pytest.mark.parametrize("who", ["anquan", "shenji", "gongwei"])
def test_only_the_system_admin_requests_and_manages_accounts(s, users, tree, newcomer, who):
    actor = s.get(who) or users[who]
    before = counts()
    calls = [
        lambda: sysroles.request_party_grant(actor=actor, user=newcomer, role="member", org=tree.a1),
        lambda: sysroles.request_system_grant(actor=actor, user=newcomer, role="audit_admin"),
        lambda: sysroles.create_account(actor=actor, username="someone"),
        lambda: sysroles.reset_password(actor=actor, user=newcomer),
        lambda: sysroles.set_active(actor=actor, user=newcomer, active=False),
    ]
    for call in calls:
        with pytest.raises(OutOfScope, match="只有系统管理员"):
            call()
    assert counts() == before


@pytest.mark.parametrize("who", ["xitong", "shenji", "gongwei"])
def test_only_the_security_admin_decides(s, users, tree, newcomer, who):
    request = sysroles.request_party_grant(actor=s["xitong"], user=newcomer, role="branch_admin", org=tree.a1)
    actor = s.get(who) or users[who]
    before = counts()
    with pytest.raises(OutOfScope, match="只有安全管理员"):
        sysroles.approve_request(actor=actor, request=request)
    with pytest.raises(OutOfScope):
        sysroles.reject_request(actor=actor, request=request, note="x")
    assert counts() == before


# --- accounts ---------------------------------------------------------------------------------------------------


def test_create_account_gives_a_temporary_password_to_change_at_first_sign_in(s):
    user, password = sysroles.create_account(actor=s["xitong"], username="zhangsan", display_name="张三")
    assert user.check_password(password) and user.password_must_change
    assert not user.roles.exists()
    event = AuditEvent.objects.get(action="create", object_type="accounts.user", object_repr="zhangsan")
    assert event.actor == s["xitong"] and password not in str(event.after) + event.note
    client = Client()
    assert client.post(reverse("login"), {"username": "zhangsan", "password": password}).status_code == 302
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("password_change"))


def test_reset_password_and_deactivation(s, users):
    target = users["branch_a1"]
    password = sysroles.reset_password(actor=s["xitong"], user=target)
    target.refresh_from_db()
    assert target.check_password(password) and target.password_must_change
    assert not target.check_password(TEST_PASSWORD)
    event = AuditEvent.objects.get(action="password_reset")
    assert (event.actor, event.object_repr) == (s["xitong"], "branch_a1") and password not in event.note

    sysroles.set_active(actor=s["xitong"], user=target, active=False)
    response = Client().post(reverse("login"), {"username": "branch_a1", "password": password})
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session
    with pytest.raises(ServiceError, match="已是停用状态"):
        sysroles.set_active(actor=s["xitong"], user=target, active=False)
    sysroles.set_active(actor=s["xitong"], user=target, active=True)
    actions = AuditEvent.objects.filter(object_repr="branch_a1", action__in=["deactivate", "activate"])
    assert [e.action for e in actions.order_by("id")] == ["deactivate", "activate"]


@pytest.mark.parametrize("target", ["xitong", "anquan"])
def test_the_system_admin_does_not_touch_system_role_accounts(s, target):
    before = counts()
    with pytest.raises(ServiceError):
        sysroles.reset_password(actor=s["xitong"], user=s[target])
    with pytest.raises(ServiceError):
        sysroles.set_active(actor=s["xitong"], user=s[target], active=False)
    assert counts() == before
    assert User.objects.get(pk=s[target].pk).check_password(TEST_PASSWORD)


# --- the command line -------------------------------------------------------------------------------------------


def test_grant_system_role_command_bootstraps_and_revokes(users, tree):
    out = StringIO()
    call_command("grant_system_role", "first", "security_admin", "--password", "Boot-pass-2026", stdout=out)
    assert "已授权：first → 安全管理员" in out.getvalue()
    user = User.objects.get(username="first")
    assert sysroles.system_role(user) == "security_admin" and user.password_must_change
    event = AuditEvent.objects.get(action="create", object_type="accounts.systemrolegrant")
    assert (event.actor, event.actor_label, event.after["role"]) == (None, "系统", "安全管理员")
    with pytest.raises(CommandError, match="持有党组织角色"):
        call_command("grant_system_role", "branch_a1", "audit_admin", stdout=StringIO())
    call_command("grant_system_role", "first", "--revoke", stdout=out)
    assert sysroles.system_role(User.objects.get(username="first")) is None


def test_grant_role_command_refuses_a_system_role_account(s, tree):
    with pytest.raises(CommandError, match="三员分立"):
        call_command("grant_role", "xitong", "branch_admin", "A1", stdout=StringIO())
    assert not RoleAssignment.objects.filter(user=s["xitong"]).exists()


# --- pages ------------------------------------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["xitong", "anquan", "shenji"])
def test_system_roles_are_refused_on_party_record_pages(s, users, tree, who):
    client = signed_in(s[who])
    member = users["own_member"]
    for name in ("members:list", "meetings:list", "dues:sheet", "orgs:tree", "compliance:overview"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("members:detail", args=[member.pk])).status_code in (403, 404)
    assert client.get(reverse("orgs:detail", args=[tree.a1.pk])).status_code in (403, 404)
    home = client.get(reverse("dashboard")).content.decode()
    assert "三员分立" in home and member.name not in home


def test_the_audit_admin_reads_the_actions_of_the_other_two(s, users, tree, newcomer):
    request = sysroles.request_party_grant(actor=s["xitong"], user=newcomer, role="branch_admin", org=tree.a1)
    sysroles.approve_request(actor=s["anquan"], request=request)
    sysroles.reset_password(actor=s["xitong"], user=newcomer)
    page = signed_in(s["shenji"]).get(reverse("portal:audit"))
    assert page.status_code == 200
    shown = {(e.actor_label, e.action) for e in page.context["page"]}
    assert {("xitong演示", "request"), ("anquan演示", "approve"), ("xitong演示", "password_reset")} <= shown
    filtered = signed_in(s["shenji"]).get(reverse("portal:audit"), {"actor": "anquan"})
    assert {e.action for e in filtered.context["page"]} >= {"approve", "create"}
    assert all(e.actor_id == s["anquan"].pk for e in filtered.context["page"])
    # the other two do not read the trail; the party admins still read their scope's part
    for who in ("xitong", "anquan"):
        assert signed_in(s[who]).get(reverse("portal:audit")).status_code == 403
    assert signed_in(users["gongwei"]).get(reverse("portal:audit")).status_code == 200


def test_the_users_page_lists_accounts_without_personal_data(s, users):
    page = signed_in(s["xitong"]).get(reverse("system:users"))
    text = page.content.decode()
    assert page.status_code == 200 and "member_a1" in text and "branch_a1" in text
    assert users["own_member"].name not in text  # a member link shows as a yes/no only


def test_the_new_account_page_shows_the_temporary_password_once(s):
    client = signed_in(s["xitong"])
    response = client.post(reverse("system:user_new"), {"username": "lisi", "display_name": "李四"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    password = response.context["password"]
    assert User.objects.get(username="lisi").check_password(password)
    detail = client.get(reverse("system:user_detail", args=[User.objects.get(username="lisi").pk]))
    assert password not in detail.content.decode()


@pytest.mark.parametrize("username", ["张 三", "zhang san", "张\u3000三", "lisi\t2"])
def test_a_username_with_whitespace_is_refused(s, username):
    response = signed_in(s["xitong"]).post(reverse("system:user_new"), {"username": username})
    assert response.status_code == 400
    assert "用户名不能包含空格，请去掉空格后重试。" in response.content.decode()
    assert response.context["form"].errors["username"] == ["用户名不能包含空格，请去掉空格后重试。"]
    assert not User.objects.filter(username__in=[username, username.strip()]).exists()
    assert not AuditEvent.objects.filter(action="create", object_type="accounts.user").exclude(
        object_repr__in=["xitong", "anquan", "shenji"]
    )
    with pytest.raises(ServiceError, match="用户名不能包含空格"):
        create_user(actor=None, username=username, password="Strong-pass-2026")


def test_request_and_approve_on_the_pages(s, tree, newcomer):
    xitong, anquan = signed_in(s["xitong"]), signed_in(s["anquan"])
    response = xitong.post(
        reverse("system:request_party_grant", args=[newcomer.pk]),
        {"role": "branch_admin", "org": tree.a1.pk, "include_descendants": "on", "reason": "任命"},
        follow=True,
    )
    assert "待安全管理员审批后生效" in response.content.decode()
    request = RoleRequest.objects.get()
    listed = anquan.get(reverse("system:requests"))
    assert request in listed.context["page"] and listed.context["can_decide"]
    assert not xitong.get(reverse("system:requests")).context["can_decide"]
    assert (
        xitong.post(reverse("system:decide", args=[request.pk]), {"decision": "approve"}).status_code == 403
    )
    anquan.post(reverse("system:decide", args=[request.pk]), {"decision": "approve", "note": "同意"})
    assert RoleAssignment.objects.filter(user=newcomer, role="branch_admin", org=tree.a1).exists()


def test_an_unknown_org_code_is_refused_on_the_page(s, newcomer):
    response = signed_in(s["xitong"]).post(
        reverse("system:request_party_grant", args=[newcomer.pk]),
        {"role": "member", "org": "", "org_q": "NOPE"},
        follow=True,
    )
    assert "组织：没有名称或编码为“NOPE”的组织" in response.content.decode()
    assert not RoleRequest.objects.exists()


def test_the_security_parameters_page_shows_the_settings_in_force(s, settings):
    settings.SIGNIN_FAILURE_LIMIT = 7
    page = signed_in(s["anquan"]).get(reverse("system:security"))
    assert page.status_code == 200
    assert dict((r[0], r[2]) for r in page.context["rows"])["SIGNIN_FAILURE_LIMIT"] == 7
    assert signed_in(s["xitong"]).get(reverse("system:security")).status_code == 403


def test_the_users_page_reads_a_fixed_number_of_queries(s, users, tree):
    """Roles and system roles are prefetched: more accounts on the page cost no more queries."""
    client = signed_in(s["xitong"])
    client.get(reverse("system:users"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("system:users"))
    for i in range(12):
        user = create_user(actor=None, username=f"extra{i:02}", password=TEST_PASSWORD)
        assign_role(actor=None, user=user, role="member", org=tree.a2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("system:users"))
    assert len(response.context["page"]) > 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_member_role_needs_an_account_linked_to_a_member(s, tree, newcomer, make_member):
    """党员 on an account linked to no member record was approved and did nothing (its home page said no role, its
    own pages were 404): refused when asked for and when approved, for an account whose link went meanwhile."""
    before = counts()
    with pytest.raises(ServiceError, match="该账号未关联党员信息") as refused:
        sysroles.request_party_grant(actor=s["xitong"], user=newcomer, role="member", org=tree.a1)
    assert refused.value.field == "role" and counts() == before
    member = make_member(tree.a1, name="新党员")
    User.objects.filter(pk=newcomer.pk).update(member=member)
    request = sysroles.request_party_grant(actor=s["xitong"], user=newcomer, role="member", org=tree.a1)
    User.objects.filter(pk=newcomer.pk).update(member=None)  # unlinked before the approval
    with pytest.raises(ServiceError, match="该账号未关联党员信息"):
        sysroles.approve_request(actor=s["anquan"], request=request, note="同意")
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    User.objects.filter(pk=newcomer.pk).update(member=member)
    sysroles.approve_request(actor=s["anquan"], request=request, note="同意")
    assert RoleAssignment.objects.get(user=newcomer).role == "member"


# --- the organisation of a party role grant, chosen by name -------------------------------------------------------


def options_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html)


def test_the_grant_form_offers_an_organisation_search_not_a_code_to_type(s, tree, newcomer):
    """The 系统管理员 sees no organisation page (/orgs/ is refused): the grant form finds the organisation by
    name through its own search, a few options at a time."""
    client = signed_in(s["xitong"])
    assert client.get(reverse("orgs:tree")).status_code == 403
    page = client.get(reverse("system:user_detail", args=[newcomer.pk])).content.decode()
    form = page[page.index('data-testid="party-grant-form"') :]
    form = form[: form.index("</form>")]
    assert 'name="org_code"' not in form and "组织编码" not in form
    assert f'hx-get="{reverse("system:org_options")}"' in form and 'name="org_q"' in form
    select = re.search(r'<select name="org"[^>]*>(.*?)</select>', form, re.S).group(1)
    offered = options_of(select)
    assert offered[0] == ("", "请选择组织") and ("" + str(tree.a.pk), "甲委机关党委（A）") in offered
    assert len(offered) <= 21 and len(re.findall(r"<option[\s>]", page)) <= 100
    assert "org-search.js" in page


def test_the_organisation_search_names_organisations_and_codes_only(
    s, tree, newcomer, make_member, add_branches
):
    make_member(tree.a1, name="甲一党员王某")
    add_branches(25, 1)  # 甲委第1支部 … 甲委第25支部, each with a member
    Org.objects.filter(pk=tree.a2.pk).update(dissolved_on="2020-01-01")
    client = signed_in(s["xitong"])
    url = reverse("system:org_options")

    found = client.get(url, {"org_q": "甲一"})
    assert found.status_code == 200
    html = found.content.decode()
    assert options_of(html) == [
        ("", "请选择组织"),
        (str(tree.a1.pk), "甲一支部（A1）"),
        (str(tree.a1g1.pk), "甲一第一党小组（A1G1）"),
    ]
    assert f'<option value="{tree.a1.pk}" selected>' in html  # the first match chosen
    assert "王某" not in html and "党员" not in html

    many = options_of(client.get(url, {"org_q": "甲委第"}).content.decode())
    assert len(many) == 1 + 20  # at most 20 suggestions: type more to narrow them
    assert options_of(client.get(url, {"org_q": "b-z"}).content.decode())[1:] == [
        (str(tree.b_zz.pk), "乙总支（B-ZZ）")
    ]
    assert options_of(client.get(url, {"org_q": "甲二"}).content.decode()) == [
        ("", "没有找到组织")
    ]  # dissolved
    assert (
        options_of(client.get(url, {"org_q": "乙委"}).content.decode())[1][1] == "乙委机关党委（B）"
    )  # by 单位

    for who in ("anquan", "shenji"):
        assert signed_in(s[who]).get(url, {"org_q": "甲"}).status_code == 403


def test_the_search_is_for_the_system_admin_only(users, tree):
    client = signed_in(users["gongwei"])
    assert client.get(reverse("system:org_options"), {"org_q": "甲"}).status_code == 403


def grant(client, account, **data):
    return client.post(
        reverse("system:request_party_grant", args=[account.pk]),
        {"role": "branch_admin", **data},
        follow=True,
    )


def test_a_grant_names_its_organisation_by_choice_by_full_name_or_by_code(s, tree, newcomer):
    client = signed_in(s["xitong"])
    grant(client, newcomer, org=str(tree.a1.pk))
    grant(
        client, newcomer, org="", org_q="甲二支部"
    )  # typed without script: a name only one organisation has
    grant(client, newcomer, org="", org_q="B1")
    assert sorted(RoleRequest.objects.values_list("org__code", flat=True)) == ["A1", "A2", "B1"]


def test_a_name_several_organisations_have_is_refused_with_their_codes(s, tree, newcomer):
    from dangjian.orgs.services import create_org

    create_org(
        actor=None,
        data={
            "code": "B2",
            "name": "甲一支部",
            "type": "zhibu",
            "parent": tree.b,
            "founded_on": "2018-03-01",
        },
    )
    client = signed_in(s["xitong"])
    before = counts()
    page = grant(client, newcomer, org="", org_q="甲一支部").content.decode()
    assert (
        "名称为“甲一支部”的组织有 2 个，请从下拉列表中选择，或输入其组织编码：甲一支部（A1）、甲一支部（B2）"
        in page
    )
    assert counts() == before
    refused = grant(client, newcomer, org="", org_q="").content.decode()
    assert "组织：请选择组织" in refused and counts() == before


# --- a deactivated account ------------------------------------------------------------------------------------


def test_a_grant_to_a_deactivated_account_is_not_approved(s, tree, newcomer):
    request = sysroles.request_party_grant(actor=s["xitong"], user=newcomer, role="branch_admin", org=tree.a1)
    sysroles.set_active(actor=s["xitong"], user=newcomer, active=False)
    anquan = signed_in(s["anquan"])
    page = anquan.get(reverse("system:requests")).content.decode()
    row = re.search(rf'<tr data-request="{request.pk}".*?</tr>', page, re.S).group(0)
    assert 'data-account-status="inactive"' in row and "账号已停用" in row
    assert 'value="approve"' not in row and 'value="reject"' in row  # it may still be rejected
    before = counts()
    with pytest.raises(ServiceError, match="账号“newcomer”已停用，不能批准授予角色的申请"):
        sysroles.approve_request(actor=s["anquan"], request=request, note="同意")
    assert counts() == before
    response = anquan.post(
        reverse("system:decide", args=[request.pk]), {"decision": "approve", "note": "同意"}, follow=True
    )
    assert "须系统管理员先启用该账号" in response.content.decode()
    assert counts() == before and RoleRequest.objects.get().status == "pending"
    detail = signed_in(s["xitong"]).get(reverse("system:user_detail", args=[newcomer.pk])).content.decode()
    assert "授予角色的申请须在账号启用后才能获批。" in detail
    sysroles.set_active(actor=s["xitong"], user=newcomer, active=True)
    sysroles.approve_request(actor=s["anquan"], request=request, note="同意")
    assert RoleAssignment.objects.filter(user=newcomer, org=tree.a1).exists()


def test_a_revocation_for_a_deactivated_account_is_approved(s, tree, newcomer):
    assignment = assign_role(actor=None, user=newcomer, role="branch_admin", org=tree.a1)
    sysroles.set_active(actor=s["xitong"], user=newcomer, active=False)
    request = sysroles.request_party_revoke(actor=s["xitong"], assignment=assignment)
    page = signed_in(s["anquan"]).get(reverse("system:requests")).content.decode()
    row = re.search(rf'<tr data-request="{request.pk}".*?</tr>', page, re.S).group(0)
    assert "账号已停用" in row and 'value="approve"' in row
    sysroles.approve_request(actor=s["anquan"], request=request)
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
