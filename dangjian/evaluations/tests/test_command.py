"""`dangjian evaluations status`: every branch with its evaluation of the year, in JSON and as a table."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.evaluations import services
from dangjian.evaluations.tests.conftest import advance_to, ballot_of

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def run(*args) -> str:
    out = StringIO()
    call_command("evaluations", *args, stdout=out)
    return out.getvalue()


def test_status_json_lists_every_branch_with_its_evaluation(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:2]:
        services.cast_vote(actor=branch.accounts[m.pk], evaluation=ev, ratings=ballot_of(ev, m))
    items = json.loads(run("status", "--year", str(TODAY.year), "--format", "json"))
    by_org = {i["org"]: i for i in items}
    assert set(by_org) == {"A1", "A2", "B1"}
    assert by_org["A1"] == {
        "org": "A1",
        "name": "甲一支部",
        "evaluation": ev.pk,
        "step": "voting",
        "opened_on": TODAY.isoformat(),
        "participants": 10,
        "voters": 9,
        "voted": 2,
        "paper_ballots": 0,
        "graded": 0,
        "excellent": 0,
        "completed_on": None,
    }
    assert by_org["A2"]["evaluation"] is None and by_org["A2"]["step"] is None


def test_status_of_one_subtree_as_a_table(branch, opened):
    out = run("status", "--year", str(TODAY.year), "--org", "A")
    lines = out.splitlines()
    assert "组织编码" in lines[0] and "当前步骤" in lines[0]
    assert any("甲一支部" in line and "学习教育" in line for line in lines)
    assert any("甲二支部" in line and "未开展" in line for line in lines)
    assert not any("乙一支部" in line for line in lines)


def test_status_reads_a_fixed_number_of_queries(branch, opened, add_branches):
    with CaptureQueriesContext(connection) as few:
        run("status", "--year", str(TODAY.year), "--format", "json")
    add_branches(6, 1)
    with CaptureQueriesContext(connection) as many:
        run("status", "--year", str(TODAY.year), "--format", "json")
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--year", "20x6"), "年度“20x6”无效"),
        (("--year", "1800"), "超出范围"),
        (("--year", "2026", "--org", "NOPE"), "组织编码“NOPE”不存在"),
    ],
)
def test_bad_arguments_exit_2(db, args, message):
    with pytest.raises(CommandError, match=message) as excinfo:
        run("status", *args)
    assert excinfo.value.returncode == 2
