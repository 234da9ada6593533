"""`dangjian compliance` (database)."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from dangjian.cli import main
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import list_versions
from dangjian.compliance.tests.conftest import Y
from dangjian.orgs.models import Org

LATEST = list_versions()[-1]  # the command evaluates the latest rulebook version


def run(capsys, *args):
    """Runs the command in-process; returns (exit code, stdout, stderr). (The console script's path,
    run_from_argv, closes the database connections when done: see test_console_script_exit_code.)"""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("compliance", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code, err = exc.returncode, io.StringIO(f"CommandError: {exc}\n")
    return code, out.getvalue(), err.getvalue()


def test_json_output_is_the_evaluation(tree, branch, meet, capsys):
    meet(tree.a1, dt.date(Y, 3, 31), "assembly")
    code, out, _ = run(capsys, "--year", str(Y), "--as-of", f"{Y}-06-30", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data == evaluate(Org.objects.all(), year=Y, as_of=dt.date(Y, 6, 30)).to_json()
    assert (data["ruleset"], data["as_of"]) == ({"id": "shanghai-jiguan", "version": LATEST}, f"{Y}-06-30")
    assert "缺少1个季度的支部党员大会" in out  # not escaped
    row = next(r for r in data["results"] if r["rule"] == "MTG-ASSEMBLY-QUARTERLY" and r["org"] == "A1")
    assert (row["status"], row["missing"]) == ("fail", [f"{Y}-Q2"])


def test_org_selects_its_subtree(tree, capsys):
    code, out, _ = run(capsys, "--year", str(Y), "--as-of", f"{Y}-12-31", "--org", "A1", "--format", "json")
    assert code == 0
    assert {r["org"] for r in json.loads(out)["results"]} == {"A1", "A1G1"}


def test_as_of_after_the_year_is_31_december(tree, capsys):
    _, out, _ = run(capsys, "--year", str(Y), "--as-of", f"{Y + 1}-03-01", "--format", "json", "--org", "B1")
    assert json.loads(out)["as_of"] == f"{Y}-12-31"


def test_table_output(tree, capsys):
    code, out, _ = run(capsys, "--year", str(Y), "--as-of", f"{Y}-12-31", "--org", "A1G1")
    assert code == 0
    lines = out.splitlines()
    assert (
        lines[0]
        == f"《关于加强和改进市级机关党的建设的实施意见》配套规则（shanghai-jiguan 第{LATEST}版）  {Y}年  截至{Y}-12-31"
    )
    assert lines[2].split() == ["规则", "组织编码", "结果", "缺少"]
    assert lines[3].split()[:3] == ["MTG-GROUP-MONTHLY", "A1G1", "不符合"]
    assert lines[3].endswith(
        f"{Y}-01、{Y}-02、{Y}-03、{Y}-04、{Y}-05、{Y}-06、{Y}-07、{Y}-08、{Y}-09、{Y}-10、{Y}-11、{Y}-12"
    )
    assert lines[-1] == "合计：符合 0，不符合 1，待定 0，不适用 0"


def test_xlsx_output_has_one_row_per_result(tree, tmp_path, capsys):
    target = tmp_path / "合规.xlsx"
    code, _, err = run(
        capsys, "--year", str(Y), "--as-of", f"{Y}-12-31", "--format", "xlsx", "--output", str(target)
    )
    assert code == 0
    expected = evaluate(Org.objects.all(), year=Y, as_of=dt.date(Y, 12, 31)).results
    assert err.strip() == f"已写入 {target}（{len(expected)} 条结果）。"
    sheet = load_workbook(target)["评估结果"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("规则编号", "规则", "条款")
    assert len(rows) == len(expected) + 1
    assert rows[1][0] == expected[0].rule.id and rows[1][5] == expected[0].org.code


def test_json_to_a_file(tree, tmp_path, capsys):
    target = tmp_path / "out.json"
    code, out, _ = run(
        capsys, "--year", str(Y), "--as-of", f"{Y}-12-31", "--format", "json", "--output", str(target)
    )
    assert (code, out) == (0, "")
    assert json.loads(target.read_text(encoding="utf-8"))["year"] == Y


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "NOPE"], "组织编码“NOPE”不存在。"),
        (["--as-of", f"{Y}-13-01"], f"日期“{Y}-13-01”无效，应为 YYYY-MM-DD。"),
        (["--as-of", f"{Y - 1}-12-31"], f"评估日期 {Y - 1}-12-31 早于 {Y} 年，无法评估该年度。"),
        (["--format", "xlsx"], "xlsx 格式须用 --output 指定输出文件。"),
        (
            ["--ruleset-version", "99"],
            f"规则库版本 99 不存在（现有版本：{'、'.join(map(str, list_versions()))}）。",
        ),
    ],
)
def test_bad_arguments_exit_2_with_a_chinese_message(tree, capsys, args, message):
    code, out, err = run(capsys, "--year", str(Y), *args)
    assert (code, out) == (2, "")
    assert err.strip() == f"CommandError: {message}"


def test_console_script_exit_code(tree, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["compliance", "--year", str(Y), "--org", "NOPE"])
    assert excinfo.value.code == 2
    assert capsys.readouterr().err.strip() == "CommandError: 组织编码“NOPE”不存在。"
