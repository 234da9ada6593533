"""`dangjian import dev-cases`: existing cases from Excel — dry run, row errors, all-or-nothing, idempotent on
身份证号, the workflow's order checked, a 预备党员 linked to (or created in) the registry."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from dangjian.core import idcard
from dangjian.core.imports import IMPORT_KINDS, export_workbook, run_import, template_workbook
from dangjian.core.tests.xlsx_files import save_bytes, write_xlsx
from dangjian.members.models import Member
from dangjian.pipeline.models import CaseStep, DevelopmentCase

pytestmark = pytest.mark.django_db
D = dt.date
ID1 = idcard.make("310230", D(1996, 4, 1), 1, True)
ID2 = idcard.make("310230", D(1996, 4, 2), 2, False)
ID3 = idcard.make("310230", D(1996, 4, 3), 3, True)


def rows():
    return [
        {
            "身份证号": ID1,
            "姓名": "导入甲",
            "组织编码": "A1",
            "当前阶段": "入党申请人",
            "申请日期": "2026-03-01",
            "谈话日期": "2026-03-20",
        },
        {
            "身份证号": ID2,
            "姓名": "导入乙",
            "组织编码": "A1",
            "当前阶段": "入党积极分子",
            "申请日期": "2025-01-05",
            "谈话日期": "2025-01-20",
            "确定积极分子日期": "2025-03-01",
            "最近一次考察日期": "2025-09-01",
        },
        {
            "身份证号": ID3,
            "姓名": "导入丙",
            "组织编码": "A2",
            "当前阶段": "预备党员",
            "申请日期": "2023-01-05",
            "谈话日期": "2023-01-20",
            "确定积极分子日期": "2023-03-01",
            "确定发展对象日期": "2024-03-10",
            "接收预备党员日期": "2024-07-01",
            "党委审批日期": "2024-08-20",
        },
    ]


def test_import_dry_run_then_real_then_idempotent(tree, tmp_path):
    path = write_xlsx(tmp_path / "cases.xlsx", rows())
    dry = run_import("dev-cases", path, actor=None, dry_run=True)
    assert dry.ok() and dry.created == 3 and not DevelopmentCase.objects.exists()
    result = run_import("dev-cases", path, actor=None, dry_run=False)
    assert result.ok(), result.errors
    assert result.created == 3
    bing = DevelopmentCase.objects.get(name="导入丙")
    assert bing.stage == "probationary" and bing.status == "admitted" and bing.probation_end == D(2025, 7, 1)
    assert bing.member.joined_on == D(2024, 7, 1) and bing.member.category == "probationary"
    assert CaseStep.objects.filter(case=bing, imported=True).count() == 6
    again = run_import("dev-cases", path, actor=None, dry_run=False)
    assert again.ok() and again.unchanged == 3 and again.created == 0
    # a later step added to a case is an update
    more = rows()
    more[0].update({"当前阶段": "入党积极分子", "确定积极分子日期": "2026-04-10"})
    update = run_import("dev-cases", write_xlsx(tmp_path / "more.xlsx", more), actor=None, dry_run=False)
    assert update.ok(), update.errors
    assert update.updated == 1 and DevelopmentCase.objects.get(name="导入甲").stage == "activist"


def test_errors_name_row_and_column_and_nothing_is_written(tree, tmp_path):
    bad = rows()
    bad[1]["确定积极分子日期"] = "2025-01-10"  # before the talk
    bad[2]["当前阶段"] = "发展对象"  # the dates say 预备党员
    bad.append(
        {
            "身份证号": "123",
            "姓名": "坏",
            "组织编码": "ZZ",
            "当前阶段": "入党申请人",
            "申请日期": "2026-01-01",
        }
    )
    result = run_import("dev-cases", write_xlsx(tmp_path / "bad.xlsx", bad), actor=None, dry_run=False)
    texts = [str(e) for e in result.errors]
    assert any(t.startswith("第 3 行 确定积极分子日期：") and "不能早于" in t for t in texts), texts
    assert any(t.startswith("第 4 行 当前阶段：") for t in texts), texts
    assert any(t.startswith("第 5 行 身份证号：") for t in texts), texts
    assert not DevelopmentCase.objects.exists() and not Member.objects.filter(name="导入丙").exists()


def test_candidate_too_early_is_refused_with_rule(tree, tmp_path):
    early = [
        {
            "身份证号": ID2,
            "姓名": "太早",
            "组织编码": "A1",
            "当前阶段": "发展对象",
            "申请日期": "2025-01-05",
            "谈话日期": "2025-01-20",
            "确定积极分子日期": "2025-03-01",
            "最近一次考察日期": "2025-09-01",
            "确定发展对象日期": "2026-02-28",
        }
    ]
    result = run_import("dev-cases", write_xlsx(tmp_path / "early.xlsx", early), actor=None, dry_run=False)
    assert any("（DEV-07）" in e.message and "2026-03-01" in e.message for e in result.errors), result.errors


def test_scope_of_user(tree, users, tmp_path):
    result = run_import(
        "dev-cases", write_xlsx(tmp_path / "c.xlsx", rows()), actor=users["branch_a1"], dry_run=False
    )
    assert any(e.row == 4 and e.column == "组织编码" for e in result.errors)
    assert not DevelopmentCase.objects.exists()


def test_command_json_template_and_export(tree, tmp_path):
    assert IMPORT_KINDS["dev-cases"] == "发展党员"
    path = write_xlsx(tmp_path / "cases.xlsx", rows())
    out = StringIO()
    call_command("import", "dev-cases", str(path), "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 3
    template = save_bytes(tmp_path / "t.xlsx", template_workbook("dev-cases"))
    assert run_import("dev-cases", template, actor=None, dry_run=True).ok()
    exported = save_bytes(tmp_path / "e.xlsx", export_workbook("dev-cases", DevelopmentCase.objects.all()))
    again = run_import("dev-cases", exported, actor=None, dry_run=True)
    assert again.ok() and again.unchanged == 3
