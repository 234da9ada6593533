"""The foundation's timeline sources: 入党/转正, MemberHistory, posts, meetings attended and missed, 党费;
their query counts; the timeline page and the latest events on the member page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.dues import timeline as dues_timeline
from dangjian.dues.services import record_payment
from dangjian.meetings import timeline as meeting_timeline
from dangjian.meetings.choices import ROSTER_OF_TYPE
from dangjian.meetings.models import Meeting
from dangjian.meetings.roster import roster
from dangjian.meetings.services import create_meeting
from dangjian.members import timeline as tl
from dangjian.members.choices import HistoryField
from dangjian.members.models import Member, MemberHistory
from dangjian.members.services import update_member
from dangjian.orgs.services import create_post

D = dt.date


def meeting(org, date, types, topic="学习", absentees=None):
    return create_meeting(
        actor=None, data={"org": org, "date": date, "topic": topic}, types=types, absentees=absentees or {}
    )


def titles(events, kind_prefix=""):
    return [e.title for e in events if e.kind.startswith(kind_prefix)]


def declared(member, monthly: str, years=(2024, 2025, 2026)) -> None:
    """A fixed monthly amount (category 其他) declared for each year: a payment needs a base for its months."""
    from dangjian.dues.services import declare_base

    for year in years:
        declare_base(
            actor=None,
            member=member,
            year=year,
            category="other",
            monthly_base=None,
            fixed_amount=Decimal(monthly),
            effective_month=D(year, 1, 1),
        )


def by_kind(events, kind):
    return [e for e in events if e.kind == kind]


@pytest.fixture
def moved(tree, make_member):
    """王明: joined 2015-07-01 in 甲一第一党小组, 转正 2016-07-01, moved to 甲二支部 on 2024-03-01."""
    member = make_member(tree.a1g1, name="王明", joined_on=D(2015, 7, 1), confirmed_on=D(2016, 7, 1))
    update_member(actor=None, member=member, data={"org": tree.a2}, effective_on=D(2024, 3, 1))
    declared(member, "100")
    return Member.objects.select_related("org").get(pk=member.pk)


# --- 入党, 转正, MemberHistory ---------------------------------------------------------------------------


def test_joined_confirmed_and_every_kind_of_change(tree, make_member):
    member = make_member(
        tree.a1, name="周红", category="probationary", joined_on=D(2020, 5, 4), confirmed_on=None
    )
    update_member(
        actor=None,
        member=member,
        data={"category": "formal", "confirmed_on": D(2021, 5, 4)},
    )
    update_member(actor=None, member=member, data={"org": tree.a2}, effective_on=D(2022, 1, 10))
    update_member(actor=None, member=member, data={"work_status": "retired"}, effective_on=D(2023, 6, 30))
    MemberHistory.objects.create(
        member=member,
        field=HistoryField.STATUS,
        old_value="正常",
        new_value="停止党籍",
        effective_on=D(2024, 2, 1),
    )
    member = Member.objects.select_related("org").get(pk=member.pk)
    events = tl.member_events(member, D(2026, 1, 1))
    assert [(e.date, e.kind, e.title) for e in sorted(events, key=lambda e: e.date)] == [
        (D(2020, 5, 4), "member.joined", "入党"),
        (D(2021, 5, 4), "member.confirmed", "转为正式党员"),
        (D(2022, 1, 10), "member.org", "组织关系转入甲二支部"),
        (D(2023, 6, 30), "member.work_status", "工作状态改为离退休"),
        (D(2024, 2, 1), "member.status", "党籍状态改为停止党籍"),
    ]
    joined = by_kind(events, "member.joined")[0]
    assert joined.detail == "在甲一支部入党，成为预备党员"  # the org at joining, not today's
    assert joined.org_code == "A1"
    move = by_kind(events, "member.org")[0]
    assert move.detail == "由甲一支部转入甲二支部" and move.org_code == "A2"
    # the 预备→正式 history row is the 转正 event, not a second one
    assert not by_kind(events, "member.category")
    assert {e.group for e in events} == {"development", "org", "status"}


def test_timeline_is_sorted_and_stops_at_on(tree, moved):
    events = tl.timeline(moved, on=D(2020, 1, 1))
    assert [e.kind for e in events if e.kind.startswith("member.")] == ["member.joined", "member.confirmed"]
    full = tl.timeline(moved, on=D(2026, 1, 1))
    assert [e.date for e in full] == sorted(e.date for e in full)
    assert "组织关系转入甲二支部" in titles(full)


# --- posts -------------------------------------------------------------------------------------------


def test_posts_held_and_left(tree, make_member):
    member = make_member(tree.a1, name="李书记")
    create_post(
        actor=None,
        data={
            "member": member,
            "org": tree.a1,
            "title": "shuji",
            "started_on": D(2019, 1, 1),
            "ended_on": D(2022, 1, 1),
        },
    )
    create_post(
        actor=None, data={"member": member, "org": tree.a, "title": "weiyuan", "started_on": D(2021, 3, 1)}
    )
    events = tl.post_events(member, D(2026, 1, 1))
    assert [(e.date, e.title, e.org_code) for e in events] == [
        (D(2019, 1, 1), "任甲一支部书记", "A1"),
        (D(2022, 1, 1), "不再担任甲一支部书记", "A1"),
        (D(2021, 3, 1), "任甲委机关党委委员", "A"),
    ]
    assert {e.group for e in events} == {"posts"}


# --- meetings ----------------------------------------------------------------------------------------


def test_meetings_attended_and_missed_follow_the_roster(tree, moved, make_member):
    """The member is expected where meetings.roster says so: the branch, its 党小组 and the 党委 while in
    甲一第一党小组 (until 2024-03-01), 甲二 after; committee meetings while on the committee."""
    create_post(
        actor=None,
        data={"member": moved, "org": tree.a2, "title": "zuzhi", "started_on": D(2024, 6, 1)},
    )
    make_member(tree.a2, name="甲二同事")
    records = [
        meeting(tree.a1, D(2023, 4, 10), ["assembly", "committee"], "甲一大会兼支委会"),
        meeting(tree.a1g1, D(2023, 5, 12), ["group"], "小组学习"),
        meeting(tree.a, D(2023, 7, 1), ["lecture"], "党委党课"),
        meeting(tree.a1, D(2024, 3, 1), ["theme_day"], "甲一主题党日（已转出）"),
        meeting(tree.a2, D(2024, 2, 29), ["assembly"], "甲二大会（尚未转入）"),
        meeting(tree.a2, D(2024, 3, 1), ["org_life"], "甲二组织生活会", absentees={moved.pk: "出差"}),
        meeting(tree.a2, D(2024, 5, 20), ["committee"], "甲二支委会（尚未任职）"),
        meeting(tree.a2, D(2024, 6, 1), ["committee", "lecture"], "甲二支委会兼党课"),
        meeting(tree.b1, D(2024, 7, 1), ["assembly"], "乙一大会"),
        meeting(tree.a2, D(2024, 8, 1), ["talk"], "谈心谈话"),
    ]
    events = meeting_timeline.meeting_events(moved, D(2026, 1, 1))
    got = {(e.date, e.title, e.kind) for e in events}
    assert got == {
        (D(2023, 4, 10), "参加支部党员大会", "meetings.attended"),  # not on the 甲一 committee
        (D(2023, 5, 12), "参加党小组会", "meetings.attended"),
        (D(2023, 7, 1), "参加党课", "meetings.attended"),
        (D(2024, 3, 1), "缺席组织生活会", "meetings.missed"),
        (D(2024, 6, 1), "参加支部委员会、党课", "meetings.attended"),
    }
    missed = next(e for e in events if e.kind == "meetings.missed")
    assert missed.detail == "甲二组织生活会（甲二支部）；缺席原因：其他（出差）"
    assert missed.org_code == "A2"
    assert missed.url == reverse("meetings:detail", args=[records[5].pk])
    assert {e.group for e in events} == {"meetings"}

    # The same answer as the roster on each meeting's date, meeting by meeting.
    expected_ids = set()
    for record in Meeting.objects.prefetch_related("kinds"):
        for kind in record.kinds.all():
            entries = roster(record.org, ROSTER_OF_TYPE[kind.type], record.date)
            if any(e.member_id == moved.pk for e in entries):
                expected_ids.add(record.pk)
    shown_ids = {int(e.url.rstrip("/").rsplit("/", 1)[1]) for e in events}
    assert shown_ids == expected_ids


def test_no_meetings_before_joining_or_after_leaving_the_roll(tree, make_member):
    member = make_member(tree.a1, name="新党员", joined_on=D(2023, 6, 1), confirmed_on=D(2024, 6, 1))
    meeting(tree.a1, D(2023, 5, 31), ["assembly"], "入党前")
    meeting(tree.a1, D(2023, 6, 1), ["assembly"], "入党当天")
    meeting(tree.a1, D(2025, 3, 1), ["assembly"], "离册当天")
    Member.objects.filter(pk=member.pk).update(status="deceased", inactive_from=D(2025, 3, 1))
    member.refresh_from_db()
    events = meeting_timeline.meeting_events(member, D(2026, 1, 1))
    assert [e.detail for e in events] == ["入党当天（甲一支部）"]


# --- dues --------------------------------------------------------------------------------------------


def test_one_event_per_payment_with_months_amount_and_payer(tree, make_member):
    member = make_member(tree.a1, name="钱多")
    spouse = make_member(tree.a1, name="钱家属")
    declared(member, "30.50")
    record_payment(
        actor=None,
        member=member,
        months="2025-11~2026-02",
        amount=Decimal("120"),
        paid_on=D(2026, 2, 3),
        method="cash",
    )
    record_payment(
        actor=None,
        member=member,
        months="2026-03",
        amount=Decimal("30.5"),
        paid_on=D(2026, 3, 9),
        method="transfer",
        payer=spouse,
    )
    events = dues_timeline.dues_events(member, D(2026, 6, 1))
    assert [(e.date, e.title, e.detail) for e in events] == [
        (D(2026, 2, 3), "交纳党费 2025-11～2026-02", "120.00 元"),
        (D(2026, 3, 9), "交纳党费 2026-03", "30.50 元；代缴人：钱家属"),
    ]
    assert {e.group for e in events} == {"dues"}
    assert dues_timeline.dues_events(member, D(2026, 3, 1))[-1].date == D(2026, 2, 3)


# --- query counts ------------------------------------------------------------------------------------


def _grow(tree, member, n: int, start: int) -> None:
    """n days of meetings the member is expected at (its branch's, missed every other; the 党委's党课) and
    n payments."""
    branch = member.org.parent if member.org.type == "xiaozu" else member.org
    for i in range(n):
        day = D(2025, 1, 1) + dt.timedelta(days=start + i)
        meeting(
            branch, day, ["assembly"], f"大会{start + i}", absentees={member.pk: "病假"} if i % 2 else None
        )
        meeting(tree.a, day, ["lecture"], f"党课{start + i}")
        record_payment(  # several a month: each after the first is a marked second payment
            actor=None,
            member=member,
            months=f"{day:%Y-%m}",
            amount=Decimal("10"),
            paid_on=day,
            method="cash",
            additional=True,
        )


def test_each_source_runs_a_fixed_number_of_queries(tree, moved, make_member, django_assert_num_queries):
    create_post(
        actor=None, data={"member": moved, "org": tree.a2, "title": "zuzhi", "started_on": D(2024, 6, 1)}
    )
    _grow(tree, moved, 3, 0)
    on = D(2026, 1, 1)
    with django_assert_num_queries(2):  # history, 组织关系转入本系统
        tl.member_events(moved, on)
    with django_assert_num_queries(1):
        tl.post_events(moved, on)
    with django_assert_num_queries(6):  # moves, 转入本系统, org paths, posts, absences, meeting kinds
        meeting_timeline.meeting_events(moved, on)
    with django_assert_num_queries(1):
        dues_timeline.dues_events(moved, on)


def test_the_sources_of_one_timeline_read_the_member_s_history_and_posts_once(tree, moved):
    """The registry's and the meetings' sources both need the member's moves, the posts' and the meetings' sources
    their posts: one read of each per timeline, and the same events as the sources read alone."""
    create_post(
        actor=None, data={"member": moved, "org": tree.a2, "title": "zuzhi", "started_on": D(2024, 6, 1)}
    )
    _grow(tree, moved, 3, 0)
    on = D(2026, 1, 1)
    alone = sorted(
        (e for source in tl.TIMELINE_SOURCES.values() for e in source(moved, on) if e.date <= on),
        key=lambda e: (e.date, e.order, e.kind, e.title),
    )
    with CaptureQueriesContext(connection) as queries:
        events = tl.timeline(moved, on=on)
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "members_memberhistory"' in q for q in sql) == 1
    assert sum('FROM "orgs_post"' in q for q in sql) == 1
    assert {(e.date, e.kind, e.title) for e in events} <= {(e.date, e.kind, e.title) for e in alone}
    assert any(e.kind == "orgs.post_started" for e in events) and any(e.kind == "member.org" for e in events)
    assert any(e.kind.startswith("meetings.") for e in events)
    with CaptureQueriesContext(connection) as again:  # nothing kept from one timeline to the next
        tl.timeline(moved, on=on)
    assert len(again) == len(queries)


def test_timeline_queries_do_not_grow_with_meetings_and_payments(tree, make_member):
    member = make_member(tree.a1g1, name="常客")
    declared(member, "1000")
    member = Member.objects.select_related("org").get(pk=member.pk)
    _grow(tree, member, 2, 0)
    with CaptureQueriesContext(connection) as few:
        small = tl.timeline(member)
    _grow(tree, member, 8, 10)
    with CaptureQueriesContext(connection) as many:
        large = tl.timeline(member)
    assert len(large) > len(small) + 20
    assert len(many) == len(few)


# --- registry and groups -----------------------------------------------------------------------------


def test_foundation_sources_are_registered_at_startup():
    assert {"member", "posts", "meetings", "dues"} <= set(tl.TIMELINE_SOURCES)


def test_groups_of_other_domains_kinds():
    assert tl.group_of("pipeline.step") == "development"
    assert tl.group_of("movements.status") == "status"
    assert tl.group_of("movements.transfer_accepted") == "org"
    assert tl.group_of("training.participated") == "training"
    assert tl.group_of("unknown.kind") == ""
    with pytest.raises(ValueError):
        tl.register_timeline_group("x.", "nope")


# --- pages -------------------------------------------------------------------------------------------


@pytest.fixture
def busy(tree, moved, make_member):
    create_post(
        actor=None, data={"member": moved, "org": tree.a2, "title": "zuzhi", "started_on": D(2024, 6, 1)}
    )
    meeting(tree.a2, D(2024, 6, 5), ["assembly"], "六月大会")
    meeting(tree.a2, D(2024, 7, 5), ["theme_day"], "七月主题党日", absentees={moved.pk: "出差"})
    record_payment(
        actor=None,
        member=moved,
        months="2025-01",
        amount=Decimal("10"),
        paid_on=D(2025, 1, 20),
        method="cash",
    )
    return moved


def test_timeline_page_groups_by_year_and_filters_by_kind(client, users, busy):
    client.force_login(users["dangwei_a"])
    url = reverse("members:timeline", args=[busy.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="timeline-event"') == len(response.context["years"][0][1]) + sum(
        len(events) for _, events in response.context["years"][1:]
    )
    years = [year for year, _ in response.context["years"]]
    assert years == sorted(years) and years[0] == 2015 and 2024 in years
    for text in (
        "入党",
        "任甲二支部组织委员",
        "参加支部党员大会",
        "缺席主题党日",
        "交纳党费 2025-01",
        "组织关系转入甲二支部",
    ):
        assert text in html
    assert 'data-year="2024"' in html

    meetings_only = client.get(url, {"group": "meetings"})
    events = [e for _, evs in meetings_only.context["years"] for e in evs]
    assert {e.group for e in events} == {"meetings"} and len(events) == 2
    assert "任甲二支部组织委员" not in meetings_only.content.decode()
    posts_only = client.get(url, {"group": "posts"})
    assert [e.title for _, evs in posts_only.context["years"] for e in evs] == ["任甲二支部组织委员"]
    # an unknown group shows everything
    assert client.get(url, {"group": "bogus"}).context["shown"] == response.context["shown"]


def test_timeline_page_scope(client, users, busy, tree, make_member):
    url = reverse("members:timeline", args=[busy.pk])
    client.force_login(users["branch_a1"])  # 王明 is in 甲二 now
    assert client.get(url).status_code == 404
    client.force_login(users["member_a1"])
    assert client.get(url).status_code == 404
    own = users["own_member"]
    response = client.get(reverse("members:timeline", args=[own.pk]))
    assert response.status_code == 200
    assert "入党" in response.content.decode()
    client.logout()
    assert client.get(url).status_code == 302


def test_member_page_shows_latest_events_and_links_the_timeline(client, users, busy):
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("members:detail", args=[busy.pk]))
    html = response.content.decode()
    latest = response.context["latest_events"]
    assert 0 < len(latest) <= 6
    assert latest[0].date >= latest[-1].date  # newest first
    assert latest[0].title == "交纳党费 2025-01"
    assert reverse("members:timeline", args=[busy.pk]) in html
    assert "最近动态" in html
    # 工作状态 and 党籍状态 shown prominently
    assert 'data-testid="member-status"' in html and 'data-testid="member-work-status"' in html


def test_a_change_told_by_a_richer_source_is_shown_once(tree, make_member, monkeypatch):
    member = make_member(tree.a1, name="停籍者")
    MemberHistory.objects.create(
        member=member,
        field=HistoryField.STATUS,
        old_value="正常",
        new_value="停止党籍",
        effective_on=D(2024, 2, 1),
    )
    MemberHistory.objects.create(
        member=member,
        field=HistoryField.STATUS,
        old_value="停止党籍",
        new_value="正常",
        effective_on=D(2025, 2, 1),
    )

    def richer(member, on):
        return [tl.TimelineEvent(D(2024, 2, 1), "movements.status", "党籍状态：正常 → 停止党籍", "党委决定")]

    monkeypatch.setitem(tl.TIMELINE_SOURCES, "movements", richer)
    events = tl.timeline(member, on=D(2026, 1, 1))
    status = [(e.date, e.kind) for e in events if e.group == "status"]
    assert status == [(D(2024, 2, 1), "movements.status"), (D(2025, 2, 1), "member.status")]


def test_months_label_uses_yyyy_mm_like_the_dues_pages():
    assert tl.months_label(D(2026, 1, 1), D(2026, 1, 1)) == "2026-01"
    assert tl.months_label(D(2026, 1, 1), D(2026, 3, 1)) == "2026-01～2026-03"
    assert tl.months_label(D(2025, 11, 1), D(2026, 2, 1)) == "2025-11～2026-02"
