import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.conftest import unique_id_number
from dangjian.core.idcard import check_digit
from dangjian.core.imports import RowError, export_workbook, run_import
from dangjian.core.models import AuditEvent
from dangjian.core.pii import mask_id_number
from dangjian.core.tests.xlsx_files import save_bytes, write_xlsx
from dangjian.members.models import Member, MemberHistory
from dangjian.members.services import find_by_id_number, id_number_taken
from dangjian.orgs.models import Post


def row(name, id_number, org="A1", category="正式党员", joined="2010-07-01", confirmed="2011-07-01", **extra):
    return {
        "姓名": name,
        "身份证号": id_number,
        "人员类别": category,
        "入党日期": joined,
        "转正日期": confirmed,
        "所在组织编码": org,
        **extra,
    }


def bad_check_digit(number: str) -> str:
    wrong = next(c for c in "0123456789X" if c != check_digit(number[:17]))
    return number[:17] + wrong


def import_rows(tmp_path, rows, *, actor=None, dry_run=False, name="members.xlsx"):
    return run_import("members", write_xlsx(tmp_path / name, rows), actor=actor, dry_run=dry_run)


def test_valid_file_creates_members_with_derived_sex_and_birth_date(tree, tmp_path):
    first, second = unique_id_number(male=True), unique_id_number(male=False)
    result = import_rows(
        tmp_path, [row("张一", first), row("李二", second, org="A1G1", 手机号码="13900001111")]
    )
    assert result.to_json() == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    zhang, li = find_by_id_number(first), find_by_id_number(second)
    assert (zhang.name, zhang.sex, zhang.org.code, zhang.work_status, zhang.ethnicity) == (
        "张一",
        "M",
        "A1",
        "active",
        "汉族",
    )
    assert (li.sex, li.org.code, li.phone) == ("F", "A1G1", "13900001111")
    assert AuditEvent.objects.filter(action="create", object_type="members.member").count() == 2
    summary = AuditEvent.objects.get(action="import")
    assert summary.note == "党员导入：新增 2，更新 0，未变 0"


def test_bad_check_digit_is_reported_on_its_row(tree, tmp_path):
    result = import_rows(
        tmp_path, [row("张一", unique_id_number()), row("李二", bad_check_digit(unique_id_number()))]
    )
    assert result.errors == [RowError(3, "身份证号", "身份证号校验码错误。")]
    assert Member.objects.count() == 0


def test_unknown_org_code_is_reported_on_its_row(tree, tmp_path):
    result = import_rows(tmp_path, [row("张一", unique_id_number(), org="ZZ9")])
    assert result.errors == [RowError(2, "所在组织编码", "本组织范围内没有组织编码为“ZZ9”的组织。")]


def test_member_in_a_dangwei_is_refused_by_the_service(tree, tmp_path):
    result = import_rows(tmp_path, [row("张一", unique_id_number(), org="A")])
    assert result.errors == [
        RowError(2, "所在组织编码", "党员只能编入党支部或党小组，“甲委机关党委”是党委。")
    ]


def test_confirmed_before_joined_is_reported_on_confirmed_column(tree, tmp_path):
    result = import_rows(
        tmp_path, [row("张一", unique_id_number(), joined="2012-07-01", confirmed="2011-07-01")]
    )
    assert result.errors == [RowError(2, "转正日期", "转正日期应晚于入党日期。")]


def test_formal_member_without_confirmed_date_is_an_error(tree, tmp_path):
    result = import_rows(tmp_path, [row("张一", unique_id_number(), confirmed=None)])
    assert result.errors == [RowError(2, "转正日期", "正式党员必须填写转正日期。")]


def test_duplicate_id_number_reports_later_row_and_names_earlier(tree, tmp_path):
    number = unique_id_number()
    rows = [row("张一", number), row("李二", unique_id_number()), row("王三", number.lower())]
    result = import_rows(tmp_path, rows)
    assert result.errors == [RowError(4, "身份证号", f"身份证号 {mask_id_number(number)} 与第 2 行重复。")]
    assert Member.objects.count() == 0


