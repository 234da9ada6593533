"""The meetings' part of the workbench (compliance.workbench): 三会一课 and the other organizational life.

A missed month or quarter is an item of its own (`per_period`). A meeting short of its quorum (MTG-*-QUORUM) or
not chaired as it should be (MTG-CHAIRED-BY-SECRETARY) has already been held: the result's missing entries are the
days of those meetings, not deadlines, so the item says when the (earliest) meeting was held (召开于, not 截止), and
is overdue from that day, as a failed result that stands until the record is put right (`meeting_days`)."""

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
    meeting_days=("meeting_quorum", "meeting_chaired"),
)
