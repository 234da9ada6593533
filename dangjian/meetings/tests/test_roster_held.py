"""The roster refresh of the meeting form (htmx, `meetings:roster`) when the organisation or the date changes: the
ticks, reasons, host and lecturer of people on the new roster stay; the others are held on the page (hidden inputs
that travel with the next refresh), named in Chinese, ticked or chosen again when a later roster lists them, and left
out of a save. The refresh also says what is wrong with the date as it is now (out of band, under the date)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.meetings.models import Meeting
from dangjian.meetings.services import create_meeting
from dangjian.members.services import update_member
from dangjian.orgs.services import create_post

D = dt.date(2026, 3, 31)
ROSTER = reverse("meetings:roster")


@pytest.fixture
def people(tree, make_member):
    """甲一 with its 书记 and two members, its 党小组 with one, a member who joined on 15 March 2026; 乙一's member
    (outside 甲一's scope)."""
    found = {
        "书记": make_member(tree.a1, name="书记甲"),
        "组织": make_member(tree.a1, name="组织乙"),
        "宣传": make_member(tree.a1, name="宣传丙"),
        "小组": make_member(tree.a1g1, name="小组丁"),
        "新": make_member(
            tree.a1, name="预备戊", category="probationary", confirmed_on=None, joined_on=dt.date(2026, 3, 15)
        ),
        "b1": make_member(tree.b1, name="乙一孙丽"),
    }
    create_post(
        actor=None,
        data={"member": found["书记"], "org": tree.a1, "title": "shuji", "started_on": dt.date(2024, 1, 1)},
    )
    return found


def params(org, day=D, **extra) -> dict:
    return {
        "org": org.pk,
        "date": day.isoformat() if isinstance(day, dt.date) else day,
        "types": ["theme_day"],
    } | extra


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select is not None
    chosen = re.search(r'<option value="([^"]*)" selected', select[0])
    return chosen[1] if chosen else None


def test_ticks_and_choices_of_people_off_the_new_roster_are_held_and_named(client, users, tree, people):
    client.force_login(users["branch_a1"])
    away, grouped, secretary = people["组织"], people["小组"], people["书记"]
    response = client.get(
        ROSTER,
        params(
            tree.a1g1,
            org_changed="1",
            host=str(secretary.pk),
            absentees=[str(away.pk), str(grouped.pk)],
            **{
                f"reason_kind_{away.pk}": "sick",
                f"reason_{away.pk}": "住院",
                f"reason_kind_{grouped.pk}": "official",
                f"reason_{grouped.pk}": "出差",
            },
        ),
    )
    roster = response.context["roster"]
    rows = {r.member_id: r for r in roster.rows}
    assert set(rows) == {grouped.pk}  # the 党小组's roster keeps its member's tick and reason
    assert (rows[grouped.pk].absent, rows[grouped.pk].reason_kind, rows[grouped.pk].reason) == (
        True,
        "official",
        "出差",
    )
    assert [(p.member_id, p.name, p.reason_kind, p.reason) for p in roster.held.absentees] == [
        (away.pk, "组织乙", "sick", "住院")
    ]
    assert roster.held.host.member_id == secretary.pk
    html = response.content.decode()
    assert "以下人员不是甲一第一党小组在 2026-03-31 的应到人员，已取消勾选或选择：" in html
    assert "缺席：组织乙（病假：住院）" in html and "主持人：书记甲" in html
    assert "改回原来的组织、日期或活动类型，这些勾选和选择会自动恢复；不改回的，保存时不登记。" in html
    for name, value in (
        ("held_absentees", away.pk),
        (f"reason_kind_{away.pk}", "sick"),
        (f"reason_{away.pk}", "住院"),
        ("held_host", secretary.pk),
    ):
        assert f'<input type="hidden" name="{name}" value="{value}" data-dj-keep>' in html
    assert selected(html, "host") is None


def test_held_ticks_and_choices_come_back_when_a_later_roster_lists_them(client, users, tree, people):
    client.force_login(users["branch_a1"])
    away, newcomer, secretary = people["组织"], people["新"], people["书记"]
    held = {
        "host": "",
        "held_host": str(secretary.pk),
        "absentees": [],
        "held_absentees": [str(away.pk), str(newcomer.pk)],
        f"reason_kind_{away.pk}": "sick",
        f"reason_{away.pk}": "住院",
        f"reason_kind_{newcomer.pk}": "",
        f"reason_{newcomer.pk}": "赴京",
    }
    # back to 甲一 on a day before 预备戊 joined: 组织乙 and the host are back, 预备戊 is still held
    response = client.get(ROSTER, params(tree.a1, "2026-03-10", **held))
    roster = response.context["roster"]
    rows = {r.member_id: r for r in roster.rows}
    assert (rows[away.pk].absent, rows[away.pk].reason_kind, rows[away.pk].reason) == (True, "sick", "住院")
    assert [p.member_id for p in roster.held.absentees] == [newcomer.pk] and roster.held.host is None
    html = response.content.decode()
    assert selected(html, "host") == str(secretary.pk)
    assert "缺席：预备戊（赴京）" in html and "主持人：" not in html
    assert roster.present == roster.expected - 1

    # the day meant: everyone back, nothing held
    response = client.get(ROSTER, params(tree.a1, "2026-03-20", **held))
    roster = response.context["roster"]
    assert {r.member_id for r in roster.rows if r.absent} == {away.pk, newcomer.pk}
    assert not roster.held and 'data-testid="roster-held"' not in response.content.decode()

    # a host chosen since wins over the held one
    response = client.get(ROSTER, params(tree.a1, **(held | {"host": str(people["宣传"].pk)})))
    assert selected(response.content.decode(), "host") == str(people["宣传"].pk)
    assert response.context["roster"].held.host is None


def test_a_date_before_the_branch_was_founded_holds_every_tick(client, users, tree, people):
    """The roster of such a day is not listed (the form says the date is wrong): its ticks are held, not lost."""
    client.force_login(users["branch_a1"])
    away = people["组织"]
    response = client.get(
        ROSTER, params(tree.a1, "2016-03-31", absentees=[str(away.pk)], **{f"reason_{away.pk}": "住院"})
    )
    html = response.content.decode()
    assert 'data-testid="roster-date"' in html
    assert "还没有应到人员名单，以下勾选和选择暂已取消：" in html and "缺席：组织乙（住院）" in html
    assert f'<input type="hidden" name="held_absentees" value="{away.pk}" data-dj-keep>' in html


def test_held_people_outside_the_scope_are_counted_not_named(client, users, tree, people):
    client.force_login(users["branch_a1"])
    response = client.get(
        ROSTER,
        params(tree.a1, absentees=[str(people["b1"].pk)], held_absentees=["99999999999999999999", "x"]),
    )
    html = response.content.decode()
    assert "乙一孙丽" not in html
    assert "缺席：另有1名不在您管理范围内的人员" in html


def test_a_save_counts_the_held_ticks_its_roster_lists_and_leaves_out_the_others(client, users, tree, people):
    """A page sent before its refresh came back (or without JavaScript, after 刷新应到人员): the held ticks and host of
    people on the roster of what is saved are saved; those of people off it are not, and refuse nothing."""
    client.force_login(users["branch_a1"])
    away, grouped, secretary = people["组织"], people["小组"], people["书记"]
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "主题党日", "host": secretary},
        types=["theme_day"],
        absentees={away.pk: ("sick", "住院")},
    )
    edit = client.get(reverse("meetings:edit", args=[meeting.pk]))
    version = edit.context["form"].initial["version"]
    data = {
        "org": str(tree.a1g1.pk),
        "date": D.isoformat(),
        "types": ["theme_day"],
        "topic": "主题党日",
        "version": version,
        "host": "",
        "held_host": str(grouped.pk),
        "held_absentees": [str(away.pk)],
        f"reason_kind_{away.pk}": "sick",
        f"reason_{away.pk}": "住院",
        "absentees": [],
    }
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.org == tree.a1g1 and meeting.host == grouped
    assert not meeting.absences.exists()  # 组织乙 is not on the 党小组's roster

    events = AuditEvent.objects.count()
    version = client.get(reverse("meetings:edit", args=[meeting.pk])).context["form"].initial["version"]
    data |= {"org": str(tree.a1.pk), "version": version, "host": str(secretary.pk)}
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.org == tree.a1 and meeting.host == secretary  # the host chosen, not the held one
    assert list(meeting.absences.values_list("member_id", "reason_kind", "reason")) == [
        (away.pk, "sick", "住院")
    ]
    assert AuditEvent.objects.count() == events + 1


