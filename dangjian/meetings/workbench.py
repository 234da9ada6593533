"""The meetings' part of the workbench (compliance.workbench): 三会一课 and the other organizational life."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import register_category


def _meetings(rule, org, status: str) -> Link | None:
    """A quorum or chairing result is read on the organisation's meeting records."""
    return Link(reverse("meetings:list") + "?" + urlencode({"org": org.id}), str(_l("查看会议记录")))


register_category(
    "meetings",
    _l("三会一课"),
    order=10,
    area="meetings",
    per_period=("periodic_meetings",),
    link=_meetings,
)
