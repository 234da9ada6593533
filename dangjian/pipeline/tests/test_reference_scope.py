"""A development-cases file whose 接收预备党员 row names the 身份证号 of a member on another 党委's roll says only
that the number is registered: it neither attaches that member to the case nor tells their 入党日期."""

from __future__ import annotations

import pytest

from dangjian.core.imports import run_import
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.members.services import id_number_taken
from dangjian.pipeline.models import DevelopmentCase
from dangjian.pipeline.tests.test_approver import import_rows


@pytest.mark.django_db
def test_a_member_on_another_roll_is_not_attached_to_an_imported_case(tree, make_user, make_member, tmp_path):
    foreign = make_member(tree.a1, name="甲委党员")
    rows = import_rows(None)
    del rows[0]["党委审批日期"]
    rows[0]["身份证号"] = foreign.id_number
    b1_admin = make_user("b1_admin", "branch_admin", tree.b1)
    result = run_import("dev-cases", write_xlsx(tmp_path / "a.xlsx", rows), actor=b1_admin, dry_run=False)
    assert [(e.column, e.message) for e in result.errors] == [("身份证号", id_number_taken())]
    assert "甲委" not in result.errors[0].message and "2010" not in result.errors[0].message
    assert not DevelopmentCase.objects.exists()
