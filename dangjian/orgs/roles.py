"""Which organisations each system role may be granted over: checked by `accounts.services.assign_role`
through the hook the accounts app defines (accounts sits below orgs and names no organisation type)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dangjian.accounts.choices import Role
from dangjian.core.choices import choice_label
from dangjian.core.errors import ServiceError
from dangjian.core.i18n import enumeration
from dangjian.orgs.choices import OrgType

# The organisation types each role may be assigned over.
ROLE_ORG_TYPES: dict[str, frozenset[str]] = {
    Role.GONGWEI_ADMIN: frozenset({OrgType.GONGWEI}),
    Role.DANGWEI_ADMIN: frozenset({OrgType.DANGZU, OrgType.DANGWEI, OrgType.ZONGZHI}),
    Role.BRANCH_ADMIN: frozenset({OrgType.ZHIBU}),
    Role.MEMBER: frozenset(OrgType.values),
}


def check_role_org(role: str, org) -> None:
    """Refuses a grant of `role` over an organisation of a type the role does not apply to."""
    if org.type not in ROLE_ORG_TYPES[role]:
        allowed = enumeration(choice_label(OrgType, t) for t in OrgType.values if t in ROLE_ORG_TYPES[role])
        raise ServiceError(
            _("%(role)s只能授权在%(types)s上。") % {"role": choice_label(Role, role), "types": allowed},
            field="org",
        )
