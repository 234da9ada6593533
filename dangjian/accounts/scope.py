"""Access scope (上级看下级): a user's role assignments turned into SQL filters.

Deny by default. An admin role over an organisation covers that organisation, and its whole
subtree when `include_descendants` is set; every user also sees their own member record.
Views use `Model.objects.visible_to(user)` for reads; services call `require_org` inside
their transaction before writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.db.models import Q

from dangjian.accounts.choices import ADMIN_ROLES, Role
from dangjian.core.errors import OutOfScope
from dangjian.core.handsql import like_prefix, quoted, starts_with

_NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Grant:
    role: str
    org_id: int
    path: str
    include_descendants: bool


@dataclass
class Scope:
    user_id: int | None
    member_id: int | None
    is_superuser: bool = False
    grants: list[Grant] = field(default_factory=list)
    # an admin grant with descendants over the root (the 工委): every organisation, so the filters are left
    # out (a 工委管理员's lists then count and page without joining the organisations)
    everything: bool = False
    # the account's system role (三员分立: system_admin, security_admin, audit_admin), or None. An account holding
    # one has no party scope at all: no grants, no own member record, not a superuser here.
    system_role: str | None = None

    @property
    def admin_grants(self) -> list[Grant]:
        return [g for g in self.grants if g.role in ADMIN_ROLES]

    @property
    def top_path(self) -> str:
        """The path of the highest organisation the user administers (an audit path for reads over them all)."""
        return min((g.path for g in self.admin_grants), default="", key=len)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or bool(self.admin_grants)

    @property
    def oversees(self) -> bool:
        """A 党委/工委 administrator (or a superuser): the home page rolls its organisations up and the 党费 and
        发展党员 menu entries open the overviews of the whole scope."""
        return self.is_superuser or any(
            g.role in (Role.GONGWEI_ADMIN, Role.DANGWEI_ADMIN) for g in self.admin_grants
        )

    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def org_q(self, prefix: str = "") -> Q:
        """Filter on organisations (or on rows reached through `prefix`, e.g. "org__")."""
        if self.is_superuser or self.everything:
            return Q()
        q = _NOTHING
        for g in self.admin_grants:
            if g.include_descendants:
                q |= Q(**{f"{prefix}path__startswith": g.path})
            else:
                q |= Q(**{f"{prefix}pk": g.org_id})
        return q

    def org_sql(self, path_column: str, id_column: str) -> tuple[str, list]:
        """`org_q` as a condition of SQL written by hand, over an organisation's path and id columns (qualified and
        quoted by the caller): (sql, params). For the few queries of every page written once instead of built by the
        ORM; `accounts/tests/test_scope.py` checks that it selects what `org_q` selects for every kind of scope."""
        if self.is_superuser or self.everything:
            return "1 = 1", []
        parts, params = [], []
        for g in self.admin_grants:
            if g.include_descendants:
                parts.append(starts_with(path_column))
                params.append(like_prefix(g.path))
            else:
                parts.append(f"{id_column} = %s")
                params.append(g.org_id)
        return ("(" + " OR ".join(parts) + ")" if parts else "1 = 0"), params

    def member_q(self, prefix: str = "") -> Q:
        """Filter on members (or on rows reached through `prefix`, e.g. "member__"): the members of the
        organisations the user administers, and the user's own member record."""
        if self.is_superuser or self.everything:
            # Not org_q() | own record: Q() | Q(pk=…) is Q(pk=…), only the superuser's own member.
            return Q()
        q = self.org_q(f"{prefix}org__")
        if self.member_id:
            q |= Q(**{f"{prefix}pk": self.member_id})
        return q

    def path_q(self, field_name: str = "org_path") -> Q:
        """Filter on a stored org path column (audit events)."""
        if self.is_superuser or self.everything:
            return Q()
        q = _NOTHING
        for g in self.admin_grants:
            q |= (
                Q(**{f"{field_name}__startswith": g.path})
                if g.include_descendants
                else Q(**{field_name: g.path})
            )
        return q

    def covers(self, org) -> bool:
        if self.is_superuser or self.everything:
            return True
        for g in self.admin_grants:
            if org.pk == g.org_id or (g.include_descendants and org.path.startswith(g.path)):
                return True
        return False

    def can_see_personal_data(self, member) -> bool:
        return self._sees_personal_data(member.pk, member.org_id, lambda: member.org.path)

    def sees_personal_data_of(self, member_id: int, org_id: int, org_path: str) -> bool:
        """`can_see_personal_data` for a member known by its id, organisation and path (a list read as values)."""
        return self._sees_personal_data(member_id, org_id, lambda: org_path)

    def _sees_personal_data(self, member_id: int, org_id: int, org_path) -> bool:
        from django.conf import settings

        if self.member_id and member_id == self.member_id:
            return True
        if self.is_superuser:
            return True
        allowed = set(settings.PII_FULL_ACCESS_ROLES)
        return any(
            g.role in allowed
            and (org_id == g.org_id or (g.include_descendants and org_path().startswith(g.path)))
            for g in self.grants
        )