def test_the_edit_roster_offers_the_records_own_host_and_lecturer(client, users, tree, people, make_member):
    """The edit page offers the record's host and lecturer whatever the roster; its refresh offers them too."""
    client.force_login(users["branch_a1"])
    guest = make_member(tree.a2, name="甲二讲师")
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "党课", "lecturer": guest},
        types=["lecture"],
    )
    page = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert selected(page, "lecturer") == str(guest.pk)
    response = client.get(
        ROSTER,
        params(tree.a1, "2026-03-30", types=["lecture"], lecturer=str(guest.pk), editing=str(meeting.pk)),
    )
    assert selected(response.content.decode(), "lecturer") == str(guest.pk)
    assert not response.context["roster"].held


def test_the_edit_page_names_an_absentee_of_the_record_its_roster_no_longer_lists(
    client, users, tree, people, django_assert_max_num_queries
):
    """A move dated back before the meeting takes an absentee off the record's roster: the page names them with
    their reason (from the record, no query more) instead of dropping the tick unsaid."""
    away = people["组织"]
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "主题党日"},
        types=["theme_day"],
        absentees={away.pk: ("sick", "住院"), people["宣传"].pk: ("official", "")},
    )
    update_member(actor=None, member=away, data={"org": tree.a2}, effective_on=dt.date(2026, 3, 1))
    client.force_login(users["branch_a1"])
    with django_assert_max_num_queries(
        20
    ):  # as test_edit_recount's page with its recount: the names come along
        response = client.get(reverse("meetings:edit", args=[meeting.pk]))
    roster = response.context["roster"]
    assert [(p.member_id, p.name) for p in roster.held.absentees] == [(away.pk, "组织乙")]
    assert {r.member_id for r in roster.rows if r.absent} == {people["宣传"].pk}
    html = response.content.decode()
    assert "以下人员不是甲一支部在 2026-03-31 的应到人员" in html and "缺席：组织乙（病假：住院）" in html


