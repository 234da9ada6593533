"""述职评议 in the workbench (compliance.workbench): the open campaigns the user's scope holds, at their state,
and the administered organisations whose secretary's final 述职报告 is still to upload, each due by the year's
end with its page as the button (two queries)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from dangjian.accounts.scope import scope_for
from dangjian.appraisals.choices import State
from dangjian.appraisals.models import Campaign, Subject
from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import OrgLabel, WorkItem, register_category, register_provider
from dangjian.core.choices import choice_label

# the kept EVAL-SHUZHI-ANNUAL results (appraisals.rules), the open campaigns and the reports to upload
register_category("appraisals", _l("述职评议"), order=76, area="appraisals")


def _label(org) -> OrgLabel:
    return OrgLabel(org.pk, org.name, org.path, org.type)


@register_provider("appraisals")
def open_appraisals(user, org, on: dt.date) -> list[WorkItem]:
    scope = scope_for(user)
    campaigns = Campaign.objects.filter(scope.org_q("owner__"), year=on.year).exclude(state=State.CLOSED)
    uploads = Subject.objects.filter(
        scope.org_q("org__"),
        campaign__year=on.year,
        report="",
        campaign__state__in=[State.DRAFT, State.REPORTING, State.VOTING],
    )
    if org is not None:
        campaigns = campaigns.filter(owner__path__startswith=org.path)
        uploads = uploads.filter(org__path__startswith=org.path)
    year_end = dt.date(on.year, 12, 31)
    items = []
    for c in campaigns.select_related("owner").order_by("owner__path"):
        items.append(
            WorkItem(
                "appraisals",
                _("%(title)s：%(state)s") % {"title": c.title, "state": choice_label(State, c.state)},
                _label(c.owner),
                year_end,
                on > year_end,
                _("%(date)s开始，完成当前阶段后进入下一阶段。") % {"date": f"{c.opened_on:%Y-%m-%d}"},
                link=Link(reverse("appraisals:detail", args=[c.pk]), _("办理"), primary=True),
            )
        )
    for s in uploads.select_related("org", "campaign", "secretary").order_by("org__path"):
        items.append(
            WorkItem(
                "appraisals",
                _("上传%(name)s的述职报告") % {"name": s.secretary.name},
                _label(s.org),
                year_end,
                on > year_end,
                _("%(title)s：下载述职报告数据部分，补充后上传定稿。") % {"title": s.campaign.title},
                link=Link(reverse("appraisals:subject", args=[s.pk]), _("办理"), primary=True),
                stands_for="appraisal_annual",  # its 未上传述职报告, said with whose report
            )
        )
    return items
