"""三员分立: the system roles (系统管理员, 安全管理员, 审计管理员) and the services they act through.

- The 系统管理员 manages accounts (creates them, resets a password to a temporary one, deactivates and
  reactivates them) and *asks* for role grants and revocations, party roles and system roles alike.
- A request takes effect only when a 安全管理员 approves it; nobody decides a request they made or one about
  their own account.
- The 审计管理员 reads the audit trail and changes nothing.

An account holds at most one system role (a database constraint on the active `SystemRoleGrant`), and an
account holding one holds no party role (`RoleAssignment`) and vice versa: both are checked with the account's
row locked (`select_for_update`), so two concurrent grants to the same account serialise. A system role sees no
party record: `accounts.scope` gives such an account an empty party scope.

Every write records an audit event (`core.audit.record`) inside its transaction; a refused write raises
`ServiceError` (or `OutOfScope`) and changes nothing. `actor=None` is the command line (`dangjian
grant_system_role`), which bootstraps the first holders.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.choices import RequestKind, RequestStatus, Role, SystemRole, SystemRoleStatus
from dangjian.accounts.models import RoleAssignment, RoleRequest, SystemRoleGrant, User
from dangjian.accounts.scope import fresh_scope, scope_for
from dangjian.core import audit
from dangjian.core.choices import chinese_label
from dangjian.core.errors import OutOfScope, ServiceError

SYSTEM_ADMIN = SystemRole.SYSTEM_ADMIN.value
SECURITY_ADMIN = SystemRole.SECURITY_ADMIN.value
AUDIT_ADMIN = SystemRole.AUDIT_ADMIN.value


def system_role(user) -> str | None:
    """The account's active system role (`SystemRole` value), or None: anonymous, inactive and party accounts.
    Read with the account's scope (the same single query, cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return scope_for(user).system_role


def require_system_role(actor, role: str) -> None:
    """Refuses unless the actor holds `role` now (re-read inside the caller's transaction). The command line
    (`actor=None`) is the system itself."""
    if actor is None:
        return
    if fresh_scope(actor).system_role != role:
        raise OutOfScope(_("只有%(role)s可以办理此事项。") % {"role": SystemRole(role).label})