def test_the_roster_refresh_says_what_is_wrong_with_the_date_as_it_is_now(client, users, tree, people):
    client.force_login(users["branch_a1"])
    feedback = re.compile(r'<div id="dj-date-feedback" hx-swap-oob="true">(.*?)</div>\n', re.S)

    def date_messages(day) -> list[str]:
        html = client.get(ROSTER, params(tree.a1, day)).content.decode()
        found = feedback.search(html)
        assert found is not None
        return re.findall(r'<div class="invalid-feedback d-block" id="id_date_error">([^<]*)</div>', found[1])

    assert date_messages(dt.date.today() + dt.timedelta(days=1)) == [
        "日期不能晚于今天：组织生活记录的是已经召开的会议。"
    ]
    assert date_messages("2017-06-30") == ["日期早于甲一支部的成立日期（2018-03-01）。"]
    assert date_messages("2026-13-01") == ["输入一个有效的日期。"]
    assert date_messages(D) == []  # corrected: the message of the last save goes
    assert date_messages("") == []  # a half-filled form asks for nothing yet

    # the page itself: the date's messages under the date, in the container the refresh replaces
    response = client.post(
        reverse("meetings:create"),
        {"org": tree.a1.pk, "date": "2017-06-30", "types": ["theme_day"], "topic": "主题党日"},
    )
    html = response.content.decode()
    assert not Meeting.objects.exists()
    assert (
        '<div id="dj-date-feedback"><div class="invalid-feedback d-block" id="id_date_error">'
        "日期早于甲一支部的成立日期（2018-03-01）。</div></div>" in html
    )
    assert 'hx-swap-oob="true"' not in html and "data-dj-error-summary" in html
