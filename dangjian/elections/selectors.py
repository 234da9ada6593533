"""Reads for the 换届选举 pages and command, set-based: the voters of an organisation on a date (the meetings
roster: three queries), the terms of the organisations in a scope (two queries whatever their number), the
recent elections."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from dangjian.elections.choices import AdjustmentKind
from dangjian.elections.models import Election, TermAdjustment
from dangjian.elections.params import ElectionParams
from dangjian.elections.tally import classify_term, months_between
from dangjian.meetings.roster import RosterEntry, members_in_subtree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

# Organisations that hold 换届选举 (their committees have terms: EL-01).
ELECTING_TYPES = (OrgType.DANGWEI, OrgType.ZONGZHI, OrgType.ZHIBU)


def roll(org: Org, on: dt.date) -> list[RosterEntry]:
    """The members (正式 and 预备) on the roll of the organisation and its subtree on `on` (the meetings roster:
    three queries)."""
    return members_in_subtree(org, on)


def voters(org: Org, on: dt.date, everyone: list[RosterEntry] | None = None) -> list[RosterEntry]:
    """The members with voting rights on `on` (EL-05): 正式党员 on the roll of the organisation (and its
    subtree) on that date (among `everyone`, the roll when already read). Members under 留党察看 are not
    recorded in the registry: leave them out with an exclusion."""
    return [e for e in (roll(org, on) if everyone is None else everyone) if e.formal]


@dataclass
class TermRow:
    org: Org
    term_start: dt.date
    term_end: dt.date
    due: dt.date
    months_left: int
    status: str  # ok | due | overdue | violation
    adjustment: TermAdjustment | None

    @property
    def postponed_to(self) -> dt.date | None:
        return self.adjustment.new_due_on if self.adjustment else None

    @property
    def adjustment_label(self) -> str:
        if self.adjustment is None:
            return ""
        return str(_("延期") if self.adjustment.kind == AdjustmentKind.POSTPONE else _("提前"))


def term_rows(
    orgs, as_of: dt.date, p: ElectionParams, *, statuses: tuple[str, ...] | None = None
) -> list[TermRow]:
    """The terms of the organisations in `orgs` (a queryset) active on `as_of` that hold elections and have a
    term start: two queries. Sorted by due date. Organisations without 本届开始日期 or 成立日期 are left out
    (ORG-TERM-ON-TIME reports them)."""
    rows = list(
        orgs.filter(type__in=ELECTING_TYPES)
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=as_of))
        .filter(Q(term_started_on__isnull=False) | Q(founded_on__isnull=False))
        .order_by("path")
    )
    latest: dict[tuple[int, dt.date], TermAdjustment] = {}
    for a in TermAdjustment.objects.filter(org__in=[o.pk for o in rows], approved_on__lte=as_of).order_by(
        "approved_on", "pk"
    ):
        latest[(a.org_id, a.term_end)] = a
    result = []
    for org in rows:
        end = org.term_end
        if end is None:
            continue
        adj = latest.get((org.pk, end))
        status, due = classify_term(
            end, adj, as_of, months_ahead=p.months_ahead, max_adjust_months=p.max_adjust_months
        )
        if statuses and status not in statuses:
            continue
        result.append(TermRow(org, org.term_start, end, due, months_between(as_of, due), status, adj))
    return sorted(result, key=lambda r: (r.due, r.org.path))


def recent_elections(user, limit: int = 20, *, within: Org | None = None):
    """The latest elections of the user's scope, or of `within`'s subtree when the page is narrowed to it."""
    elections = Election.objects.visible_to(user)
    if within is not None:
        elections = elections.filter(org__path__startswith=within.path)
    return elections.select_related("org").order_by("-held_on", "-pk")[:limit]
