"""The assessment in the workbench (compliance.workbench): the branches tiered 后进 at the latest 审定 whose 整顿
is not done — first on the list (抓两头带中间: the weak are lifted first), for whoever administers them. Two
queries."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.accounts.scope import scope_for
from dangjian.assessment.models import FROZEN_STAGES, FrozenBranch, Rectification, Round
from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import OrgLabel, WorkItem, register_category, register_provider

PLAN_DAYS = 30  # a 后进 branch's 整顿 plan is due this many days after 审定

register_category("assessment", _l("整顿提高"), order=1)


@register_provider("assessment")
def lagging_branches(user, org, on: dt.date) -> list[WorkItem]:
    latest = Round.objects.filter(stage__in=FROZEN_STAGES).order_by("-year").first()
    if latest is None or latest.approved_on is None:
        return []
    found = FrozenBranch.objects.filter(scope_for(user).org_q("org__"), round=latest, data__role="lagging")
    if org is not None:
        found = found.filter(org__path__startswith=org.path)
    plans = {p.org_id: p for p in Rectification.objects.filter(round=latest, org__in=found.values("org"))}
    items = []
    for row in found.select_related("org").order_by("org__path"):
        plan = plans.get(row.org_id)
        if plan is not None and plan.done_on is not None:
            continue
        if plan is None:
            title = _("%(year)s年度考核定为后进：制定整顿计划") % {"year": latest.year}
            due = latest.approved_on + dt.timedelta(days=PLAN_DAYS)
            detail = _("得分 %(score)s，请制定整顿计划（措施、责任人、完成期限）。") % {"score": row.score}
        else:
            title = _("%(year)s年度后进党支部整顿") % {"year": latest.year}
            due = plan.due
            detail = _("责任人：%(who)s。完成后登记整顿成效。") % {"who": plan.responsible}
        items.append(
            WorkItem(
                "assessment",
                title,
                OrgLabel(row.org.pk, row.org.name, row.org.path, row.org.type),
                due,
                on > due,
                detail,
                link=Link(
                    reverse("assessment:rectification", args=[latest.year, row.org.pk]),
                    _("办理"),
                    primary=True,
                ),
            )
        )
    return items
