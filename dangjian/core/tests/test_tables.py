"""`dangjian.core.tables`: the one table printer and JSON writer of the commands."""

from __future__ import annotations

import json

from dangjian.core import tables


def test_display_width_counts_cjk_as_two_columns():
    assert tables.display_width("A1") == 2
    assert tables.display_width("甲一支部") == 8
    assert tables.display_width("出国（境）") == 10  # full-width brackets are wide too
    assert tables.display_width("2026-04、2026-05") == 16
    assert tables.display_width("e\u0301") == 1  # a combining accent takes no column
    assert tables.display_width("a\nb") == 2  # a control character takes none either
    assert tables.display_width("") == 0


def test_a_cjk_column_aligns_with_an_ascii_column():
    text = tables.format_table(
        ["组织编码", "名称", "人数"],
        [["A1", "甲一支部", "12"], ["B-ZZ", "乙总支", "3"], ["LONGCODE9", "Branch", ""]],
    )
    assert text.splitlines() == [
        "组织编码   名称      人数",
        "A1         甲一支部  12",
        "B-ZZ       乙总支    3",
        "LONGCODE9  Branch",
        "共 3 行",
    ]
    assert text.endswith("行\n")


def test_an_empty_list_keeps_its_header():
    assert tables.format_table(["姓名", "组织编码"], []) == "姓名  组织编码\n共 0 行\n"


def test_align_with_a_rule_under_the_header():
    assert tables.align([["角色", "用户名"], ["党员", "dangyuan"]], rule=True) == [
        "角色  用户名",
        "----  --------",
        "党员  dangyuan",
    ]
    assert tables.align([]) == []


def test_records_use_the_header_keys_in_order_and_the_usual_cells():
    items = [
        {"member": "王一", "org": "A1", "abroad": True, "note": None},
        {"org": "B1", "member": "Li", "abroad": False, "note": 3},
    ]
    headers = {"member": "姓名", "org": "组织编码", "abroad": "出国（境）", "note": "备注"}
    assert tables.format_records(headers, items).splitlines() == [
        "姓名  组织编码  出国（境）  备注",
        "王一  A1        是",
        "Li    B1        否          3",
        "共 2 行",
    ]
    assert tables.format_records({"org": "组织"}, [{"org": "A1"}], to_cell=str.lower) == (
        "组织\na1\n共 1 行\n"
    )


def test_json_keeps_chinese_readable_and_ends_with_a_newline():
    data = [{"name": "甲一支部", "n": 1}]
    assert tables.to_json(data) == '[\n  {\n    "name": "甲一支部",\n    "n": 1\n  }\n]\n'
    assert tables.to_json({"category": "在职", "due": "97.50"}, one_line=True) == (
        '{"category": "在职", "due": "97.50"}\n'
    )
    assert json.loads(tables.to_json(data)) == data
