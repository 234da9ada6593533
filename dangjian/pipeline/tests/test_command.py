import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangjian.core import idcard
from dangjian.pipeline.services import open_case, record_step

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("pipeline", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def cases(tree):
    a = open_case(
        actor=None,
        org=tree.a1,
        name="王一",
        id_number=idcard.make("310230", dt.date(1997, 1, 1), 1, True),
        applied_on=dt.date(2026, 1, 10),
    )
    b = open_case(
        actor=None,
        org=tree.b1,
        name="赵二",
        id_number=idcard.make("310230", dt.date(1997, 1, 2), 2, False),
        applied_on=dt.date(2026, 1, 20),
    )
    record_step(actor=None, case=b, key="talk", on=dt.date(2026, 1, 25))
    return a, b


def test_due_json(cases):
    a, _b = cases
    items = json.loads(run("due", "--as-of", "2026-02-11", "--format", "json"))
    assert items[0] == {
        "case": a.pk,
        "name": "王一",
        "org": "A1",
        "stage": "入党申请人",
        "next_step": "党组织派人谈话",
        "due_by": "2026-02-10",
        "overdue": True,
        "rule": "DEV-03",
    }
    assert (
        items[1]["name"] == "赵二"
        and items[1]["next_step"] == "确定为入党积极分子"
        and items[1]["due_by"] is None
    )
    assert (
        json.loads(run("due", "--as-of", "2026-02-10", "--format", "json"))[0]["overdue"] is False
    )  # boundary
    only_b = json.loads(run("due", "--as-of", "2026-02-11", "--org", "B", "--format", "json"))
    assert [i["name"] for i in only_b] == ["赵二"]


def test_cases_table_and_stage_filter(cases):
    text = run("cases")
    assert "王一" in text and "赵二" in text and "共 2 行" in text
    assert json.loads(run("cases", "--stage", "activist", "--format", "json")) == []
    assert len(json.loads(run("cases", "--stage", "入党申请人", "--format", "json"))) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("due", "--as-of", "2026-13-01"), "日期“2026-13-01”无效"),
        (("due", "--as-of", "2026-01-01", "--org", "NOPE"), "组织编码“NOPE”不存在"),
        (("cases", "--stage", "x"), "阶段“x”无效"),
    ],
)
def test_bad_input_exit_2(tree, args, message):
    with pytest.raises(CommandError) as exc:
        run(*args)
    assert message in str(exc.value) and exc.value.returncode == 2


def test_due_and_cases_table_lines(cases):
    a, b = cases
    assert run("due", "--as-of", "2026-02-11").splitlines() == [
        "编号  姓名  组织编码  阶段        下一步              期限        逾期  依据",
        f"{a.pk:<4}  王一  A1        入党申请人  党组织派人谈话      2026-02-10  是    DEV-03",
        f"{b.pk:<4}  赵二  B1        入党申请人  确定为入党积极分子                    DEV-04",
        "共 2 行",
    ]
    assert run("cases").splitlines() == [
        "编号  姓名  组织编码  阶段        状态    申请日期    预备期满",
        f"{a.pk:<4}  王一  A1        入党申请人  培养中  2026-01-10",
        f"{b.pk:<4}  赵二  B1        入党申请人  培养中  2026-01-20",
        "共 2 行",
    ]
