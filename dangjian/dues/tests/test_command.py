import datetime as dt
import json
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from dangjian.dues import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tree, make_member):
    a = make_member(tree.a1, name="王一")
    b = make_member(tree.b1, name="赵二")
    s = make_member(tree.a2, name="钱三")
    for member, category, amount in [(a, "active", "6500"), (b, "retired", "4000"), (s, "student", None)]:
        services.declare_base(
            actor=None,
            member=member,
            year=2026,
            category=category,
            monthly_base=D(amount) if amount else None,
            effective_month=dt.date(2026, 1, 1),
        )
    services.record_payment(
        actor=None,
        member=a,
        months="2026-01~2026-03",
        amount=D("292.50"),
        paid_on=dt.date(2026, 1, 5),
        method="transfer",
    )
    return a, b, s


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("dues", *args, stdout=out)
    return out.getvalue()


def test_ledger_json(data):
    rows = json.loads(run("ledger", "--month", "2026-03", "--format", "json"))
    assert {
        "member": "王一",
        "org": "A1",
        "category": "在职",
        "base": "6500.00",
        "rate": "0.015",
        "due": "97.50",
        "paid": "97.50",
        "status": "paid",
    } in rows
    assert {
        "member": "钱三",
        "org": "A2",
        "category": "学生",
        "base": None,
        "rate": None,
        "due": "0.20",
        "paid": "0.00",
        "status": "unpaid",
    } in rows
    assert len(rows) == 3


def test_ledger_org_subtree_and_table(data):
    rows = json.loads(run("ledger", "--month", "2026-03", "--org", "B", "--format", "json"))
    assert [r["member"] for r in rows] == ["赵二"]
    assert rows[0]["due"] == "20.00" and rows[0]["rate"] == "0.005"
    text = run("ledger", "--month", "2026-03", "--org", "A")
    assert "王一" in text and "已交清" in text and "赵二" not in text


def test_arrears_json(data):
    rows = json.loads(run("arrears", "--as-of", "2026-07-01", "--format", "json"))
    by = {r["member"]: r for r in rows}
    assert by["王一"] == {
        "member": "王一",
        "org": "A1",
        "unpaid_months": ["2026-04", "2026-05", "2026-06"],
        "consecutive": 3,
        "level": "warning",
        "case_runs": [],
        "unreviewed_runs": [],
    }
    assert by["赵二"]["consecutive"] == 6 and by["赵二"]["level"] == "case"
    assert by["赵二"]["case_runs"] == by["赵二"]["unreviewed_runs"] == ["2026-01~2026-06"]


def test_xlsx(data, tmp_path):
    target = tmp_path / "ledger.xlsx"
    call_command("dues", "ledger", "--month", "2026-03", "--format", "xlsx", "--output", str(target))
    sheet = load_workbook(target).active
    assert sheet.cell(1, 1).value == "姓名" and sheet.max_row == 4


@pytest.mark.parametrize(
    "args",
    [
        ["ledger", "--month", "2026-13"],
        ["ledger", "--month", "2026-03", "--org", "NOPE"],
        ["arrears", "--as-of", "2026-02-30"],
        ["ledger", "--month", "2026-03", "--format", "xlsx"],
    ],
)
def test_bad_arguments_exit_2(db, args):
    with pytest.raises(CommandError) as exc:
        call_command("dues", *args)
    assert exc.value.returncode == 2


def test_ledger_and_arrears_tables_line_up(data):
    assert run("ledger", "--month", "2026-03").splitlines() == [
        "姓名  组织编码  缴费类别  月缴费基数  比例   应交   已交   状态",
        "王一  A1        在职      6500.00     0.015  97.50  97.50  已交清",
        "钱三  A2        学生                         0.20   0.00   未交",
        "赵二  B1        离退休    4000.00     0.005  20.00  0.00   未交",
        "共 3 行",
    ]
    assert run("arrears", "--as-of", "2026-07-01", "--org", "A").splitlines() == [
        "姓名  组织编码  欠缴月份                                              最近连续欠缴月数  等级    "
        "须审查的连续欠缴  其中尚未审查",
        "王一  A1        2026-04、2026-05、2026-06                             3                 预警",
        "钱三  A2        2026-01、2026-02、2026-03、2026-04、2026-05、2026-06  6                 需审查  "
        "2026-01~2026-06   2026-01~2026-06",
        "共 2 行",
    ]
