import datetime as dt

from dangjian.conftest import unique_id_number
from dangjian.core.imports import RowError, export_workbook, run_import
from dangjian.core.models import AuditEvent
from dangjian.core.pii import mask_id_number
from dangjian.core.tests.xlsx_files import save_bytes, write_xlsx
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_post


def org_row(code, name, type_, parent, **extra):
    return {"组织编码": code, "组织名称": name, "组织类型": type_, "上级组织编码": parent, **extra}


def import_orgs(tmp_path, rows, *, actor=None, dry_run=False, name="orgs.xlsx"):
    return run_import("orgs", write_xlsx(tmp_path / name, rows), actor=actor, dry_run=dry_run)


def import_posts(tmp_path, rows, *, actor=None, name="posts.xlsx"):
    return run_import("posts", write_xlsx(tmp_path / name, rows), actor=actor, dry_run=False)


def test_org_whose_parent_comes_later_in_the_sheet_is_created_under_it(tree, tmp_path):
    rows = [
        org_row("C1G1", "丙一第一党小组", "党小组", "C1"),
        org_row("C1", "丙一支部", "党支部", "C"),
        org_row("C", "丙委机关党委", "党委", "GW", 所在单位="丙委", 成立日期="2019-05-01"),
    ]
    result = import_orgs(tmp_path, rows)
    assert result.to_json() == {"created": 3, "updated": 0, "unchanged": 0, "errors": []}
    c, c1, c1g1 = (Org.objects.get(code=code) for code in ("C", "C1", "C1G1"))
    assert (c1.parent, c1g1.parent, c.parent) == (c, c1, tree.gw)
    assert c1g1.path.startswith(c1.path) and c1.path.startswith(c.path)
    assert (c.term_years, c1.term_years, c.founded_on) == (5, 3, dt.date(2019, 5, 1))
    assert [(p.row, p.action, p.summary) for p in result.planned] == [
        (2, "create", "党小组“丙一第一党小组”（C1G1）"),
        (3, "create", "党支部“丙一支部”（C1）"),
        (4, "create", "党委“丙委机关党委”（C）"),
    ]


def test_duplicate_org_code_in_one_file_names_the_earlier_row(tree, tmp_path):
    rows = [
        org_row("C", "丙委机关党委", "党委", "GW"),
        org_row("C1", "丙一支部", "党支部", "C"),
        org_row("C", "丙委党组", "党组", "GW"),
    ]
    result = import_orgs(tmp_path, rows)
    assert result.errors == [RowError(4, "组织编码", "组织编码“C”与第 2 行重复。")]
    assert not Org.objects.filter(code__in=["C", "C1"]).exists()


def test_branch_under_a_dangzu_is_refused_with_the_services_explanation(tree, tmp_path):
    result = import_orgs(tmp_path, [org_row("A-DZ-1", "党组下支部", "党支部", "A-DZ")])
    assert result.errors == [
        RowError(2, "上级组织编码", "党支部只能设在党委或党总支之下，不能设在党组“甲委党组”之下。")
    ]


def test_wrong_type_under_a_parent_from_the_same_file(tree, tmp_path):
    rows = [org_row("C1X", "错挂支部", "党支部", "C1"), org_row("C1", "丙一支部", "党支部", "A")]
    result = import_orgs(tmp_path, rows)
    assert result.errors == [
        RowError(2, "上级组织编码", "党支部只能设在党委或党总支之下，不能设在党支部“丙一支部”之下。")
    ]
    assert not Org.objects.filter(code="C1").exists()


def test_unknown_parent_code_is_reported(tree, tmp_path):
    result = import_orgs(tmp_path, [org_row("C1", "丙一支部", "党支部", "NOPE")])
    assert result.errors == [RowError(2, "上级组织编码", "组织编码“NOPE”不存在（系统和本文件中都没有）。")]


def test_parents_forming_a_cycle_are_errors(tree, tmp_path):
    rows = [org_row("X", "甲", "党委", "Y"), org_row("Y", "乙", "党委", "X"), org_row("Z", "丙", "党委", "Z")]
    result = import_orgs(tmp_path, rows)
    assert [e for e in result.errors if e.message.startswith(("上级组织形成", "不能是"))] == [
        RowError(2, "上级组织编码", "上级组织形成了循环引用。"),
        RowError(3, "上级组织编码", "上级组织形成了循环引用。"),
        RowError(4, "上级组织编码", "不能是本组织自身。"),
    ]


