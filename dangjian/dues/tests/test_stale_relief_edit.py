"""The 党费减免 correction page's lost-update guard (core.edits): a correction from a page opened before another save is
refused, not saved over; the relief's version is the digest of its audit snapshot."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core import edits
from dangjian.core.models import AuditEvent
from dangjian.dues import services
from dangjian.dues.models import DuesRelief
from dangjian.dues.tests.test_relief_correction import (
    correction,
    edit_data,
    first,
    later,
    record,
    row,
    writes,
)
from dangjian.dues.tests.test_views import declare

pytestmark = pytest.mark.django_db


def _version(response) -> str:
    found = re.search(
        r'<input type="hidden" name="relief-version" value="([0-9a-f]+)"', response.content.decode()
    )
    assert found, "the correction form carries the relief's version"
    return found.group(1)


@pytest.fixture
def relief(users, tree, today):
    member = users["own_member"]
    for year in {first(today).year, today.year}:
        declare(today, member, year=year)
    return record(today, member, tree.a, actor=users["dangwei_a"])


def _updates(relief):
    return AuditEvent.objects.filter(object_type="dues.duesrelief", action="update", object_id=str(relief.pk))


def test_a_correction_from_a_page_opened_before_another_save_is_refused_not_saved_over(
    client, users, tree, make_user, relief, today
):
    """Two administrators of the 党委 that approved the relief open its correction page; one corrects the amount
    first. The other's save (a corrected 批准文号 on a page still showing the old amount) would silently undo it:
    it is refused, naming who changed the relief and when, with what was typed kept; submitting again (the page now
    holds the current version) saves the page's values knowingly."""
    url = reverse("dues:relief_edit", args=[relief.pk])
    client.force_login(users["dangwei_a"])
    other = Client()
    other.force_login(make_user("dangwei_a_2", "dangwei_admin", tree.a))
    mine, theirs = _version(client.get(url)), _version(other.get(url))
    assert mine == theirs
    reduce = {"relief-kind": "reduce", "relief-start_month": f"{first(today):%Y-%m}"}
    reduce |= {"relief-end_month": f"{later(today):%Y-%m}", "relief-reason": relief.reason}
    theirs_data = edit_data(today, tree, **reduce, **{"relief-monthly_amount": "8", "relief-version": theirs})
    assert other.post(url, theirs_data).status_code == 302
    corrected = row(relief)
    assert corrected[:2] == ("reduce", Decimal("8"))
    assert _updates(relief).count() == 1

    before = writes()
    mine_data = edit_data(
        today, tree, **reduce, **{"relief-monthly_amount": "5", "relief-approval_ref": "甲委〔2026〕7号"}
    )
    response = client.post(url, mine_data | {"relief-version": mine})
    assert response.status_code == 400
    html = response.content.decode()
    assert "您打开此页后，这条记录已由dangwei_a_2于" in html and "本页的修改尚未保存" in html
    assert 'value="甲委〔2026〕7号"' in html  # what was typed stays on the page
    member_page = f"{reverse('dues:member', args=[relief.member_id])}?year={first(today).year}#reliefs"
    assert f'href="{member_page}" target="_blank"' in html and 'data-testid="stale-record"' in html
    assert row(relief) == corrected and writes() == before  # nothing saved over, no event, no snapshot
    current = _version(response)
    assert current != mine

    assert client.post(url, mine_data | {"relief-version": current}).status_code == 302
    saved = row(relief)
    assert (saved[1], saved[6]) == (Decimal("5"), "甲委〔2026〕7号")  # the page's values, knowingly
    assert _updates(relief).count() == 2
    # the recording form on the member's page (the same form, prefixed too) has no version: no record is edited
    html = client.get(f"{reverse('dues:member', args=[relief.member_id])}?year={today.year}").content.decode()
    assert 'name="relief-kind"' in html and 'name="relief-version"' not in html


def test_a_relief_changed_since_is_refused_and_a_caller_without_a_page_is_not_checked(users, relief):
    admin = users["dangwei_a"]
    # as the page reads it (the amount as the database keeps it, 5.00)
    opened = edits.version(
        services.relief_snapshot(DuesRelief.objects.select_related("approved_by").get(pk=relief.pk))
    )
    services.correct_relief(
        actor=admin, relief=relief, **correction(relief, approval_ref="甲委〔2026〕8号"), version=opened
    )
    before = writes()
    with pytest.raises(edits.Stale, match="这条记录已由dangwei_a于"):
        services.correct_relief(
            actor=admin, relief=relief, **correction(relief, approval_ref="甲委〔2026〕9号"), version=opened
        )
    assert writes() == before and DuesRelief.objects.get(pk=relief.pk).approval_ref == "甲委〔2026〕8号"
    services.correct_relief(actor=admin, relief=relief, **correction(relief, approval_ref="甲委〔2026〕9号"))
    assert DuesRelief.objects.get(pk=relief.pk).approval_ref == "甲委〔2026〕9号"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_a_relief_corrected_meanwhile_is_not_saved_over(
    live_server, browser_page, users, tree, make_user, relief, login
):
    """In Chromium: the 党委's administrator opens the relief's correction page; meanwhile another administrator of
    the 党委 corrects its 批准文号. Saving the page is refused, naming the other, what was typed kept; 保存更正 again
    saves the page's values."""
    page = browser_page
    login("dangwei_a")
    page.goto(f"{live_server.url}{reverse('dues:relief_edit', args=[relief.pk])}")
    other = make_user("dangwei_a_2", "dangwei_admin", tree.a)
    services.correct_relief(actor=other, relief=relief, **correction(relief, approval_ref="甲委〔2026〕8号"))
    form = page.get_by_test_id("relief-edit-form")
    form.get_by_label("减交后月缴纳额（元）").fill("3")
    form.get_by_test_id("save-relief").click()
    alert = form.get_by_role("alert")
    assert "这条记录已由dangwei_a_2于" in alert.inner_text()
    assert form.get_by_test_id("stale-record").get_attribute("target") == "_blank"
    assert form.get_by_label("减交后月缴纳额（元）").input_value() == "3"
    assert row(relief)[1] == Decimal("5") and row(relief)[6] == "甲委〔2026〕8号"
    form.get_by_test_id("save-relief").click()
    page.wait_for_selector("[data-testid=member-reliefs]")
    assert (
        row(relief)[1] == Decimal("3") and row(relief)[6] == "甲委〔2026〕5号"
    )  # the page's values, knowingly
