"""Correcting and deleting a recorded training: the hours every participant's totals count follow, the write is
audited on the organisation's path, and a refused write (another branch, a GET, invalid input) changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.training import selectors
from dangjian.training.models import Participant, Training
from dangjian.training.services import delete_training, update_training

pytestmark = pytest.mark.django_db


def hours_of(member, org, year: int) -> Decimal:
    """The member's training hours of the year, read as the 学时统计 page reads them."""
    rule = selectors.hours_rule(selectors.train_rules())
    items = selectors.evaluate(
        type(org).objects.filter(pk=org.pk), year=year, as_of=dt.date(year, 12, 31), rules=[]
    )
    lines = selectors.hours_lines(items, year, rule)
    return next(line.training for line in lines if line.member_id == member.pk)


def events(training_pk: int, action: str):
    return AuditEvent.objects.filter(
        object_type="training.training", object_id=str(training_pk), action=action
    )


def form_data(t: Training, **extra) -> dict:
    return {
        "title": t.title,
        "organiser": t.organiser,
        "level": t.level,
        "started_on": t.started_on.isoformat(),
        "ended_on": t.ended_on.isoformat(),
        "hours": str(t.hours),
        "note": t.note,
        **extra,
    }


@pytest.fixture
def recorded(tree, train, make_member, today):
    """A one-day training of 甲一 (8 学时) a little while ago, completed by 甲."""
    day = today - dt.timedelta(days=10)
    member = make_member(tree.a1, name="甲")
    t = train(tree.a1, [member], day, hours="8")
    return t, member, day.year


