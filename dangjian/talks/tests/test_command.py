import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangjian.talks import services

D = dt.date


def run(*args):
    out = StringIO()
    call_command("talks", *args, stdout=out)
    return out.getvalue()


def test_summary_json(a1, tree):
    services.record_talk(actor=None, org=a1.org, date=D(2025, 3, 1), participants=[a1.shuji, a1.zuzhi, a1.m1])
    services.record_talk(actor=None, org=a1.org, date=D(2024, 3, 1), participants=[a1.m1, a1.m2])
    services.create_pair(
        actor=None, org=a1.org, mentor=a1.shuji, mentee=a1.m1, started_on=D(2024, 5, 1), goal="x"
    )
    services.create_pair(
        actor=None,
        org=a1.org,
        mentor=a1.zuzhi,
        mentee=a1.m2,
        started_on=D(2023, 1, 1),
        ended_on=D(2024, 12, 31),
        goal="y",
    )
    group = services.create_youth_group(
        actor=None, org=tree.a, name="青年组", leader=a1.m1, members=[a1.m2], founded_on=D(2025, 1, 1)
    )
    services.record_youth_activity(
        actor=None, group=group, date=D(2025, 2, 1), topic="学习", participants=[a1.m1]
    )
    items = json.loads(run("summary", "--year", "2025", "--format", "json"))
    by_org = {i["org"]: i for i in items}
    assert set(by_org) == {"A", "A1", "A2", "B1"}  # every 党支部, and 甲委 for its group
    assert by_org["A1"] == {
        "org": "A1",
        "name": "甲一支部",
        "talks": 1,
        "by_category": {"committee_committee": 1, "committee_member": 1, "member_member": 0},
        "pairs_active": 1,
        "youth_groups": 0,
        "youth_activities": 0,
    }
    assert (by_org["A"]["youth_groups"], by_org["A"]["youth_activities"]) == (1, 1)
    items = json.loads(run("summary", "--year", "2024", "--org", "A1", "--format", "json"))
    assert [(i["org"], i["talks"], i["pairs_active"]) for i in items] == [("A1", 1, 2)]
    table = run("summary", "--year", "2025", "--org", "A")
    assert "支委与党员" in table and "甲一支部" in table and "共 3 行" in table


def test_bad_arguments_exit_2(tree):
    with pytest.raises(CommandError) as exc:
        run("summary", "--year", "abc")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError) as exc:
        run("summary", "--year", "2025", "--org", "NOPE")
    assert exc.value.returncode == 2


def test_summary_table_lines(a1, tree):
    services.record_talk(actor=None, org=a1.org, date=D(2025, 3, 1), participants=[a1.shuji, a1.zuzhi, a1.m1])
    assert run("summary", "--year", "2025", "--org", "A").splitlines() == [
        "组织编码  组织名称  谈心谈话  支委之间  支委与党员  党员之间  结对  学习小组  小组活动",
        "A1        甲一支部  1         1         1           0         0     0         0",
        "A2        甲二支部  0         0         0           0         0     0         0",
        "共 2 行",
    ]
