import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from dangjian.core.imports import IMPORT_KINDS, run_import, template_workbook
from dangjian.training.models import StudyRecord

pytestmark = pytest.mark.django_db
HEADER = ["身份证号", "姓名", "平台", "期间", "积分", "学时"]


def write(path, rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def people(tree, make_member):
    return (
        make_member(tree.a1, name="王一"),
        make_member(tree.a2, name="王二"),
        make_member(tree.b1, name="赵三"),
    )


def test_import_is_all_or_nothing_with_row_errors(tmp_path, people, users):
    a, b, c = people
    path = write(
        tmp_path / "x.xlsx",
        [
            [a.id_number, "王一", "学习强国", "2026", 12000, 30],
            [b.id_number, "", "上海干部在线学习", "2026-03", None, "4.5"],
            [c.id_number, "", "学习强国", "2026", None, 2],  # outside 甲委
            [a.id_number, "李四", "微信", "2026-13", None, None],
        ],
    )
    result = run_import("study-stats", path, actor=users["dangwei_a"], dry_run=False)
    messages = [str(e) for e in result.errors]
    assert any(m.startswith("第 4 行 身份证号：") and "本组织范围内没有身份证号为" in m for m in messages)
    assert any(m.startswith("第 5 行 平台：") for m in messages)
    assert any(m.startswith("第 5 行 期间：") for m in messages)
    assert any(m.startswith("第 5 行 姓名：") for m in messages)
    assert not StudyRecord.objects.exists()
    assert a.id_number not in " ".join(messages) and c.id_number not in " ".join(messages)


def test_import_dry_run_then_real_then_idempotent(tmp_path, people, users):
    a, b, _c = people
    rows = [
        [a.id_number, "王一", "学习强国", "2026", 12000, 30],
        [b.id_number, "", "上海干部在线学习", "2026-03", None, "4.5"],
    ]
    path = write(tmp_path / "x.xlsx", rows)
    dry = run_import("study-stats", path, actor=users["dangwei_a"], dry_run=True)
    assert dry.ok() and dry.created == 2 and not StudyRecord.objects.exists()
    real = run_import("study-stats", path, actor=users["dangwei_a"], dry_run=False)
    assert real.created == 2
    assert StudyRecord.objects.get(member=b).hours == Decimal("4.5")
    again = run_import("study-stats", path, actor=users["dangwei_a"], dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[0][5] = 31
    changed = run_import("study-stats", write(tmp_path / "y.xlsx", rows), actor=None, dry_run=False)
    assert (changed.updated, changed.unchanged) == (1, 1)


def test_duplicate_rows_and_missing_figures_are_errors(tmp_path, people):
    a, _b, _c = people
    path = write(
        tmp_path / "x.xlsx",
        [
            [a.id_number, "", "学习强国", "2026", 1, None],
            [a.id_number, "", "学习强国", "2026", 2, None],
            [a.id_number, "", "学习强国", "2025", None, None],
        ],
    )
    result = run_import("study-stats", path, actor=None, dry_run=False)
    messages = [str(e) for e in result.errors]
    assert any(m.startswith("第 3 行 期间：与第 2 行重复") for m in messages)
    assert any(m.startswith("第 4 行 学时：积分和学时至少填写一项") for m in messages)


def test_the_command_imports_with_json_and_the_kind_is_registered(tmp_path, people, capsys):
    a, _b, _c = people
    assert IMPORT_KINDS["study-stats"] == "学习平台统计"
    assert template_workbook("study-stats")
    path = write(tmp_path / "x.xlsx", [[a.id_number, "", "学习强国", "2026-02", 500, "3"]])
    call_command("import", "study-stats", str(path), "--dry-run", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert out["created"] == 1 and out["errors"] == [] and not StudyRecord.objects.exists()
    call_command("import", "study-stats", str(path), "--format", "json")
    assert StudyRecord.objects.get().period == "2026-02"
    assert dt.date.today().year >= 2026
