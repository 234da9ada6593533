"""发展党员 in the workbench (compliance.workbench): the kept PIPE-* results (a step past the deadline a rule of the
current rulebook watches: overdue), and each open case's next step with a deadline in the coming weeks (due), or
past a deadline no rule watches (overdue: 党委批准转正 in rulebook v7). A step the 党委 approves and records
(`by_higher`) is the 党委's item, named after it; the others are the branch's."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.accounts.choices import Role
from dangjian.accounts.scope import scope_for
from dangjian.compliance.registry import Link
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.workbench import (
    OrgLabel,
    WorkItem,
    register_category,
    register_decisions,
    register_provider,
)
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.pipeline import selectors
from dangjian.pipeline.rules import steps_reported_late
from dangjian.pipeline.workflow import load_workflow

AHEAD_DAYS = 60  # a deadline this close is shown as due


def _cases(rule, org, status: str) -> Link | None:
    return Link(
        f"{reverse('pipeline:index')}?{urlencode({'org': org.id})}", str(_l("办理发展党员")), primary=True
    )


register_category(
    "pipeline",
    _l("发展党员"),
    order=30,
    area="pipeline",
    link=_cases,
)


def _sentence(*, by_higher: bool, overdue: bool) -> str:
    """The detail of an item: who acts (the branch, or the 党委 above it), and whether it is late (the rule)."""
    if by_higher and overdue:
        return _(
            "%(branch)s，%(stage)s阶段：“%(step)s”由上级党委审批并登记，应于%(day)s前办理，已逾期（%(rule)s）。"
        )
    if by_higher:
        return _("%(branch)s，%(stage)s阶段：“%(step)s”由上级党委审批并登记，应于%(day)s前办理。")
    if overdue:
        return _("%(stage)s阶段，下一步“%(step)s”应于%(day)s前办理，已逾期（%(rule)s）。")
    return _("%(stage)s阶段，下一步“%(step)s”应于%(day)s前办理。")


@register_provider("pipeline_deadlines")
def deadlines(user, org, on: dt.date) -> list[WorkItem]:
    """Open cases whose next step's deadline lies within AHEAD_DAYS (due), or has passed while no rule of the
    current rulebook reports that step late (overdue; a step a rule watches is its kept PIPE-* result's item, not
    listed twice). A step approved by the 党委 (`by_higher`) is the 党委's item: it names the 党委 above the branch.
    Three queries, a fourth when a 党委's step is listed."""
    wf = load_workflow()
    reported = steps_reported_late(load_ruleset())
    picked = []
    for row in selectors.case_rows(selectors.cases_for(user, org), on, wf):
        nxt = row.primary
        if nxt is None or nxt.due_by is None:
            continue
        if nxt.overdue:
            if (nxt.deadline_of or nxt.step).key in reported:
                continue  # a rule reports this deadline: its kept result is the overdue item
        elif (nxt.due_by - on).days > AHEAD_DAYS:
            continue
        picked.append((row.case, nxt))
    deciders = selectors.approving_orgs(case.org for case, nxt in picked if nxt.step.by_higher)
    items = []
    for case, nxt in picked:
        decider = deciders.get(case.org_id) if nxt.step.by_higher else None
        who = decider or case.org
        items.append(
            WorkItem(
                "pipeline",
                _("%(name)s：%(step)s") % {"name": case.name, "step": nxt.step.name},
                OrgLabel(who.pk, who.name, who.path, who.type),
                nxt.due_by,
                nxt.overdue,
                _sentence(by_higher=decider is not None, overdue=nxt.overdue)
                % {
                    "branch": case.org.name,
                    "stage": wf.stage_name(case.stage),
                    "step": nxt.step.name,
                    "day": f"{nxt.due_by:%Y-%m-%d}",
                    "rule": nxt.rule,
                },
                link=Link(reverse("pipeline:detail", args=[case.pk]), _("办理"), primary=True),
            )
        )
    return items


@register_decisions("pipeline_approvals")
def approvals(user, roots: list[int], on: dt.date) -> list[WorkItem]:
    """The steps the 党委s among `roots` approve and record (`by_higher`) that are due or overdue in their subtrees:
    `deadlines`' items named after them. Only 党委s: a 工委's subtree is the city, whose every case would be read to
    find the few branches directly under it (its administrator finds those on their drill-down pages). No query
    for the organisations the user administers as the 工委 (the 工委's home page); else one, and `deadlines`' per
    党委."""
    city = {g.org_id for g in scope_for(user).admin_grants if g.role == Role.GONGWEI_ADMIN}
    wanted = [pk for pk in roots if pk not in city]
    if not wanted:
        return []
    items = []
    for root in Org.objects.filter(pk__in=wanted, type=OrgType.DANGWEI).order_by("path"):
        items.extend(i for i in deadlines(user, root, on) if i.org.id == root.pk)
    return items
