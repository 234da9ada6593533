"""党员管理 in the work list (movements.workbench.waiting): a transfer to accept, a contact coming due with a member
abroad, a member out of contact for the branch to consider — and the one query written by hand that tells whether
there is any of them in the user's organisations (selectors.anything_waiting), which must never say no when the
lists have something to show. The kept MEM-TRANSFER-DUE and MEM-MOBILE-CONTACT failures are due on the deadline of
the members they name (the category's `due`)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.accounts.scope import scope_for
from dangjian.compliance import kept
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.workbench import WorkItem, kept_items
from dangjian.movements import selectors, services
from dangjian.movements.workbench import waiting
from dangjian.orgs.models import Org

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


# --- the kept MEM-TRANSFER-DUE and MEM-MOBILE-CONTACT results: due on their members' deadlines ---------------

TRANSFER, CONTACT = "MEM-TRANSFER-DUE", "MEM-MOBILE-CONTACT"


def _kept_items(org, on: dt.date) -> dict[str, WorkItem]:
    listed = kept_items(Org.objects.filter(pk=org.pk), on=on, ruleset=load_ruleset())
    return {i.rule_id: i for i in listed if i.rule_id in (TRANSFER, CONTACT)}


def _away(make_member, org, name: str, left_on: dt.date, **stint):
    return services.start_stint(
        actor=None, member=make_member(org, name=name), destination="外地", left_on=left_on, **stint
    )


def test_a_failed_transfer_or_contact_is_due_on_the_earliest_deadline_of_its_members(
    client, users, tree, make_member
):
    """The deadline is a start date plus the rule's months: a transfer by the day before the member has been away
    six months (the check fails from that day), a contact six months after the last one, or after leaving. The
    item says 截止 that day, not the day a check found it, and is overdue after it."""
    abroad = _away(make_member, tree.a1g1, "出国甲", D(2026, 1, 10), abroad=True, abroad_purpose="work")
    services.record_contact(actor=None, stint=abroad, contacted_on=D(2026, 2, 15), way="phone")  # → 08-15
    _away(make_member, tree.a1, "出国乙", D(2026, 3, 1), abroad=True, abroad_purpose="work")  # → 09-01
    _away(make_member, tree.a1, "固定丙", D(2026, 1, 31), fixed_place=True)  # 满6个月 on 07-31: by 07-30
    _away(make_member, tree.a1, "固定丁", D(2026, 2, 28), fixed_place=True)  # by 08-27

    kept.refresh(Org.objects.all(), on=D(2026, 7, 30))
    assert _kept_items(tree.a1, D(2026, 7, 30)) == {}  # the last day: not yet due
    kept.refresh(Org.objects.all(), on=D(2026, 7, 31))
    (item,) = _kept_items(tree.a1, D(2026, 7, 31)).values()
    assert (item.rule_id, item.due, item.overdue, item.since) == (TRANSFER, D(2026, 7, 30), True, None)

    kept.refresh(Org.objects.all(), on=ON)
    found = _kept_items(tree.a1, ON)
    assert {r: (i.due, i.overdue, i.since) for r, i in found.items()} == {
        TRANSFER: (D(2026, 7, 30), True, None),
        CONTACT: (D(2026, 8, 15), True, None),
    }
    with time_machine.travel(dt.datetime(2026, 9, 20, 10, 0), tick=False):
        client.force_login(users["branch_a1"])
        html = client.get(reverse("dashboard")).content.decode()
    shown = {rule: html.split(f'data-rule="{rule}"')[1].split("</li>")[0] for rule in (TRANSFER, CONTACT)}
    assert "截止 2026-07-30" in shown[TRANSFER] and "截止 2026-08-15" in shown[CONTACT]
    assert not any("检查发现于" in text for text in shown.values())

    # 出国甲 contacted: the result still fails for 出国乙, due on the day their contact was
    services.record_contact(actor=None, stint=abroad, contacted_on=D(2026, 9, 10), way="phone")
    kept.refresh(Org.objects.all(), on=ON)
    assert _kept_items(tree.a1, ON)[CONTACT].due == D(2026, 9, 1)


def test_a_result_the_records_no_longer_support_keeps_the_day_a_check_found_it(tree, make_member):
    """Until the next refresh a kept failure may name members since contacted: the item is not given a deadline
    that is still ahead, but the day the check found it."""
    stint = _away(make_member, tree.a1, "出国甲", D(2026, 1, 10), abroad=True, abroad_purpose="work")
    kept.refresh(Org.objects.all(), on=ON)
    services.record_contact(
        actor=None, stint=stint, contacted_on=D(2026, 9, 19), way="phone"
    )  # not refreshed
    item = _kept_items(tree.a1, ON)[CONTACT]
    assert (item.due, item.overdue, item.since) == (None, True, ON)


def test_the_items_deadlines_cost_one_query_whatever_the_number_of_branches(tree, make_member, add_branches):
    def count() -> tuple[int, list[dt.date | None]]:
        orgs = Org.objects.filter(path__startswith=tree.a.path)
        kept.refresh(orgs, on=ON)
        with CaptureQueriesContext(connection) as ctx:
            listed = kept_items(orgs, on=ON, ruleset=load_ruleset())
        return len(ctx.captured_queries), sorted(i.due for i in listed if i.rule_id == TRANSFER)

    _away(make_member, tree.a1, "固定甲", D(2026, 1, 31), fixed_place=True)
    small, few = count()
    add_branches(5, 1)
    for n, branch in enumerate(Org.objects.filter(code__startswith="AX").order_by("code")):
        _away(make_member, branch, f"固定{n}", D(2026, 2, 1 + n), fixed_place=True)
    large, many = count()
    assert few == [D(2026, 7, 30)]
    # left on 1 February … 5 February: 满6个月 on 1 August … 5 August, due the day before
    assert many == [
        D(2026, 7, 30),
        D(2026, 7, 31),
        D(2026, 8, 1),
        D(2026, 8, 2),
        D(2026, 8, 3),
        D(2026, 8, 4),
    ]
    assert large == small, (small, large)
