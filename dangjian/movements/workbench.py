"""党员管理 in the workbench (compliance.workbench): the kept MEM-* results (a transfer not made after six
months away, a member abroad not contacted: overdue), and what is waiting for the branch — transfers to
accept, contacts coming due, members out of contact whose case is for the branch to consider.

A failed MEM-TRANSFER-DUE or MEM-MOBILE-CONTACT is due on the earliest deadline of the members it names: the day
before they had been away the rule's `away_months` (`rules.transfer_deadline`), the day `contact_months` after
their latest contact or their leaving (`rules.contact_deadline`, the day the provider's 与某某联系 item was due) —
a start date plus the rule's months, which the result's message does not name. The category reads the members
away of those branches once per list (`_prepare`: the check's own facts, as of the list's day, one query) and
counts only those the result names who are still past their deadline, so that an item's day is never one the
result's records no longer support (a contact recorded since the last refresh): without one the engine says
since when it has failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.accounts.scope import scope_for
from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import (
    OpenResult,
    OrgLabel,
    WorkItem,
    register_category,
    register_provider,
)
from dangjian.members.models import Member
from dangjian.movements import selectors
from dangjian.movements.choices import TransferState
from dangjian.movements.facts import AwayMember, load_movement_facts
from dangjian.movements.rules import contact_deadline, transfer_deadline
from dangjian.orgs.choices import OrgType
from dangjian.orgs.widgets import org_label

TRANSFER_DUE, MOBILE_CONTACT = "mem_transfer_due", "mem_mobile_contact"
# check kind → a member's deadline under a rule's parameters (None: the rule does not ask it of them)
_DEADLINES = {TRANSFER_DUE: transfer_deadline, MOBILE_CONTACT: contact_deadline}


def _movements(rule, org, status: str) -> Link | None:
    return Link(
        f"{reverse('movements:index')}?{urlencode({'org': org.id})}", str(_l("处理流动党员")), primary=True
    )


@dataclass(frozen=True)
class _Away:
    """What the category's due function reads of the list's failed MEM-TRANSFER-DUE and MEM-MOBILE-CONTACT
    results (`_prepare`)."""

    on: dt.date  # the list's day, which the facts are read as of
    # 党支部 id → its members away on that day (those of its 党小组 too)
    away: dict[int, tuple[AwayMember, ...]]


@dataclass(frozen=True)
class _Branch:  # what the facts provider reads of an organisation
    pk: int
    type: str = OrgType.ZHIBU


def _prepare(results: list[OpenResult], on: dt.date) -> _Away:
    """The members away on `on` of the branches whose transfer or contact result fails this year: one query (the
    facts the checks read), none without such a branch."""
    branches = sorted(
        {
            r.org.id
            for r in results
            if r.rule.check in _DEADLINES and r.status == "fail" and r.year == on.year and r.missing
        }
    )
    if not branches:
        return _Away(on, {})
    # a tuple, not a list: the branches' 党小组 are read in the same query (compliance.facts.branch_member_orgs)
    found = load_movement_facts(tuple(branches), [_Branch(pk) for pk in branches], on.year, on)
    return _Away(on, {pk: facts.away for pk, facts in found.items()})


def _due(rule, org, status: str, *, missing: tuple[str, ...], year: int, prepared: Any) -> dt.date | None:
    """A failed transfer or contact result: the earliest deadline of the members it names who are past it on the
    list's day (None, the engine's day, when none is: the records changed since the result was kept)."""
    deadline = _DEADLINES.get(rule.check)
    if deadline is None or status != "fail" or not isinstance(prepared, _Away) or year != prepared.on.year:
        return None
    names = set(missing)
    days = [
        day
        for a in prepared.away.get(org.id, ())
        if a.name in names and (day := deadline(a, rule.typed_params)) is not None and day < prepared.on
    ]
    return min(days, default=None)


register_category(
    "movements",
    _l("转接与流动"),
    order=60,
    area="movements",
    link=_movements,
    due=_due,
    prepare=_prepare,
)


def _label(org) -> OrgLabel:
    return OrgLabel(org.pk, org.name, org.path, org.type)


def _with_unit(org) -> str:
    """The organisation's name with its 单位 ("办公室党支部（市教委）"): several 单位 have a branch of that name."""
    return org_label(org.name, org.unit) if org is not None else ""


def _members(user, org):
    qs = Member.objects.filter(scope_for(user).org_q("org__"))
    return qs.filter(org__path__startswith=org.path) if org is not None else qs


@register_provider("movements")
def waiting(user, org, on: dt.date) -> list[WorkItem]:
    """Transfers into the user's organisations waiting for acceptance, contacts with members abroad due
    within the reminder days (one already late is the kept MEM-MOBILE-CONTACT result) and members out of
    contact with a suggestion for the branch: one query when there is none of them (most days), at most four."""
    items = []
    any_transfer, any_away, any_lost = selectors.anything_waiting(user, org, on)
    transfers = selectors.transfers_awaiting(user) if any_transfer else []
    for t in transfers:
        if t.state != TransferState.PENDING or (org is not None and not t.to_org.path.startswith(org.path)):
            continue
        items.append(
            WorkItem(
                "movements",
                _("%(name)s的组织关系转入待接收") % {"name": t.member.name},
                _label(t.to_org),
                None,
                False,
                _("由%(org)s于%(day)s转出，请核对后接收或退回。")
                % {"org": _with_unit(t.from_org), "day": f"{t.started_on:%Y-%m-%d}"},
                link=Link(reverse("movements:transfer", args=[t.pk]), _("去接收"), primary=True),
                since=t.started_on,
            )
        )
    members = _members(user, org)
    for m in selectors.mobile_items(members, on) if any_away else []:
        if not m.contact_due or m.contact_overdue:
            continue
        items.append(
            WorkItem(
                "movements",
                _("与%(name)s联系") % {"name": m.member.name},
                _label(m.member.org),
                m.next_contact,
                False,
                _("出国（境）党员，上次联系%(day)s。")
                % {"day": f"{m.last_contact:%Y-%m-%d}" if m.last_contact else _("无记录")},
                link=Link(reverse("movements:member", args=[m.member.pk]), _("登记联系"), primary=True),
            )
        )
    for lost in selectors.lost_items(members, on) if any_lost else []:
        if lost.suggestion is None:
            continue
        items.append(
            WorkItem(
                "movements",
                _("失联党员%(name)s：%(suggestion)s")
                % {"name": lost.member.name, "suggestion": lost.suggestion_label},
                _label(lost.member.org),
                None,  # no deadline: the suggestion stands from `since` until the branch decides
                False,
                _("%(day)s起失去联系，请支部研究处理。") % {"day": f"{lost.lost.lost_on:%Y-%m-%d}"},
                link=Link(reverse("movements:member", args=[lost.member.pk]), _("研究处理"), primary=True),
                since=lost.since,
            )
        )
    return items
