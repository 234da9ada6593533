"""A member's own home page as the member reads it: this month's 党费 past the branch's 集中交纳日, and a member no
longer on the roll (转出), who is not asked for 党费 nor shown the meetings held after they left."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from dangjian.meetings.services import create_meeting
from dangjian.portal import workbench


@pytest.fixture
def june_15():
    with time_machine.travel(
        dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False
    ):
        yield dt.date(2026, 6, 15)


def _declare(member) -> None:
    from dangjian.dues.services import declare_base

    declare_base(
        actor=None,
        member=member,
        year=2026,
        category="active",
        monthly_base=Decimal("6000"),
        effective_month=dt.date(2026, 1, 1),
    )


def test_this_months_dues_unpaid_past_the_collection_day_read_overdue_not_pay_by_a_day_gone(
    client, users, tree, june_15
):
    """Past the 集中交纳日 the month is among the arrears; its badge says it is overdue, not “请于 <a day gone> 前交纳”."""
    from dangjian.dues.services import record_payment, set_collection_day

    member = users["own_member"]
    _declare(member)
    record_payment(
        actor=None,
        member=member,
        months="2026-01~2026-05",
        amount=Decimal("450.00"),
        paid_on=dt.date(2026, 6, 1),
        method="cash",
    )
    set_collection_day(actor=None, org=tree.a1, day=10)
    client.force_login(users["member_a1"])

    home = workbench.member_home(member, on=june_15)
    assert home.arrears == ["2026-06"] and home.month_overdue
    html = client.get(reverse("dashboard")).content.decode()
    assert "已逾期（应于 2026-06-10 前）" in html
    assert "请于 2026-06-10 前交纳" not in html

    set_collection_day(actor=None, org=tree.a1, day=20)  # before the day: still to pay by it
    assert not workbench.member_home(member, on=june_15).month_overdue
    html = client.get(reverse("dashboard")).content.decode()
    assert "请于 2026-06-20 前交纳" in html
    assert 'data-testid="month-overdue"' not in html


def test_a_member_transferred_out_is_not_asked_for_dues_nor_shown_the_meetings_after_leaving(
    client, users, tree, june_15
):
    from dangjian.movements.services import transfer_out

    member = users["own_member"]
    _declare(member)
    for day, topic in ((dt.date(2026, 5, 6), "五月主题党日"), (dt.date(2026, 6, 3), "六月主题党日")):
        create_meeting(actor=None, data={"org": tree.a1, "date": day, "topic": topic}, types=["theme_day"])
    transfer_out(
        actor=None,
        member=member,
        letter_no="沪组转〔2026〕12号",
        destination="外省某局机关党委",
        transferred_on=dt.date(2026, 5, 20),
    )
    member.refresh_from_db()
    client.force_login(users["member_a1"])

    home = workbench.member_home(member, on=june_15)
    assert home.left_on == dt.date(2026, 5, 20)
    assert [m.topic for m in home.activities] == ["五月主题党日"]
    html = client.get(reverse("dashboard")).content.decode()
    assert "本月尚无缴费基数" not in html  # no 党费 is asked of them any more
    assert "您的党籍状态为“转出”，自 2026-05-20 起不在本系统党员名册中" in html
    assert "转出（2026-05-20起）" in html  # 我的党员信息
    assert "五月主题党日" in html and "六月主题党日" not in html


def test_a_member_on_the_roll_reads_no_status_line(client, users, june_15):
    client.force_login(users["member_a1"])
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="own-status"' not in html
    assert 'data-testid="off-roll"' not in html
    assert workbench.member_home(users["own_member"], on=june_15).left_on is None


def test_a_probationary_member_reads_when_the_probation_ends(client, tree, make_member, make_user, june_15):
    """A 预备党员 sees their 预备期满 day: a year from joining when no development case keeps it, the case's own (an
    extension included) when one does; a 正式党员 sees none."""
    from dangjian.pipeline.models import DevelopmentCase

    member = make_member(
        tree.a1, name="预备甲", category="probationary", joined_on=dt.date(2026, 3, 10), confirmed_on=None
    )
    client.force_login(make_user("yubei_a1", "member", tree.a1, member=member))
    assert workbench.member_home(member, on=june_15).probation_end == dt.date(2027, 3, 10)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="probation-end">2027-03-10' in html

    DevelopmentCase.objects.create(  # admitted through a case whose 预备期 was extended by six months
        name=member.name,
        id_number="110101199001011234",
        id_number_hash="test",
        sex="M",
        birth_date=dt.date(1990, 1, 1),
        org=tree.a1,
        applied_on=dt.date(2023, 1, 5),
        stage="probationary",
        status="admitted",
        probation_end=dt.date(2027, 9, 10),
        member=member,
    )
    assert 'data-testid="probation-end">2027-09-10' in client.get(reverse("dashboard")).content.decode()


def test_a_full_member_reads_no_probation(users, june_15):
    assert workbench.member_home(users["own_member"], on=june_15).probation_end is None


def test_a_mobile_member_reads_their_open_away_record(client, users, june_15):
    """A 流动党员 sees where their branch has them away and since when, with what is asked of them; once back,
    nothing."""
    from dangjian.movements.services import end_stint, start_stint

    member = users["own_member"]
    stint = start_stint(
        actor=None, member=member, destination="新疆喀什援疆", abroad=False, left_on=dt.date(2026, 3, 1)
    )
    client.force_login(users["member_a1"])
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="away">新疆喀什援疆（2026-03-01 起）' in html
    end_stint(actor=None, stint=stint, returned_on=dt.date(2026, 6, 1))
    member.refresh_from_db()
    assert workbench.member_home(member, on=june_15).away is None
    assert 'data-testid="away"' not in client.get(reverse("dashboard")).content.decode()
