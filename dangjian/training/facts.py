"""The "training" fact provider for the TRAIN-* checks (dangjian/compliance/checks/training.py). Four queries
for the whole scope, whatever the number of organisations:

1. the 书记 posts of the organisations started by D (all of them, to tell a re-appointment from a new
   secretary) and the other committee posts held on D;
2. the members on the roll on D of the scope's 党支部 and their 党小组 (a member counts in the branch
   holding them now, as for 党费);
3. the completed participations of those members and post holders in trainings started from 1 January
   Y−1 up to D (a new secretary's 6 months may begin the year before);
4. their platform records of year Y.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q

from dangjian.compliance.facts import branch_member_orgs, branch_roll, register_facts
from dangjian.members.models import Member, on_roll_q
from dangjian.orgs.choices import COMMITTEE_TITLES, PostTitle
from dangjian.orgs.models import Post
from dangjian.training.logic import Person, SecretaryPost, StudyRow, TrainingFacts, TrainingRow
from dangjian.training.models import Participant, StudyRecord


@register_facts("training")
def load_training_facts(ids_sq, orgs, year: int, as_of: dt.date) -> dict[int, TrainingFacts]:
    posts_qs = Post.objects.filter(
        org__in=ids_sq, started_on__lte=as_of, title__in=sorted(COMMITTEE_TITLES)
    ).filter(Q(title=PostTitle.SECRETARY) | Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
    secretaries: dict[int, list[SecretaryPost]] = defaultdict(list)
    cadres: dict[int, dict[int, Person]] = defaultdict(dict)
    pinyin: dict[int, str] = {}  # the stored pinyin key of each cadre's name (Member.name_pinyin)
    rows = posts_qs.order_by("org_id", "started_on", "id").values_list(
        "org_id", "member_id", "member__name", "member__name_pinyin", "title", "started_on", "ended_on"
    )
    for org_id, member_id, name, name_pinyin, title, started_on, ended_on in rows:
        post = SecretaryPost(member_id, name, started_on, ended_on)
        held = started_on <= as_of and (ended_on is None or ended_on > as_of)
        if title == PostTitle.SECRETARY:
            secretaries[org_id].append(post)
        if held:
            cadres[org_id].setdefault(member_id, Person(member_id, name))
            pinyin[member_id] = name_pinyin

    members_qs = Member.objects.filter(on_roll_q(as_of), org__in=branch_member_orgs(ids_sq))
    members: dict[int, list[Person]] = defaultdict(list)
    for person in branch_roll(ids_sq, as_of):  # the roll the other providers of the evaluation read too
        members[person.branch_id].append(Person(person.id, person.name, person.joined_on))

    people = Q(member__in=members_qs.values("pk")) | Q(member__in=posts_qs.values("member_id"))
    shared_trainings = participations(people, year, as_of)
    shared_study = platform_records(people, year)
    return {
        o.pk: TrainingFacts(
            secretaries=tuple(secretaries.get(o.pk, ())),
            cadres=tuple(
                sorted(
                    cadres.get(o.pk, {}).values(), key=lambda p: (pinyin[p.member_id], p.name, p.member_id)
                )
            ),
            members=tuple(members.get(o.pk, ())),
            trainings=shared_trainings,
            study=shared_study,
        )
        for o in orgs
    }


def participations(people: Q, year: int, as_of: dt.date) -> dict[int, tuple[TrainingRow, ...]]:
    """Member id → the completed participations of `people` (a Q on Participant.member) in trainings started from
    1 January Y−1 up to D, in order (one query)."""
    trainings: dict[int, list[TrainingRow]] = defaultdict(list)
    for member_id, *values in (
        Participant.objects.filter(
            people,
            completed=True,
            training__started_on__gte=dt.date(year - 1, 1, 1),
            training__started_on__lte=as_of,
        )
        .order_by("training__started_on", "training_id")
        .values_list(
            "member_id",
            "training_id",
            "training__title",
            "training__level",
            "training__started_on",
            "training__ended_on",
            "training__hours",
        )
    ):
        trainings[member_id].append(TrainingRow(*values))
    return {k: tuple(v) for k, v in trainings.items()}


def platform_records(people: Q, year: int) -> dict[int, tuple[StudyRow, ...]]:
    """Member id → the platform records of year Y of `people` (a Q on StudyRecord.member), in order (one query)."""
    study: dict[int, list[StudyRow]] = defaultdict(list)
    for member_id, platform, period, points, hours in (
        StudyRecord.objects.filter(people, year=year)
        .order_by("member_id", "platform", "period")
        .values_list("member_id", "platform", "period", "points", "hours")
    ):
        study[member_id].append(StudyRow(platform, period, points, hours))
    return {k: tuple(v) for k, v in study.items()}
