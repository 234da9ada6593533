"""The meetings list, newest first, is read through indexes on PostgreSQL (EXPLAIN, no timings): over the
whole tree the date index is read backwards and stops after a page (`meeting_date_desc_idx`, no sort of every
record); over a 党支部's subtree the records are read by organisation (its own and its 党小组's), so only the
subtree's records are sorted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from dangjian.meetings import selectors
from dangjian.meetings.models import Meeting
from dangjian.orgs.services import create_org

pytestmark = pytest.mark.postgresql


@pytest.fixture
def many_meetings(tree):
    """60 more 党支部 with 40 records each over three years (written in bulk: the plans, not the services,
    are under test), and the planner's statistics."""
    branches = [tree.a1, tree.a2, tree.b1]
    for i in range(60):
        branches.append(
            create_org(
                actor=None,
                data={
                    "code": f"P{i}",
                    "name": f"计划第{i}支部",
                    "type": "zhibu",
                    "parent": tree.a if i % 2 else tree.b_zz,
                    "founded_on": dt.date(2018, 3, 1),
                },
            )
        )
    start = dt.date(2023, 1, 1)
    Meeting.objects.bulk_create(
        [
            Meeting(org=branch, date=start + dt.timedelta(days=(k * 27 + i * 3) % 1090), topic=f"会议{k}")
            for i, branch in enumerate(branches)
            for k in range(40)
        ],
        batch_size=1000,
    )
    with connection.cursor() as cursor:
        # held until the test's transaction ends: an autovacuum of the tables (other tests' rolled-back rows leave
        # dead ones) would otherwise overwrite the statistics below with those of its own snapshot, which does not
        # see these uncommitted rows, and change the plans at random
        cursor.execute("LOCK TABLE meetings_meeting, orgs_org IN SHARE UPDATE EXCLUSIVE MODE")
        cursor.execute("ANALYZE meetings_meeting")
        cursor.execute("ANALYZE orgs_org")
    return branches


def plan(queryset) -> str:
    page = queryset[:20]  # the page the list shows
    return page.explain()


def test_the_whole_tree_is_read_backwards_through_the_date_index(users, many_meetings):
    text = plan(selectors.meeting_list(users["gongwei"], {}))
    assert "meeting_date_desc_idx" in text, text
    assert "Sort" not in text and "Seq Scan on meetings_meeting" not in text, text


def test_a_branch_reads_only_its_subtree_records(users, tree, many_meetings):
    for text in (
        plan(selectors.meeting_list(users["branch_a1"], {})),
        plan(selectors.meeting_list(users["gongwei"], {"org": tree.a1})),
    ):
        assert "Index Cond: (org_id = " in text, text  # the subtree's records, by organisation
        assert "Seq Scan on meetings_meeting" not in text and "meeting_date_desc_idx" not in text, text
