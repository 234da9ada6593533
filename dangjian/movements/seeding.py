"""Demo records of the movements domain for `dangjian seed`, written through the services (actor=None):
a member abroad overdue for a contact, a member out of contact for more than 6 months, a pending transfer
between two branches and one transfer out of the system. Deterministic (members picked in tree order) and
skipped when movement records already exist."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dangjian.core.dates import add_months
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.movements import services
from dangjian.movements.models import LostContact, MobileStint, StatusChange, Transfer
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

EMPTY = {"stints": 0, "contacts": 0, "lost_contacts": 0, "transfers": 0, "transfers_out": 0}


def _candidates(branch: Org, today: dt.date) -> list[Member]:
    return list(
        Member.objects.on_roll(today)
        .filter(
            status=MemberStatus.NORMAL, org=branch, joined_on__lte=add_months(today, -24), is_mobile=False
        )
        .order_by("id")[:4]
    )


@transaction.atomic
def seed_demo(*, today: dt.date) -> dict[str, int]:
    if (  # done before (the seed's own 流动党员 are away inside China: their records don't count here)
        Transfer.objects.exists()
        or MobileStint.objects.filter(abroad=True).exists()
        or LostContact.objects.exists()
        or StatusChange.objects.exists()
    ):
        return dict(EMPTY)
    branches = list(Org.objects.active(today).filter(type=OrgType.ZHIBU).order_by("path")[:50])
    picked: list[tuple[Org, list[Member]]] = []
    for branch in branches:
        members = _candidates(branch, today)
        if len(members) == 4:
            picked.append((branch, members))
        if len(picked) == 2:
            break
    if len(picked) < 2:
        return dict(EMPTY)
    (branch, (abroad, lost, moving, leaving)), (receiver, _others) = picked
    stint = services.start_stint(
        actor=None,
        member=abroad,
        destination="英国伦敦（访问学者）",
        abroad=True,
        abroad_purpose="study",
        fixed_place=True,
        left_on=add_months(today, -14),
        note="单位公派出国研修",
    )
    services.record_contact(
        actor=None,
        stint=stint,
        contacted_on=add_months(today, -8),
        way="video",
        note="视频联系，思想学习情况良好",
    )
    services.record_lost_contact(
        actor=None, member=lost, lost_on=add_months(today, -7), note="电话停机，经多方寻找暂无音讯"
    )
    services.start_transfer(
        actor=None,
        member=moving,
        to_org=receiver,
        started_on=today - dt.timedelta(days=5),
        reason="工作调动",
    )
    services.transfer_out(
        actor=None,
        member=leaving,
        letter_no=f"沪机组转字〔{today.year}〕第{leaving.pk:04d}号",
        destination="浙江省杭州市某区机关工委",
        transferred_on=today - dt.timedelta(days=20),
        note="调离本市",
    )
    return {"stints": 1, "contacts": 1, "lost_contacts": 1, "transfers": 1, "transfers_out": 1}
