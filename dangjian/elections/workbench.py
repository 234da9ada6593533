"""换届选举 in the workbench (compliance.workbench): the kept terms results — a term ending within the
reminder months is due, one ended without a new term overdue — with the election record as the button."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import register_category


def _record(rule, org, status: str) -> Link | None:
    return Link(
        f"{reverse('elections:create')}?{urlencode({'org': org.id})}", str(_l("登记选举")), primary=True
    )


register_category(
    "elections",
    _l("换届选举"),
    order=40,
    area="elections",
    link=_record,
    # their missing entries are the days of the elections found at fault (short of the quorum or the margin, a
    # congress not approved): when it was held (召开于), not a deadline
    meeting_days=("election_quorum", "election_margin", "election_congress_form"),
)
