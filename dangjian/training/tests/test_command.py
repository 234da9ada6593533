import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from dangjian.members.timeline import timeline
from dangjian.training.services import record_study

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def data(tree, make_member, appoint, train):
    sec = make_member(tree.a1, name="新书记")
    appoint(sec, tree.a1, D(2026, 3, 15))
    m = make_member(tree.a1, name="党员甲")
    train(tree.a, [m], D(2026, 5, 1), hours="30", ended_on=D(2026, 5, 4))
    record_study(actor=None, member=m, platform="xuexi", period="2026", points=9000, hours="2.5")
    b = make_member(tree.b1, name="乙党员")
    return sec, m, b


def run(capsys, *args):
    call_command("training", *args)
    return json.loads(capsys.readouterr().out)


def test_gaps_json(capsys, data):
    items = run(capsys, "gaps", "--year", "2026", "--as-of", "2026-09-15", "--org", "A1", "--format", "json")
    new = [i for i in items if i["rule"] == "TRAIN-SECRETARY-NEW-6M"]
    assert new == [
        {
            "member": "新书记",
            "org": "A1",
            "rule": "TRAIN-SECRETARY-NEW-6M",
            "status": "fail",
            "missing": "2026-03-15任职，2026-09-15前未接受集中培训",
        }
    ]
    hours = {i["member"]: i for i in items if i["rule"] == "TRAIN-MEMBER-HOURS"}
    assert set(hours) == {"新书记"}  # 党员甲 has 30 + 2.5
    assert hours["新书记"]["status"] == "pending"
    assert {i["org"] for i in items} == {"A1"}


def test_hours_json_and_table(capsys, data):
    items = run(capsys, "hours", "--year", "2026", "--format", "json")
    by_name = {i["member"]: i for i in items}
    assert by_name["党员甲"] == {
        "member": "党员甲",
        "org": "A1",
        "training_hours": "30",
        "platform_hours": "2.5",
        "total": "32.5",
        "target": "32",
        "met": True,
    }
    assert by_name["乙党员"]["met"] is False and by_name["乙党员"]["org"] == "B1"
    a1 = [i["member"] for i in items if i["org"] == "A1"]
    assert a1 == sorted(a1)  # alphabetical, never ranked
    call_command("training", "hours", "--year", "2026", "--org", "B")
    out = capsys.readouterr().out
    assert "乙党员" in out and "党员甲" not in out and "共 1 行" in out


def test_bad_arguments_exit_2(data):
    with pytest.raises(CommandError) as exc:
        call_command("training", "gaps", "--year", "2026", "--org", "NOPE")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("training", "ranking", "--year", "2026")


def test_timeline_shows_trainings_and_platform_figures(data):
    _sec, m, _b = data
    kinds = {e.kind: e for e in timeline(m, on=D(2026, 12, 31))}
    assert kinds["training.participated"].title == "参加培训：培训0501"
    assert "学时 2.50" in kinds["training.study"].detail


def test_hours_and_gaps_table_lines(capsys, data):
    call_command("training", "hours", "--year", "2026", "--org", "A1")
    assert capsys.readouterr().out.splitlines() == [
        "姓名    组织编码  培训学时  平台学时  合计  目标  达标",
        "党员甲  A1        30        2.5       32.5  32    是",
        "新书记  A1        0         0         0     32    否",
        "共 2 行",
    ]
    call_command("training", "gaps", "--year", "2026", "--as-of", "2026-09-15", "--org", "A1")
    assert capsys.readouterr().out.splitlines() == [
        "姓名    组织编码  规则                    状态     缺少",
        "新书记  A1        TRAIN-SECRETARY-ANNUAL  pending  2026年尚未参加集中轮训",
        "新书记  A1        TRAIN-SECRETARY-NEW-6M  fail     2026-03-15任职，2026-09-15前未接受集中培训",
        "新书记  A1        TRAIN-MEMBER-HOURS      pending  已完成0学时，差32学时",
        "新书记  A1        TRAIN-CADRE-HOURS       pending  已完成0学时，差56学时",
        "共 4 行",
    ]
