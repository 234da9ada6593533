"""The movements services: every write, and every refusal changing nothing (not even the audit log)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member, MemberHistory
from dangjian.movements import services
from dangjian.movements.models import LostContact, MobileContact, MobileStint, StatusChange, Transfer

D = dt.date


def counts():
    return (
        StatusChange.objects.count(),
        MobileStint.objects.count(),
        MobileContact.objects.count(),
        LostContact.objects.count(),
        Transfer.objects.count(),
        MemberHistory.objects.count(),
        AuditEvent.objects.count(),
        Member.objects.count(),
    )


def refused(call, match: str, exc=ServiceError):
    before = counts()
    with pytest.raises(exc, match=match):
        call()
    assert counts() == before


# --- 党籍状态 -------------------------------------------------------------------------------------------------


def suspend(member, actor=None, on=None):
    on = on or D(2026, 3, 1)
    return services.change_status(
        actor=actor,
        member=member,
        status="suspended",
        effective_on=on,
        decided_on=on,
        decision_body="甲一支部党员大会",
    )


def test_suspension_and_restoration_keep_history(member):
    change = suspend(member)
    member.refresh_from_db()
    assert (member.status, member.inactive_from) == ("suspended", D(2026, 3, 1))
    assert (change.old_status, change.new_status, change.org.code) == ("normal", "suspended", "A1")
    history = MemberHistory.objects.get(member=member, field="status")
    assert (history.old_value, history.new_value, history.effective_on) == ("正常", "停止党籍", D(2026, 3, 1))
    assert not Member.objects.on_roll(D(2026, 3, 1)).filter(pk=member.pk).exists()
    assert Member.objects.on_roll(D(2026, 2, 28)).filter(pk=member.pk).exists()

    services.change_status(
        actor=None,
        member=member,
        status="normal",
        effective_on=D(2026, 9, 1),
        decided_on=D(2026, 8, 20),
        decision_body="甲委机关党委",
        note="恢复党籍",
    )
    member.refresh_from_db()
    assert (member.status, member.inactive_from) == ("normal", None)
    assert list(
        MemberHistory.objects.filter(member=member, field="status")
        .order_by("effective_on")
        .values_list("new_value")
    ) == [("停止党籍",), ("正常",)]
    event = AuditEvent.objects.filter(object_type="movements.statuschange").latest("id")
    assert event.after["new_status"] == "正常" and event.after["decision_body"] == "甲委机关党委"


def test_left_party_records_its_outcome_and_is_final(member):
    change = services.change_status(
        actor=None,
        member=member,
        status="left_party",
        outcome="removed",
        effective_on=D(2026, 4, 1),
        decided_on=D(2026, 3, 28),
        decision_body="甲一支部党员大会",
    )
    assert (change.outcome, change.decided_on) == ("removed", D(2026, 3, 28))
    for status in ("normal", "suspended", "deceased"):
        refused(
            lambda s=status: services.change_status(
                actor=None,
                member=member,
                status=s,
                effective_on=D(2026, 5, 1),
                decided_on=D(2026, 5, 1),
                decision_body="x",
            ),
            "已出党，党籍状态不能再变更",
        )


def test_death_needs_only_the_date_and_is_final(member):
    services.change_status(
        actor=None,
        member=member,
        status="deceased",
        effective_on=D(2026, 2, 3),
        decided_on=D(2026, 2, 3),
        decision_body="",
    )
    member.refresh_from_db()
    assert member.status == "deceased"
    refused(lambda: suspend(member), "已死亡")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"status": "left_party"}, "出党须选择方式"),
        ({"status": "suspended", "outcome": "removed"}, "只有出党才记录出党方式"),
        ({"status": "suspended", "decision_body": ""}, "请填写决定机关"),
        ({"status": "suspended", "effective_on": D(2009, 1, 1)}, "不能早于入党日期"),
        ({"status": "normal"}, "已是“正常”"),
        ({"status": "transferred_out"}, "组织关系转出"),
        ({"status": "nonsense"}, "无效"),
        ({"status": "suspended", "effective_on": None}, "请填写生效日期"),
    ],
)
def test_status_refusals_change_nothing(member, kwargs, match):
    data = {
        "effective_on": D(2026, 3, 1),
        "decided_on": D(2026, 3, 1),
        "decision_body": "甲一支部党员大会",
        **kwargs,
    }
    refused(lambda: services.change_status(actor=None, member=member, **data), match)


def test_restoration_cannot_predate_the_suspension(member):
    suspend(member, on=D(2026, 3, 1))
    refused(
        lambda: services.change_status(
            actor=None,
            member=member,
            status="normal",
            effective_on=D(2026, 2, 1),
            decided_on=D(2026, 2, 1),
            decision_body="x",
        ),
        "不能早于当前状态的生效日期",
    )


def test_status_change_outside_scope_is_refused(users, member):
    refused(lambda: suspend(member, actor=users["branch_a2"]), "未变更党籍状态", OutOfScope)
    suspend(member, actor=users["dangwei_a"])  # the 党委 above the branch may
    assert StatusChange.objects.get().created_by == users["dangwei_a"]


# --- 流动党员 --------------------------------------------------------------------------------------------------


def test_stint_keeps_is_mobile_in_sync_and_takes_contacts(member):
    stint = services.start_stint(
        actor=None,
        member=member,
        destination="英国伦敦",
        abroad=True,
        abroad_purpose="study",
        fixed_place=True,
        left_on=D(2026, 1, 10),
    )
    member.refresh_from_db()
    assert member.is_mobile
    refused(
        lambda: services.start_stint(actor=None, member=member, destination="北京", left_on=D(2026, 2, 1)),
        "已有未结束的外出记录",
    )
    contact = services.record_contact(
        actor=None, stint=stint, contacted_on=D(2026, 4, 1), way="video", note="视频"
    )
    assert contact.stint == stint
    refused(
        lambda: services.record_contact(actor=None, stint=stint, contacted_on=D(2026, 1, 1), way="phone"),
        "不能早于外出日期",
    )
    refused(
        lambda: services.record_contact(actor=None, stint=stint, contacted_on=D(2026, 4, 2), way="pigeon"),
        "请选择联系方式",
    )
    refused(
        lambda: services.end_stint(actor=None, stint=stint, returned_on=D(2025, 12, 1)), "不能早于外出日期"
    )
    services.end_stint(actor=None, stint=stint, returned_on=D(2026, 6, 30))
    member.refresh_from_db()
    assert not member.is_mobile
    refused(
        lambda: services.end_stint(actor=None, stint=stint, returned_on=D(2026, 7, 1)),
        "已于2026-06-30登记返回",
    )
    refused(
        lambda: services.record_contact(actor=None, stint=stint, contacted_on=D(2026, 7, 2), way="phone"),
        "不能晚于返回日期",
    )
    refused(
        lambda: services.start_stint(actor=None, member=member, destination="北京", left_on=D(2026, 6, 1)),
        "不能早于上次返回日期",
    )


def test_stint_refusals(users, member):
    refused(
        lambda: services.start_stint(actor=None, member=member, destination=" ", left_on=D(2026, 1, 1)),
        "流向",
    )
    refused(
        lambda: services.start_stint(
            actor=users["branch_a2"], member=member, destination="北京", left_on=D(2026, 1, 1)
        ),
        "未登记外出",
        OutOfScope,
    )
    suspend(member)
    refused(
        lambda: services.start_stint(actor=None, member=member, destination="北京", left_on=D(2026, 4, 1)),
        "不能登记外出",
    )


# --- 失联 -----------------------------------------------------------------------------------------------------


def test_lost_and_regained(users, member):
    lost = services.record_lost_contact(
        actor=users["branch_a1"], member=member, lost_on=D(2026, 1, 15), note="停机"
    )
    refused(
        lambda: services.record_lost_contact(actor=None, member=member, lost_on=D(2026, 2, 1)), "尚未恢复联系"
    )
    refused(
        lambda: services.record_regained(actor=users["branch_a2"], lost=lost, regained_on=D(2026, 3, 1)),
        "未登记恢复联系",
        OutOfScope,
    )
    refused(
        lambda: services.record_regained(actor=None, lost=lost, regained_on=D(2026, 1, 1)), "不能早于失联日期"
    )
    services.record_regained(actor=None, lost=lost, regained_on=D(2026, 3, 1), note="已联系上")
    lost.refresh_from_db()
    assert lost.regained_on == D(2026, 3, 1) and "已联系上" in lost.note
    member.refresh_from_db()
    assert member.status == "normal"  # nothing changes the status by itself


# --- 组织关系转接 ---------------------------------------------------------------------------------------------


def test_transfer_accepted_moves_the_member_only_on_acceptance(users, tree, paid_member):
    member = paid_member
    transfer = services.start_transfer(
        actor=users["branch_a1"], member=member, to_org=tree.a2, started_on=D(2026, 4, 10), reason="工作调动"
    )
    assert transfer.state == "pending"
    assert transfer.dues_paid_through == D(2026, 3, 1)  # January–March paid, April not
    member.refresh_from_db()
    assert member.org == tree.a1  # stays with the sender until accepted
    assert not MemberHistory.objects.filter(member=member, field="org").exists()

    # the sender cannot accept its own transfer; the receiver (no scope over 甲一) can
    refused(
        lambda: services.accept_transfer(
            actor=users["branch_a1"], transfer=transfer, accepted_on=D(2026, 4, 12)
        ),
        "未办理接收",
        OutOfScope,
    )
    refused(
        lambda: services.accept_transfer(
            actor=users["branch_a2"], transfer=transfer, accepted_on=D(2026, 4, 9)
        ),
        "不能早于转接日期",
    )
    services.accept_transfer(actor=users["branch_a2"], transfer=transfer, accepted_on=D(2026, 4, 15))
    member.refresh_from_db()
    transfer.refresh_from_db()
    assert member.org == tree.a2
    assert (transfer.state, transfer.decided_on, transfer.decided_by) == (
        "accepted",
        D(2026, 4, 15),
        users["branch_a2"],
    )
    history = MemberHistory.objects.get(member=member, field="org")
    assert (history.old_org, history.new_org, history.effective_on) == (tree.a1, tree.a2, D(2026, 4, 15))
    assert AuditEvent.objects.filter(
        object_type="members.member", object_id=str(member.pk), action="update"
    ).exists()
    refused(
        lambda: services.accept_transfer(
            actor=users["branch_a2"], transfer=transfer, accepted_on=D(2026, 4, 16)
        ),
        "已接收，不能再接收",
    )


def test_transfer_returned_leaves_the_member_with_the_sender(users, tree, member):
    transfer = services.start_transfer(
        actor=users["branch_a1"], member=member, to_org=tree.a2, started_on=D(2026, 4, 10), reason="工作调动"
    )
    assert transfer.dues_paid_through is None
    refused(
        lambda: services.return_transfer(
            actor=users["branch_a2"], transfer=transfer, returned_on=D(2026, 4, 11), reason=""
        ),
        "退回须填写原因",
    )
    services.return_transfer(
        actor=users["branch_a2"], transfer=transfer, returned_on=D(2026, 4, 11), reason="接收单位信息有误"
    )
    member.refresh_from_db()
    transfer.refresh_from_db()
    assert member.org == tree.a1
    assert (transfer.state, transfer.return_reason) == ("returned", "接收单位信息有误")
    refused(
        lambda: services.accept_transfer(
            actor=users["branch_a2"], transfer=transfer, accepted_on=D(2026, 4, 12)
        ),
        "已退回",
    )
    # a new transfer may be started after a return
    services.start_transfer(
        actor=None, member=member, to_org=tree.b1, started_on=D(2026, 4, 20), reason="再次转接"
    )


@pytest.mark.parametrize(
    ("to", "match"),
    [("a1", "已在“甲一支部”"), ("a", "须为党支部，“甲委机关党委”是党委"), (None, "请选择接收组织")],
)
def test_start_transfer_refusals(tree, member, to, match):
    refused(
        lambda: services.start_transfer(
            actor=None,
            member=member,
            to_org=getattr(tree, to) if to else None,
            started_on=D(2026, 4, 1),
            reason="调动",
        ),
        match,
    )


def test_one_pending_transfer_and_scope(users, tree, member):
    refused(
        lambda: services.start_transfer(
            actor=users["branch_a2"], member=member, to_org=tree.a2, started_on=D(2026, 4, 1), reason="调动"
        ),
        "未发起转接",
        OutOfScope,
    )
    services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 4, 1), reason="调动"
    )
    refused(
        lambda: services.start_transfer(
            actor=None, member=member, to_org=tree.b1, started_on=D(2026, 4, 2), reason="调动"
        ),
        "已有待接收",
    )
    refused(
        lambda: services.transfer_out(
            actor=None, member=member, letter_no="1", destination="外省", transferred_on=D(2026, 4, 3)
        ),
        "已有待接收",
    )
    refused(lambda: suspend(member, on=D(2026, 4, 5)), "待接收的组织关系转接")


def test_accept_refused_when_the_member_left_the_sender(users, tree, member):
    transfer = services.start_transfer(
        actor=None, member=member, to_org=tree.a2, started_on=D(2026, 4, 1), reason="调动"
    )
    Member.objects.filter(pk=member.pk).update(org=tree.a1g1)  # moved by other means meanwhile
    refused(
        lambda: services.accept_transfer(
            actor=users["branch_a2"], transfer=transfer, accepted_on=D(2026, 4, 2)
        ),
        "不再是转出组织.*请退回该转接（或由转出组织撤回）",
    )


def test_transfer_out_sets_status_with_the_letter(users, paid_member):
    member = paid_member
    refused(
        lambda: services.transfer_out(
            actor=None, member=member, letter_no="", destination="外省", transferred_on=D(2026, 5, 1)
        ),
        "介绍信编号",
    )
    transfer = services.transfer_out(
        actor=users["branch_a1"],
        member=member,
        letter_no="沪组转〔2026〕12号",
        destination="浙江省某机关工委",
        transferred_on=D(2026, 5, 1),
    )
    member.refresh_from_db()
    assert (member.status, member.inactive_from) == ("transferred_out", D(2026, 5, 1))
    assert (transfer.kind, transfer.state, transfer.letter_no) == ("out", "done", "沪组转〔2026〕12号")
    assert transfer.dues_paid_through == D(2026, 3, 1)
    change = StatusChange.objects.get(member=member)
    assert "沪组转〔2026〕12号" in change.note and change.decision_body == "甲一支部"
    assert MemberHistory.objects.get(member=member, field="status").new_value == "转出"


def test_transfer_in_creates_the_member(users, tree):
    from dangjian.conftest import unique_id_number

    number = unique_id_number()
    data = {
        "name": "钱转入",
        "id_number": number,
        "category": "formal",
        "joined_on": D(2012, 7, 1),
        "confirmed_on": D(2013, 7, 1),
        "org": tree.a2,
        "work_status": "retired",
    }
    refused(
        lambda: services.transfer_in(
            actor=users["branch_a1"],
            data=data,
            letter_no="浙组转1号",
            origin="浙江省某机关工委",
            transferred_on=D(2026, 6, 1),
        ),
        "未办理转入",
        OutOfScope,
    )
    refused(
        lambda: services.transfer_in(
            actor=users["branch_a2"],
            data={**data, "joined_on": None},
            letter_no="浙组转1号",
            origin="浙江",
            transferred_on=D(2026, 6, 1),
        ),
        "入党日期不能为空",
    )
    transfer = services.transfer_in(
        actor=users["branch_a2"],
        data=data,
        letter_no="浙组转1号",
        origin="浙江省某机关工委",
        transferred_on=D(2026, 6, 1),
    )
    member = transfer.member
    assert (member.name, member.org, member.work_status, member.status) == (
        "钱转入",
        tree.a2,
        "retired",
        "normal",
    )
    assert (transfer.kind, transfer.place, transfer.letter_no, transfer.to_org) == (
        "in",
        "浙江省某机关工委",
        "浙组转1号",
        tree.a2,
    )
    refused(
        lambda: services.transfer_in(
            actor=users["branch_a2"], data=data, letter_no="2", origin="浙江", transferred_on=D(2026, 6, 2)
        ),
        "已在系统中登记，不能重复登记",
    )