def test_bad_dates_are_reported_with_their_column(tree, tmp_path):
    rows = [
        row("张一", unique_id_number(), joined="2010-13-01"),
        row("李二", unique_id_number(), confirmed="2011年7月"),
    ]
    result = import_rows(tmp_path, rows)
    assert result.errors == [
        RowError(2, "入党日期", "“2010-13-01”不是有效日期。"),
        RowError(3, "转正日期", "“2011年7月”不是有效日期，格式应为 YYYY-MM-DD（如 2021-07-01）。"),
    ]


def test_bad_choice_label_lists_the_valid_labels(tree, tmp_path):
    result = import_rows(tmp_path, [row("张一", unique_id_number(), category="党员", 工作状态="退休")])
    assert result.errors == [
        RowError(2, "人员类别", "“党员”无效，应为：正式党员、预备党员。"),
        RowError(2, "工作状态", "“退休”无效，应为：在职、离退休。"),
    ]


def test_missing_required_value_is_reported(tree, tmp_path):
    result = import_rows(tmp_path, [row("  ", unique_id_number())])
    assert result.errors == [RowError(2, "姓名", "不能为空。")]


def test_every_error_of_every_row_is_listed_in_row_order(tree, tmp_path):
    rows = [
        row("张一", bad_check_digit(unique_id_number()), org="ZZ9"),
        row("李二", unique_id_number()),
        row("", unique_id_number(), joined="2012-07-01", confirmed="2011-07-01"),
        row("赵四", unique_id_number(), joined="2012-07-01", confirmed="2011-07-01"),
    ]
    result = import_rows(tmp_path, rows)
    assert [str(e) for e in result.errors] == [
        "第 2 行 身份证号：身份证号校验码错误。",
        "第 2 行 所在组织编码：本组织范围内没有组织编码为“ZZ9”的组织。",
        "第 4 行 姓名：不能为空。",
        "第 5 行 转正日期：转正日期应晚于入党日期。",
    ]
    assert result.to_json()["created"] == 0


def test_one_bad_row_among_good_ones_writes_nothing(tree, tmp_path, make_member):
    make_member(tree.a1, name="老党员")
    counts = (Member.objects.count(), AuditEvent.objects.count(), Post.objects.count())
    rows = [row(f"党员{i}", unique_id_number(), 党内职务="委员", 任职日期="2020-01-01") for i in range(5)]
    rows.insert(3, row("坏行", unique_id_number(), org="ZZ9"))
    result = import_rows(tmp_path, rows)
    assert result.errors == [RowError(5, "所在组织编码", "本组织范围内没有组织编码为“ZZ9”的组织。")]
    assert (Member.objects.count(), AuditEvent.objects.count() - 1, Post.objects.count()) == counts
    assert AuditEvent.objects.latest("id").action == "import_failed"  # the refusal's record only
    assert result.planned == []


def test_reimporting_the_same_file_changes_nothing(tree, tmp_path):
    rows = [row(f"党员{i}", unique_id_number(), 党内职务="委员", 任职日期="2020-01-01") for i in range(3)]
    path = write_xlsx(tmp_path / "members.xlsx", rows)
    first = run_import("members", path, actor=None, dry_run=False)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    row_events = AuditEvent.objects.exclude(action="import").count()
    second = run_import("members", path, actor=None, dry_run=False)
    assert second.to_json() == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    assert [p.action for p in second.planned] == ["unchanged"] * 3
    assert AuditEvent.objects.exclude(action="import").count() == row_events
    assert AuditEvent.objects.filter(action="import").count() == 2
    assert Post.objects.count() == 3


def test_changed_row_is_an_update_and_the_rest_unchanged(tree, tmp_path):
    a, b = unique_id_number(), unique_id_number()
    import_rows(tmp_path, [row("张一", a, 手机号码="13800000001"), row("李二", b)])
    result = import_rows(
        tmp_path, [row("张一", a, 手机号码="13800000002"), row("李二", b)], name="again.xlsx"
    )
    assert result.to_json() == {"created": 0, "updated": 1, "unchanged": 1, "errors": []}
    assert find_by_id_number(a).phone == "13800000002"
    event = AuditEvent.objects.get(action="update")
    assert (event.before["phone"], event.after["phone"]) == ("138****0001", "138****0002")


