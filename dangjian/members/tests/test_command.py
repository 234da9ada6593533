"""`dangjian members timeline 身份证号` and `dangjian members birthdays --month YYYY-MM`."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.meetings.services import create_meeting
from dangjian.orgs.services import create_post

D = dt.date


def run(*args) -> str:
    out = StringIO()
    call_command("members", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def member(tree, make_member):
    m = make_member(tree.a1, name="命令行党员", joined_on=D(2012, 3, 9), confirmed_on=D(2013, 3, 9))
    create_post(
        actor=None, data={"member": m, "org": tree.a1, "title": "xuanchuan", "started_on": D(2020, 1, 1)}
    )
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D(2024, 5, 6), "topic": "五月大会"},
        types=["assembly"],
        absentees={m.pk: "病假"},
    )
    return m


def test_timeline_json(member):
    items = json.loads(run("timeline", member.id_number.lower(), "--format", "json"))
    assert items[0] == {
        "date": "2012-03-09",
        "kind": "member.joined",
        "title": "入党",
        "detail": "在甲一支部入党，成为预备党员",
        "org": "A1",
    }
    assert {"date": "2020-01-01", "kind": "orgs.post_started", "title": "任甲一支部宣传委员"}.items() <= next(
        i for i in items if i["kind"] == "orgs.post_started"
    ).items()
    missed = next(i for i in items if i["kind"] == "meetings.missed")
    assert missed["title"] == "缺席支部党员大会" and missed["org"] == "A1" and "病假" in missed["detail"]
    assert [i["date"] for i in items] == sorted(i["date"] for i in items)
    assert set(items[0]) == {"date", "kind", "title", "detail", "org"}


def test_timeline_table_masks_the_id_number(member):
    text = run("timeline", member.id_number)
    assert member.id_number not in text
    assert member.id_number_masked in text
    assert "命令行党员" in text and "任甲一支部宣传委员" in text and "缺席支部党员大会" in text
    assert "组织生活" in text  # the group column


def test_timeline_as_of(member):
    items = json.loads(run("timeline", member.id_number, "--as-of", "2015-01-01", "--format", "json"))
    assert [i["kind"] for i in items if i["kind"].startswith(("member.", "orgs.", "meetings."))] == [
        "member.joined",
        "member.confirmed",
    ]


def test_timeline_bad_input_exits_2_without_the_number(tree, member):
    with pytest.raises(CommandError) as bad:
        run("timeline", "12345")
    assert bad.value.returncode == 2 and "身份证号" in str(bad.value)
    from dangjian.conftest import unique_id_number

    unknown = unique_id_number()
    with pytest.raises(CommandError) as missing:
        run("timeline", unknown)
    assert missing.value.returncode == 2
    assert unknown not in str(missing.value) and "未找到" in str(missing.value)
    with pytest.raises(CommandError) as date:
        run("timeline", member.id_number, "--as-of", "2024-13-01")
    assert date.value.returncode == 2


def test_birthdays_json_and_table(tree, make_member):
    make_member(tree.a1g1, name="三月甲", joined_on=D(2012, 3, 9), confirmed_on=D(2013, 3, 9))
    make_member(tree.b1, name="三月乙", joined_on=D(2000, 3, 1), confirmed_on=D(2001, 3, 1))
    make_member(tree.b1, name="四月丙", joined_on=D(2000, 4, 1), confirmed_on=D(2001, 4, 1))
    items = json.loads(run("birthdays", "--month", "2026-03", "--format", "json"))
    assert [(i["name"], i["org"], i["joined_on"], i["years"]) for i in items] == [
        ("三月甲", "A1G1", "2012-03-09", 13),
        ("三月乙", "B1", "2000-03-01", 25),
    ]
    assert items[0]["branch"] == "A1" and items[0]["anniversary"] == 14
    only_b = json.loads(run("birthdays", "--month", "2026-03", "--org", "B", "--format", "json"))
    assert [i["name"] for i in only_b] == ["三月乙"]
    table = run("birthdays", "--month", "2026-03")
    assert "三月甲" in table and "党龄" in table and "共 2 行" in table


@pytest.mark.parametrize(
    "args",
    [("birthdays", "--month", "2026-3x"), ("birthdays", "--month", "2026-03", "--org", "NOPE")],
)
def test_birthdays_bad_input_exits_2(tree, args):
    with pytest.raises(CommandError) as exc:
        run(*args)
    assert exc.value.returncode == 2


def test_birthdays_and_timeline_table_lines(tree, make_member, member):
    make_member(tree.b1, name="三月乙", joined_on=D(2000, 3, 1), confirmed_on=D(2001, 3, 1))
    assert run("birthdays", "--month", "2026-03").splitlines() == [
        "姓名        组织编码  入党日期    政治生日  入党     党龄",
        "命令行党员  A1        2012-03-09  03-09     14 周年  13 年",
        "三月乙      B1        2000-03-01  03-01     26 周年  25 年",
        "共 2 行",
    ]
    assert run("timeline", member.id_number, "--as-of", "2024-12-31").splitlines() == [
        f"命令行党员（{member.id_number_masked}，甲一支部）",
        "日期        类别        事项                说明                                  组织编码",
        "2012-03-09  入党与发展  入党                在甲一支部入党，成为预备党员          A1",
        "2013-03-09  入党与发展  转为正式党员        转正日期 2013-03-09",
        "2020-01-01  职务        任甲一支部宣传委员  任职日期 2020-01-01                   A1",
        "2024-05-06  组织生活    缺席支部党员大会    五月大会（甲一支部）；缺席原因：病假  A1",
        "共 4 行",
    ]
