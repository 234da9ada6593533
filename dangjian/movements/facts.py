"""The "movements" fact provider for the MEM-* checks (dangjian/movements/rules.py): per 党支部 of the scope, its
members (with its 党小组's) on the roll on D who are away on D (an open 流动 stint), with whether their relation
has moved, why they are abroad (出国（境）事由) and the latest decision recorded on the stint. One query for the
whole scope, whatever the number of organisations.

A member counts in the branch holding them now (moves are not undone, as for 党费)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import Exists, Max, OuterRef, Q, Subquery

from dangjian.compliance.facts import branch_member_orgs, register_facts
from dangjian.members.models import on_roll_q
from dangjian.movements.choices import TransferKind, TransferState
from dangjian.movements.models import MobileStint, StintDecision, Transfer
from dangjian.orgs.choices import OrgType


class AwayMember(NamedTuple):
    member_id: int
    name: str
    destination: str
    left_on: dt.date
    fixed_place: bool
    abroad: bool
    last_contact: dt.date | None = None  # the latest contact on or before D
    moved: bool = False  # an accepted transfer (decided by D, after leaving) or a transfer out of the system
    pending: bool = False  # a transfer started by D and not decided by D
    abroad_purpose: str = ""  # 出国（境）事由 (AbroadPurpose), "" when not recorded (or not abroad)
    decided_on: dt.date | None = None  # the latest decision on the stint (StintDecision) dated by D


class MovementFacts(NamedTuple):
    away: tuple[AwayMember, ...] = ()


@register_facts("movements")
def load_movement_facts(ids_sq, orgs, year: int, as_of: dt.date) -> dict[int, MovementFacts]:
    moved = Transfer.objects.filter(member=OuterRef("member_id")).filter(
        Q(
            kind=TransferKind.INTERNAL,
            state=TransferState.ACCEPTED,
            decided_on__lte=as_of,
            decided_on__gte=OuterRef("left_on"),
        )
        | Q(kind=TransferKind.OUT, started_on__lte=as_of)
    )
    pending = Transfer.objects.filter(
        member=OuterRef("member_id"), kind=TransferKind.INTERNAL, started_on__lte=as_of
    ).filter(Q(state=TransferState.PENDING) | Q(decided_on__gt=as_of))
    decided = StintDecision.objects.filter(stint=OuterRef("pk"), decided_on__lte=as_of).order_by(
        "-decided_on"
    )
    rows = (
        MobileStint.objects.filter(on_roll_q(as_of, "member__"), left_on__lte=as_of)
        .filter(Q(returned_on__isnull=True) | Q(returned_on__gt=as_of))
        .filter(member__org__in=branch_member_orgs(ids_sq))
        .annotate(
            last_contact=Max("contacts__contacted_on", filter=Q(contacts__contacted_on__lte=as_of)),
            moved=Exists(moved),
            pending=Exists(pending),
            decided_on=Subquery(decided.values("decided_on")[:1]),
        )
        .order_by("left_on", "member__name_pinyin", "member__name", "member_id")
        .values_list(
            "member__org_id",
            "member__org__type",
            "member__org__parent_id",
            "member_id",
            "member__name",
            "destination",
            "left_on",
            "fixed_place",
            "abroad",
            "last_contact",
            "moved",
            "pending",
            "abroad_purpose",
            "decided_on",
        )
    )
    by_branch: dict[int, list[AwayMember]] = {}
    for org_id, org_type, parent_id, *values in rows:
        branch = parent_id if org_type == OrgType.XIAOZU else org_id
        by_branch.setdefault(branch, []).append(AwayMember(*values))
    return {o.pk: MovementFacts(tuple(by_branch.get(o.pk, ()))) for o in orgs if o.type == OrgType.ZHIBU}
