"""`dangjian import ballot-tallies`: paper 测评 tallies from a workbook, through `record_paper_tallies`, all or
nothing."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from dangjian.core.imports import IMPORT_KINDS, run_import, template_workbook
from dangjian.core.models import AuditEvent
from dangjian.evaluations import selectors, services
from dangjian.evaluations.tests.conftest import advance_to, state

pytestmark = pytest.mark.django_db
HEADER = ["测评编号", "组织编码", "身份证号", "姓名", "纸质票数", "优秀", "合格", "基本合格", "不合格"]


def write(path, rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def voting(branch, opened):
    return advance_to(opened, "voting", branch.admin)


def rows_of(ev, branch, ballots=6):
    """赵一 by 身份证号 and name, 钱二 by 身份证号, 孙三 by name alone (blank counts: 0)."""
    zhao, qian = branch.formal[:2]
    return [
        [ev.pk, "A1", zhao.id_number, "赵一", ballots, 2, 3, 1, 0],
        [ev.pk, "A1", qian.id_number, "", ballots, 0, 5, None, 1],
        [ev.pk, "A1", None, "孙三", ballots, 1, 4, 1, None],
    ]


def paper(ev) -> dict[str, list[int]]:
    return {
        p.member.name: [p.paper_excellent, p.paper_qualified, p.paper_basic, p.paper_unqualified]
        for p in ev.participants.select_related("member")
        if p.paper_excellent + p.paper_qualified + p.paper_basic + p.paper_unqualified
    }


def test_a_valid_file_records_the_tallies_after_a_clean_preview(tmp_path, branch, voting):
    path = write(tmp_path / "t.xlsx", rows_of(voting, branch))
    before = state(with_audit=False)
    dry = run_import("ballot-tallies", path, actor=branch.admin, dry_run=True)
    assert dry.ok() and dry.updated == 3 and state(with_audit=False) == before
    real = run_import("ballot-tallies", path, actor=branch.admin, dry_run=False)
    assert real.ok() and real.updated == 3
    voting.refresh_from_db()
    assert voting.paper_ballots == 6
    assert paper(voting) == {"赵一": [2, 3, 1, 0], "钱二": [0, 5, 0, 1], "孙三": [1, 4, 1, 0]}
    assert AuditEvent.objects.filter(action="import", object_type="import").count() == 1
    assert AuditEvent.objects.filter(object_type="evaluations.evaluation", action="update").exists()
    again = run_import("ballot-tallies", path, actor=branch.admin, dry_run=False)
    assert (again.updated, again.unchanged) == (0, 3)
    # the tallies are those the result page shows once the 测评 closes (six paper ballots: above the threshold)
    ev = services.advance_step(actor=branch.admin, evaluation=voting)
    found = selectors.results(ev)
    assert found.shown and found.paper == 6
    assert next(r for r in found.rows if r.participant.member.name == "钱二").ordered == [0, 5, 0, 1]
    planned = " ".join(p.summary for p in real.planned)
    assert all(m.id_number not in planned for m in branch.formal)


def test_the_command_with_json_and_the_template(tmp_path, branch, voting, capsys):
    assert IMPORT_KINDS["ballot-tallies"] == "纸质测评票"
    book = load_workbook(BytesIO(template_workbook("ballot-tallies")))
    assert [c.value for c in book.worksheets[0][1]] == HEADER
    path = write(tmp_path / "t.xlsx", rows_of(voting, branch))
    call_command("import", "ballot-tallies", str(path), "--dry-run", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert out["updated"] == 3 and out["errors"] == []
    voting.refresh_from_db()
    assert voting.paper_ballots == 0
    call_command("import", "ballot-tallies", str(path), "--format", "json")  # the system
    voting.refresh_from_db()
    assert voting.paper_ballots == 6


def _refused(path, actor) -> list[str]:
    before, updates = state(with_audit=False), AuditEvent.objects.filter(action="update").count()
    result = run_import("ballot-tallies", path, actor=actor, dry_run=False)
    assert not result.ok() and result.updated == result.unchanged == 0
    assert state(with_audit=False) == before
    assert AuditEvent.objects.filter(action="update").count() == updates
    assert AuditEvent.objects.filter(action="import_failed").count() == 1
    return [str(e) for e in result.errors]


def test_an_unknown_person_refuses_the_file(tmp_path, branch, voting, make_member, tree):
    outsider = make_member(tree.a2, name="甲二党员")
    rows = rows_of(voting, branch)
    rows.append([voting.pk, "A1", outsider.id_number, "", 6, 1, 0, 0, 0])  # not on 甲一's roll
    rows.append([voting.pk, "A1", None, "无此人", 6, 1, 0, 0, 0])
    rows.append([voting.pk, "A1", branch.formal[3].id_number, "李五", 6, 1, 0, 0, 0])
    messages = _refused(write(tmp_path / "t.xlsx", rows), branch.admin)
    assert any(m.startswith("第 5 行 身份证号：") and "本组织范围内没有身份证号为" in m for m in messages)
    assert any(m.startswith("第 6 行 姓名：") and "参评党员中没有“无此人”" in m for m in messages)
    assert any(m.startswith("第 7 行 姓名：") and "不一致" in m for m in messages)
    assert outsider.id_number not in " ".join(messages)


def test_counts_above_the_ballots_refuse_the_file(tmp_path, branch, voting):
    rows = rows_of(voting, branch)
    rows[1][5:9] = [2, 5, 0, 0]  # 7 on 6 ballots
    messages = _refused(write(tmp_path / "t.xlsx", rows), branch.admin)
    assert messages == ["第 3 行 纸质票数：各等次票数之和（7）超过纸质票数（6）。"]


def test_the_ballots_must_be_the_same_on_every_row_of_an_evaluation(tmp_path, branch, voting):
    rows = rows_of(voting, branch)
    rows[2][4] = 7
    messages = _refused(write(tmp_path / "t.xlsx", rows), branch.admin)
    assert messages == ["第 4 行 纸质票数：同一民主评议各行的纸质票数应相同：第 2 行为 6。"]


def test_an_evaluation_not_in_its_voting_step_refuses_the_file(tmp_path, branch, opened):
    messages = _refused(write(tmp_path / "t.xlsx", rows_of(opened, branch)), branch.admin)
    assert messages == ["第 2 行 测评编号：本次民主评议当前处于“学习教育”步骤，不能进行此项操作。"]


def test_an_evaluation_out_of_scope_is_unknown(tmp_path, branch, voting):
    messages = _refused(write(tmp_path / "t.xlsx", rows_of(voting, branch)[:1]), branch.sibling)
    assert messages == [f"第 2 行 测评编号：本组织范围内没有编号为 {voting.pk} 的民主评议。"]


def test_the_org_code_must_be_the_evaluations(tmp_path, branch, voting):
    rows = rows_of(voting, branch)
    rows[0][1] = "A2"
    messages = _refused(write(tmp_path / "t.xlsx", rows), branch.admin)
    assert messages == [
        f"第 2 行 组织编码：编号为 {voting.pk} 的民主评议由甲一支部（A1）开展，与组织编码“A2”不符。"
    ]


def test_a_name_two_participants_share_needs_the_id_number(tmp_path, branch, tree, make_member, today):
    first, _second = make_member(tree.a2, name="同名"), make_member(tree.a2, name="同名")
    ev = services.open_evaluation(
        actor=branch.dangwei, org=tree.a2, year=today.year, opened_on=today, organ="assembly"
    )
    ev = advance_to(ev, "voting", branch.dangwei)
    messages = _refused(write(tmp_path / "t.xlsx", [[ev.pk, "A2", None, "同名", 2, 1, 1, 0, 0]]), None)
    assert messages == [f"第 2 行 姓名：编号为 {ev.pk} 的民主评议有 2 名参评党员名为“同名”，请填写身份证号。"]
    result = run_import(
        "ballot-tallies",
        write(tmp_path / "u.xlsx", [[ev.pk, "A2", first.id_number, "同名", 2, 1, 1, 0, 0]]),
        actor=None,
        dry_run=False,
    )
    assert result.ok() and paper(ev) == {"同名": [1, 1, 0, 0]}