def test_the_branch_admin_deletes_a_training_and_its_hours_leave_the_totals(client, users, tree, recorded):
    t, member, year = recorded
    assert hours_of(member, tree.a1, year) == Decimal("8")
    client.force_login(users["branch_a1"])
    detail = client.get(reverse("training:detail", args=[t.pk])).content.decode()
    assert reverse("training:delete", args=[t.pk]) in detail and "年度学时中扣除" in detail
    response = client.post(reverse("training:delete", args=[t.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("training:index"))
    assert not Training.objects.filter(pk=t.pk).exists() and not Participant.objects.exists()
    assert hours_of(member, tree.a1, year) == Decimal("0")
    (event,) = events(t.pk, "delete")
    assert event.org_path == tree.a1.path
    assert event.before["hours"] == "8.0" and event.before["participants"] == ["甲"]


def test_a_sibling_branch_admin_gets_404_and_nothing_changes(client, users, tree, recorded):
    t, member, year = recorded
    client.force_login(users["branch_a2"])
    assert client.post(reverse("training:delete", args=[t.pk])).status_code == 404
    assert client.post(reverse("training:edit", args=[t.pk]), form_data(t, hours="4")).status_code == 404
    with pytest.raises(OutOfScope):
        delete_training(actor=users["branch_a2"], training=t)
    with pytest.raises(OutOfScope):
        update_training(actor=users["branch_a2"], training=t, data=form_data(t, hours="4"))
    t.refresh_from_db()
    assert t.hours == Decimal("8") and Participant.objects.filter(training=t).count() == 1
    assert hours_of(member, tree.a1, year) == Decimal("8")
    assert not events(t.pk, "delete").exists() and not events(t.pk, "update").exclude(before=None).exists()


def test_a_get_to_the_delete_url_changes_nothing(client, users, recorded):
    t, _member, _year = recorded
    client.force_login(users["branch_a1"])
    assert client.get(reverse("training:delete", args=[t.pk])).status_code == 405
    assert Training.objects.filter(pk=t.pk).exists() and not events(t.pk, "delete").exists()


def test_corrected_hours_are_what_the_totals_show(client, users, tree, recorded):
    t, member, year = recorded
    client.force_login(users["branch_a1"])
    page = client.get(reverse("training:edit", args=[t.pk]))
    assert page.status_code == 200 and 'value="8.0"' in page.content.decode()
    detail = client.get(reverse("training:detail", args=[t.pk])).content.decode()
    assert reverse("training:edit", args=[t.pk]) in detail
    response = client.post(
        reverse("training:edit", args=[t.pk]), form_data(t, hours="6", title="更正后的名称")
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.hours == Decimal("6") and t.title == "更正后的名称" and t.org == tree.a1
    assert hours_of(member, tree.a1, year) == Decimal("6")
    (event,) = events(t.pk, "update").exclude(before=None)
    assert (event.before["hours"], event.after["hours"]) == ("8.0", "6")
    assert event.org_path == tree.a1.path


def test_invalid_input_is_refused_in_the_forms_words_and_changes_nothing(client, users, tree, recorded):
    t, member, year = recorded
    client.force_login(users["branch_a1"])
    url = reverse("training:edit", args=[t.pk])
    before = AuditEvent.objects.count()
    for data, message in (
        (form_data(t, hours="20"), "学时不能超过培训天数×8：本次培训1天，最多8学时。"),
        (form_data(t, hours="1.25"), "学时最多保留一位小数，且不超过 1000。"),
        (form_data(t, title=""), "请填写培训名称。"),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        assert message in response.content.decode()
    t.refresh_from_db()
    assert t.hours == Decimal("8") and t.title.startswith("培训")
    assert hours_of(member, tree.a1, year) == Decimal("8") and AuditEvent.objects.count() == before


def test_dates_that_leave_a_participant_off_the_roll_are_refused(users, tree, recorded, make_member):
    t, _member, _year = recorded
    late = make_member(tree.a1, name="乙", joined_on=t.started_on, category="probationary", confirmed_on=None)
    from dangjian.training.services import add_participants

    add_participants(actor=None, training=t, members=[late])
    earlier = t.started_on - dt.timedelta(days=3)
    with pytest.raises(ServiceError, match="乙在培训期间不在党员名册中"):
        update_training(
            actor=users["branch_a1"], training=t, data=form_data(t, started_on=earlier, ended_on=earlier)
        )
    t.refresh_from_db()
    assert t.started_on == earlier + dt.timedelta(days=3)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_delete_button_asks_first_and_names_the_participants_hours(
    live_server, browser_page, users, tree, train, make_member, login, today
):
    """In Chromium: 删除 asks (the browser's confirm) saying the hours leave the participants' totals; declining
    keeps the training, accepting deletes it and lands on the list."""
    member = make_member(tree.a1, name="甲")
    t = train(tree.a1, [member], today - dt.timedelta(days=10), hours="8")
    page = browser_page
    login("branch_a1")
    page.goto(f"{live_server.url}{reverse('training:detail', args=[t.pk])}")
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="删除", exact=True).click()
    assert "1 名参训人员的年度学时中扣除" in asked[0]
    assert Training.objects.filter(pk=t.pk).exists()
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name="删除", exact=True).click()
    page.wait_for_url(f"**{reverse('training:index')}*")
    assert "已删除培训记录" in page.content()
    assert not Training.objects.filter(pk=t.pk).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_branch_administrator_corrects_the_hours_from_the_training_page(
    live_server, browser_page, users, tree, train, make_member, login, today
):
    """In Chromium: 修改 on the training's page opens its form filled in; the corrected hours are saved and the page
    says the participants' hours follow."""
    member = make_member(tree.a1, name="甲")
    t = train(tree.a1, [member], today - dt.timedelta(days=10), hours="8")
    page = browser_page
    login("branch_a1")
    page.goto(f"{live_server.url}{reverse('training:detail', args=[t.pk])}")
    page.get_by_test_id("edit-link").click()
    page.wait_for_url(f"**{reverse('training:edit', args=[t.pk])}")
    assert page.locator("#id_hours").input_value() == "8.0"
    page.locator("#id_hours").fill("6")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(f"**{reverse('training:detail', args=[t.pk])}")
    assert "各参训人员的学时按修改后的计算" in page.content()
    t.refresh_from_db()
    assert t.hours == Decimal("6")


def test_an_edit_from_a_page_opened_before_another_save_is_refused_not_saved_over(
    client, users, tree, recorded
):
    """The branch and its 党委 open the same training; the 党委 corrects the hours first. The branch's save from its
    page would silently undo it: refused, naming who changed it, what was typed kept; resubmitting saves."""
    import re

    from django.test import Client

    def version(response) -> str:
        found = re.search(r'name="version" value="([0-9a-f]+)"', response.content.decode())
        assert found, "the edit form carries the training's version"
        return found.group(1)

    t = recorded[0]
    url = reverse("training:edit", args=[t.pk])
    client.force_login(users["branch_a1"])
    other = Client()
    other.force_login(users["dangwei_a"])
    mine = version(client.get(url))
    updates = events(t.pk, "update").count()
    assert other.post(url, form_data(t, hours="6", version=version(other.get(url)))).status_code == 302
    response = client.post(url, form_data(t, note="书记补的备注", version=mine))
    html = response.content.decode()
    assert response.status_code == 400 and "这条记录已由dangwei_a于" in html and "本页的修改尚未保存" in html
    assert 'value="书记补的备注"' in html and 'data-testid="stale-record"' in html
    t.refresh_from_db()
    assert (t.hours, t.note) == (Decimal("6"), "")  # nothing saved over
    assert client.post(url, form_data(t, note="书记补的备注", version=version(response))).status_code == 302
    t.refresh_from_db()
    assert (t.hours, t.note) == (Decimal("6"), "书记补的备注")
    assert events(t.pk, "update").count() == updates + 2


def test_removing_a_participant_asks_first_and_says_what_it_takes_away(client, users, tree, recorded):
    t = recorded[0]
    client.force_login(users["branch_a1"])
    page = client.get(reverse("training:detail", args=[t.pk])).content.decode()
    assert (
        'data-testid="remove-participant" data-confirm="确定将甲移出本次培训？其年度学时将减去本次培训的 8'
        in page
    )