def test_moving_a_member_by_import_keeps_history(tree, tmp_path):
    number = unique_id_number()
    import_rows(tmp_path, [row("张一", number)])
    result = import_rows(tmp_path, [row("张一", number, org="A2")], name="moved.xlsx")
    assert (result.updated, result.errors) == (1, [])
    history = MemberHistory.objects.get(member=find_by_id_number(number))
    assert (history.field, history.old_org.code, history.new_org.code) == ("org", "A1", "A2")


def test_absent_optional_columns_leave_existing_values_alone(tree, tmp_path):
    number = unique_id_number()
    import_rows(tmp_path, [row("张一", number, 手机号码="13800000001", 工作岗位="处长")])
    result = import_rows(tmp_path, [row("张一", number)], name="narrow.xlsx")
    assert (result.unchanged, result.errors) == (1, [])
    member = find_by_id_number(number)
    assert (member.phone, member.position) == ("13800000001", "处长")


def test_dry_run_writes_nothing_but_counts_like_a_real_run(tree, tmp_path, make_member):
    existing = make_member(tree.a1, name="老党员")
    rows = [
        row("老党员", existing.id_number, 手机号码="13812345678", 学历="大学本科"),
        row("新党员", unique_id_number()),
    ]
    events = AuditEvent.objects.count()
    result = import_rows(tmp_path, rows, dry_run=True)
    assert result.to_json() == {"created": 1, "updated": 0, "unchanged": 1, "errors": []}
    assert [(p.row, p.action) for p in result.planned] == [(2, "unchanged"), (3, "create")]
    assert Member.objects.count() == 1
    assert AuditEvent.objects.count() == events + 1  # the preview's own record, nothing written
    assert AuditEvent.objects.latest("id").action == "import_preview"


def test_branch_admin_importing_into_sibling_branch_gets_a_row_error(users, tree, tmp_path):
    rows = [row(f"党员{i}", unique_id_number()) for i in range(3)] + [
        row("外支部", unique_id_number(), org="A2")
    ]
    before = Member.objects.count()
    result = import_rows(tmp_path, rows, actor=users["branch_a1"])
    assert result.errors == [RowError(5, "所在组织编码", "本组织范围内没有组织编码为“A2”的组织。")]
    assert Member.objects.count() == before


def test_branch_admin_cannot_take_over_a_member_of_a_sibling_branch(users, tree, tmp_path, make_member):
    other = make_member(tree.a2, name="甲二党员")
    result = import_rows(tmp_path, [row("甲二党员", other.id_number)], actor=users["branch_a1"])
    assert result.errors == [RowError(2, "身份证号", id_number_taken())]
    assert Member.objects.get(pk=other.pk).org_id == tree.a2.pk


def test_branch_admin_imports_into_own_branch(users, tree, tmp_path):
    result = import_rows(tmp_path, [row("张一", unique_id_number(), org="A1G1")], actor=users["branch_a1"])
    assert (result.created, result.errors) == (1, [])
    assert AuditEvent.objects.get(action="import").actor == users["branch_a1"]


def test_post_columns_create_a_post_in_the_members_own_org(tree, tmp_path):
    number = unique_id_number()
    result = import_rows(
        tmp_path, [row("张一", number, org="A1G1", 党内职务="党小组长", 任职日期="2021-03-01")]
    )
    assert result.errors == []
    post = Post.objects.get()
    assert (post.member.id_number, post.org.code, post.title, post.started_on) == (
        number,
        "A1G1",
        "xiaozuzhang",
        dt.date(2021, 3, 1),
    )


def test_new_post_for_existing_member_counts_as_update(tree, tmp_path, make_member):
    member = make_member(tree.a1, name="张一", phone="", education="")
    result = import_rows(tmp_path, [row("张一", member.id_number, 党内职务="书记", 任职日期="2022-01-01")])
    assert result.to_json() == {"created": 0, "updated": 1, "unchanged": 0, "errors": []}
    assert Post.objects.get().member == member


def test_post_title_needs_a_start_date_and_the_reverse(tree, tmp_path):
    rows = [
        row("张一", unique_id_number(), 党内职务="书记", 任职日期=None),
        row("李二", unique_id_number(), 党内职务=None, 任职日期="2021-01-01"),
    ]
    result = import_rows(tmp_path, rows)
    assert result.errors == [
        RowError(2, "任职日期", "填写了党内职务，还应填写任职日期。"),
        RowError(3, "党内职务", "填写了任职日期，还应填写党内职务。"),
    ]


