"""The party posts file names its member by 身份证号, resolved within the importer's scope: a member of another
党委 reads exactly as an unknown number."""

from __future__ import annotations

from dangjian.conftest import unique_id_number
from dangjian.core.imports import run_import
from dangjian.core.pii import mask_id_number
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.orgs.models import Post


def test_a_post_for_a_member_of_another_dangwei_reads_as_an_unknown_number(
    tmp_path, tree, users, make_member
):
    foreign, never = make_member(tree.b1, name="乙委某人"), unique_id_number()
    rows = [
        {"身份证号": n, "组织编码": "A1", "党内职务": "组织委员", "任职日期": "2024-03-01"}
        for n in (foreign.id_number, never)
    ]
    result = run_import(
        "posts", write_xlsx(tmp_path / "p.xlsx", rows), actor=users["branch_a1"], dry_run=False
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "身份证号", f"本组织范围内没有身份证号为 {mask_id_number(foreign.id_number)} 的党员。"),
        (3, "身份证号", f"本组织范围内没有身份证号为 {mask_id_number(never)} 的党员。"),
    ]
    assert not Post.objects.exists()
