"""The timeline source (one event per recorded step of the member's case) and the demo seeding."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core import idcard
from dangjian.members.timeline import TIMELINE_SOURCES, timeline
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.seeding import seed_demo
from dangjian.pipeline.services import open_case
from dangjian.pipeline.tests.helpers import advance, plan

pytestmark = pytest.mark.django_db


def test_timeline_has_every_step_of_the_members_case(tree, make_member, django_assert_num_queries, today):
    assert "pipeline" in TIMELINE_SOURCES
    formal = [make_member(tree.a1, name=n) for n in ("甲", "乙", "丙")]
    applied = today - dt.timedelta(days=600)
    case = open_case(
        actor=None,
        org=tree.a1,
        name="时间线",
        id_number=idcard.make("310230", dt.date(1990, 1, 1), 5, True),
        applied_on=applied,
    )
    advance(case, "admission_vote", plan(applied), contacts=formal[:1], sponsors=formal[1:])
    case.refresh_from_db()
    member = case.member
    with django_assert_num_queries(1):
        events = list(TIMELINE_SOURCES["pipeline"](member, today))
    assert [e.kind for e in events][:3] == ["pipeline.application", "pipeline.talk", "pipeline.activist"]
    assert len(events) == case.steps.count() == 13
    assert events[-1].title == "支部大会讨论接收预备党员" and events[-1].org_code == "A1"
    other = make_member(tree.a1, name="别人")
    assert list(TIMELINE_SOURCES["pipeline"](other, today)) == []
    assert "pipeline.admission_vote" in {e.kind for e in timeline(case.member)}


def test_seed_demo_creates_cases_at_every_stage_and_is_repeatable(tree, make_member, today):
    for org in (tree.a1, tree.a2):
        for n in range(3):
            make_member(
                org,
                name=f"老党员{org.code}{n}",
                joined_on=dt.date(2000, 1, 1),
                confirmed_on=dt.date(2001, 1, 1),
            )
    counts = seed_demo(today=today)
    assert counts["cases"] == 8 and counts["members"] == 3
    stages = set(DevelopmentCase.objects.values_list("stage", flat=True))
    assert stages == {"applicant", "activist", "candidate", "probationary", "formal"}
    assert seed_demo(today=today) == {"cases": 0, "steps": 0, "members": 0}
