"""The 党员 edit page's lost-update guard (core.edits): an edit from a page opened before another save is refused,
not saved over. The member's version covers the raw values of the fields the form edits, so that a correction only in
the digits the audit snapshot masks (身份证号, phone) is not lost either; it is a keyed digest, never the values."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core import edits
from dangjian.core.models import AuditEvent
from dangjian.members.models import Member
from dangjian.members.services import member_snapshot, member_version_fields, update_member


def _version(response) -> str:
    found = re.search(r'<input type="hidden" name="version" value="([0-9a-f]+)"', response.content.decode())
    assert found, "the edit form carries the member's version"
    return found.group(1)


def _data(member: Member, **overrides) -> dict:
    data = {
        "name": member.name,
        "id_number": member.id_number,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "phone": member.phone,
        "category": member.category,
        "joined_on": member.joined_on.isoformat(),
        "confirmed_on": member.confirmed_on.isoformat() if member.confirmed_on else "",
        "org": str(member.org_id),
        "work_status": member.work_status,
        "position": member.position,
    }
    data.update(overrides)
    return data


def test_an_edit_from_a_page_opened_before_another_save_is_refused_not_saved_over(
    client, users, tree, make_member
):
    """The branch's secretary and the 党委 open the same member; the 党委 corrects the phone in digits the audit
    snapshot masks, and saves first. The secretary's save would silently undo it: it is refused, naming who changed
    the member and when, with what they typed kept; submitting again (the page now holds the current version) saves
    their values knowingly."""
    member = make_member(tree.a1, name="王芳", phone="13812345678", position="科员")
    url = reverse("members:edit", args=[member.pk])
    client.force_login(users["branch_a1"])
    other = Client()
    other.force_login(users["dangwei_a"])
    mine_page = client.get(url)
    mine, theirs = _version(mine_page), _version(other.get(url))
    assert mine == theirs
    assert member.id_number not in mine and "13812345678" not in mine  # a digest, not the values

    before_snapshot = member_snapshot(member)
    assert other.post(url, _data(member, phone="13899995678", version=theirs)).status_code == 302
    member.refresh_from_db()
    assert member.phone == "13899995678"
    assert (
        member_snapshot(member) == before_snapshot
    )  # the audit snapshot does not show the change, but it is audited
    updates = AuditEvent.objects.filter(
        object_type="members.member", action="update", object_id=str(member.pk)
    )
    assert list(updates.values_list("actor_label", "note")) == [
        ("dangwei_a", "手机号码已更正（所改数字在日志中遮盖）")
    ]
    assert "13899995678" not in str(updates.values_list("before", "after", "note").get())

    second = _data(
        Member.objects.get(pk=member.pk), phone="13812345678", position="书记改的岗位", version=mine
    )
    response = client.post(url, second)
    assert response.status_code == 200
    html = response.content.decode()
    assert "您打开此页后，这条记录已由dangwei_a于" in html and "本页的修改尚未保存" in html
    assert 'value="书记改的岗位"' in html  # what was typed stays on the page
    assert f'href="{reverse("members:detail", args=[member.pk])}" target="_blank"' in html
    member.refresh_from_db()
    assert (member.phone, member.position) == ("13899995678", "科员")  # nothing saved over
    assert updates.count() == 1
    current = _version(response)
    assert current != mine

    response = client.post(url, {**second, "version": current})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.phone, member.position) == ("13812345678", "书记改的岗位")
    assert updates.count() == 2


def test_a_change_the_audit_snapshot_shows_is_named_by_its_update(client, users, tree, make_member):
    member = make_member(tree.a1, name="王芳", position="科员")
    url = reverse("members:edit", args=[member.pk])
    client.force_login(users["branch_a1"])
    other = Client()
    other.force_login(users["dangwei_a"])
    mine = _version(client.get(url))
    assert (
        other.post(url, _data(member, position="党委改的岗位", version=_version(other.get(url)))).status_code
        == 302
    )
    third = (
        Client()
    )  # the 工委 opens the member since (a 查看个人信息 event): a reader, not the one who changed it
    third.force_login(users["gongwei"])
    assert third.get(url).status_code == 200
    assert AuditEvent.objects.filter(object_id=str(member.pk), action="view_personal").exists()
    response = client.post(url, _data(member, position="书记改的岗位", version=mine))
    assert "您打开此页后，这条记录已由dangwei_a于" in response.content.decode()
    member.refresh_from_db()
    assert member.position == "党委改的岗位"


def test_an_editor_without_full_access_is_guarded_and_never_shown_the_numbers(
    client, users, tree, make_member, settings
):
    settings.PII_FULL_ACCESS_ROLES = ["gongwei_admin"]
    member = make_member(tree.a1, name="王芳", position="科员")
    url = reverse("members:edit", args=[member.pk])
    client.force_login(users["branch_a1"])
    page = client.get(url)
    html = page.content.decode()
    assert member.id_number not in html and member.phone not in html
    opened = _version(page)
    update_member(
        actor=users["dangwei_a"], member=member, data={"id_number": _other_digits(member.id_number)}
    )
    response = client.post(url, _data(member, id_number="", phone="", position="处长", version=opened))
    assert response.status_code == 200
    html = response.content.decode()
    assert "本页的修改尚未保存" in html
    member.refresh_from_db()
    assert member.position == "科员"
    assert member.id_number not in html and member.phone not in html
    response = client.post(
        url, _data(member, id_number="", phone="", position="处长", version=_version(response))
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.position == "处长"


def _other_digits(number: str) -> str:
    """The same 身份证号 but for one birth-date digit hidden by the mask (a valid number: check digit recomputed)."""
    from dangjian.core import idcard

    card = idcard.parse(number)
    birth = card.birth_date.replace(day=card.birth_date.day % 28 + 1)
    return idcard.make(number[:6], birth, int(number[14:17]), card.sex == "M")


def test_an_unchanged_member_saves_and_a_caller_without_a_page_is_not_checked(users, tree, make_member):
    member = make_member(tree.a1, name="王芳", phone="13812345678", position="科员")
    opened = edits.version(member_version_fields(member))
    update_member(actor=users["branch_a1"], member=member, data={"position": "一改"}, version=opened)
    with pytest.raises(edits.Stale):
        update_member(actor=users["branch_a1"], member=member, data={"position": "二改"}, version=opened)
    member.refresh_from_db()
    assert member.position == "一改"

    # a change only in the digits the audit snapshot masks changes the version
    opened = edits.version(member_version_fields(member))
    update_member(actor=None, member=member, data={"phone": "13899995678"})
    with pytest.raises(edits.Stale):
        update_member(actor=users["branch_a1"], member=member, data={"position": "三改"}, version=opened)
    member.refresh_from_db()
    assert (member.phone, member.position) == ("13899995678", "一改")

    update_member(actor=users["branch_a1"], member=member, data={"position": "导入改"})  # no page: no version
    member.refresh_from_db()
    assert member.position == "导入改"
