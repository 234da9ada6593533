"""`dangjian assessment score|explain`: the JSON contract, the xlsx for the organ's annual assessment read back,
the part of one organisation, and refusals with exit code 2 that write nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from dangjian.assessment.tests.test_selectors import YEAR, fail, stamp
from dangjian.core.models import AuditEvent


def run(*args) -> str:
    out = io.StringIO()
    call_command("assessment", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def kept(tree):
    stamp()
    fail(tree.a1, "MTG-COMMITTEE-MONTHLY", ["2026-03", "2026-04"])
    return tree


def test_score_json_has_every_unit_indicator_and_branch(kept):
    data = json.loads(run("score", "--year", str(YEAR), "--format", "json"))
    assert data["year"] == YEAR and data["scheme"]["file"] == "assessment-2026.yaml"
    assert set(data["scheme"]) == {
        "file",
        "version",
        "title",
        "published",
        "checksum",
        "total",
        "organ_weight",
    }
    assert [u["unit"] for u in data["units"]] == ["乙委", "甲委"]  # best first
    a = data["units"][1]
    assert set(a) == {
        "unit",
        "name",
        "codes",
        "orgs",
        "branches",
        "evaluated",
        "total",
        "complete",
        "grade",
        "indicators",
    }
    org01 = next(i for i in a["indicators"] if i["id"] == "ORG-01")
    assert org01["score"] == "5.00" and org01["points"] == "6"
    assert org01["deductions"] == [
        {
            "org": "A1",
            "org_name": "甲一支部",
            "rule": "MTG-COMMITTEE-MONTHLY",
            "missing": ["2026-03", "2026-04"],
            "items": 2,
            "points": "1.00",
        }
    ]
    assert next(i for i in a["indicators"] if i["id"] == "POL-02")["score"] is None
    assert {b["org"]: b["tier"] for b in data["branches"]} == {"A1": "先进", "A2": "先进", "B1": "先进"}


def test_score_of_one_organisation_gives_its_unit_and_its_branches(kept):
    unit = json.loads(run("score", "--year", str(YEAR), "--org", "A", "--format", "json"))
    assert [u["unit"] for u in unit["units"]] == ["甲委"] and [b["org"] for b in unit["branches"]] == [
        "A1",
        "A2",
    ]
    branch = json.loads(run("score", "--year", str(YEAR), "--org", "B1", "--format", "json"))
    assert [u["unit"] for u in branch["units"]] == ["乙委"] and [b["org"] for b in branch["branches"]] == [
        "B1"
    ]


def test_explain_shows_the_arithmetic_and_the_missing_periods(kept):
    text = run("explain", "--year", str(YEAR), "--org", "A1")
    assert "【甲委（A-DZ、A）】" in text and "2 个缺项 × 0.5 = 1.00；6 − 1.00 = 5.00。" in text
    assert (
        "甲一支部（A1）：“每月召开支部委员会”（MTG-COMMITTEE-MONTHLY）不符合，涉及 2026年3月、2026年4月，扣 1.00"
        in text
    )
    assert (
        "【甲一支部（A1）】得分 98.18，分类定级：先进" in text
    )  # 1 of the 55 points; March–April not recent


def test_score_xlsx_for_the_organs_annual_assessment(kept, tmp_path):
    target = tmp_path / "考核.xlsx"
    call_command(
        "assessment",
        "score",
        "--year",
        str(YEAR),
        "--format",
        "xlsx",
        "--output",
        str(target),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["单位考核结果", "指标得分", "党支部分类定级"]
    rows = list(book["单位考核结果"].values)
    header = rows.index(
        ("单位", "组织编码", "考核得分", "考核等次", "计分完成", "党建考核权重", "计入年度考核的分值")
    )
    jia = next(r for r in rows[header + 1 :] if r[0] == "甲委")
    assert jia[1] == "A-DZ、A" and jia[4].startswith("否") and jia[5] == 0.1
    # not counted in the annual assessment while assessor items wait: the cell stays empty
    assert len(jia) < 7 or jia[6] is None
    indicators = [r for r in book["指标得分"].values if r[2] == "ORG-01"]
    assert {r[0]: r[6] for r in indicators} == {"甲委": 5, "乙委": 6}
    event = AuditEvent.objects.get(action="export")
    assert event.object_repr == "机关党建考核结果" and "5 行" in event.note  # 2 units and 3 branches


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "--year", "20x6"), "年度“20x6”无效"),
        (("score", "--year", "2031"), "assessment-2031.yaml 不存在"),
        (("score", "--year", str(YEAR), "--format", "xlsx"), "xlsx 格式须用 --output"),
        (("explain", "--year", str(YEAR), "--org", "NOPE"), "组织编码“NOPE”不存在"),
    ],
)
def test_refusals_exit_2(kept, args, message):
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert raised.value.returncode == 2 and message in str(raised.value)
