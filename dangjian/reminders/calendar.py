"""The calendar feed's content: for an administrator the due dates of the work items of the organisations they
administer (`portal.workbench.work_list`: what they may see, nothing more); for a member their own 党费
集中交纳日 of this month and the next two; and the planned activities of the branches they serve or belong to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from dangjian.accounts.scope import scope_for
from dangjian.dues.ledger import branch_id, collection_day, due_on
from dangjian.meetings.plans import upcoming
from dangjian.members.models import Member
from dangjian.orgs.models import Org
from dangjian.portal.workbench import member_plans, work_list
from dangjian.reminders.ical import Event
from dangjian.reminders.services import item_key

MONTHS_AHEAD = 3  # the member's 集中交纳日: this month and the next two


def _work_events(user, on: dt.date, absolute: Callable[[str], str]) -> list[Event]:
    events = []
    for item in work_list(user, on=on).items:
        if item.due is None:
            continue
        mark = _("【逾期】") if item.overdue else ""
        events.append(
            Event(
                uid=f"{item_key(item)}@dangjian",
                day=item.due,
                summary=mark
                + _("%(category)s：%(title)s（%(org)s）")
                % {"category": item.category_label, "title": item.title, "org": item.org.name},
                description=item.detail,
                url=absolute(item.link.url) if item.link else "",
            )
        )
    return events


def _month(on: dt.date, ahead: int) -> dt.date:
    index = on.year * 12 + on.month - 1 + ahead
    return dt.date(index // 12, index % 12 + 1, 1)


def _dues_events(member: Member, on: dt.date, absolute: Callable[[str], str]) -> list[Event]:
    from django.urls import reverse

    day = collection_day(branch_id(member.org))
    url = absolute(reverse("dues:mine"))
    return [
        Event(
            uid=f"dues-{member.pk}-{month:%Y-%m}@dangjian",
            day=due_on(month, day),
            summary=_("党费集中交纳日（%(month)s）") % {"month": f"{month:%Y-%m}"},
            url=url,
        )
        for month in (_month(on, n) for n in range(MONTHS_AHEAD))
    ]


def _plan_events(plans, *, named: bool) -> list[Event]:
    """The plans ahead (cancelled ones included until their day), the cancelled marked cancelled (a client that
    already shows one takes it away: leaving it out of the feed would not tell every client). `named`: the
    organisation's name in the description (an administrator's feed names its organisations; a 党员's names
    none, its URL being the only credential)."""
    events = []
    for plan in plans:
        description = f"{plan.org.name} · {plan.type_labels}" if named else plan.type_labels
        summary = _("计划活动：%(topic)s") % {"topic": plan.topic}
        if plan.cancelled:
            summary = _("【已取消】%(summary)s") % {"summary": summary}
            if plan.cancel_reason:
                description += "\n" + _("取消原因：%(reason)s") % {"reason": plan.cancel_reason}
        events.append(
            Event(
                uid=f"plan-{plan.pk}@dangjian",
                day=plan.date,
                summary=summary,
                description=description,
                location=plan.place,
                sequence=plan.revision,
                cancelled=plan.cancelled,
            )
        )
    return events


def events_for(user, *, on: dt.date, absolute: Callable[[str], str]) -> list[Event]:
    scope = scope_for(user)
    events: list[Event] = []
    if scope.system_role:
        return events
    plans: dict[int, Any] = {}
    if scope.is_admin:
        events += _work_events(user, on, absolute)
        plans = {p.pk: p for p in upcoming(Org.objects.filter(scope.org_q()), on, with_cancelled=True)}
    if user.member_id:
        member = Member.objects.select_related("org__parent").filter(pk=user.member_id).first()
        if member is not None:
            events += _dues_events(member, on, absolute)
            # as a member: the plans of their branch that concern them (not the 支部委员会 unless they sit on
            # it, not another 党小组's)
            plans |= {p.pk: p for p in member_plans(member, on, with_cancelled=True) if p.pk not in plans}
    events += _plan_events(sorted(plans.values(), key=lambda p: (p.date, p.pk)), named=scope.is_admin)
    return sorted(events, key=lambda e: (e.day, e.uid))
