"""`dangjian import meetings`: Excel import and export of organizational-life records."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from dangjian.conftest import unique_id_number
from dangjian.core.idcard import check_digit
from dangjian.core.imports import IMPORT_KINDS, RowError, export_workbook, run_import, template_workbook
from dangjian.core.models import AuditEvent
from dangjian.core.pii import mask_id_number
from dangjian.core.tests.xlsx_files import save_bytes, write_xlsx
from dangjian.core.xlsx import CellError
from dangjian.meetings.models import Meeting
from dangjian.meetings.services import create_meeting
from dangjian.meetings.xlsx import Absentees, MeetingTypes, split_list
from dangjian.orgs.services import create_org, create_post

D = "2026-03-31"


@pytest.fixture
def people(tree, make_member):
    """A1 with 4 正式党员 (one in its 党小组), 1 预备党员 and a committee of three; one member of A2."""
    found = {}
    for key, org, extra in (
        ("书记", tree.a1, {}),
        ("组织", tree.a1, {}),
        ("宣传", tree.a1, {}),
        ("小组", tree.a1g1, {}),
        (
            "预备",
            tree.a1,
            {"category": "probationary", "confirmed_on": None, "joined_on": dt.date(2025, 12, 1)},
        ),
        ("外支部", tree.a2, {}),
    ):
        number = unique_id_number()
        member = make_member(org, name=f"{key}党员", id_number=number, **extra)
        found[key] = (member, number)
    for key, title in (("书记", "shuji"), ("组织", "zuzhi"), ("宣传", "xuanchuan")):
        create_post(
            actor=None,
            data={"member": found[key][0], "org": tree.a1, "title": title, "started_on": dt.date(2024, 1, 1)},
        )
    return found


def number(people, key: str) -> str:
    return people[key][1]


def meeting_row(**values) -> dict:
    row = {"组织编码": "A1", "活动类型": "主题党日、党课", "日期": D, "主题": "三月主题党日暨党课"}
    row.update(values)
    return row


def import_rows(tmp_path, rows, *, actor=None, dry_run=False, name="meetings.xlsx"):
    return run_import("meetings", write_xlsx(tmp_path / name, rows), actor=actor, dry_run=dry_run)


def attendance(meeting: Meeting) -> dict:
    return {k.type: (k.expected, k.present, k.expected_formal, k.present_formal) for k in meeting.kinds.all()}


# --- cell types -----------------------------------------------------------------------------------------


def test_lists_split_on_the_usual_separators_but_not_inside_brackets():
    assert split_list("甲、乙,丙，丁；戊") == ["甲", "乙", "丙", "丁", "戊"]
    assert split_list("110（出差，三天）、220(病假)") == ["110（出差，三天）", "220(病假)"]
    assert MeetingTypes().parse("党课、主题党日") == ("lecture", "theme_day")
    assert MeetingTypes().parse("主题党日，主题党日") == ("theme_day",)


def test_absentee_cell_reads_numbers_with_optional_reasons(people):
    first, second = number(people, "组织"), number(people, "宣传")
    assert Absentees().parse(f"{first}（出差）, {second.lower()}") == (
        (first, "other", "出差"),
        (second, "", ""),
    )
    assert (
        Absentees().render(((first, "other", "出差"), (second, "", ""))) == f"{first}（其他：出差）、{second}"
    )


def test_absentee_reasons_name_their_kind():
    first, second, third = unique_id_number(), unique_id_number(), unique_id_number()
    parsed = Absentees().parse(f"{first}（病假）、{second}（公差：赴京参会）、{third}(其他：家中有事)")
    assert parsed == ((first, "sick", ""), (second, "official", "赴京参会"), (third, "other", "家中有事"))
    assert (
        Absentees().render(parsed)
        == f"{first}（病假）、{second}（公差：赴京参会）、{third}（其他：家中有事）"
    )
    with pytest.raises(CellError, match="“其他”，请在“：”后注明具体原因"):
        Absentees().parse(f"{first}（其他）")
    with pytest.raises(CellError, match="第2个缺席原因为“其他”"):
        Absentees().parse(f"{first}（病假）、{second}（其他：）")


# --- writing --------------------------------------------------------------------------------------------


def test_creates_a_record_with_several_types_host_lecturer_and_absentees(tree, people, tmp_path):
    row = meeting_row(
        地点="党员活动室",
        主持人身份证号=number(people, "书记"),
        主讲人身份证号=number(people, "书记"),
        缺席人员身份证号=f"{number(people, '宣传')}（公差：出差）、{number(people, '预备')}（病假）",
        列席人员="机关党委委员 王某",
        会议记录="支部书记讲授党课。",
    )
    result = import_rows(tmp_path, [row])
    assert result.to_json() == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}
    meeting = Meeting.objects.get()
    assert (meeting.org, meeting.date, meeting.topic, meeting.place) == (
        tree.a1,
        dt.date(2026, 3, 31),
        "三月主题党日暨党课",
        "党员活动室",
    )
    assert (meeting.host, meeting.lecturer, meeting.observers, meeting.content) == (
        people["书记"][0],
        people["书记"][0],
        "机关党委委员 王某",
        "支部书记讲授党课。",
    )
    assert attendance(meeting) == {"theme_day": (5, 3, 4, 3), "lecture": (5, 3, 4, 3)}
    assert sorted(meeting.absences.values_list("member__name", "reason_kind", "reason")) == [
        ("宣传党员", "official", "出差"),
        ("预备党员", "sick", ""),
    ]
    assert [(p.row, p.action, p.summary) for p in result.planned] == [
        (2, "create", "甲一支部 2026-03-31 党课、主题党日：三月主题党日暨党课")
    ]
    assert AuditEvent.objects.filter(action="create", object_type="meetings.meeting").count() == 1
    assert AuditEvent.objects.get(action="import").note == "组织生活记录导入：新增 1，更新 0，未变 0"


def test_reimport_is_unchanged_and_a_changed_field_is_an_update(tree, people, tmp_path):
    absent = f"{number(people, '组织')}（公差）"
    assert import_rows(tmp_path, [meeting_row(缺席人员身份证号=absent)]).created == 1
    same = meeting_row(活动类型="党课、主题党日", 缺席人员身份证号=absent)  # the types are a set
    assert import_rows(tmp_path, [same]).to_json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "errors": [],
    }
    assert not AuditEvent.objects.filter(action="update").exists()
    changed = meeting_row(
        缺席人员身份证号=f"{number(people, '组织')}（公差）、{number(people, '小组')}（事假）"
    )
    assert import_rows(tmp_path, [changed]).to_json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "errors": [],
    }
    meeting = Meeting.objects.get()
    assert attendance(meeting)["theme_day"] == (5, 3, 4, 2)
    event = AuditEvent.objects.get(action="update", object_type="meetings.meeting")
    assert event.after["absentees"] == "小组党员（其他：事假）、组织党员（公差）"
    other_topic = meeting_row(主题="另一次主题党日")
    assert import_rows(tmp_path, [other_topic]).created == 1
    assert Meeting.objects.count() == 2


def test_columns_left_out_of_the_sheet_keep_their_values(tree, people, tmp_path):
    import_rows(tmp_path, [meeting_row(地点="党员活动室", 缺席人员身份证号=number(people, "组织"))])
    result = import_rows(tmp_path, [meeting_row(会议记录="补充会议记录")])
    assert (result.updated, result.unchanged) == (1, 0)
    meeting = Meeting.objects.get()
    assert (meeting.place, meeting.content, meeting.absences.count()) == ("党员活动室", "补充会议记录", 1)


# --- errors ---------------------------------------------------------------------------------------------


def bad_check_digit(value: str) -> str:
    return value[:17] + next(c for c in "0123456789X" if c != check_digit(value[:17]))


UNKNOWN = unique_id_number()


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"组织编码": "NOPE"}, "组织编码", "本组织范围内没有组织编码为“NOPE”的组织。"),
        (
            {"活动类型": "主题党日、三会"},
            "活动类型",
            "“三会”无效，应为：支部党员大会、支部委员会、党小组会、党课、主题党日、组织生活会、民主评议党员、"
            "民主生活会、理论学习中心组学习、谈心谈话（多种用“、”分隔）。",
        ),
        (
            {"活动类型": "民主生活会"},
            "活动类型",
            "党支部不召开“民主生活会”（甲一支部可记录：支部党员大会、支部委员会、党课、主题党日、组织生活会、"
            "民主评议党员、谈心谈话）。",
        ),
        ({"日期": "2026-02-30"}, "日期", "“2026-02-30”不是有效日期。"),
        ({"日期": "2099-01-01"}, "日期", "日期不能晚于今天：组织生活记录的是已经召开的会议。"),
        ({"日期": "2017-06-30"}, "日期", "日期早于甲一支部的成立日期（2018-03-01）。"),
        ({"主题": ""}, "主题", "不能为空。"),
        (
            {"主持人身份证号": UNKNOWN},
            "主持人身份证号",
            f"本组织范围内没有身份证号为 {mask_id_number(UNKNOWN)} 的党员。",
        ),
        (
            {"主讲人身份证号": UNKNOWN},
            "主讲人身份证号",
            f"本组织范围内没有身份证号为 {mask_id_number(UNKNOWN)} 的党员。",
        ),
        (
            {"缺席人员身份证号": f"{UNKNOWN}（出差）"},
            "缺席人员身份证号",
            f"本组织范围内没有身份证号为 {mask_id_number(UNKNOWN)} 的党员。",
        ),
        (
            {"缺席人员身份证号": f"{UNKNOWN[:6]}、{bad_check_digit(UNKNOWN)}"},
            "缺席人员身份证号",
            "第1个身份证号应为18位，实际6位。",
        ),
        (
            {"主讲人身份证号": "@书记", "主讲人姓名": "市委党校王教授"},
            "主讲人姓名",
            "主讲人请在党员和外请人员中选一种填写。",
        ),
        ({"缺席人员身份证号": "@外支部"}, "缺席人员身份证号", "缺席人员不在应到名单中：外支部党员。"),
    ],
)
def test_each_kind_of_error_is_reported_on_its_row_and_column(
    tree, people, tmp_path, values, column, message
):
    values = {
        k: number(people, v[1:]) if isinstance(v, str) and v.startswith("@") else v for k, v in values.items()
    }
    rows = [meeting_row(主题="正常的一行"), meeting_row(**values)]
    result = import_rows(tmp_path, rows)
    assert result.errors == [RowError(3, column, message)]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert not Meeting.objects.exists()
    assert not AuditEvent.objects.filter(object_type="meetings.meeting").exists()
    assert list(AuditEvent.objects.filter(object_type="import").values_list("action", flat=True)) == [
        "import_failed"
    ]
    for error in result.errors:
        assert UNKNOWN not in error.message and all(number(people, k) not in error.message for k in people)


def test_every_bad_row_is_listed_and_nothing_is_written(tree, people, tmp_path):
    rows = [
        meeting_row(主题="好的一行"),
        meeting_row(组织编码="NOPE", 主持人身份证号=UNKNOWN),
        meeting_row(主题="好的第二行"),
        meeting_row(活动类型="党小组会", 日期="2099-01-01"),
        meeting_row(主题="好的一行"),
    ]
    result = import_rows(tmp_path, rows)
    assert [str(e) for e in result.errors] == [
        "第 3 行 组织编码：本组织范围内没有组织编码为“NOPE”的组织。",
        f"第 3 行 主持人身份证号：本组织范围内没有身份证号为 {mask_id_number(UNKNOWN)} 的党员。",
        "第 5 行 日期：日期不能晚于今天：组织生活记录的是已经召开的会议。",
        "第 5 行 活动类型：党支部不召开“党小组会”（甲一支部可记录：支部党员大会、支部委员会、党课、主题党日、"
        "组织生活会、民主评议党员、谈心谈话）。",
        "第 6 行 主题：与第 2 行重复（组织、活动类型、日期和主题都相同）。",
    ]
    assert not Meeting.objects.exists()
    assert not AuditEvent.objects.filter(action="import").exists()


def test_an_organisation_outside_the_users_scope_is_refused(tree, people, users, tmp_path):
    result = import_rows(tmp_path, [meeting_row()], actor=users["branch_a2"])
    assert result.errors == [RowError(2, "组织编码", "本组织范围内没有组织编码为“A1”的组织。")]
    assert import_rows(tmp_path, [meeting_row()], actor=users["branch_a1"]).created == 1


def test_a_group_records_its_own_meeting_with_its_own_roster(tree, people, tmp_path):
    row = meeting_row(组织编码="A1G1", 活动类型="党小组会", 缺席人员身份证号=number(people, "书记"))
    result = import_rows(tmp_path, [row])
    assert result.errors == [RowError(2, "缺席人员身份证号", "缺席人员不在应到名单中：书记党员。")]
    result = import_rows(tmp_path, [meeting_row(组织编码="A1G1", 活动类型="党小组会")])
    assert result.created == 1
    assert attendance(Meeting.objects.get()) == {"group": (1, 1, 1, 1)}


def test_dry_run_reports_what_would_happen_and_writes_nothing(tree, people, tmp_path):
    events = AuditEvent.objects.count()
    result = import_rows(tmp_path, [meeting_row(), meeting_row(主题="第二条")], dry_run=True)
    assert result.to_json() == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    assert [p.action for p in result.planned] == ["create", "create"]
    assert not Meeting.objects.exists()
    assert AuditEvent.objects.count() == events + 1  # the preview's own record, nothing written
    assert AuditEvent.objects.latest("id").action == "import_preview"


def run_command(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("import", *map(str, args), stdout=out, stderr=io.StringIO())
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_command_prints_json_and_exits_1_on_errors(tree, people, tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", [meeting_row(缺席人员身份证号=number(people, "组织"))])
    assert run_command("meetings", path, "--format", "json") == (
        0,
        json.dumps({"created": 1, "updated": 0, "unchanged": 0, "errors": []}) + "\n",
    )
    assert run_command("meetings", path, "--format", "json")[1] == (
        '{"created": 0, "updated": 0, "unchanged": 1, "errors": []}\n'
    )
    bad = write_xlsx(tmp_path / "bad.xlsx", [meeting_row(日期="2099-01-01")])
    code, out = run_command("meetings", bad, "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {"row": 2, "column": "日期", "message": "日期不能晚于今天：组织生活记录的是已经召开的会议。"}
        ],
    }
    code, out = run_command("meetings", bad)
    assert out.splitlines() == [
        "第 2 行 日期：日期不能晚于今天：组织生活记录的是已经召开的会议。",
        "共 1 处错误，未导入任何组织生活记录数据。",
        "组织生活记录：新增 0，更新 0，未变 0",
    ]


# --- template and export --------------------------------------------------------------------------------


def test_template_example_row_imports_after_the_other_templates(db, tmp_path):
    gw = create_org(actor=None, data={"code": "GW", "name": "市级机关工委", "type": "gongwei"})
    create_org(actor=None, data={"code": "JG01", "name": "示例局机关党委", "type": "dangwei", "parent": gw})
    assert IMPORT_KINDS["meetings"] == "组织生活记录"
    for kind in ("orgs", "members", "posts", "meetings"):
        path = save_bytes(tmp_path / f"{kind}.xlsx", template_workbook(kind))
        result = run_import(kind, path, actor=None, dry_run=False)
        assert result.to_json() == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}, kind
    meeting = Meeting.objects.get()
    assert (meeting.org.code, meeting.lecturer.name) == ("JG01-01", "王小明")
    assert attendance(meeting) == {"lecture": (1, 1, 1, 1), "theme_day": (1, 1, 1, 1)}
    exported = save_bytes(tmp_path / "export.xlsx", export_workbook("meetings", Meeting.objects.all()))
    template = load_workbook(tmp_path / "meetings.xlsx").worksheets[0]
    again = load_workbook(exported).worksheets[0]
    assert list(again.iter_rows(values_only=True)) == list(template.iter_rows(values_only=True))


def test_export_reimports_as_unchanged_with_absence_reasons(tree, people, tmp_path):
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(2026, 3, 31), "topic": "支委会", "place": "会议室"},
        types=["committee"],
        absentees={people["宣传"][0].pk: "出差"},
    )
    create_meeting(
        actor=None,
        data={
            "org": tree.a1,
            "date": dt.date(2026, 4, 24),
            "topic": "党课",
            "lecturer_name": "市委党校王教授",
        },
        types=["lecture", "assembly"],
        absentees={people["组织"][0].pk: "", people["小组"][0].pk: "病假"},
    )
    content = export_workbook("meetings", Meeting.objects.all())
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("组织编码", "活动类型", "日期") and len(rows) == 2
    values = dict(zip(header, rows[1], strict=True))
    assert values["活动类型"] == "支部党员大会、党课"
    assert values["缺席人员身份证号"] == f"{number(people, '小组')}（病假）、{number(people, '组织')}"
    assert values["主讲人姓名"] == "市委党校王教授"
    cell = sheet.cell(row=2, column=header.index("缺席人员身份证号") + 1)
    assert (cell.data_type, cell.number_format) == ("s", "@")
    events = AuditEvent.objects.count()
    result = run_import("meetings", save_bytes(tmp_path / "e.xlsx", content), actor=None, dry_run=False)
    assert result.to_json() == {"created": 0, "updated": 0, "unchanged": 2, "errors": []}
    assert AuditEvent.objects.count() == events + 1  # only the import summary


def test_meetings_card_is_offered_on_the_import_page(client, users):
    client.force_login(users["branch_a1"])
    html = client.get("/imports/").content.decode()
    assert 'data-testid="import-meetings"' in html
    assert "缺席人员身份证号" in html and "组织生活记录：按组织、活动类型、日期和主题" in html
