"""The timeline source and the demo seeding."""

from __future__ import annotations

import datetime as dt

from dangjian.members.models import Member
from dangjian.members.timeline import TIMELINE_SOURCES, timeline
from dangjian.movements import selectors, services
from dangjian.movements.models import LostContact, MobileStint, Transfer
from dangjian.movements.seeding import seed_demo

D = dt.date


def test_timeline_shows_the_members_movements_in_order(tree, member):
    assert "movements" in TIMELINE_SOURCES
    stint = services.start_stint(actor=None, member=member, destination="北京", left_on=D(2026, 1, 5))
    services.end_stint(actor=None, stint=stint, returned_on=D(2026, 2, 5))
    t = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 3, 1), reason="调动"
    )
    services.return_transfer(actor=None, transfer=t, returned_on=D(2026, 3, 2), reason="信息有误")
    t = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 3, 5), reason="调动"
    )
    services.accept_transfer(actor=None, transfer=t, accepted_on=D(2026, 3, 6))
    lost = services.record_lost_contact(actor=None, member=member, lost_on=D(2026, 4, 1))
    services.record_regained(actor=None, lost=lost, regained_on=D(2026, 4, 20))
    services.change_status(
        actor=None,
        member=member,
        status="deceased",
        effective_on=D(2026, 6, 1),
        decided_on=D(2026, 6, 1),
        decision_body="",
    )
    kinds = [e.kind for e in timeline(member, on=D(2026, 12, 31)) if e.kind.startswith("movements.")]
    assert kinds == [
        "movements.stint",
        "movements.stint_returned",
        "movements.transfer_started",
        "movements.transfer_returned",
        "movements.transfer_started",
        "movements.transfer_accepted",
        "movements.lost",
        "movements.regained",
        "movements.status",
    ]
    status = next(e for e in timeline(member, on=D(2026, 12, 31)) if e.kind == "movements.status")
    assert status.title == "党籍状态：正常 → 死亡"
    # events after `on` are left out
    assert [e.kind for e in timeline(member, on=D(2026, 3, 1)) if e.kind.startswith("movements.")][-1] == (
        "movements.transfer_started"
    )


def test_timeline_says_abroad_like_the_other_pages(member):
    stint = services.start_stint(
        actor=None,
        member=member,
        destination="德国",
        abroad=True,
        abroad_purpose="study",
        left_on=D(2026, 1, 5),
    )
    services.end_stint(actor=None, stint=stint, returned_on=D(2026, 1, 20))
    services.start_stint(actor=None, member=member, destination="北京", left_on=D(2026, 2, 5))
    stints = [e for e in timeline(member, on=D(2026, 12, 31)) if e.kind == "movements.stint"]
    assert [e.detail for e in stints] == ["德国；出国（境）", "北京"]
    assert not any("出国/境" in e.detail for e in timeline(member, on=D(2026, 12, 31)))


def test_seed_demo_creates_each_situation_through_the_services(tree, make_member):
    today = D(2026, 11, 26)
    for org in (tree.a1, tree.a2):
        for i in range(4):
            make_member(org, name=f"{org.code}成员{i}")
    assert seed_demo(today=today) == {
        "stints": 1,
        "contacts": 1,
        "lost_contacts": 1,
        "transfers": 1,
        "transfers_out": 1,
    }
    members = Member.objects.all()
    mobile = selectors.mobile_items(members, today)
    assert len(mobile) == 1 and mobile[0].stint.abroad and mobile[0].contact_overdue
    lost = selectors.lost_items(members, today)
    assert len(lost) == 1 and lost[0].suggestion == "consider_suspension"
    pending = Transfer.objects.get(state="pending")
    assert (pending.from_org, pending.to_org) == (tree.a1, tree.a2)
    assert Member.objects.filter(status="transferred_out").count() == 1
    # a second run adds nothing
    assert seed_demo(today=today)["stints"] == 0
    assert MobileStint.objects.count() == 1 and LostContact.objects.count() == 1
