"""Randomized sequences of writes through the services — meetings recorded and deleted, posts appointed and
removed, members moved, 党费 declared and paid, trainings with participants, development cases opened and
their steps recorded — and after each, the kept results of every organisation equal a fresh evaluation
(the refresh after commit reached every organisation the write affected)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.compliance import kept
from dangjian.compliance.evaluator import todo
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests.test_kept import fresh, stored
from dangjian.conftest import unique_id_number
from dangjian.core.errors import ServiceError
from dangjian.dues.services import declare_base, record_payment
from dangjian.meetings.choices import TYPES_FOR_ORG
from dangjian.meetings.models import Meeting
from dangjian.meetings.services import create_meeting, delete_meeting
from dangjian.members.models import Member
from dangjian.members.services import update_member
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_post, delete_post
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.services import StepData, open_case, record_step
from dangjian.training.services import add_participants, create_training

OPS = ("meeting", "meeting", "delete_meeting", "post", "delete_post", "move", "pay", "train", "case", "step")
WRITES = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10_000)), min_size=1, max_size=5)


def _todo_key(items) -> list[tuple]:
    return sorted((i.org.id, i.rule.id, i.period, i.due_by, i.message) for i in items)


def kept_todos() -> list[tuple]:
    return _todo_key(kept.kept_todo(Org.objects.all(), ruleset=load_ruleset()))


def live_todos() -> list[tuple]:
    return _todo_key(todo(Org.objects.all(), on=dt.date.today()))  # as the refresh under test reads it


class _Undo(Exception):
    pass


@pytest.fixture
def people(tree, make_member):
    return [
        make_member(org, name=name)
        for org, name in (
            (tree.a1, "甲一党员一"),
            (tree.a1, "甲一党员二"),
            (tree.a1g1, "小组党员"),
            (tree.a2, "甲二党员"),
            (tree.b1, "乙一党员"),
        )
    ]


def day(n: int, today: dt.date) -> dt.date:
    start = dt.date(today.year, 1, 1)
    return start + dt.timedelta(days=n % ((today - start).days + 1))


def apply(op: str, n: int, tree, today: dt.date) -> None:
    orgs = [tree.a1, tree.a1g1, tree.a2, tree.b1, tree.a_dz]
    members = list(Member.objects.order_by("pk"))
    member = members[n % len(members)]
    if op == "meeting":
        org = orgs[n % len(orgs)]
        types = sorted(TYPES_FOR_ORG.get(org.type, ()))
        kind = types[n % len(types)]
        lecturer = member if kind == "lecture" else None
        create_meeting(
            actor=None,
            data={"org": org, "date": day(n, today), "topic": f"活动{n}", "lecturer": lecturer},
            types=[kind],
        )
    elif op == "delete_meeting":
        meetings = list(Meeting.objects.order_by("pk"))
        if meetings:
            delete_meeting(actor=None, meeting=meetings[n % len(meetings)])
    elif op == "post":
        titles = ["shuji", "zuzhi", "xuanchuan", "weiyuan"]
        org = tree.a_dz if n % 5 == 0 else member.org
        create_post(
            actor=None,
            data={
                "member": member,
                "org": org,
                "title": titles[n % len(titles)],
                "started_on": day(n, today),
            },
        )
    elif op == "delete_post":
        posts = list(Post.objects.order_by("pk"))
        if posts:
            delete_post(actor=None, post=posts[n % len(posts)])
    elif op == "move":
        targets = [tree.a1, tree.a1g1, tree.a2, tree.b1]
        update_member(
            actor=None, member=member, data={"org": targets[n % len(targets)]}, effective_on=day(n, today)
        )
    elif op == "train":
        ended_on = day(n, today) + dt.timedelta(days=4)  # five days: up to 40 学时
        training = create_training(
            actor=None,
            data={
                "title": f"培训{n}",
                "organiser": "市级机关工作党委",
                "level": "county_rotation",
                "org": member.org,
                "started_on": day(n, today),
                "ended_on": ended_on,
                "hours": Decimal(8 + n % 30),
            },
        )
        # completed once over; a training still running has its participant 未完成
        add_participants(actor=None, training=training, members=[member], completed=ended_on <= today)
    elif op == "case":
        open_case(
            actor=None,
            org=orgs[n % 4],
            name=f"申请人{n}",
            id_number=unique_id_number(),
            applied_on=day(n, today),
        )
    elif op == "step":
        cases = list(DevelopmentCase.objects.order_by("pk"))
        if cases:
            case = cases[n % len(cases)]
            record_step(actor=None, case=case, key="talk", on=day(n, today), data=StepData(contacts=[member]))
    elif op == "pay":
        declare_base(
            actor=None,
            member=member,
            year=today.year,
            category="active",
            monthly_base=Decimal("4000.00"),
            effective_month=dt.date(today.year, 1, 1),
        )
        month = 1 + n % today.month
        record_payment(
            actor=None,
            member=member,
            months=f"{today.year}-{month:02d}",
            amount=Decimal("40.00"),
            paid_on=max(dt.date(today.year, month, 1), dt.date(today.year, 1, 1)),
            method="cash",
        )


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=WRITES)
def test_kept_results_equal_a_fresh_evaluation_after_every_write(
    tree, people, django_capture_on_commit_callbacks, writes, today
):
    try:
        with transaction.atomic():  # each example starts from the fixtures' data
            kept.refresh()
            for op, n in writes:
                try:
                    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                        apply(op, n, tree, today)
                except ServiceError:
                    pass  # a refused write changes nothing: the kept results must still be fresh
                assert stored() == fresh(), (op, n)
                assert kept_todos() == live_todos(), (op, n)
            raise _Undo
    except _Undo:
        pass
