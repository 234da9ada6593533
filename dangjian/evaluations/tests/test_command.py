"""`dangjian evaluations status`: every branch with its evaluation of the year, in JSON and as a table."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.dates import add_months
from dangjian.evaluations import services
from dangjian.evaluations.tests.conftest import advance_to, ballot_of

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("evaluations", *args, stdout=out)
    return out.getvalue()


def test_status_json_lists_every_branch_with_its_evaluation(branch, opened, today):
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:2]:
        services.cast_vote(actor=branch.accounts[m.pk], evaluation=ev, ratings=ballot_of(ev, m))
    items = json.loads(run("status", "--year", str(today.year), "--format", "json"))
    by_org = {i["org"]: i for i in items}
    assert set(by_org) == {"A1", "A2", "B1"}
    assert by_org["A1"] == {
        "org": "A1",
        "name": "甲一支部",
        "evaluation": ev.pk,
        "step": "voting",
        "opened_on": today.isoformat(),
        "participants": 10,
        "voters": 9,
        "voted": 2,
        "paper_ballots": 0,
        "graded": 0,
        "excellent": 0,
        "completed_on": None,
    }
    assert by_org["A2"]["evaluation"] is None and by_org["A2"]["step"] is None


def test_status_of_one_subtree_as_a_table(branch, opened, today):
    out = run("status", "--year", str(today.year), "--org", "A")
    lines = out.splitlines()
    assert "组织编码" in lines[0] and "当前步骤" in lines[0]
    assert any("甲一支部" in line and "学习教育" in line for line in lines)
    assert any("甲二支部" in line and "未开展" in line for line in lines)
    assert not any("乙一支部" in line for line in lines)


def test_status_reads_a_fixed_number_of_queries(branch, opened, add_branches, today):
    with CaptureQueriesContext(connection) as few:
        run("status", "--year", str(today.year), "--format", "json")
    add_branches(6, 1)
    with CaptureQueriesContext(connection) as many:
        run("status", "--year", str(today.year), "--format", "json")
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


# --- results ---------------------------------------------------------------------------------------------


def _closed_with_votes(branch, opened, voters: int):
    """The 测评 of 甲一 closed after `voters` online votes: the first three rate 吴六 优秀, the others 基本合格;
    everyone else is rated 合格. One paper ballot rates 吴六 不合格 (and nobody else)."""
    ev = advance_to(opened, "voting", branch.admin)
    target = ev.participants.get(member=branch.formal[5])
    for i, m in enumerate(branch.formal[:voters]):
        ballot = ballot_of(ev, m)
        ballot[target.pk] = "excellent" if i < 3 else "basic"
        services.cast_vote(actor=branch.accounts[m.pk], evaluation=ev, ratings=ballot)
    services.record_paper_tallies(
        actor=branch.admin, evaluation=ev, paper_ballots=1, counts={target.pk: {"unqualified": 1}}
    )
    return services.advance_step(actor=branch.admin, evaluation=ev)


def _results(ev, *args) -> dict:
    return json.loads(run("results", str(ev.pk), "--format", "json", *args))


def test_results_json_of_a_closed_evaluation_above_the_threshold(branch, opened, today):
    ev = _closed_with_votes(branch, opened, 5)
    unqualified = ev.participants.get(member=branch.formal[6])
    grades = {p.pk: "qualified" for p in ev.participants.filter(formal=True)}
    grades[unqualified.pk] = "unqualified"
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades)
    data = _results(ev)
    assert data["evaluation"] == {
        "id": ev.pk,
        "org": "A1",
        "name": "甲一支部",
        "year": today.year,
        "step": "grading",
        "organ": "assembly",
        "opened_on": today.isoformat(),
        "voting_closed_on": today.isoformat(),
        "graded_on": today.isoformat(),
        "published_on": None,
        "completed_on": None,
        "ballots": 6,
        "ballots_online": 5,
        "ballots_paper": 1,
        "threshold": 5,
        "tallies_shown": True,
        "by_group": False,
        "groups": None,
    }
    people = {p["name"]: p for p in data["participants"]}
    assert len(people) == 10
    assert people["吴六"]["tallies"] == {"excellent": 3, "qualified": 0, "basic": 2, "unqualified": 1}
    assert people["赵一"]["tallies"] == {"excellent": 0, "qualified": 4, "basic": 0, "unqualified": 0}
    assert people["郑七"]["tallies"] == {"excellent": 0, "qualified": 5, "basic": 0, "unqualified": 0}
    assert people["郑七"]["grade"] == "unqualified"
    assert people["郑七"]["followup_due"] == add_months(today, 6).isoformat()
    assert people["郑七"]["followup_outcome"] is None
    assert people["陈预备"] == {  # rated, never graded
        "name": "陈预备",
        "category": "probationary",
        "group": None,
        "tallies": {"excellent": 0, "qualified": 5, "basic": 0, "unqualified": 0},
        "grade": None,
        "followup_due": None,
        "followup_outcome": None,
    }
    assert people["赵一"]["category"] == "formal" and people["赵一"]["grade"] == "qualified"
    assert all(set(p) == set(people["赵一"]) for p in data["participants"])  # nothing per voter


def test_results_json_below_the_threshold_gives_only_the_total(branch, opened):
    ev = _closed_with_votes(branch, opened, 3)
    data = _results(ev)
    e = data["evaluation"]
    assert (e["ballots"], e["ballots_online"], e["ballots_paper"], e["tallies_shown"]) == (4, 3, 1, False)
    assert [p["tallies"] for p in data["participants"]] == [None] * 10


def test_results_json_before_the_voting_closes_gives_no_tallies(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:6]:
        services.cast_vote(actor=branch.accounts[m.pk], evaluation=ev, ratings=ballot_of(ev, m))
    data = _results(ev)
    assert data["evaluation"]["ballots"] == 6 and not data["evaluation"]["tallies_shown"]
    assert {p["tallies"] is None for p in data["participants"]} == {True}


def test_results_xlsx_reads_back_with_openpyxl(branch, opened, tmp_path, today):
    from openpyxl import load_workbook

    from dangjian.core.models import AuditEvent

    ev = _closed_with_votes(branch, opened, 5)
    target = tmp_path / "results.xlsx"
    err = StringIO()
    call_command(
        "evaluations", "results", str(ev.pk), "--format", "xlsx", "--output", str(target), stderr=err
    )
    assert "10 名党员" in err.getvalue()
    sheet = load_workbook(target).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == f"甲一支部（A1）{today.year}年度民主评议党员"
    header_at = next(i for i, r in enumerate(rows) if r[0] == "姓名")
    assert rows[header_at] == [
        "姓名",
        "类别",
        "优秀",
        "合格",
        "基本合格",
        "不合格",
        "评定等次",
        "限期改正期满日期",
        "限期改正结果",
    ]
    body = {r[0]: r for r in rows[header_at + 1 :]}
    assert body["吴六"][1:6] == ["正式党员", 3, 0, 2, 1]
    assert body["陈预备"][1] == "预备党员"
    assert any("测评票共 6 张" in (r[0] or "") for r in rows[:header_at])
    event = AuditEvent.objects.filter(action="export").latest("pk")
    assert event.org_path == branch.org.path and "民主评议党员结果" in event.object_repr


@pytest.mark.parametrize("raw", ["999999", "abc"])
def test_results_of_an_unknown_evaluation_are_refused(db, raw, tmp_path):
    target = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match=f"编号为“{raw}”的民主评议不存在") as excinfo:
        run("results", raw, "--format", "xlsx", "--output", str(target))
    assert excinfo.value.returncode == 2
    assert not target.exists()


def test_results_xlsx_without_output_is_refused(branch, opened):
    with pytest.raises(CommandError, match="xlsx 格式须用 --output 指定输出文件") as excinfo:
        run("results", str(opened.pk), "--format", "xlsx")
    assert excinfo.value.returncode == 2


def test_results_json_to_a_file(branch, opened, tmp_path):
    target = tmp_path / "results.json"
    assert run("results", str(opened.pk), "--format", "json", "--output", str(target)) == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["evaluation"]["id"] == opened.pk and len(data["participants"]) == 10
