"""谈心谈话, 新老结对 and the youth groups pick members within the actor's scope: an id of a member of another 党委
is refused with the message of an unknown id, naming nobody, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.errors import ServiceError
from dangjian.talks import services
from dangjian.talks.models import Pair, Talk

pytestmark = pytest.mark.django_db
UNKNOWN = "所选党员不存在或不在您的管理范围内。"


def test_a_talk_with_a_member_of_another_dangwei_names_nobody(tree, users, a1, make_member):
    foreign = make_member(tree.b1, name="乙委某人")
    with pytest.raises(ServiceError) as refused:
        services.record_talk(
            actor=users["branch_a1"], org=tree.a1, date=dt.date.today(), participants=[a1.shuji, foreign]
        )
    assert (refused.value.message, refused.value.field) == (UNKNOWN, "participants")
    with pytest.raises(ServiceError) as never:
        services.record_talk(
            actor=users["branch_a1"], org=tree.a1, date=dt.date.today(), participants=[a1.shuji, 999999]
        )
    assert never.value.message == refused.value.message
    assert not Talk.objects.exists()


def test_a_pair_with_a_member_of_another_dangwei_names_nobody(tree, users, a1, make_member):
    foreign = make_member(tree.b1, name="乙委某人")
    with pytest.raises(ServiceError) as refused:
        services.create_pair(
            actor=users["branch_a1"],
            org=tree.a1,
            mentor=a1.shuji,
            mentee=foreign,
            started_on=dt.date.today(),
            goal="学习",
        )
    assert (refused.value.message, refused.value.field) == (UNKNOWN, "mentee")
    assert not Pair.objects.exists()
