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


def seed_appraisal(*, today: dt.date) -> dict[str, int]:
    """Last year's 述职评议 of the first 党委, closed: up to three of its branches whose secretary held the post on the
    opening day, the 测评 on paper (seven ballots, the figures varied per secretary), the final report uploaded by
    all but the last (so EVAL-SHUZHI-ANNUAL shows a pass and a failure). Through the services (actor=None)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.appraisals import services as appraisals

    year = today.year - 1
    opened_on = dt.date(year, 1, 15)
    owner = Org.objects.filter(type=OrgType.DANGWEI, dissolved_on__isnull=True).order_by("path").first()
    if owner is None:
        return {"appraisal_subjects": 0}
    campaign = appraisals.create_campaign(actor=None, owner=owner, year=year, opened_on=opened_on)
    candidates = list(appraisals.eligible_orgs(campaign))
    secretaries = appraisals.secretaries_of(candidates, opened_on)
    chosen = [o for o in candidates if o.pk in secretaries][:3]
    if not chosen:
        campaign.delete()
        return {"appraisal_subjects": 0}
    subjects = appraisals.add_subjects(actor=None, campaign=campaign, orgs=chosen, on=opened_on)
    campaign = appraisals.advance(actor=None, campaign=campaign, on=dt.date(year, 2, 1))
    for s in subjects[:-1] if len(subjects) > 1 else subjects:
        report = SimpleUploadedFile(f"{s.secretary.name}述职报告.pdf", b"%PDF-1.4\n% demo\n")
        appraisals.upload_report(actor=None, subject=s, upload=report, on=dt.date(year, 2, 10))
        appraisals.record_reported(actor=None, subject=s, reported_on=dt.date(year, 2, 20))
    campaign = appraisals.advance(actor=None, campaign=campaign, on=dt.date(year, 2, 20))
    item = campaign.items.get()
    spreads = (
        {"good": 5, "fairly_good": 2},
        {"good": 3, "fairly_good": 3, "average": 1},
        {"good": 2, "average": 4, "poor": 1},
    )
    counts = {(s.pk, item.pk): spreads[i % len(spreads)] for i, s in enumerate(subjects)}
    appraisals.record_paper_tallies(actor=None, campaign=campaign, paper_ballots=7, counts=counts)
    appraisals.advance(  # one subject has no report on purpose: closed with its gap confirmed
        actor=None, campaign=campaign, on=dt.date(year, 3, 5), confirm_gaps=True
    )
    return {"appraisal_subjects": len(subjects)}
