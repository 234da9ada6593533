"""The 青年理论学习小组's members form (on the group's page, opened, then saved: the whole list is replaced) has the
lost-update guard (core.edits): a save from a page opened before another is refused, not saved over; the group's
version is the digest of its audit snapshot with all its members."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core import edits
from dangjian.core.models import AuditEvent
from dangjian.talks import services
from dangjian.talks.models import YouthGroup

pytestmark = pytest.mark.django_db


def _version(response) -> str:
    found = re.search(r'<input type="hidden" name="version" value="([0-9a-f]+)"', response.content.decode())
    assert found, "the members form carries the group's version"
    return found.group(1)


@pytest.fixture
def group(a1, today) -> YouthGroup:
    return services.create_youth_group(
        actor=None, org=a1.org, name="甲一青年组", leader=a1.m1, members=[a1.m2], founded_on=today
    )


def _names(group: YouthGroup) -> set[str]:
    return set(YouthGroup.objects.get(pk=group.pk).members.values_list("name", flat=True))


def test_members_saved_from_a_page_opened_before_another_save_are_refused_not_saved_over(
    client, users, a1, group
):
    """The branch's administrator and the 党委 open the group's page; the 党委 adds 书记甲 and saves first. The
    branch's save (adding 组织委员乙 on a page that did not show 书记甲) would silently remove him: it is refused,
    naming who changed the group and when, with what was chosen kept; submitting again (the page now holds the
    current version) saves the page's list knowingly."""
    page = reverse("talks:group", args=[group.pk])
    url = reverse("talks:group_members", args=[group.pk])
    client.force_login(users["branch_a1"])
    other = Client()
    other.force_login(users["dangwei_a"])
    mine, theirs = _version(client.get(page)), _version(other.get(page))
    assert mine == theirs
    added = {"leader": a1.m1.pk, "members": [a1.m1.pk, a1.m2.pk, a1.shuji.pk], "version": theirs}
    assert other.post(url, added).status_code == 302
    assert _names(group) == {"党员丁", "党员戊", "书记甲"}

    events = AuditEvent.objects.count()
    chosen = {"leader": a1.m1.pk, "members": [a1.m1.pk, a1.m2.pk, a1.zuzhi.pk]}
    response = client.post(url, {**chosen, "version": mine})
    assert response.status_code == 400
    html = response.content.decode()
    assert "您打开此页后，这条记录已由dangwei_a于" in html and "本页的修改尚未保存" in html
    assert response.context["members_form"]["members"].value() == [
        str(m.pk) for m in (a1.m1, a1.m2, a1.zuzhi)
    ]
    assert '<details class="px-3 pb-3 dj-noprint" open>' in html  # the form is shown, with what was chosen
    assert f'href="{page}" target="_blank"' in html and 'data-testid="stale-record"' in html
    now = [m.name for m in response.context["members"]]
    assert now == ["党员丁", "党员戊", "书记甲"]  # the group as it is now, above the form
    assert _names(group) == {"党员丁", "党员戊", "书记甲"}  # nothing saved over
    assert AuditEvent.objects.count() == events  # not even an event
    current = _version(response)
    assert current != mine

    assert client.post(url, {**chosen, "version": current}).status_code == 302
    assert _names(group) == {"党员丁", "党员戊", "组织委员乙"}  # the page's list, knowingly


def test_a_group_changed_since_is_refused_and_a_caller_without_a_page_is_not_checked(users, a1, group):
    admin = users["branch_a1"]
    opened = edits.version(services.group_members_snapshot(group))
    services.update_youth_group_members(
        actor=admin, group=group, leader=a1.m1, members=[a1.m2, a1.shuji], version=opened
    )
    events = AuditEvent.objects.count()
    with pytest.raises(edits.Stale, match="这条记录已由branch_a1于"):
        services.update_youth_group_members(
            actor=admin, group=group, leader=a1.m1, members=[a1.m2, a1.zuzhi], version=opened
        )
    assert _names(group) == {"党员丁", "党员戊", "书记甲"} and AuditEvent.objects.count() == events
    services.update_youth_group_members(actor=admin, group=group, leader=a1.m1, members=[a1.zuzhi])
    assert _names(group) == {"党员丁", "组织委员乙"}


def test_the_activity_form_still_records_from_the_page_shown_after_a_refusal(client, users, a1, group, today):
    """The page shown after a refused members' save is at the members form's address: its activity form posts to
    the group's page, not there."""
    client.force_login(users["branch_a1"])
    url = reverse("talks:group_members", args=[group.pk])
    services.update_youth_group_members(actor=None, group=group, leader=a1.m1, members=[a1.m2, a1.shuji])
    response = client.post(url, {"leader": a1.m1.pk, "members": [a1.m1.pk], "version": "0" * 16})
    assert response.status_code == 400
    action = f'action="{reverse("talks:group", args=[group.pk])}?year={today.year}"'
    assert re.search(
        rf'<form method="post" {re.escape(action)}[^>]*data-testid="activity-form"', response.content.decode()
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_members_changed_meanwhile_are_not_saved_over(
    live_server, browser_page, users, a1, group, login
):
    """In Chromium: the branch's administrator opens 调整成员 on the group's page; meanwhile the 党委 adds 书记甲.
    Saving is refused with the form open and the choice kept; 保存成员 again saves the page's list."""
    page = browser_page
    login("branch_a1")
    page.goto(f"{live_server.url}{reverse('talks:group', args=[group.pk])}")
    page.get_by_text("调整成员").click()
    services.update_youth_group_members(
        actor=users["dangwei_a"], group=group, leader=a1.m1, members=[a1.m2, a1.shuji]
    )
    form = page.get_by_test_id("group-members-form")
    form.get_by_label("组织委员乙").check()
    form.get_by_role("button", name="保存成员").click()
    form = page.get_by_test_id("group-members-form")
    assert form.is_visible() and "这条记录已由dangwei_a于" in form.get_by_role("alert").inner_text()
    assert form.get_by_label("组织委员乙").is_checked() and not form.get_by_label("书记甲").is_checked()
    assert _names(group) == {"党员丁", "党员戊", "书记甲"}
    form.get_by_role("button", name="保存成员").click()
    page.wait_for_url(f"**{reverse('talks:group', args=[group.pk])}")
    assert _names(group) == {"党员丁", "党员戊", "组织委员乙"}
