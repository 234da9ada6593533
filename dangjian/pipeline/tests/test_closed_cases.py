"""Closed cases stay in view: the branch's page lists the year's 转正, 终止发展 and 取消预备党员资格 (every year's with
?closed=1, its count on the link), and the summary counts the year's conversions (正式党员) and endings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core import idcard
from dangjian.pipeline.services import StepData, open_case, record_step
from dangjian.pipeline.tests.helpers import advance, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_start(today):
    return today.replace(month=1, day=1)


@pytest.fixture
def applied(today):
    return today - dt.timedelta(days=1200)


def pid(seq):
    return idcard.make("310230", dt.date(1994, 6, 6) + dt.timedelta(days=seq), seq % 999, seq % 2 == 0)


@pytest.fixture
def formal(tree, make_member):
    return [make_member(tree.a1, name=n) for n in ("联系人甲", "介绍人乙", "介绍人丙")]


def converted(org, formal, name, seq, applied, today):
    """A case whose 转正 the 党委 approved today."""
    case = open_case(actor=None, org=org, name=name, id_number=pid(seq), applied_on=applied)
    advance(case, "conversion_vote", plan(applied), contacts=formal[:1], sponsors=formal[1:])
    record_step(actor=None, case=case, key="conversion_approval", on=today)
    case.refresh_from_db()
    assert case.status == "converted" and case.stage == "formal"
    return case


def withdrawn(org, name, seq, on):
    case = open_case(
        actor=None, org=org, name=name, id_number=pid(seq), applied_on=on - dt.timedelta(days=60)
    )
    record_step(actor=None, case=case, key="withdrawal", on=on, data=StepData(note="本人撤回申请"))
    return case


@pytest.fixture
def cases(tree, formal, applied, today, year_start):
    return {
        "open": open_case(
            actor=None, org=tree.a1, name="周在培", id_number=pid(1), applied_on=today - dt.timedelta(days=5)
        ),
        "converted": converted(tree.a1, formal, "吴转正", 2, applied, today),
        "withdrawn": withdrawn(tree.a1, "郑终止", 3, today),
        "last_year": withdrawn(tree.a1, "王去年", 4, year_start - dt.timedelta(days=10)),
        "sibling": withdrawn(tree.a2, "冯甲二", 5, today),
    }


def closed_rows(response):
    return {case.name: result for case, result in response.context["closed"]}


def test_branch_page_lists_the_years_closed_cases(client, users, cases):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("pipeline:index"))
    assert response.status_code == 200
    assert closed_rows(response) == {"吴转正": "已转正", "郑终止": "终止发展"}
    html = response.content.decode()
    assert 'data-testid="closed-count">2<' in html and f'data-case="{cases["converted"].pk}"' in html
    assert "全部已结案（3）" in html and 'data-testid="case-count">1<' in html
    # the closed cases are not counted as in progress, and 正式党员 is no longer an empty stage
    assert 'data-testid="stage-formal"' not in html
    # every year's: last year's too, never a sibling's
    response = client.get(reverse("pipeline:index"), {"closed": "1"})
    assert closed_rows(response) == {"吴转正": "已转正", "郑终止": "终止发展", "王去年": "终止发展"}
    assert "冯甲二" not in response.content.decode()


def test_cancelled_probation_reads_as_such(client, users, tree, formal, applied, today):
    case = open_case(actor=None, org=tree.a1, name="陈取消", id_number=pid(6), applied_on=applied)
    dates = plan(applied)
    advance(case, "approval", dates, contacts=formal[:1], sponsors=formal[1:])
    record_step(actor=None, case=case, key="cancellation", on=today, data=StepData(note="不履行党员义务"))
    client.force_login(users["branch_a1"])
    assert closed_rows(client.get(reverse("pipeline:index"))) == {"陈取消": "取消预备党员资格"}


def test_branch_page_queries_do_not_grow_with_closed_cases(client, users, tree, cases, today, year_start):
    client.force_login(users["branch_a1"])
    url = reverse("pipeline:index")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(5):
        withdrawn(tree.a1, f"终止{i}", 20 + i, today)
        withdrawn(tree.a1, f"旧终止{i}", 40 + i, year_start - dt.timedelta(days=3))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(response.context["closed"]) == 7
    with CaptureQueriesContext(connection) as every:
        response = client.get(url, {"closed": "1"})
    assert len(response.context["closed"]) == 13
    assert len(every.captured_queries) == len(few.captured_queries) - 1  # the count is the list's length


def test_summary_counts_the_years_conversions_and_endings(client, users, tree, cases, today):
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("pipeline:rollup"))
    lines = {line.org.code: line for line in response.context["lines"]}
    a1, a2 = lines["A1"], lines["A2"]
    assert (a1.total, a1.converted, a1.cancelled) == (1, 1, 1)  # last year's ending is not this year's
    assert (a2.total, a2.converted, a2.cancelled) == (0, 0, 1)
    assert "formal" not in a1.counts  # no stage column that can only read 0
    html = response.content.decode()
    assert 'data-testid="converted-total">1<' in html and 'data-testid="cancelled-total">2<' in html
    assert "正式党员（本年转正）" in html and f"{today.year}年经党委批准转正的人数" in html