def _locked(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def active_system_grant(user: User) -> SystemRoleGrant | None:
    return SystemRoleGrant.objects.filter(user=user, status=SystemRoleStatus.ACTIVE).first()


def refuse_party_role_for_system_account(user: User) -> None:
    """An account holding a system role holds no party role (called by `accounts.services.assign_role` too)."""
    grant = active_system_grant(user)
    if grant is not None:
        raise ServiceError(
            _("账号“%(username)s”担任%(role)s，按照三员分立的要求不能再授予党组织角色。")
            % {"username": user.username, "role": grant.get_role_display()},
            field="user",
        )


def refuse_member_role_without_member(user: User, role: str) -> None:
    """The 党员 role opens the member's own pages (党费, 培训, 民主评议 …): on an account linked to no member record it
    would be granted and do nothing."""
    if role == Role.MEMBER and user.member_id is None:
        raise ServiceError(
            _(
                "该账号未关联党员信息，授予“党员”角色后也无法查看本人的党费、培训等页面；请为已关联党员信息的账号申请。"
            ),
            field="role",
        )


def _refuse_system_role_for_party_account(user: User) -> None:
    if user.is_superuser:
        raise ServiceError(_("超级用户账号不能担任系统角色。"), field="user")
    if RoleAssignment.objects.filter(user=user).exists():
        raise ServiceError(
            _(
                "账号“%(username)s”持有党组织角色，按照三员分立的要求不能再担任系统角色；请先撤销其党组织角色。"
            )
            % {"username": user.username},
            field="user",
        )
    grant = active_system_grant(user)
    if grant is not None:
        raise ServiceError(
            _("账号“%(username)s”已担任%(role)s，一个账号只能担任一种系统角色。")
            % {"username": user.username, "role": grant.get_role_display()},
            field="user",
        )


def _grant_snapshot(grant: SystemRoleGrant) -> dict:
    return {
        "user": grant.user.username,
        "role": chinese_label(SystemRole, grant.role),
        "status": chinese_label(SystemRoleStatus, grant.status),
    }


def _request_snapshot(request: RoleRequest) -> dict:
    return {
        "kind": chinese_label(RequestKind, request.kind),
        "user": request.user.username,
        "role": chinese_label(SystemRole if request.is_system else Role, request.role),
        "org": request.org.code if request.org_id else None,
        "include_descendants": request.include_descendants if not request.is_system else None,
        "reason": request.reason,
        "status": chinese_label(RequestStatus, request.status),
        "decision_note": request.decision_note,
    }


def _request_path(request: RoleRequest) -> str:
    return request.org.path if request.org_id else ""


# --- accounts ----------------------------------------------------------------------------------------------


def temporary_password() -> str:
    """A random password that satisfies the password rules in force (its owner must change it at first
    sign-in). Letters and digits that cannot be mistaken for one another when read out or copied."""
    from django.conf import settings

    upper, lower, digits, other = "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789", "@#%+="
    length = max(12, settings.PASSWORD_MIN_LENGTH)
    while True:
        chars = [secrets.choice(pool) for pool in (upper, lower, digits, other)]
        chars += [secrets.choice(upper + lower + digits) for _i in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        try:
            validate_password(password)
        except ValidationError:  # pragma: no cover - only with unusual password settings
            continue
        return password


def _refuse_protected_account(actor, user: User) -> None:
    """A 系统管理员 does not act on its own account, on another system role's account (those go through the
    command line) or on a superuser: otherwise it could take over the role it is kept apart from."""
    if actor is not None and user.pk == actor.pk:
        raise ServiceError(_("不能对本人账号办理此事项。"))
    if user.is_superuser or active_system_grant(user) is not None:
        raise ServiceError(_("该账号担任系统角色或为超级用户，须由命令行办理。"))


@transaction.atomic
def create_account(*, actor, username: str, display_name: str = "") -> tuple[User, str]:
    """A new account with a temporary password (returned once, never stored in clear); its owner changes it at
    first sign-in. It has no role until a grant is approved."""
    from dangjian.accounts.services import create_user

    require_system_role(actor, SYSTEM_ADMIN)
    password = temporary_password()
    user = create_user(actor=actor, username=username, password=password, display_name=display_name.strip())
    return user, password


@transaction.atomic
def reset_password(*, actor, user: User) -> str:
    """Sets a temporary password (returned once) that must be changed at first sign-in."""
    require_system_role(actor, SYSTEM_ADMIN)
    user = _locked(user)
    _refuse_protected_account(actor, user)
    password = temporary_password()
    user.set_password(password)
    user.password_must_change = True
    user.save(update_fields=["password", "password_changed_at", "password_must_change"])
    audit.record(
        actor=actor,
        action="password_reset",
        obj=user,
        object_repr=user.username,
        note="已设置临时密码，首次登录须修改",
    )
    return password


@transaction.atomic
def set_active(*, actor, user: User, active: bool) -> User:
    """Deactivates an account (it can no longer sign in; its sessions end at the next request) or reactivates
    it. Accounts are never deleted: their audit events keep pointing at them."""
    require_system_role(actor, SYSTEM_ADMIN)
    user = _locked(user)
    _refuse_protected_account(actor, user)
    if user.is_active == active:
        raise ServiceError(_("该账号已是启用状态。") if active else _("该账号已是停用状态。"))
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        action="activate" if active else "deactivate",
        obj=user,
        object_repr=user.username,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return user


# --- requests (系统管理员) ------------------------------------------------------------------------------------


def _refuse_duplicate(user: User, kind: str, **match) -> None:
    if RoleRequest.objects.filter(user=user, kind=kind, status=RequestStatus.PENDING, **match).exists():
        raise ServiceError(_("已有相同的申请等待审批，请勿重复提交。"))


def _record_request(actor, request: RoleRequest) -> RoleRequest:
    audit.record(
        actor=actor,
        action="request",
        obj=request,
        org_path=_request_path(request),
        after=_request_snapshot(request),
    )
    return request


@transaction.atomic
def request_party_grant(
    *, actor, user: User, role: str, org, include_descendants: bool = True, reason: str = ""
) -> RoleRequest:
    from dangjian.accounts.services import ROLE_ORG_CHECKS

    require_system_role(actor, SYSTEM_ADMIN)
    if role not in Role.values:
        raise ServiceError(_("角色无效。"), field="role")
    for check in ROLE_ORG_CHECKS:  # which organisation types the role applies to (orgs.roles)
        check(role, org)
    user = _locked(user)
    refuse_party_role_for_system_account(user)
    refuse_member_role_without_member(user, role)
    if _pending_system_grant(user):
        raise ServiceError(_("该账号有待审批的系统角色申请，不能同时申请党组织角色。"), field="user")
    existing = RoleAssignment.objects.filter(user=user, role=role, org=org).first()
    if existing is not None and existing.include_descendants == include_descendants:
        raise ServiceError(_("该账号已持有此授权。"))
    _refuse_duplicate(user, RequestKind.GRANT_PARTY, role=role, org=org)
    request = RoleRequest.objects.create(
        kind=RequestKind.GRANT_PARTY,
        user=user,
        role=role,
        org=org,
        include_descendants=include_descendants,
        reason=reason.strip()[:200],
        requested_by=actor,
    )
    return _record_request(actor, request)


@transaction.atomic
def request_party_revoke(*, actor, assignment: RoleAssignment, reason: str = "") -> RoleRequest:
    require_system_role(actor, SYSTEM_ADMIN)
    assignment = RoleAssignment.objects.select_related("user", "org").get(pk=assignment.pk)
    _refuse_duplicate(assignment.user, RequestKind.REVOKE_PARTY, assignment=assignment)
    request = RoleRequest.objects.create(
        kind=RequestKind.REVOKE_PARTY,
        user=assignment.user,
        role=assignment.role,
        org=assignment.org,
        include_descendants=assignment.include_descendants,
        assignment=assignment,
        reason=reason.strip()[:200],
        requested_by=actor,
    )
    return _record_request(actor, request)


def _pending_system_grant(user: User) -> bool:
    return RoleRequest.objects.filter(
        user=user, kind=RequestKind.GRANT_SYSTEM, status=RequestStatus.PENDING
    ).exists()


@transaction.atomic
def request_system_grant(*, actor, user: User, role: str, reason: str = "") -> RoleRequest:
    require_system_role(actor, SYSTEM_ADMIN)
    if role not in SystemRole.values:
        raise ServiceError(_("系统角色无效。"), field="role")
    user = _locked(user)
    if actor is not None and user.pk == actor.pk:
        raise ServiceError(_("不能为本人账号申请系统角色。"))
    _refuse_system_role_for_party_account(user)
    if _pending_system_grant(user):
        raise ServiceError(_("该账号已有待审批的系统角色申请，一个账号只能担任一种系统角色。"))
    if RoleRequest.objects.filter(
        user=user, kind=RequestKind.GRANT_PARTY, status=RequestStatus.PENDING
    ).exists():
        raise ServiceError(_("该账号有待审批的党组织角色申请，不能同时申请系统角色。"), field="user")
    request = RoleRequest.objects.create(
        kind=RequestKind.GRANT_SYSTEM, user=user, role=role, reason=reason.strip()[:200], requested_by=actor
    )
    return _record_request(actor, request)


@transaction.atomic
def request_system_revoke(*, actor, grant: SystemRoleGrant, reason: str = "") -> RoleRequest:
    require_system_role(actor, SYSTEM_ADMIN)
    grant = SystemRoleGrant.objects.select_related("user").get(pk=grant.pk)
    if grant.status != SystemRoleStatus.ACTIVE:
        raise ServiceError(_("该系统角色已撤销。"))
    _refuse_duplicate(grant.user, RequestKind.REVOKE_SYSTEM, system_grant=grant)
    request = RoleRequest.objects.create(
        kind=RequestKind.REVOKE_SYSTEM,
        user=grant.user,
        role=grant.role,
        system_grant=grant,
        reason=reason.strip()[:200],
        requested_by=actor,
    )
    return _record_request(actor, request)


# --- decisions (安全管理员) -----------------------------------------------------------------------------------


def _pending_for_decision(actor, request: RoleRequest) -> RoleRequest:
    require_system_role(actor, SECURITY_ADMIN)
    request = (
        RoleRequest.objects.select_for_update(of=("self",))
        .select_related("user", "org", "requested_by")
        .get(pk=request.pk)
    )
    if request.status != RequestStatus.PENDING:
        raise ServiceError(_("该申请已审批，不能再次审批。"))
    if actor is not None and actor.pk in (request.requested_by_id, request.user_id):
        raise ServiceError(_("不能审批本人提出的申请或涉及本人账号的申请。"))
    return request


def _close(actor, request: RoleRequest, status: str, note: str) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note.strip()[:200]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        actor=actor,
        action="approve" if status == RequestStatus.APPROVED else "reject",
        obj=request,
        org_path=_request_path(request),
        before={"status": chinese_label(RequestStatus, RequestStatus.PENDING)},
        after=_request_snapshot(request),
    )


def _apply(actor, request: RoleRequest) -> None:
    from dangjian.accounts.services import apply_assignment, delete_assignment

    user = _locked(request.user)
    if request.is_grant and not user.is_active:  # a revocation is approved whatever the account's state
        raise ServiceError(
            _("账号“%(username)s”已停用，不能批准授予角色的申请：须系统管理员先启用该账号，或驳回此申请。")
            % {"username": user.username}
        )
    if request.kind == RequestKind.GRANT_PARTY:
        refuse_party_role_for_system_account(user)
        refuse_member_role_without_member(user, request.role)
        apply_assignment(
            actor=actor,
            user=user,
            role=request.role,
            org=request.org,
            include_descendants=request.include_descendants,
        )
    elif request.kind == RequestKind.REVOKE_PARTY:
        if request.assignment_id is None:
            raise ServiceError(_("该授权已不存在，无需撤销。"))
        delete_assignment(actor=actor, assignment=request.assignment)
    elif request.kind == RequestKind.GRANT_SYSTEM:
        _grant_system(actor, user, request.role)
    else:
        grant = request.system_grant
        if grant is None or grant.status != SystemRoleStatus.ACTIVE:
            raise ServiceError(_("该系统角色已撤销。"))
        _revoke_system(actor, grant)


def _grant_system(actor, user: User, role: str) -> SystemRoleGrant:
    _refuse_system_role_for_party_account(user)
    grant = SystemRoleGrant.objects.create(user=user, role=role, granted_by=actor)
    audit.record(actor=actor, action="create", obj=grant, after=_grant_snapshot(grant))
    return grant


def _revoke_system(actor, grant: SystemRoleGrant) -> None:
    before = _grant_snapshot(grant)
    grant.status = SystemRoleStatus.REVOKED
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["status", "revoked_at", "revoked_by"])
    audit.record(actor=actor, action="update", obj=grant, before=before, after=_grant_snapshot(grant))


