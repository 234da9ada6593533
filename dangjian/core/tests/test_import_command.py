import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.conftest import unique_id_number
from dangjian.core.models import AuditEvent
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.members.models import Member
from dangjian.orgs.models import Org

DANGJIAN = Path(sys.executable).parent / "dangjian"


def orgs_file(tmp_path, *extra_rows):
    rows = [
        {"组织编码": "C1", "组织名称": "丙一支部", "组织类型": "党支部", "上级组织编码": "C"},
        {"组织编码": "C", "组织名称": "丙委机关党委", "组织类型": "党委", "上级组织编码": "GW"},
        *extra_rows,
    ]
    return write_xlsx(tmp_path / "orgs.xlsx", rows)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *map(str, args), stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_json_output_is_one_object_with_counts_and_errors(tree, tmp_path):
    code, out, _ = run("orgs", orgs_file(tmp_path), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    assert out.count("\n") == 1


def test_json_output_lists_errors_and_exits_1_writing_nothing(tree, tmp_path):
    bad = {"组织编码": "C2", "组织名称": "丙二支部", "组织类型": "党支部", "上级组织编码": "A-DZ"}
    code, out, _ = run("orgs", orgs_file(tmp_path, bad), "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {
                "row": 4,
                "column": "上级组织编码",
                "message": "党支部只能设在党委或党总支之下，不能设在党组“甲委党组”之下。",
            }
        ],
    }
    assert '"column": "上级组织编码"' in out  # ensure_ascii=False
    assert not Org.objects.filter(code__in=["C", "C1", "C2"]).exists()


def test_text_output_lists_each_error_and_ends_with_a_summary(tree, tmp_path):
    rows = [
        {
            "姓名": "张一",
            "身份证号": unique_id_number(),
            "人员类别": "正式党员",
            "入党日期": "2010-07-01",
            "转正日期": "2009-07-01",
            "所在组织编码": "ZZ",
        }
    ]
    code, out, _ = run("members", write_xlsx(tmp_path / "m.xlsx", rows))
    assert code == 1
    assert out.splitlines() == [
        "第 2 行 所在组织编码：本组织范围内没有组织编码为“ZZ”的组织。",
        "共 1 处错误，未导入任何党员数据。",
        "党员：新增 0，更新 0，未变 0",
    ]


def test_text_output_on_success_and_on_reimport(tree, tmp_path):
    path = orgs_file(tmp_path)
    assert run("orgs", path)[:2] == (0, "组织：新增 2，更新 0，未变 0\n")
    assert run("orgs", path)[:2] == (0, "组织：新增 0，更新 0，未变 2\n")


def test_dry_run_writes_nothing_and_reports_what_would_happen(tree, tmp_path):
    code, out, _ = run("orgs", orgs_file(tmp_path), "--dry-run", "--format", "json")
    assert (code, json.loads(out)["created"]) == (0, 2)
    assert not Org.objects.filter(code__in=["C", "C1"]).exists()
    assert not AuditEvent.objects.filter(action="import").exists()
    code, out, _ = run("orgs", orgs_file(tmp_path), "--dry-run")
    assert out.splitlines() == ["试运行：文件有效，未写入数据库。", "组织（试运行）：新增 2，更新 0，未变 0"]


def test_warnings_go_to_stderr(tree, tmp_path):
    rows = [{"组织编码": "C", "组织名称": "丙委", "组织类型": "党委", "上级组织编码": "GW", "备注": "x"}]
    code, out, err = run("orgs", write_xlsx(tmp_path / "o.xlsx", rows), "--format", "json")
    assert (code, json.loads(out)["created"], err) == (0, 1, "提示：已忽略未知列“备注”。\n")


def test_user_option_imports_within_that_users_scope(users, tree, tmp_path):
    rows = [
        {
            "姓名": "张一",
            "身份证号": unique_id_number(),
            "人员类别": "预备党员",
            "入党日期": "2024-07-01",
            "所在组织编码": code,
        }
        for code in ("A1", "A2")
    ]
    path = write_xlsx(tmp_path / "m.xlsx", rows)
    before = Member.objects.count()
    code, out, _ = run("members", path, "--user", "branch_a1", "--format", "json")
    assert code == 1
    assert json.loads(out)["errors"] == [
        {"row": 3, "column": "所在组织编码", "message": "本组织范围内没有组织编码为“A2”的组织。"}
    ]
    assert Member.objects.count() == before
    code, out, _ = run("members", path, "--user", "dangwei_a", "--format", "json")
    assert (code, json.loads(out)["created"]) == (0, 2)
    assert AuditEvent.objects.get(action="import").actor == users["dangwei_a"]


def test_unknown_user_and_missing_file_are_exit_2_command_errors(db, tmp_path):
    with pytest.raises(CommandError, match="用户“nobody”不存在") as unknown:
        call_command("import", "orgs", str(tmp_path / "x.xlsx"), "--user", "nobody")
    with pytest.raises(CommandError, match="文件不存在或不可读") as missing:
        call_command("import", "orgs", str(tmp_path / "x.xlsx"))
    assert (unknown.value.returncode, missing.value.returncode) == (2, 2)


@pytest.mark.parametrize(
    "args, message",
    [
        (["orgs", "/nonexistent/orgs.xlsx"], "文件不存在或不可读：/nonexistent/orgs.xlsx"),
        (["dues", "x.xlsx"], "invalid choice: 'dues'"),
        (["orgs", "x.xlsx", "--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_console_command_exits_2_for_bad_files_and_arguments(tmp_path, args, message):
    env = {
        "PATH": "/usr/bin:/bin",
        "DANGJIAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    done = subprocess.run(
        [str(DANGJIAN), "import", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""


def test_the_help_names_every_kind_of_import():
    """`dangjian import --help` lists every kind with its label (a kind added to the registry is listed)."""
    from django.core.management import load_command_class

    from dangjian.core.imports import IMPORT_KINDS

    parser = load_command_class("dangjian.core", "import").create_parser("dangjian", "import")
    text = " ".join(parser.format_help().split())  # argparse wraps lines
    for kind, label in IMPORT_KINDS.items():
        assert f"{kind} {label}" in text
