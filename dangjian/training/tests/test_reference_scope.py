"""Members picked by 身份证号 or id for training are resolved within the actor's scope: a member of another 党委
reads exactly as an unknown one, is never named, and nothing is written."""

from __future__ import annotations

import pytest

from dangjian.conftest import unique_id_number
from dangjian.core.errors import ServiceError
from dangjian.core.imports import run_import
from dangjian.core.pii import mask_id_number
from dangjian.training.models import Participant, StudyRecord
from dangjian.training.services import add_participants, create_training
from dangjian.training.tests.test_services import data
from dangjian.training.tests.test_xlsx import write

pytestmark = pytest.mark.django_db


def test_a_study_row_for_a_member_of_another_dangwei_reads_as_an_unknown_number(
    tmp_path, tree, users, make_member
):
    foreign, never = make_member(tree.b1, name="赵三"), unique_id_number()
    rows = [[foreign.id_number, "", "学习强国", "2026", None, 2], [never, "", "学习强国", "2026", None, 2]]
    result = run_import(
        "study-stats", write(tmp_path / "x.xlsx", rows), actor=users["branch_a1"], dry_run=False
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "身份证号", f"本组织范围内没有身份证号为 {mask_id_number(foreign.id_number)} 的党员。"),
        (3, "身份证号", f"本组织范围内没有身份证号为 {mask_id_number(never)} 的党员。"),
    ]
    assert not StudyRecord.objects.exists()


def test_a_participant_of_another_dangwei_is_refused_without_being_named(tree, users, make_member):
    training = create_training(actor=users["dangwei_a"], data=data(tree.a))
    own, foreign = make_member(tree.a1, name="甲"), make_member(tree.b1, name="乙委某人")
    with pytest.raises(ServiceError) as refused:
        add_participants(actor=users["dangwei_a"], training=training, members=[own, foreign])
    assert refused.value.message == "所选党员不存在或不在您的管理范围内。"
    assert not Participant.objects.exists()
