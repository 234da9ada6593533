"""A meetings file names its host, lecturer and absentees by 身份证号, resolved within the importer's scope: a
member of another 党委 reads exactly as an unknown number and nothing is written. A lecturer outside the scope is
found only among the post holders of the meeting organisation's ancestors and unit (the 党组书记's 党课)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.conftest import unique_id_number
from dangjian.core.imports import RowError
from dangjian.core.pii import mask_id_number
from dangjian.meetings.models import Meeting
from dangjian.meetings.tests.test_xlsx import import_rows, meeting_row, number
from dangjian.meetings.tests.test_xlsx import people as people  # the fixture
from dangjian.orgs.services import create_post


def unknown(n: str) -> str:
    return f"本组织范围内没有身份证号为 {mask_id_number(n)} 的党员。"


@pytest.fixture
def foreign(tree, make_member):
    n = unique_id_number()
    make_member(tree.b1, name="乙委党员", id_number=n)
    return n


@pytest.mark.parametrize("column", ["主持人身份证号", "主讲人身份证号", "缺席人员身份证号"])
def test_a_member_of_another_dangwei_reads_as_an_unknown_number(tmp_path, users, people, foreign, column):
    never = unique_id_number()
    actor = users["branch_a1"]
    rows = [meeting_row(**{column: foreign}), meeting_row(主题="另一次", **{column: never})]
    result = import_rows(tmp_path, rows, actor=actor)
    assert result.errors == [RowError(2, column, unknown(foreign)), RowError(3, column, unknown(never))]
    assert not Meeting.objects.exists()


def test_the_dangzu_secretary_outside_the_scope_may_lecture(tmp_path, users, tree, people, make_member):
    secretary_number = unique_id_number()
    secretary = make_member(tree.b1, name="党组书记", id_number=secretary_number)
    create_post(
        actor=None,
        data={"member": secretary, "org": tree.a_dz, "title": "shuji", "started_on": dt.date(2024, 1, 1)},
    )
    row = meeting_row(主持人身份证号=number(people, "书记"), 主讲人身份证号=secretary_number)
    result = import_rows(tmp_path, [row], actor=users["branch_a1"])
    assert result.errors == []
    assert Meeting.objects.get().lecturer == secretary
    # as host, the same person is outside the scope: unknown
    result = import_rows(
        tmp_path, [meeting_row(主题="又一次", 主持人身份证号=secretary_number)], actor=users["branch_a1"]
    )
    assert result.errors == [RowError(2, "主持人身份证号", unknown(secretary_number))]