@lru_cache(maxsize=1)
def _grants_sql() -> str:
    """The query of `_load`: the party assignments and the active system role side by side (UNION ALL), written
    once from the models' tables and columns. Every request reads it (the middleware, the pages): built by the ORM,
    the union cost about 1 ms of CPU a request to compile and run; written once, about 0.12 ms."""
    from dangjian.accounts.models import RoleAssignment, SystemRoleGrant

    Org = RoleAssignment._meta.get_field(
        "org"
    ).related_model  # the organisations' model, through the relation

    ra, grant, org = (quoted(m) for m in (RoleAssignment, SystemRoleGrant, Org))
    return (
        f"SELECT ra.{quoted(RoleAssignment, 'role')}, ra.{quoted(RoleAssignment, 'org')}, o.{quoted(Org, 'path')}, "
        f"ra.{quoted(RoleAssignment, 'include_descendants')} "
        f"FROM {ra} ra INNER JOIN {org} o ON o.{quoted(Org, 'id')} = ra.{quoted(RoleAssignment, 'org')} "
        f"WHERE ra.{quoted(RoleAssignment, 'user')} = %s "
        f"UNION ALL SELECT g.{quoted(SystemRoleGrant, 'role')}, NULL, '', %s FROM {grant} g "
        f"WHERE g.{quoted(SystemRoleGrant, 'user')} = %s AND g.{quoted(SystemRoleGrant, 'status')} = %s"
    )


def _load(user) -> Scope:
    from dangjian.accounts.choices import SystemRole, SystemRoleStatus

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(user_id=None, member_id=None)
    with connection.cursor() as cursor:  # one query
        cursor.execute(_grants_sql(), [user.pk, False, user.pk, SystemRoleStatus.ACTIVE.value])
        rows = cursor.fetchall()
    system_roles = [role for role, *_rest in rows if role in SystemRole.values]
    if system_roles:  # 三员分立: a system role sees no party record, whatever else the account carries
        return Scope(user_id=user.pk, member_id=None, system_role=system_roles[0])
    grants = [Grant(role, org_id, path, incl) for role, org_id, path, incl in rows]
    return Scope(
        user_id=user.pk,
        member_id=user.member_id,
        is_superuser=user.is_superuser,
        grants=grants,
        everything=any(  # over the 工委, the one root of the tree (a constraint of the organisations)
            g.role in ADMIN_ROLES and g.include_descendants and g.path.count("/") == 1 for g in grants
        ),
    )


def scope_for(user) -> Scope:
    """The user's scope, loaded once per user object (one query)."""
    if user is None:
        return Scope(user_id=None, member_id=None)
    cached = getattr(user, "_dangjian_scope", None)
    if cached is None:
        cached = _load(user)
        try:
            user._dangjian_scope = cached
        except AttributeError:  # AnonymousUser is fine to reload
            pass
    return cached


def fresh_scope(user) -> Scope:
    """Re-reads the assignments: used inside write transactions."""
    if user is None:
        return Scope(user_id=None, member_id=None, is_superuser=True)  # the system itself (CLI, seed)
    scope = _load(user)
    try:
        user._dangjian_scope = scope
    except AttributeError:
        pass
    return scope


def require_org(actor, org, message: str | None = None) -> None:
    """Refuses a write on `org` unless the actor administers it (re-checked inside the transaction)."""
    scope = fresh_scope(actor)
    if not scope.covers(org):
        raise OutOfScope(message) if message else OutOfScope()
