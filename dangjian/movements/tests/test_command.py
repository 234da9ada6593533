"""`dangjian movements transfers|mobile|lost|summary`: JSON with stable English keys, tables, exit 2 on bad input."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.movements import services

D = dt.date


def run(*args) -> str:
    out = io.StringIO()
    call_command("movements", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def data(tree, make_member):
    moving = make_member(tree.a1, name="转接甲")
    services.start_transfer(
        actor=None, member=moving, to_org=tree.b1, started_on=D(2026, 3, 1), reason="调动"
    )
    abroad = make_member(tree.a1, name="出国乙", work_status="retired")
    services.start_stint(
        actor=None,
        member=abroad,
        destination="日本",
        abroad=True,
        abroad_purpose="work",
        left_on=D(2026, 1, 1),
    )
    lost = make_member(tree.b1, name="失联丙")
    services.record_lost_contact(actor=None, member=lost, lost_on=D(2026, 1, 1))


def test_json_outputs(data):
    transfers = json.loads(run("transfers", "--as-of", "2026-07-01", "--format", "json"))
    assert transfers == [
        {
            "id": transfers[0]["id"],
            "member": "转接甲",
            "from_org": "A1",
            "to_org": "B1",
            "started_on": "2026-03-01",
            "reason": "调动",
            "dues_paid_through": None,
            "state": "pending",
        }
    ]
    assert json.loads(run("transfers", "--as-of", "2026-02-28", "--format", "json")) == []
    mobile = json.loads(run("mobile", "--as-of", "2026-07-02", "--format", "json"))
    assert mobile[0]["member"] == "出国乙" and mobile[0]["work_status"] == "retired"
    assert (mobile[0]["next_contact"], mobile[0]["contact_overdue"]) == ("2026-07-01", True)
    lost = json.loads(run("lost", "--as-of", "2026-07-01", "--format", "json"))
    assert lost == [
        {
            "member": "失联丙",
            "org": "B1",
            "status": "normal",
            "lost_on": "2026-01-01",
            "suggestion": "consider_suspension",
            "suggestion_text": "建议支部研究是否停止其党籍",
            "since": "2026-07-01",
        }
    ]
    assert json.loads(run("lost", "--as-of", "2026-06-30", "--format", "json"))[0]["suggestion"] is None
    summary = json.loads(run("summary", "--as-of", "2026-07-01", "--org", "A", "--format", "json"))
    a1 = next(x for x in summary if x["org"] == "A1")
    assert {k: a1[k] for k in ("active", "retired", "mobile", "lost", "suspended")} == {
        "active": 1,
        "retired": 1,
        "mobile": 1,
        "lost": 0,
        "suspended": 0,
    }
    assert all(x["org"] != "B1" for x in summary)


def test_table_and_org_filter(data):
    table = run("lost", "--as-of", "2026-07-01")
    assert "失联丙" in table and "建议支部研究是否停止其党籍" in table and "共 1 行" in table
    assert "共 0 行" in run("lost", "--as-of", "2026-07-01", "--org", "A")
    assert "转接甲" in run("transfers", "--org", "B1", "--as-of", "2026-07-01")  # the receiving side sees it


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("lost", "--as-of", "2026-13-01"), "日期“2026-13-01”无效"),
        (("lost", "--org", "NOPE"), "组织编码“NOPE”不存在"),
        (("moves",), "未知的操作“moves”"),
    ],
)
def test_bad_input_is_exit_2_in_chinese(db, args, match):
    with pytest.raises(CommandError, match=match) as info:
        run(*args)
    assert info.value.returncode == 2


def test_table_lines(data):
    assert run("lost", "--as-of", "2026-07-01").splitlines() == [
        "姓名    组织编码  党籍状态  失联日期    建议代码             建议                        建议起始日",
        "失联丙  B1        normal    2026-01-01  consider_suspension  建议支部研究是否停止其党籍  2026-07-01",
        "共 1 行",
    ]
    assert run("mobile", "--as-of", "2026-07-02").splitlines() == [
        "姓名    组织编码  工作状态  流向  出国（境）  固定地点  外出日期    上次联系  应联系日期  待联系  已逾期"
        "  出国事由  学习超期自  建议研究党籍",
        "出国乙  A1        retired   日本  是          否        2026-01-01            2026-07-01  是      是    "
        "  work                  否",
        "共 1 行",
    ]
    assert run("summary", "--as-of", "2026-07-01", "--org", "A").splitlines() == [
        "组织编码  党支部     小计  在职  离退休  流动  失联  停止党籍",
        "A1        甲一支部   否    1     1       1     0     0",
        "          甲委 小计  是    1     1       1     0     0",
        "          合计       是    1     1       1     0     0",
        "共 3 行",
    ]
