"""换届选举 in the workbench (compliance.workbench): the kept terms results — a term ending within the
reminder months is due, one ended without a new term overdue — with the election record as the button.

Once the organisation has recorded its election and the result awaits the higher organisation's approval (which
opens the new term and posts), its item says so (the check's message) and its button opens that election instead
of asking for another record (`_prepare` reads those elections of the list's organisations once). The approval
itself is the 党委's item (as the 党委's steps of 发展党员 are): `approvals` lists, for an administrator who may
record it, each election awaiting approval under the nearest 党委 (else the 工委) above the organisation."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.accounts.scope import scope_for
from dangjian.compliance.checks import REGISTRY
from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import (
    OpenResult,
    OrgLabel,
    WorkItem,
    register_category,
    register_decisions,
    register_provider,
)
from dangjian.elections.models import Election
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.orgs.selectors import nearest_above
from dangjian.orgs.services import higher_in_scope

# the check kinds of the term: their item's button opens the election awaiting approval, when there is one
TERM_KINDS = frozenset({"term_reminder", "term_on_time_adjusted"})
# who approves an election's result in the normal case: the nearest of these above the organisation
APPROVING_TYPES = (OrgType.DANGWEI, OrgType.GONGWEI)


def _prepare(results: list[OpenResult], on: dt.date) -> dict[int, int]:
    """Organisation id → its latest election awaiting approval, for the organisations whose term result is on the
    list: one query, none without such a result."""
    orgs = {r.org.id for r in results if r.rule.check in TERM_KINDS}
    if not orgs:
        return {}
    found: dict[int, int] = {}
    rows = (
        Election.objects.filter(org_id__in=sorted(orgs))
        .awaiting_approval(on)
        .order_by("org_id", "-held_on", "-pk")
        .values_list("org_id", "pk")
    )
    for org_id, pk in rows:
        found.setdefault(org_id, pk)
    return found


def _record(rule, org, status: str, prepared: dict[int, int] | None = None) -> Link | None:
    """The election awaiting approval, for a term's item; else the check kind's own link, or 登记选举."""
    awaiting = (prepared or {}).get(org.id) if rule.check in TERM_KINDS else None
    if awaiting is not None:
        return Link(reverse("elections:detail", args=[awaiting]), str(_l("查看选举")), primary=True)
    kind = REGISTRY.get(rule.check)
    if kind is not None and kind.link is not None and kind.link(rule, org, status) is not None:
        return None  # the kind's own (asked next by the engine)
    return Link(
        f"{reverse('elections:create')}?{urlencode({'org': org.id})}", str(_l("登记选举")), primary=True
    )


register_category(
    "elections",
    _l("换届选举"),
    order=40,
    area="elections",
    link=_record,
    prepare=_prepare,
    # their missing entries are the days of the elections found at fault (short of the quorum or the margin, a
    # congress not approved): when it was held (召开于), not a deadline
    meeting_days=("election_quorum", "election_margin", "election_congress_form"),
)


def approving_orgs(orgs) -> dict[int, Org]:
    """Organisation id → the nearest 党委 above it (else the 工委): who approves its election's result in the
    normal case (one query for all of them)."""
    return nearest_above(orgs, APPROVING_TYPES)


@register_provider("elections_approvals")
def approvals(user, org, on: dt.date) -> list[WorkItem]:
    """Elections of the user's organisations (within `org`'s subtree) whose result awaits the higher
    organisation's approval, for a 党委/工委 administrator who may record it (`higher_in_scope`): the 党委's item,
    named after the nearest 党委 above the organisation. None for anyone else, without a query; else one query,
    a second when there is one."""
    scope = scope_for(user)
    if not scope.oversees:
        return []
    elections = Election.objects.filter(scope.org_q("org__"))
    if org is not None:
        elections = elections.filter(org__path__startswith=org.path)
    found = [
        e
        for e in elections.awaiting_approval(on).select_related("org").order_by("held_on", "pk")
        if higher_in_scope(user, e.org, scope)
    ]
    if not found:
        return []
    deciders = approving_orgs(e.org for e in found)
    items = []
    for e in found:
        who = deciders.get(e.org_id, e.org)
        items.append(
            WorkItem(
                "elections",
                _("%(org)s换届选举结果待批准") % {"org": e.org.name},
                OrgLabel(who.pk, who.name, who.path, who.type),
                None,  # no deadline: it waits from the election on
                False,
                _(
                    "%(org)s%(day)s的换届选举已登记，选举结果待上级党组织批准；批准后新一届任期自选举日期开始，"
                    "当选人自批准之日起任职。"
                )
                % {"org": e.org.name, "day": f"{e.held_on:%Y-%m-%d}"},
                link=Link(reverse("elections:detail", args=[e.pk]), _("去批准"), primary=True),
                since=e.held_on,
            )
        )
    return items


@register_decisions("elections_approvals")
def decisions(user, roots: list[int], on: dt.date) -> list[WorkItem]:
    """`approvals`' items named after one of `roots`: the results the user's 党委 (工委) approves."""
    wanted = set(roots)
    return [i for i in approvals(user, None, on) if i.org.id in wanted]
