"""MemberScopedQuerySet: rows that hang off a member (党费 bases, mobile stints, training participation) are
visible exactly as their member is: the members of the administered organisations plus the user's own record;
`administered_by` leaves the own record out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.dues.models import DuesBase
from dangjian.dues.services import declare_base
from dangjian.members.models import Member
from dangjian.movements.models import MobileStint
from dangjian.movements.services import start_stint
from dangjian.training.models import Participant
from dangjian.training.services import add_participants, create_training

D = dt.date
MODELS = [DuesBase, MobileStint, Participant]


@pytest.fixture
def rows(tree, users, make_member, make_user):
    """李党员 (the 党员 user's own record, 甲一), 甲一乙, 小组丙 (甲一's 党小组), 甲二丁 and 乙一戊, each with a 党费
    base, a mobile stint and a training; a 甲二 admin who is a member of 甲一; a superuser who is 乙一戊."""
    members = [
        users["own_member"],
        make_member(tree.a1, name="甲一乙"),
        make_member(tree.a1g1, name="小组丙"),
        make_member(tree.a2, name="甲二丁"),
        make_member(tree.b1, name="乙一戊"),
    ]
    training = create_training(
        actor=None,
        data={
            "title": "党支部书记集中轮训",
            "organiser": "市级机关工作党委",
            "level": "county_rotation",
            "org": tree.gw,
            "started_on": D(2026, 1, 10),
            "ended_on": D(2026, 1, 14),
            "hours": Decimal("40"),
        },
    )
    add_participants(actor=None, training=training, members=members)
    for member in members:
        declare_base(
            actor=None,
            member=member,
            year=2026,
            category="active",
            monthly_base=Decimal("6000"),
            effective_month=D(2026, 1, 1),
        )
        start_stint(actor=None, member=member, destination="外省", abroad=False, left_on=D(2026, 2, 1))
    admin_member = make_user("a2_admin_in_a1", "branch_admin", tree.a2, member=members[1])
    superuser = make_user("root", member=members[4])
    superuser.is_superuser = True
    superuser.save()
    return {**users, "a2_admin_in_a1": admin_member, "root": superuser}


def names(qs, field="member__name") -> set[str]:
    return set(qs.values_list(field, flat=True))


EVERYONE = {"李党员", "甲一乙", "小组丙", "甲二丁", "乙一戊"}
VISIBLE = {
    "gongwei": EVERYONE,
    "dangwei_a": {"李党员", "甲一乙", "小组丙", "甲二丁"},
    "branch_a1": {"李党员", "甲一乙", "小组丙"},
    "branch_a2": {"甲二丁"},
    "a2_admin_in_a1": {"甲二丁", "甲一乙"},  # administers 甲二; their own record is in 甲一
    "member_a1": {"李党员"},  # a 党员 sees their own rows only
    "norole": set(),
    "root": EVERYONE,  # a superuser sees everything, even when linked to a member
}
ADMINISTERED = {**VISIBLE, "a2_admin_in_a1": {"甲二丁"}, "member_a1": set()}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_rows_are_visible_exactly_as_their_member(rows, model, username):
    user = rows[username]
    assert names(model.objects.visible_to(user)) == VISIBLE[username]
    assert names(Member.objects.visible_to(user).filter(name__in=EVERYONE), "name") == VISIBLE[username]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("username", sorted(ADMINISTERED))
def test_administered_by_leaves_out_the_users_own_record(rows, model, username):
    assert names(model.objects.administered_by(rows[username])) == ADMINISTERED[username]
