"""Users and role assignments. Granting a role is a write like any other: scope-checked and audited.

An admin grants roles only over organisations in their own scope, and each role fits one level of the
tree (ROLE_ORG_TYPES), so nobody can grant a role broader than their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.accounts.choices import Role, SystemRole
from dangjian.accounts.models import RoleAssignment, User
from dangjian.accounts.scope import fresh_scope, require_org
from dangjian.core import audit
from dangjian.core.choices import chinese_label
from dangjian.core.errors import OutOfScope, ServiceError

# Checks of the organisation a role is granted over, registered by the apps that know organisations (the
# orgs app: which types each role applies to); accounts sits below them.
ROLE_ORG_CHECKS: list[Callable[[str, Any], None]] = []


def register_role_org_check(check: Callable[[str, Any], None]) -> None:
    if check not in ROLE_ORG_CHECKS:
        ROLE_ORG_CHECKS.append(check)


def _role_label(role: str) -> str:
    return chinese_label(Role, role)


def _assignment_snapshot(a: RoleAssignment) -> dict:
    return {
        "user": a.user.username,
        "role": _role_label(a.role),
        "org": a.org.code,
        "include_descendants": a.include_descendants,
    }


@transaction.atomic
def create_user(*, actor, username: str, password: str, display_name: str = "", member=None) -> User:
    username = (username or "").strip()
    if not username:
        raise ServiceError(_("用户名不能为空。"), field="username")
    if any(c.isspace() for c in username):  # "张 三": a name nobody types the same twice
        raise ServiceError(_("用户名不能包含空格，请去掉空格后重试。"), field="username")
    if User.objects.filter(username=username).exists():
        raise ServiceError(_("用户名“%(username)s”已存在。") % {"username": username}, field="username")
    if member is not None:
        require_org(actor, member.org, _("该党员不在您的管理范围内，不能为其开通账号。"))
    elif actor is not None:
        scope = fresh_scope(actor)
        if not (scope.is_admin or scope.system_role == SystemRole.SYSTEM_ADMIN):
            raise OutOfScope()
    user = User(username=username, first_name=display_name, member=member)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(pgettext("sentence separator", "；").join(exc.messages), field="password") from exc
    user.set_password(password)
    user.password_must_change = (
        True  # a password an administrator chose: its owner changes it at first sign-in
    )
    user.save()
    audit.record(
        actor=actor,
        action="create",
        obj=user,
        object_repr=username,
        org_path=member.org.path if member else "",
        after={"username": username, "display_name": display_name, "member": member.name if member else None},
    )
    return user


@transaction.atomic
def assign_role(*, actor, user: User, role: str, org, include_descendants: bool = True) -> RoleAssignment:
    if role not in Role.values:
        raise ServiceError(_("角色无效。"), field="role")
    for check in ROLE_ORG_CHECKS:  # e.g. which organisation types the role applies to (orgs.roles)
        check(role, org)
    require_org(actor, org, _("该组织不在您的管理范围内，不能授权。"))
    return apply_assignment(
        actor=actor, user=user, role=role, org=org, include_descendants=include_descendants
    )


def apply_assignment(
    *, actor, user: User, role: str, org, include_descendants: bool = True
) -> RoleAssignment:
    """Writes the assignment once its grant is authorised (by the actor's scope in `assign_role`, or by a
    安全管理员's approval in `accounts.sysroles`). Call inside a transaction."""
    from dangjian.accounts.sysroles import refuse_party_role_for_system_account

    if role not in Role.values:
        raise ServiceError(_("角色无效。"), field="role")
    for check in ROLE_ORG_CHECKS:
        check(role, org)
    user = User.objects.select_for_update().get(pk=user.pk)  # serialises with a system role's grant
    refuse_party_role_for_system_account(user)
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, org=org, defaults={"include_descendants": include_descendants}
    )
    before = None if created else _assignment_snapshot(assignment)
    if not created and assignment.include_descendants != include_descendants:
        assignment.include_descendants = include_descendants
        assignment.save(update_fields=["include_descendants"])
    after = _assignment_snapshot(assignment)
    if before != after:
        audit.record(
            actor=actor,
            action="create" if created else "update",
            obj=assignment,
            org_path=org.path,
            before=before,
            after=after,
        )
    return assignment


@transaction.atomic
def revoke_role(*, actor, assignment: RoleAssignment) -> None:
    assignment = RoleAssignment.objects.select_related("org", "user").get(pk=assignment.pk)
    require_org(actor, assignment.org, _("该授权不在您的管理范围内。"))
    delete_assignment(actor=actor, assignment=assignment)


def delete_assignment(*, actor, assignment: RoleAssignment) -> None:
    """Deletes an assignment whose revocation is authorised (see `apply_assignment`), with its audit event."""
    assignment = RoleAssignment.objects.select_related("org", "user").get(pk=assignment.pk)
    audit.record(
        actor=actor,
        action="delete",
        obj=assignment,
        org_path=assignment.org.path,
        before=_assignment_snapshot(assignment),
    )
    assignment.delete()


def _validated(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(pgettext("sentence separator", "；").join(exc.messages), field="password") from exc


@transaction.atomic
def change_own_password(*, actor: User, password: str, client_address: str = "") -> None:
    """The user's own new password (checked against the password rules; the old one was checked by the form).
    The audit event says that it changed and from where, never the password."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    _validated(password, user)
    user.set_password(password)
    user.save(update_fields=["password", "password_changed_at", "password_must_change"])
    actor.password = user.password  # the caller keeps its session (update_session_auth_hash)
    actor.password_changed_at, actor.password_must_change = user.password_changed_at, False
    audit.record(
        actor=actor,
        action="password_change",
        obj=user,
        object_repr=user.username,
        note=f"客户端地址：{client_address or '未知'}",
    )


def can_unlock(actor) -> bool:
    """Sign-in locks concern every account: lifted by the 安全管理员 (三员分立), or by the command line."""
    return actor is None or fresh_scope(actor).system_role == SystemRole.SECURITY_ADMIN


@transaction.atomic
def unlock_signin(*, actor, username: str = "", address: str = "") -> int:
    """Lifts the sign-in lock of a username (and/or a client address) before it expires."""
    from dangjian.accounts import lockout

    if actor is not None and not can_unlock(actor):
        raise OutOfScope()
    if not username and not address:
        raise ServiceError(_("请指定用户名或客户端地址。"), field="username")
    was_locked = lockout.is_locked(username=username, address=address)
    removed = lockout.unlock(username=username, address=address)
    user = User.objects.filter(username=username).first() if username else None
    audit.record(
        actor=actor,
        action="unlock",
        object_type="accounts.user",
        object_id=str(user.pk) if user else "",
        object_repr=username or address,
        note=("客户端地址：" + address + "；" if address else "")
        + ("已解除锁定" if was_locked else "未处于锁定状态，已清除失败记录")
        + f"（{removed} 条）",
    )
    return removed