def test_bad_labels_numbers_and_dates_in_org_rows(tree, tmp_path):
    rows = [org_row("C", "丙委", "机关党委", "GW", 离退休党支部="对", 任期年限="五年", 成立日期="2019-02-30")]
    result = import_orgs(tmp_path, rows)
    assert result.errors == [
        RowError(2, "组织类型", "“机关党委”无效，应为：工委、党组、党委、党总支、党支部、党小组。"),
        RowError(2, "成立日期", "“2019-02-30”不是有效日期。"),
        RowError(2, "任期年限", "“五年”无效，应为整数。"),
        RowError(2, "离退休党支部", "“对”无效，应填写“是”或“否”。"),
    ]


def test_out_of_range_term_years_is_refused_by_the_service(tree, tmp_path):
    result = import_orgs(tmp_path, [org_row("C", "丙委", "党委", "GW", 任期年限=12)])
    assert result.errors == [RowError(2, "任期年限", "任期年限应在1至10年之间。")]


def test_exported_tree_reimports_as_all_unchanged(tree, tmp_path):
    path = save_bytes(tmp_path / "orgs.xlsx", export_workbook("orgs", Org.objects.all()))
    events = AuditEvent.objects.exclude(action="import").count()
    result = run_import("orgs", path, actor=None, dry_run=False)
    assert result.to_json() == {"created": 0, "updated": 0, "unchanged": 9, "errors": []}
    assert AuditEvent.objects.exclude(action="import").count() == events


def test_changed_org_row_is_an_update(tree, tmp_path):
    rows = [
        org_row("A1", "甲一支部（新）", "党支部", "A", 所在单位="甲委", 成立日期="2018-03-01"),
        org_row("A2", "甲二支部", "党支部", "A", 所在单位="甲委", 成立日期="2018-03-01"),
    ]
    result = import_orgs(tmp_path, rows)
    assert result.to_json() == {"created": 0, "updated": 1, "unchanged": 1, "errors": []}
    assert Org.objects.get(code="A1").name == "甲一支部（新）"
    event = AuditEvent.objects.get(action="update", object_type="orgs.org")
    assert (event.before["name"], event.after["name"]) == ("甲一支部", "甲一支部（新）")


def test_org_moves_under_a_parent_created_in_the_same_file(tree, tmp_path):
    rows = [org_row("B1", "乙一支部", "党支部", "B-ZZ2"), org_row("B-ZZ2", "乙二总支", "党总支", "B")]
    result = import_orgs(tmp_path, rows)
    assert (result.created, result.updated, result.errors) == (1, 1, [])
    b1 = Org.objects.get(code="B1")
    assert b1.parent.code == "B-ZZ2" and b1.path.startswith(Org.objects.get(code="B-ZZ2").path)


def test_dangwei_admin_cannot_add_orgs_under_another_dangwei(users, tree, tmp_path):
    rows = [org_row("A3", "甲三支部", "党支部", "A"), org_row("B2", "乙二支部", "党支部", "B")]
    result = import_orgs(tmp_path, rows, actor=users["dangwei_a"])
    assert result.errors == [RowError(3, "上级组织编码", "上级组织“B”不在您的管理范围内。")]
    assert not Org.objects.filter(code="A3").exists()


def test_branch_admin_cannot_update_a_sibling_branch(users, tree, tmp_path):
    result = import_orgs(tmp_path, [org_row("A2", "改名", "党支部", "A")], actor=users["branch_a1"])
    assert result.errors == [RowError(2, "组织编码", "组织“A2”不在您的管理范围内。")]


def test_dangwei_admin_reimports_an_export_of_its_own_subtree_as_unchanged(users, tree, tmp_path):
    visible = Org.objects.visible_to(users["dangwei_a"])
    path = save_bytes(tmp_path / "mine.xlsx", export_workbook("orgs", visible))
    result = run_import("orgs", path, actor=users["dangwei_a"], dry_run=False)
    assert result.to_json() == {"created": 0, "updated": 0, "unchanged": 4, "errors": []}


def test_dry_run_of_orgs_writes_nothing(tree, tmp_path):
    result = import_orgs(tmp_path, [org_row("C", "丙委", "党委", "GW")], dry_run=True)
    assert (result.created, result.errors) == (1, [])
    assert not Org.objects.filter(code="C").exists()


# --- posts -------------------------------------------------------------------------------------------


def post_row(member, org, title, started, ended=None):
    return {
        "身份证号": member.id_number,
        "组织编码": org,
        "党内职务": title,
        "任职日期": started,
        "离任日期": ended,
    }


def test_posts_are_created_and_a_second_import_changes_nothing(tree, tmp_path, make_member):
    secretary, deputy = make_member(tree.a1, name="书记甲"), make_member(tree.a1, name="副书记乙")
    rows = [
        post_row(secretary, "A1", "书记", "2021-03-01"),
        post_row(deputy, "A", "委员", "2021-03-01", "2024-03-01"),
        post_row(secretary, "A-DZ", "委员", dt.datetime(2022, 1, 5)),
    ]
    path = write_xlsx(tmp_path / "posts.xlsx", rows)
    assert run_import("posts", path, actor=None, dry_run=False).created == 3
    assert Post.objects.get(org=tree.a, member=deputy).ended_on == dt.date(2024, 3, 1)
    events = AuditEvent.objects.exclude(action="import").count()
    again = run_import("posts", path, actor=None, dry_run=False)
    assert again.to_json() == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    assert AuditEvent.objects.exclude(action="import").count() == events


