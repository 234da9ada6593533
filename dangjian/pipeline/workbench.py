"""发展党员 in the workbench (compliance.workbench): the kept PIPE-* results (a step past its deadline:
overdue), and each open case's next step with a deadline in the coming weeks (due)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import OrgLabel, WorkItem, register_category, register_provider
from dangjian.pipeline import selectors
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


@register_provider("pipeline_deadlines")
def deadlines(user, org, on: dt.date) -> list[WorkItem]:
    """Open cases whose next step's deadline lies within AHEAD_DAYS (a deadline passed is the kept PIPE-*
    results' overdue item). Three queries."""
    wf = load_workflow()
    items = []
    for row in selectors.case_rows(selectors.cases_for(user, org), on, wf):
        nxt = row.primary
        if nxt is None or nxt.due_by is None or nxt.overdue or (nxt.due_by - on).days > AHEAD_DAYS:
            continue
        case = row.case
        items.append(
            WorkItem(
                "pipeline",
                _("%(name)s：%(step)s") % {"name": case.name, "step": nxt.step.name},
                OrgLabel(case.org.pk, case.org.name, case.org.path, case.org.type),
                nxt.due_by,
                False,
                _("%(stage)s阶段，下一步“%(step)s”应于%(day)s前办理。")
                % {
                    "stage": wf.stage_name(case.stage),
                    "step": nxt.step.name,
                    "day": f"{nxt.due_by:%Y-%m-%d}",
                },
                link=Link(reverse("pipeline:detail", args=[case.pk]), _("办理"), primary=True),
            )
        )
    return items
