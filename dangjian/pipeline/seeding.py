"""Demo 发展党员 cases for `dangjian seed`: a handful of people at different stages in existing 党支部, written
through the services (actor=None) so every rule of the workflow holds. Deterministic for a given `today` and
database; running it again adds nothing (cases are matched on their 身份证号)."""

from __future__ import annotations

import datetime as dt

from dangjian.core import idcard
from dangjian.core.dates import add_months
from dangjian.core.pii import lookup_hash
from dangjian.members.choices import Category
from dangjian.members.models import Member, on_roll_q
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.selectors import approver_options, default_approver
from dangjian.pipeline.services import StepData, open_case, record_step

# (name, the last step recorded, days between that step and today)
DEMO = (
    ("林晓雯", "application", 12),
    ("陈嘉豪", "talk", 20),
    ("赵一鸣", "activist", 150),
    ("周静怡", "opinions", 5),
    ("吴思远", "training", 10),
    ("郑雨桐", "admission_vote", 40),
    ("孙浩然", "conversion_application", 25),
    ("钱玉洁", "conversion_approval", 60),
)
ID_PREFIX = "310230"  # an address code the registry's generator does not use


def _plan(applied: dt.date) -> dict[str, dt.date]:
    activist = applied + dt.timedelta(days=45)
    candidate = add_months(activist, 12) + dt.timedelta(days=7)
    vote = candidate + dt.timedelta(days=60)
    return {
        "application": applied,
        "talk": applied + dt.timedelta(days=18),
        "activist": activist,
        "assessment": add_months(activist, 6),
        "opinions": add_months(activist, 11) + dt.timedelta(days=20),
        "candidate": candidate,
        "sponsors": candidate + dt.timedelta(days=10),
        "political_review": candidate + dt.timedelta(days=20),
        "training": candidate + dt.timedelta(days=30),
        "committee_review": candidate + dt.timedelta(days=40),
        "pre_review": candidate + dt.timedelta(days=48),
        "application_form": candidate + dt.timedelta(days=55),
        "admission_vote": vote,
        "party_talk": vote + dt.timedelta(days=20),
        "approval": vote + dt.timedelta(days=45),
        "oath": vote + dt.timedelta(days=52),
        "conversion_application": add_months(vote, 12) - dt.timedelta(days=14),
        "conversion_vote": add_months(vote, 12) + dt.timedelta(days=3),
        "conversion_approval": add_months(vote, 12) + dt.timedelta(days=35),
    }


def _applied_for(last: str, lag: int, today: dt.date) -> dt.date:
    target = today - dt.timedelta(days=lag)
    base = dt.date(2000, 1, 1)
    applied = target - (_plan(base)[last] - base)
    while _plan(applied)[last] > target:
        applied -= dt.timedelta(days=1)
    return applied


def _data(key: str, people: list[Member], approver: Org | None) -> StepData:
    if key == "approval":
        return StepData(approver_org=approver)
    if key == "activist":
        return StepData(contacts=people[:1])
    if key == "sponsors":
        return StepData(sponsors=people[:2])
    if key == "training":
        return StepData(training_days=3, training_hours=24)
    if key in ("admission_vote", "conversion_vote"):
        return StepData(expected_voters=12, present_voters=10, yes_votes=10)
    return StepData()


def seed_demo(*, today: dt.date) -> dict[str, int]:
    """Creates the demo cases in the first 党支部 (in tree order) that have at least two 正式党员 who were already
    confirmed when the oldest demo case began. Returns the counts of cases, steps and members created."""
    counts = {"cases": 0, "steps": 0, "members": 0}
    earliest = min(_applied_for(last, lag, today) for _n, last, lag in DEMO)
    branches = list(Org.objects.filter(type=OrgType.ZHIBU, dissolved_on__isnull=True).order_by("path")[:50])
    people_by_branch: dict[int, list[Member]] = {}
    for member in (
        Member.objects.filter(
            on_roll_q(today),
            org__in=branches,
            category=Category.FORMAL,
            confirmed_on__lte=earliest,
        )
        .order_by("org_id", "id")
        .only("id", "name", "org_id", "category", "confirmed_on", "joined_on", "inactive_from")
    ):
        people_by_branch.setdefault(member.org_id, []).append(member)
    usable = [b for b in branches if len(people_by_branch.get(b.pk, [])) >= 2]
    if not usable:
        return counts
    for index, (name, last, lag) in enumerate(DEMO):
        org = usable[index % min(len(usable), 3)]
        people = people_by_branch[org.pk]
        birth = dt.date(1994 + index % 6, 1 + index, 3 + 2 * index)
        number = idcard.make(ID_PREFIX, birth, 100 + 2 * index + index % 2, male=index % 2 == 0)
        digest = lookup_hash(number)
        if (
            DevelopmentCase.objects.filter(id_number_hash=digest).exists()
            or Member.objects.filter(id_number_hash=digest).exists()
        ):
            continue
        approver = default_approver(approver_options(org))
        plan = _plan(_applied_for(last, lag, today))
        case = open_case(actor=None, org=org, name=name, id_number=number, applied_on=plan["application"])
        counts["cases"] += 1
        counts["steps"] += 1
        for key, day in plan.items():
            if last == "application":
                break
            if key == "application":
                continue
            record_step(
                actor=None, case=case, key=key, on=day, data=_data(key, people, approver), today=today
            )
            counts["steps"] += 1
            if key == "admission_vote":
                counts["members"] += 1
            if key == last:
                break
    return counts