@transaction.atomic
def approve_request(*, actor, request: RoleRequest, note: str = "") -> RoleRequest:
    """The 安全管理员's approval: the grant or revocation takes effect now, in the same transaction."""
    request = _pending_for_decision(actor, request)
    _apply(actor, request)
    _close(actor, request, RequestStatus.APPROVED, note)
    return request


@transaction.atomic
def reject_request(*, actor, request: RoleRequest, note: str = "") -> RoleRequest:
    request = _pending_for_decision(actor, request)
    if not note.strip():
        raise ServiceError(_("驳回申请须填写理由。"), field="note")
    _close(actor, request, RequestStatus.REJECTED, note)
    return request


# --- the command line ------------------------------------------------------------------------------------------


@transaction.atomic
def grant_system_role(*, actor, user: User, role: str) -> SystemRoleGrant:
    """A system role granted directly, without a request: the command line only (the first holders)."""
    if actor is not None:
        raise OutOfScope(_("系统角色须经申请和安全管理员审批后授予。"))
    if role not in SystemRole.values:
        raise ServiceError(_("系统角色无效。"), field="role")
    return _grant_system(actor, _locked(user), role)


@transaction.atomic
def revoke_system_role(*, actor, user: User) -> SystemRoleGrant:
    if actor is not None:
        raise OutOfScope(_("系统角色须经申请和安全管理员审批后撤销。"))
    grant = active_system_grant(_locked(user))
    if grant is None:
        raise ServiceError(_("账号“%(username)s”未担任系统角色。") % {"username": user.username})
    _revoke_system(actor, grant)
    return grant
