"""The "dues" fact provider for the DUES-* checks (dues/rules.py): per 党支部 of the scope, its members on the
roll on D (with its 党小组) with their current ledger snapshot (dues.snapshots) or, for the members without one,
the rows their ledger is computed from; the branch's 集中交纳日; each member's latest reviewed month
(ArrearsReview dated by D). A member counts in the branch holding them now (moves are not undone for 党费).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Max, Q

from dangjian.compliance.facts import branch_member_orgs, branch_roll, register_facts
from dangjian.dues import snapshots
from dangjian.dues.kernel import BaseRow, PaymentRow, ReliefRow, month_index
from dangjian.dues.ledger import ledger_rows
from dangjian.dues.models import ArrearsReview, CollectionDay, LedgerSnapshot
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

# Up to this many members, the queries get their ids as a list rather than a subquery.
SMALL_MEMBERS = 5000

DuesBaseRow = BaseRow
DuesReliefRow = ReliefRow
DuesPaymentRow = PaymentRow


class DuesMember(NamedTuple):
    id: int
    name: str
    joined_on: dt.date
    bases: tuple[DuesBaseRow, ...] = ()  # ordered by effective_month
    reliefs: tuple[DuesReliefRow, ...] = ()
    payments: tuple[DuesPaymentRow, ...] = ()
    reviewed_through: dt.date | None = None  # the latest through_month of a review dated by D
    codes: str | None = None  # the ledger snapshot's status codes (dues.kernel.month_codes), when current
    codes_start: int = 0  # month index of codes[0]


@dataclass(frozen=True)
class DuesFacts:
    """党费 of a 党支部: its members (with its 党小组) on the roll on D, and its 集中交纳日."""

    collection_day: int | None = None  # 1–28; None: the month's last day
    members: tuple[DuesMember, ...] = ()
    # derived ledgers computed once and shared by the DUES-* checks (checks.dues.month_codes)
    memo: dict = field(default_factory=dict, compare=False, repr=False, hash=False)


@register_facts("dues")
def load_dues_facts(ids_sq, orgs, year: int, on: dt.date) -> dict[int, DuesFacts]:
    """党费 facts per 党支部 of the scope (at most seven queries, whatever the number of organisations): the members
    on the roll with their current ledger snapshot (dues.snapshots) and, for the members without one, the rows
    their ledger is computed from (three queries, none when every member has a current snapshot)."""
    branch_sq = Org.objects.filter(pk__in=ids_sq, type=OrgType.ZHIBU).values("pk")
    members_qs = Member.objects.on_roll(on).filter(org__in=branch_member_orgs(ids_sq))
    people = branch_roll(ids_sq, on)  # the roll the other providers of the evaluation read too
    member_sq: Any = members_qs.order_by().values("pk")
    small = len(people) <= SMALL_MEMBERS
    if small:  # literal id lists let the database use its indexes (a unit's refresh)
        member_sq = [person.id for person in people]
    first, last = month_index(dt.date(year - 1, 1, 1)), month_index(on)
    valid = LedgerSnapshot.objects.filter(
        fingerprint=snapshots.fingerprint(), start__lte=first, end__gte=last
    )
    # a small scope's snapshots by member id (its index); a large one's by the organisations holding its roll, a
    # list the planner can count (the subquery of on-roll members it estimated at an eighth of a city's and joined
    # row by row: 140 ms instead of 45 for 60,000 snapshots), the members off the roll among them left unread below
    mine = Q(member__in=member_sq) if small else Q(member__org__in=sorted({p.org_id for p in people}))
    snaps = {
        member_id: (start, codes)
        for member_id, start, codes in valid.filter(mine).values_list("member_id", "start", "codes")
    }
    # the members without a current snapshot, from the roll: usually none (a list; no query at all when empty,
    # instead of three that each hashed every snapshot to find nobody), all of them after the rate table changed
    # (then a subquery rather than a list of a city's ids)
    unsnapped: Any = [person.id for person in people if person.id not in snaps]
    if len(unsnapped) > SMALL_MEMBERS:
        unsnapped = members_qs.exclude(pk__in=valid.values("member_id")).order_by().values("pk")
    payments, bases, reliefs = ledger_rows(unsnapped, first, last)
    days = dict(CollectionDay.objects.filter(org__in=branch_sq).values_list("org_id", "day"))
    reviewed = dict(
        ArrearsReview.objects.filter(member__in=member_sq, reviewed_on__lte=on)
        .values("member_id")
        .annotate(through=Max("through_month"))
        .order_by()
        .values_list("member_id", "through")
    )
    by_branch: dict[int, list[DuesMember]] = defaultdict(list)
    for person in people:
        member_id = person.id
        snap = snaps.get(member_id)
        by_branch[person.branch_id].append(  # a 党小组's member: its branch
            DuesMember(
                member_id,
                person.name,
                person.joined_on,
                tuple(bases.get(member_id, ())),
                tuple(reliefs.get(member_id, ())),
                tuple(payments.get(member_id, ())),
                reviewed.get(member_id),
                snap[1] if snap else None,
                snap[0] if snap else 0,
            )
        )
    return {
        o.pk: DuesFacts(days.get(o.pk), tuple(by_branch.get(o.pk, ())))
        for o in orgs
        if o.type == OrgType.ZHIBU
    }
