"""Who may approve a 预备党员 (DEV-16: a 党委 with the authority, or the 工委; never a 党总支 or a 党支部): the one
judgement shared by the PIPE-APPROVER-AUTHORISED check and the case page's warning. Pure (no database)."""

from __future__ import annotations

from typing import Literal

from dangjian.orgs.choices import OrgType

AUTHORISED_TYPES = frozenset({OrgType.DANGWEI, OrgType.GONGWEI})

Problem = Literal["missing", "type", "not_above"]


def approver_problem(
    branch_path: str, approver_type: str | None, approver_path: str | None
) -> Problem | None:
    """What is wrong with the approving organisation of a branch's case: none recorded, a type without the
    authority (党总支, 党支部, 党组 …), or a 党委 that is not above the branch; None when it may approve."""
    if approver_type is None or approver_path is None:
        return "missing"
    if approver_type not in AUTHORISED_TYPES:
        return "type"
    if approver_path == branch_path or not branch_path.startswith(approver_path):
        return "not_above"
    return None