def test_post_with_a_new_end_date_is_an_update(tree, tmp_path, make_member):
    member = make_member(tree.a1, name="书记甲")
    create_post(
        actor=None,
        data={"member": member, "org": tree.a1, "title": "shuji", "started_on": dt.date(2021, 3, 1)},
    )
    result = import_posts(tmp_path, [post_row(member, "A1", "书记", "2021-03-01", "2024-03-01")])
    assert result.to_json() == {"created": 0, "updated": 1, "unchanged": 0, "errors": []}
    assert Post.objects.get().ended_on == dt.date(2024, 3, 1)


def test_post_for_an_unknown_member_or_org_is_an_error(tree, tmp_path, make_member):
    from dangjian.members.models import Member

    stranger = Member(id_number=unique_id_number())
    member = make_member(tree.a1)
    result = import_posts(
        tmp_path,
        [post_row(stranger, "A1", "书记", "2021-03-01"), post_row(member, "ZZ", "书记", "2021-03-01")],
    )
    assert result.errors == [
        RowError(2, "身份证号", f"本组织范围内没有身份证号为 {mask_id_number(stranger.id_number)} 的党员。"),
        RowError(3, "组织编码", "本组织范围内没有组织编码为“ZZ”的组织。"),
    ]


def test_duplicate_post_in_one_file_is_an_error(tree, tmp_path, make_member):
    member = make_member(tree.a1)
    rows = [post_row(member, "A1", "书记", "2021-03-01"), post_row(member, "A1", "书记", dt.date(2021, 3, 1))]
    result = import_posts(tmp_path, rows)
    assert result.errors == [RowError(3, "任职日期", "与第 2 行重复（同一党员、组织、职务和任职日期）。")]


def test_post_title_not_held_in_that_org_type_is_refused(tree, tmp_path, make_member):
    member = make_member(tree.a1g1)
    result = import_posts(tmp_path, [post_row(member, "A1G1", "书记", "2021-03-01")])
    assert result.errors == [RowError(2, "党内职务", "党小组不设“书记”职务。")]


def test_end_before_start_is_refused(tree, tmp_path, make_member):
    member = make_member(tree.a1)
    result = import_posts(tmp_path, [post_row(member, "A1", "书记", "2021-03-01", "2020-03-01")])
    assert result.errors == [RowError(2, "离任日期", "离任日期应晚于任职日期。")]


def test_branch_admin_cannot_appoint_in_or_from_a_sibling_branch(users, tree, tmp_path, make_member):
    own, other = make_member(tree.a1, name="甲一党员"), make_member(tree.a2, name="甲二党员")
    rows = [post_row(own, "A2", "委员", "2021-03-01"), post_row(other, "A1", "委员", "2021-03-01")]
    result = import_posts(tmp_path, rows, actor=users["branch_a1"])
    assert result.errors == [
        RowError(2, "组织编码", "本组织范围内没有组织编码为“A2”的组织。"),
        RowError(3, "身份证号", f"本组织范围内没有身份证号为 {mask_id_number(other.id_number)} 的党员。"),
    ]
    assert not Post.objects.exists()


def test_exported_posts_reimport_as_unchanged(tree, tmp_path, make_member):
    member = make_member(tree.a1)
    create_post(
        actor=None,
        data={
            "member": member,
            "org": tree.a1,
            "title": "shuji",
            "started_on": dt.date(2019, 1, 1),
            "ended_on": dt.date(2022, 1, 1),
        },
    )
    create_post(
        actor=None,
        data={"member": member, "org": tree.a, "title": "weiyuan", "started_on": dt.date(2020, 1, 1)},
    )
    path = save_bytes(tmp_path / "posts.xlsx", export_workbook("posts", Post.objects.all()))
    result = run_import("posts", path, actor=None, dry_run=False)
    assert result.to_json() == {"created": 0, "updated": 0, "unchanged": 2, "errors": []}


def test_post_row_with_several_problems_lists_each_column(tree, tmp_path):
    rows = [
        {
            "身份证号": unique_id_number()[:17] + "Z",
            "组织编码": "ZZ",
            "党内职务": "主任",
            "任职日期": "2021-3",
        }
    ]
    result = import_posts(tmp_path, rows)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "身份证号"),
        (2, "党内职务"),
        (2, "任职日期"),
        (2, "组织编码"),
    ]
