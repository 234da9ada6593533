import pytest

from dangjian.accounts.models import RoleAssignment, User
from dangjian.accounts.services import assign_role, create_user, revoke_role
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent


def test_dangwei_admin_can_grant_branch_admin_inside_scope(users, tree):
    new = create_user(
        actor=users["dangwei_a"], username="a2_admin", password="Strong-pass-2026", display_name="甲二管理员"
    )
    assignment = assign_role(actor=users["dangwei_a"], user=new, role="branch_admin", org=tree.a2)
    assert assignment.include_descendants is True
    event = AuditEvent.objects.get(object_type="accounts.roleassignment", object_id=str(assignment.pk))
    assert event.after == {"user": "a2_admin", "role": "支部管理员", "org": "A2", "include_descendants": True}


def test_grants_outside_scope_or_above_own_level_are_refused(users, tree):
    target = users["norole"]
    before = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        assign_role(actor=users["branch_a1"], user=target, role="branch_admin", org=tree.a2)
    with pytest.raises(OutOfScope):
        assign_role(actor=users["dangwei_a"], user=target, role="gongwei_admin", org=tree.gw)
    with pytest.raises(ServiceError, match="支部管理员只能授权在党支部上"):
        assign_role(actor=users["gongwei"], user=target, role="branch_admin", org=tree.a)
    assert not RoleAssignment.objects.filter(user=target).exists()
    assert AuditEvent.objects.count() == before


def test_revoke_is_audited_and_scoped(users, tree):
    assignment = RoleAssignment.objects.get(user=users["branch_a2"])
    with pytest.raises(OutOfScope):
        revoke_role(actor=users["branch_a1"], assignment=assignment)
    revoke_role(actor=users["dangwei_a"], assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_type="accounts.roleassignment").count() == 1


def test_weak_password_and_duplicate_username_are_refused(users):
    with pytest.raises(ServiceError):
        create_user(actor=None, username="weak", password="123")
    with pytest.raises(ServiceError, match="已存在"):
        create_user(actor=None, username="gongwei", password="Strong-pass-2026")
    assert not User.objects.filter(username="weak").exists()


def test_grant_role_command_creates_user_and_assignment(tree):
    from django.core.management import CommandError, call_command

    call_command("grant_role", "new_admin", "branch_admin", "A1", "--password", "Strong-pass-2026")
    user = User.objects.get(username="new_admin")
    assert list(user.roles.values_list("role", "org__code", "include_descendants")) == [
        ("branch_admin", "A1", True)
    ]
    with pytest.raises(CommandError, match="组织编码“NOPE”不存在"):
        call_command("grant_role", "new_admin", "branch_admin", "NOPE")
