"""Correcting the organisation or the date of a record in headless Chromium. The roster reloads (htmx) with each
change: the absentees ticked, their reasons, the host and the lecturer of people on the new roster stay as they were;
the others are named above the roster as not on it, and come back when a later change lists them again (a date typed
wrong on the way, an organisation picked by mistake). A date corrected after a refused save loses its message with
the reload, which says what is wrong with the date as it is now."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.meetings.models import Meeting
from dangjian.meetings.services import create_meeting
from dangjian.orgs.services import create_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

D = dt.date(2026, 3, 31)


def change(page, locator, value: str) -> None:
    """Changes the organisation (a select) or the date as the user does, and waits for the roster it reloads."""
    with page.expect_response(lambda r: "/meetings/roster/" in r.url):
        if locator.evaluate("el => el.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    expect(page.locator("#dj-people")).to_have_attribute("aria-busy", "false")


def absences(meeting: Meeting) -> list[tuple[str, str, str]]:
    return sorted(meeting.absences.values_list("member__name", "reason_kind", "reason"))


def expect_absent(form, member, kind: str, text: str) -> None:
    expect(form.locator(f"#dj-absent-{member.pk}")).to_be_checked()
    expect(form.locator(f'select[name="reason_kind_{member.pk}"]')).to_have_value(kind)
    expect(form.locator(f'input[name="reason_{member.pk}"]')).to_have_value(text)


def test_correcting_the_date_keeps_the_ticks_reasons_and_host_of_the_people_on_its_roster(
    live_server, browser_page, users, tree, make_member, login
):
    secretary = make_member(tree.a1, name="书记甲")
    away = make_member(tree.a1, name="组织乙")
    newcomer = make_member(
        tree.a1, name="预备戊", category="probationary", confirmed_on=None, joined_on=dt.date(2026, 3, 15)
    )
    create_post(
        actor=None,
        data={"member": secretary, "org": tree.a1, "title": "shuji", "started_on": dt.date(2024, 1, 1)},
    )
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "支部党员大会", "host": secretary},
        types=["assembly"],
        absentees={away.pk: ("sick", "住院"), newcomer.pk: ("official", "赴京")},
    )
    page, base = browser_page, live_server.url
    login("branch_a1")
    page.goto(f"{base}{reverse('meetings:edit', args=[meeting.pk])}")
    form = page.get_by_test_id("meeting-form")
    date, host = form.locator("#id_date"), form.locator("#id_host")
    expect_absent(form, newcomer, "official", "赴京")
    assert form.get_by_test_id("roster-held").count() == 0

    # an earlier day, before 预备戊 joined: the others stay ticked, 预备戊 is named as not on that day's roster
    change(page, date, "2026-03-10")
    expect_absent(form, away, "sick", "住院")
    expect(host).to_have_value(str(secretary.pk))
    assert form.locator(f"#dj-absent-{newcomer.pk}").count() == 0
    held = form.get_by_test_id("roster-held")
    expect(held).to_contain_text("以下人员不是甲一支部在 2026-03-10 的应到人员")
    expect(held.get_by_test_id("held-absentees")).to_have_text("缺席：预备戊（公差：赴京）")

    # a year typed wrong on the way (before the branch was founded: nobody on the roster), then the day meant
    change(page, date, "2016-03-20")
    expect(form.get_by_test_id("roster-date")).to_be_visible()
    expect(held).to_contain_text("还没有应到人员名单")
    expect(held.get_by_test_id("held-absentees")).to_have_text(
        "缺席：预备戊（公差：赴京）、组织乙（病假：住院）"
    )
    change(page, date, "2026-03-20")
    expect_absent(form, away, "sick", "住院")
    expect_absent(form, newcomer, "official", "赴京")
    expect(form.locator(f"#dj-absent-{secretary.pk}")).not_to_be_checked()
    expect(host).to_have_value(str(secretary.pk))
    expect(form.get_by_test_id("roster-held")).to_have_count(0)

    form.get_by_test_id("save").click()
    page.wait_for_url(f"{base}{reverse('meetings:detail', args=[meeting.pk])}")
    meeting.refresh_from_db()
    assert meeting.date == dt.date(2026, 3, 20) and meeting.host == secretary
    assert absences(meeting) == [("组织乙", "sick", "住院"), ("预备戊", "official", "赴京")]


def test_correcting_the_organisation_keeps_the_ticks_reasons_and_host_of_the_members_it_shares(
    live_server, browser_page, users, tree, make_member, login
):
    leader = make_member(tree.a1g1, name="小组丁")
    grouped = make_member(tree.a1g1, name="小组戊")
    away = make_member(tree.a1, name="组织乙")
    make_member(tree.a2, name="甲二刘强")
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "主题党日", "host": leader},
        types=["theme_day"],
        absentees={grouped.pk: ("sick", "住院"), away.pk: ("official", "出差")},
    )
    page, base = browser_page, live_server.url
    login("dangwei_a")
    page.goto(f"{base}{reverse('meetings:edit', args=[meeting.pk])}")
    form = page.get_by_test_id("meeting-form")
    org, host = form.locator("#id_org"), form.locator("#id_host")
    expect_absent(form, grouped, "sick", "住院")

    # 甲二支部 picked by mistake: none of them on its roster, all named
    change(page, org, str(tree.a2.pk))
    held = form.get_by_test_id("roster-held")
    expect(held).to_contain_text("以下人员不是甲二支部在 2026-03-31 的应到人员")
    expect(held.get_by_test_id("held-absentees")).to_have_text(
        "缺席：小组戊（病假：住院）、组织乙（公差：出差）"
    )

    # the 党小组 meant: its members come back as they were, 组织乙 (of the branch only) is named
    change(page, org, str(tree.a1g1.pk))
    expect_absent(form, grouped, "sick", "住院")
    expect(host).to_have_value(str(leader.pk))
    expect(held).to_contain_text("以下人员不是甲一第一党小组在 2026-03-31 的应到人员")
    expect(held.get_by_test_id("held-absentees")).to_have_text("缺席：组织乙（公差：出差）")

    form.get_by_test_id("save").click()
    page.wait_for_url(f"{base}{reverse('meetings:detail', args=[meeting.pk])}")
    meeting.refresh_from_db()
    assert meeting.org == tree.a1g1 and meeting.host == leader
    assert absences(meeting) == [("小组戊", "sick", "住院")]


def test_a_corrected_date_loses_the_message_of_the_refused_save(
    live_server, browser_page, users, tree, make_member, login
):
    away = make_member(tree.a1, name="组织乙")
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "支部党员大会"},
        types=["assembly"],
        absentees={away.pk: ("sick", "住院")},
    )
    page, base = browser_page, live_server.url
    login("branch_a1")
    page.goto(f"{base}{reverse('meetings:edit', args=[meeting.pk])}")
    form = page.get_by_test_id("meeting-form")
    date = form.locator("#id_date")
    date.fill((dt.date.today() + dt.timedelta(days=3)).isoformat())  # typed past the picker's last day
    form.get_by_test_id("save").click()
    page.wait_for_load_state()
    error = form.locator("#id_date_error")
    expect(error).to_have_text("日期不能晚于今天：组织生活记录的是已经召开的会议。")
    expect(date).to_have_class(r"form-control is-invalid")
    summary = form.locator("[data-dj-error-summary]")
    expect(summary).to_be_visible()

    change(page, date, "2026-03-30")
    expect(error).to_have_count(0)
    expect(date).not_to_have_class("is-invalid")
    expect(date).not_to_have_attribute("aria-invalid", "true")
    expect(summary).to_be_hidden()
    expect_absent(form, away, "sick", "住院")

    # the date as it is now: a day before the branch was founded says so at once, and goes when corrected
    change(page, date, "2017-06-30")
    expect(error).to_have_text("日期早于甲一支部的成立日期（2018-03-01）。")
    expect(date).to_have_class("form-control is-invalid")
    expect(summary).to_be_visible()
    change(page, date, "2026-03-30")
    expect(error).to_have_count(0)
    expect_absent(form, away, "sick", "住院")

    form.get_by_test_id("save").click()
    page.wait_for_url(f"{base}{reverse('meetings:detail', args=[meeting.pk])}")
    meeting.refresh_from_db()
    assert meeting.date == dt.date(2026, 3, 30)
    assert absences(meeting) == [("组织乙", "sick", "住院")]


def test_the_entry_form_keeps_the_ticks_and_host_through_a_date_typed_wrong(
    live_server, browser_page, users, tree, make_member, login
):
    first = make_member(tree.a2, name="甲二党员")
    away = make_member(tree.a2, name="甲二缺席者")
    page, base = browser_page, live_server.url
    login("branch_a2")
    page.goto(f"{base}{reverse('meetings:create')}?org={tree.a2.pk}")
    form = page.get_by_test_id("meeting-form")
    date = form.locator("#id_date")
    form.locator("label[for=id_types_assembly]").click()
    form.get_by_test_id("roster").get_by_text("甲二缺席者").wait_for()
    change(page, date, D.isoformat())
    form.locator(f"label[for=dj-absent-{away.pk}]").click()
    form.locator(f'select[name="reason_kind_{away.pk}"]').select_option("other")
    form.locator(f'input[name="reason_{away.pk}"]').fill("照顾病人")
    form.locator("#id_host").select_option(str(first.pk))
    form.locator("#id_topic").fill("支部党员大会")

    change(page, date, "2016-03-31")  # before the branch was founded: a save is refused on the date
    form.get_by_test_id("save").click()
    page.wait_for_load_state()
    error = form.locator("#id_date_error")
    expect(error).to_have_text("日期早于甲二支部的成立日期（2018-03-01）。")

    change(page, date, D.isoformat())
    expect(error).to_have_count(0)
    expect(date).not_to_have_class("is-invalid")
    expect_absent(form, away, "other", "照顾病人")
    expect(form.locator("#id_host")).to_have_value(str(first.pk))

    form.get_by_test_id("save").click()
    page.wait_for_url(lambda url: "/meetings/new/" not in url)
    meeting = Meeting.objects.get(org=tree.a2)
    assert meeting.date == D and meeting.host == first
    assert absences(meeting) == [("甲二缺席者", "other", "照顾病人")]