def test_post_not_held_in_a_group_is_refused_by_the_service(tree, tmp_path):
    result = import_rows(
        tmp_path, [row("张一", unique_id_number(), org="A1G1", 党内职务="书记", 任职日期="2021-01-01")]
    )
    assert result.errors == [RowError(2, "党内职务", "党小组不设“书记”职务。")]
    assert Member.objects.count() == 0


def test_number_cells_and_excel_date_cells_are_read(tree, tmp_path):
    number = unique_id_number()
    rows = [
        row(
            "张一",
            f" {number} ",
            joined=dt.datetime(2010, 7, 1),
            confirmed=dt.date(2011, 7, 1),
            手机号码=13912345678,
            是否领导干部="是",
            流动党员=None,
        )
    ]
    result = import_rows(tmp_path, rows)
    assert result.errors == []
    member = find_by_id_number(number)
    assert (member.phone, member.joined_on, member.is_leader, member.is_mobile) == (
        "13912345678",
        dt.date(2010, 7, 1),
        True,
        False,
    )


def test_id_number_rounded_by_excel_is_explained(tree, tmp_path):
    result = import_rows(tmp_path, [row("张一", 3.10104198506151e17)])
    assert result.errors == [
        RowError(
            2,
            "身份证号",
            "身份证号被存成了数字，Excel 只保留15位有效数字，末几位已丢失；请把该列设为文本格式后重新填写。",
        )
    ]


def test_messages_never_show_full_id_numbers(tree, tmp_path, make_member):
    other = make_member(tree.b1, name="乙党员")
    number = unique_id_number()
    rows = [row("张一", number), row("张一", number), row("乙党员", other.id_number, org="A1")]
    result = import_rows(tmp_path, rows)
    text = "\n".join(str(e) for e in result.errors)
    assert number not in text and other.id_number not in text
    assert mask_id_number(number) in text


def test_export_of_members_reimports_as_unchanged(tree, tmp_path, make_member):
    from dangjian.orgs.services import create_post

    secretary = make_member(tree.a1, name="书记甲", is_leader=True, position="处长")
    make_member(tree.a1g1, name="组员乙", category="probationary", confirmed_on=None, phone="")
    make_member(tree.b1, name="乙党员", work_status="retired", is_mobile=True, ethnicity="回族")
    create_post(
        actor=None,
        data={"member": secretary, "org": tree.a1, "title": "shuji", "started_on": dt.date(2020, 1, 1)},
    )
    path = save_bytes(tmp_path / "export.xlsx", export_workbook("members", Member.objects.all()))
    result = run_import("members", path, actor=None, dry_run=False)
    assert result.to_json() == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}


def test_reimport_lookups_do_not_grow_with_the_number_of_rows(tree, tmp_path):
    def queries_for_reimport(count, name):
        path = write_xlsx(tmp_path / name, [row(f"党员{i}", unique_id_number()) for i in range(count)])
        run_import("members", path, actor=None, dry_run=False)
        with CaptureQueriesContext(connection) as ctx:
            result = run_import("members", path, actor=None, dry_run=False)
        assert result.unchanged == count
        return len(ctx.captured_queries)

    small, large = queries_for_reimport(2, "small.xlsx"), queries_for_reimport(40, "large.xlsx")
    assert large - small == 2 * (40 - 2)  # only each row's savepoint (open and release), no look-ups


def test_two_thousand_members_import_in_seconds_with_progress(tree, tmp_path):
    rows = [row(f"党员{i}", unique_id_number(), org="A1" if i % 2 else "A2") for i in range(2000)]
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    calls = []
    started = time.monotonic()
    result = run_import(
        "members", path, actor=None, dry_run=False, progress=lambda d, t: calls.append((d, t))
    )
    assert (result.created, result.errors) == (2000, [])
    assert calls == [(1000, 2000), (2000, 2000)]
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("header", ["身份证号", "所在组织编码"])
def test_missing_required_column_is_a_row_one_error(tree, tmp_path, header):
    data = row("张一", unique_id_number())
    del data[header]
    result = import_rows(tmp_path, [data])
    assert result.errors == [RowError(1, header, "缺少必填列。")]
