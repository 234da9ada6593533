"""谈心谈话 in the workbench (compliance.workbench): the kept TALK-ANNUAL result — the categories of talks
the branch has not held this year — with the talk form as the button."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import register_category


def _talk(rule, org, status: str) -> Link | None:
    return Link(
        f"{reverse('talks:talk_new')}?{urlencode({'org': org.id})}", str(_l("登记谈心谈话")), primary=True
    )


register_category("talks", _l("谈心谈话"), order=70, area="talks", link=_talk)
