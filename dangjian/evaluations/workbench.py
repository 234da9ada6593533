"""民主评议党员 in the workbench (compliance.workbench): each open evaluation of the administered branches, at its
current step, due by the year's end, with its page as the button (one query)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.accounts.scope import scope_for
from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import OrgLabel, WorkItem, register_category, register_provider
from dangjian.core.choices import choice_label
from dangjian.evaluations.choices import Step
from dangjian.evaluations.models import Evaluation

# the kept EVAL-* results (evaluations.rules) and the open evaluations of this year
register_category("evaluations", _l("民主评议"), order=75, area="evaluations")


@register_provider("evaluations")
def open_evaluations(user, org, on: dt.date) -> list[WorkItem]:
    """The administered branches' evaluations of this year not yet completed (one query); an earlier year's left
    unfinished is the kept EVAL-REVIEW-ANNUAL failure."""
    found = Evaluation.objects.filter(scope_for(user).org_q("org__"), year=on.year).exclude(step=Step.DONE)
    if org is not None:
        found = found.filter(org__path__startswith=org.path)
    items = []
    for ev in found.select_related("org").order_by("org__path", "year"):
        items.append(
            WorkItem(
                "evaluations",
                _("%(year)s年度民主评议党员：%(step)s")
                % {"year": ev.year, "step": choice_label(Step, ev.step)},
                OrgLabel(ev.org.pk, ev.org.name, ev.org.path, ev.org.type),
                dt.date(ev.year, 12, 31),
                on > dt.date(ev.year, 12, 31),
                _("%(date)s开始，当前步骤完成后进入下一步。") % {"date": f"{ev.opened_on:%Y-%m-%d}"},
                link=Link(reverse("evaluations:detail", args=[ev.pk]), _("办理"), primary=True),
            )
        )
    return items
