"""党员管理 in the work list (movements.workbench.waiting): a transfer to accept, a contact coming due with a member
abroad, a member out of contact for the branch to consider — and the one query written by hand that tells whether
there is any of them in the user's organisations (selectors.anything_waiting), which must never say no when the
lists have something to show."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.accounts.scope import scope_for
from dangjian.movements import selectors, services
from dangjian.movements.workbench import waiting

pytestmark = pytest.mark.django_db
D = dt.date
ON = D(2026, 9, 20)


def titles(items) -> list[str]:
    return sorted(i.title for i in items)


def test_nothing_waiting_costs_one_query(users, tree, django_assert_num_queries):
    scope_for(users["branch_a1"])  # read once per request by the middleware
    with django_assert_num_queries(1):
        assert waiting(users["branch_a1"], None, ON) == []
    assert selectors.anything_waiting(users["branch_a1"], None, ON) == (False, False, False)


def test_each_kind_is_listed_for_the_branch_and_for_no_other(users, tree, make_user, make_member):
    to_a1 = make_member(tree.a2, name="转入者")
    services.start_transfer(
        actor=None, member=to_a1, to_org=tree.a1, started_on=D(2026, 9, 1), reason="工作调动"
    )
    abroad = make_member(tree.a1g1, name="出国者")  # in a 党小组 of 甲一
    stint = services.start_stint(
        actor=None,
        member=abroad,
        destination="德国",
        abroad=True,
        abroad_purpose="work",
        left_on=D(2026, 1, 10),
    )
    services.record_contact(actor=None, stint=stint, contacted_on=D(2026, 4, 1), way="phone")  # due 10-01
    lost = make_member(tree.a1, name="失联者")
    services.record_lost_contact(actor=None, member=lost, lost_on=D(2026, 1, 15))  # 6 months on 07-15

    assert selectors.anything_waiting(users["branch_a1"], None, ON) == (True, True, True)
    assert titles(waiting(users["branch_a1"], None, ON)) == sorted(
        ["转入者的组织关系转入待接收", "与出国者联系", "失联党员失联者：建议支部研究是否停止其党籍"]
    )
    # the sibling branch, and a 党委 narrowing its list to the sibling: nothing of 甲一's
    assert selectors.anything_waiting(users["branch_a2"], None, ON) == (False, False, False)
    assert waiting(users["branch_a2"], None, ON) == []
    assert selectors.anything_waiting(users["dangwei_a"], tree.a2, ON) == (False, False, False)
    assert waiting(users["dangwei_a"], tree.a2, ON) == []
    # the 党委 over both, whole or narrowed to 甲一; the 工委; a foreign 党委 and a member: nothing
    for user, org in ((users["dangwei_a"], None), (users["dangwei_a"], tree.a1), (users["gongwei"], None)):
        assert selectors.anything_waiting(user, org, ON) == (True, True, True)
        assert len(waiting(user, org, ON)) == 3
    for user in (make_user("dangwei_b", "dangwei_admin", tree.b), users["member_a1"], users["norole"]):
        assert selectors.anything_waiting(user, None, ON) == (False, False, False)
        assert waiting(user, None, ON) == []
    # before they happened, and once they are over: nothing
    assert selectors.anything_waiting(users["branch_a1"], None, D(2026, 1, 9)) == (True, False, False)
    services.record_regained(actor=None, lost=lost.lost_contacts.get(), regained_on=D(2026, 9, 1))
    services.end_stint(actor=None, stint=stint, returned_on=D(2026, 9, 10))
    assert selectors.anything_waiting(users["branch_a1"], None, ON) == (True, False, False)
    assert titles(waiting(users["branch_a1"], None, ON)) == ["转入者的组织关系转入待接收"]
