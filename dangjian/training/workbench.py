"""学习培训 in the workbench (compliance.workbench): the kept TRAIN-* results — a secretary's 集中轮训 and a
new secretary's training within six months, members' and cadres' hours — with the training page as the
button."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l

from dangjian.compliance.registry import Link
from dangjian.compliance.workbench import register_category


def _training(rule, org, status: str) -> Link | None:
    return Link(
        f"{reverse('training:index')}?{urlencode({'org': org.id})}", str(_l("登记培训")), primary=True
    )


register_category(
    "training",
    _l("学习培训"),
    order=50,
    area="training",
    link=_training,
)
