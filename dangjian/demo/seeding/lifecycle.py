"""Demo records for training, study statistics and 谈心谈话 (`dangjian seed --lifecycle`), written through the
services (actor=None: the system), deterministic, and small: they show the pages and rules at work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dangjian.members.choices import Category
from dangjian.members.models import Member
from dangjian.orgs.choices import COMMITTEE_TITLES, OrgType
from dangjian.orgs.models import Org, Post
from dangjian.talks.services import record_talk
from dangjian.training.choices import Platform, TrainingLevel
from dangjian.training.services import add_participants, create_training, record_study


def seed_training_and_talks(*, today: dt.date) -> dict[str, int]:
    """A 县级以上党委集中轮训 attended by the secretaries of most branches (in April, of this year once it is over,
    else of last year), 学习强国 hours for the members of the first branches, and talks of each category in the
    first branches in the months before today."""
    counts = {"trainings": 0, "participants": 0, "study_records": 0, "talks": 0}
    root = Org.objects.filter(type=OrgType.GONGWEI).first()
    branches = list(Org.objects.active(today).filter(type=OrgType.ZHIBU).order_by("path"))
    if root is None or not branches:
        return counts
    start = dt.date(today.year, 4, 13)
    if start + dt.timedelta(days=4) >= today:
        start = dt.date(today.year - 1, 4, 13)
    secretaries = [
        p.member
        for p in Post.objects.current(start)
        .filter(org__in=branches, title="shuji")
        .select_related("member")
        .order_by("org__path")
    ]
    trained = [m for i, m in enumerate(secretaries) if i % 5 != 4]  # one secretary in five still untrained
    if trained:
        training = create_training(
            actor=None,
            data={
                "title": f"{start.year}年度党支部书记集中轮训",
                "organiser": "市级机关工作党委",
                "level": TrainingLevel.COUNTY_ROTATION,
                "org": root,
                "started_on": start,
                "ended_on": start + dt.timedelta(days=4),
                "hours": Decimal("40"),
            },
        )
        counts["trainings"] = 1
        counts["participants"], _updated = add_participants(actor=None, training=training, members=trained)
    for branch in branches[:3]:
        members = list(
            Member.objects.on_roll(today)
            .filter(org__path__startswith=branch.path, category=Category.FORMAL)
            .order_by("name", "id")
        )
        for i, member in enumerate(members):
            hours = Decimal(20 + (i * 7) % 25)  # some reach 32 学时, some do not
            record_study(
                actor=None,
                member=member,
                platform=Platform.XUEXI,
                period=str(today.year),
                hours=hours,
                points=None,
            )
            counts["study_records"] += 1
        committee = {
            p.member_id
            for p in Post.objects.current(today).filter(org=branch, title__in=sorted(COMMITTEE_TITLES))
        }
        inside = [m for m in members if m.pk in committee]
        outside = [m for m in members if m.pk not in committee]
        pairs = []
        if len(inside) >= 2:
            pairs.append((inside[0], inside[1]))
        if inside and outside:
            pairs.append((inside[0], outside[0]))
        if len(outside) >= 2:
            pairs.append((outside[0], outside[1]))
        for n, pair in enumerate(pairs):
            record_talk(
                actor=None, org=branch, date=today - dt.timedelta(days=20 + 45 * n), participants=pair
            )
            counts["talks"] += 1
    return counts
