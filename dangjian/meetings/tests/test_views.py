"""Meeting pages: the permission matrix, the entry form with its roster, list/calendar/detail, edit and
delete, attachments, the 待办 panel, and query counts."""

from __future__ import annotations

import datetime as dt
import re
import types as pytypes
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.meetings import selectors
from dangjian.meetings.models import Absence, Attachment, Meeting, MeetingKind
from dangjian.meetings.services import create_meeting
from dangjian.orgs.services import create_post

LOGIN = reverse("login")
D = dt.date(2026, 3, 31)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def branch(tree, make_member):
    """A1 with 4 正式党员 (one in its 党小组) and 1 预备党员 besides 李党员, and a committee of three;
    A2 and B1 with one member each."""
    people = {
        "书记": make_member(tree.a1, name="书记甲"),
        "组织": make_member(tree.a1, name="组织乙"),
        "宣传": make_member(tree.a1, name="宣传丙"),
        "小组": make_member(tree.a1g1, name="小组丁"),
        "预备": make_member(
            tree.a1, name="预备戊", category="probationary", confirmed_on=None, joined_on=dt.date(2025, 12, 1)
        ),
        "a2": make_member(tree.a2, name="甲二刘强"),
        "b1": make_member(tree.b1, name="乙一孙丽"),
    }
    for key, title in (("书记", "shuji"), ("组织", "zuzhi"), ("宣传", "xuanchuan")):
        create_post(
            actor=None,
            data={"member": people[key], "org": tree.a1, "title": title, "started_on": dt.date(2024, 1, 1)},
        )
    return people


@pytest.fixture
def records(tree, branch, users):
    """One record in A1 (with an absentee), one in A2, one in B1."""
    return {
        "a1": create_meeting(
            actor=None,
            data={"org": tree.a1, "date": D, "topic": "甲一主题党日", "place": "三楼会议室"},
            types=["theme_day", "lecture"],
            absentees={branch["预备"].pk: "出差"},
        ),
        "a2": create_meeting(
            actor=None, data={"org": tree.a2, "date": D, "topic": "甲二党员大会"}, types=["assembly"]
        ),
        "b1": create_meeting(
            actor=None,
            data={"org": tree.b1, "date": dt.date(2026, 3, 12), "topic": "乙一支委会"},
            types=["talk"],
        ),
    }


def post_data(org, **overrides) -> dict:
    data = {
        "org": str(org.pk),
        "date": D.isoformat(),
        "types": ["assembly"],
        "topic": "支部党员大会",
        "place": "会议室",
        "host": "",
        "lecturer": "",
        "lecturer_name": "",
        "observers": "",
        "agenda": "议题一",
        "content": "内容",
        "decisions": "决定",
    }
    data.update(overrides)
    return data


def kinds(meeting) -> dict:
    return {k.type: (k.expected, k.present, k.expected_formal, k.present_formal) for k in meeting.kinds.all()}


def state() -> tuple:
    return (
        list(Meeting.objects.order_by("id").values_list("id", "topic", "org_id", "date")),
        list(MeetingKind.objects.order_by("id").values_list("meeting_id", "type", "expected", "present")),
        list(Absence.objects.order_by("id").values_list("meeting_id", "member_id", "reason")),
        AuditEvent.objects.count(),
    )


def pages(record) -> list[tuple[str, str, list]]:
    pk = [record.pk]
    return [
        ("meetings:list", "get", []),
        ("meetings:calendar", "get", []),
        ("meetings:todo", "get", []),
        ("meetings:create", "get", []),
        ("meetings:create", "post", []),
        ("meetings:roster", "get", []),
        ("meetings:detail", "get", pk),
        ("meetings:edit", "get", pk),
        ("meetings:edit", "post", pk),
        ("meetings:delete", "post", pk),
    ]


# --- anonymous, 党员 ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_every_page(client, records):
    attachment = Attachment.objects.create(
        meeting=records["a1"], file=SimpleUploadedFile("x.pdf", PDF), name="记录.pdf"
    )
    before = state()
    for name, method, args in [*pages(records["a1"]), ("meetings:attachment", "get", [attachment.pk])]:
        url = reverse(name, args=args)
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"] == f"{LOGIN}?next={url}", name
    assert state() == before


def test_member_is_refused_every_page(client, users, records, tree):
    attachment = Attachment.objects.create(
        meeting=records["a1"], file=SimpleUploadedFile("x.pdf", PDF), name="记录.pdf"
    )
    client.force_login(users["member_a1"])
    before = state()
    for name, method, args in [*pages(records["a1"]), ("meetings:attachment", "get", [attachment.pk])]:
        data = post_data(tree.a1) if method == "post" else None
        response = getattr(client, method)(reverse(name, args=args), data=data)
        assert response.status_code == 403, name
    assert state() == before


# --- 支部管理员 of the sibling branch ----------------------------------------------------------------


def test_sibling_branch_admin_gets_404_on_a1_records(client, users, records, tree):
    target = records["a1"]
    attachment = Attachment.objects.create(
        meeting=target, file=SimpleUploadedFile("x.pdf", PDF), name="记录.pdf"
    )
    client.force_login(users["branch_a2"])
    before = state()
    pk = [target.pk]
    assert client.get(reverse("meetings:detail", args=pk)).status_code == 404
    assert client.get(reverse("meetings:edit", args=pk)).status_code == 404
    edit = post_data(tree.a2, topic="被改了", types=["assembly"])
    assert client.post(reverse("meetings:edit", args=pk), edit).status_code == 404
    assert client.post(reverse("meetings:delete", args=pk)).status_code == 404
    assert client.get(reverse("meetings:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("meetings:roster"), {"org": tree.a1.pk, "types": "assembly"}).status_code == 404
    assert state() == before


def test_sibling_branch_admin_cannot_record_for_a1(client, users, records, branch, tree):
    client.force_login(users["branch_a2"])
    before = state()
    response = client.post(
        reverse("meetings:create"), post_data(tree.a1, absentees=[str(branch["书记"].pk)], reason_1="x")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["org"] == ["请选择列表中的组织。"]
    assert state() == before
    html = client.get(reverse("meetings:create")).content.decode()
    assert f'value="{tree.a1.pk}"' not in html
    assert f'value="{tree.a2.pk}"' in html


def test_sibling_branch_admin_sees_only_own_records(client, users, records):
    client.force_login(users["branch_a2"])
    response = client.get(reverse("meetings:list"))
    assert [m.topic for m in response.context["page"].object_list] == ["甲二党员大会"]
    calendar = client.get(reverse("meetings:calendar"), {"month": "2026-03"})
    assert calendar.context["total"] == 1
    html = calendar.content.decode()
    assert reverse("meetings:detail", args=[records["a2"].pk]) in html
    assert reverse("meetings:detail", args=[records["a1"].pk]) not in html


# --- 党委管理员 of the ancestor, 工委管理员 -------------------------------------------------------------


def test_dangwei_admin_sees_its_subtree_only(client, users, records):
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("meetings:list"))
    assert sorted(m.topic for m in response.context["page"].object_list) == ["甲一主题党日", "甲二党员大会"]
    assert client.get(reverse("meetings:detail", args=[records["a1"].pk])).status_code == 200
    assert client.get(reverse("meetings:detail", args=[records["a2"].pk])).status_code == 200
    assert client.get(reverse("meetings:detail", args=[records["b1"].pk])).status_code == 404
    assert client.get(reverse("meetings:edit", args=[records["b1"].pk])).status_code == 404
    assert client.get(reverse("meetings:calendar"), {"month": "2026-03"}).context["total"] == 2


def test_gongwei_admin_sees_all_records(client, users, records):
    client.force_login(users["gongwei"])
    response = client.get(reverse("meetings:list"))
    assert response.context["page"].paginator.count == 3
    assert client.get(reverse("meetings:detail", args=[records["b1"].pk])).status_code == 200
    assert client.get(reverse("meetings:calendar"), {"month": "2026-03"}).context["total"] == 3


# --- the entry form --------------------------------------------------------------------------------


def test_create_with_two_types_and_one_absentee_stores_the_counts(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    absentee = branch["宣传"]
    response = client.post(
        reverse("meetings:create"),
        post_data(
            tree.a1,
            types=["theme_day", "committee"],
            topic="三月主题党日暨支委会",
            host=str(branch["书记"].pk),
            lecturer_name="外请专家",
            absentees=[str(absentee.pk)],
            **{f"reason_{absentee.pk}": "病假"},
        ),
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    # A1: 李党员, 书记甲, 组织乙, 宣传丙, 小组丁 (正式) and 预备戊; the committee is three.
    assert kinds(meeting) == {"theme_day": (6, 5, 5, 4), "committee": (3, 2, 3, 2)}
    # a reason typed without choosing its kind is read as parse_reason reads it: "病假" is 病假
    assert list(meeting.absences.values_list("member__name", "reason_kind", "reason")) == [
        ("宣传丙", "sick", "")
    ]
    assert (meeting.host, meeting.lecturer_name, meeting.created_by) == (
        branch["书记"],
        "外请专家",
        users["branch_a1"],
    )
    assert (
        AuditEvent.objects.filter(
            object_type="meetings.meeting", action="create", object_id=str(meeting.pk)
        ).count()
        == 1
    )
    detail = client.get(response["Location"])
    assert "已录入组织生活“三月主题党日暨支委会”（2026-03-31）。" in detail.content.decode()


def test_absentee_not_on_the_roster_is_refused_with_the_message(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    before = state()
    response = client.post(
        reverse("meetings:create"),
        post_data(tree.a1, types=["committee"], absentees=[str(branch["组织"].pk), str(branch["小组"].pk)]),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["absentees"] == ["缺席人员不在应到名单中：小组丁。"]
    assert "缺席人员不在应到名单中：小组丁。" in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"types": ["group"]}, "types", "党支部不召开“党小组会”"),
        ({"date": "2099-01-01"}, "date", "日期不能晚于今天"),
        ({"date": "2017-01-01"}, "date", "早于甲一支部的成立日期"),
        ({"topic": ""}, "topic", "请填写主题。"),
        ({"types": []}, "types", "请至少选择一种活动类型。"),
    ],
)
def test_refusals_are_shown_inline_in_chinese(client, users, branch, tree, overrides, field, message):
    client.force_login(users["branch_a1"])
    before = state()
    response = client.post(reverse("meetings:create"), post_data(tree.a1, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert state() == before


def test_lecturer_member_and_outside_name_are_exclusive(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    response = client.post(
        reverse("meetings:create"),
        post_data(tree.a1, types=["lecture"], lecturer=str(branch["书记"].pk), lecturer_name="外请专家"),
    )
    assert response.context["form"].errors["lecturer_name"] == ["主讲人请在党员和外请人员中选一种填写。"]
    assert not Meeting.objects.exists()


def test_host_outside_the_roster_and_posts_is_refused(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    response = client.post(reverse("meetings:create"), post_data(tree.a1, host=str(branch["b1"].pk)))
    assert response.status_code == 200
    assert "host" in response.context["form"].errors
    assert not Meeting.objects.exists()


def test_a_refused_form_keeps_the_ticked_absentees_and_reasons(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    absentee = branch["组织"]
    response = client.post(
        reverse("meetings:create"),
        post_data(tree.a1, topic="", absentees=[str(absentee.pk)], **{f"reason_{absentee.pk}": "外出培训"}),
    )
    html = response.content.decode()
    rows = {r.member_id: r for r in response.context["roster"].rows}
    assert rows[absentee.pk].absent and rows[absentee.pk].reason == "外出培训"
    assert not rows[branch["书记"].pk].absent
    assert (
        f'value="{absentee.pk}" id="dj-absent-{absentee.pk}" data-dj-keep aria-describedby="dj-roster-help" checked'
        in html
    )
    assert 'value="外出培训"' in html
    assert response.context["roster"].present == 5


def test_refresh_button_recomputes_the_roster_without_saving(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    response = client.post(reverse("meetings:create"), post_data(tree.a1, types=["committee"], refresh="1"))
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert [r.name for r in response.context["roster"].rows] == ["书记甲", "宣传丙", "组织乙"]
    assert not Meeting.objects.exists()


def test_roster_fragment_lists_the_expected_people(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    url = reverse("meetings:roster")
    response = client.get(url, {"org": tree.a1.pk, "date": D.isoformat(), "types": ["committee"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert [r.name for r in response.context["roster"].rows] == ["书记甲", "宣传丙", "组织乙"]
    assert "小组丁" not in html

    both = client.get(url, {"org": tree.a1.pk, "date": D.isoformat(), "types": ["assembly", "committee"]})
    rows = {r.name: r for r in both.context["roster"].rows}
    assert set(rows) == {"李党员", "书记甲", "组织乙", "宣传丙", "小组丁", "预备戊"}
    assert rows["书记甲"].types == ["assembly", "committee"]
    assert rows["小组丁"].types == ["assembly"] and rows["小组丁"].org_name == "甲一第一党小组"
    assert rows["预备戊"].formal is False
    html = both.content.decode()
    assert "预备" in html and "正式" in html
    assert 'data-dj-type="committee"' in html  # per-type counts when the rosters differ

    before = client.get(url, {"org": tree.a1.pk, "date": "2025-11-30", "types": ["assembly"]})
    assert "预备戊" not in {r.name for r in before.context["roster"].rows}  # not yet joined on that date


def test_roster_fragment_keeps_ticks_and_swaps_types_when_the_org_changes(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    url = reverse("meetings:roster")
    absentee = branch["组织"]
    response = client.get(
        url,
        {
            "org": tree.a1.pk,
            "date": D.isoformat(),
            "types": ["assembly"],
            "absentees": [absentee.pk],
            f"reason_{absentee.pk}": "出差",
        },
    )
    rows = {r.member_id: r for r in response.context["roster"].rows}
    assert rows[absentee.pk].absent and rows[absentee.pk].reason == "出差"
    assert 'id="dj-types" class="dj-types" hx-swap-oob="true"' not in response.content.decode()

    to_group = client.get(
        url,
        {"org": tree.a1g1.pk, "date": D.isoformat(), "types": ["assembly", "lecture"], "org_changed": "1"},
    )
    html = to_group.content.decode()
    assert 'id="dj-types" class="dj-types" hx-swap-oob="true"' in html
    assert 'value="group"' in html and 'value="committee"' not in html
    assert to_group.context["roster"].types == ["lecture"]
    assert [r.name for r in to_group.context["roster"].rows] == ["小组丁"]


def test_roster_refresh_of_a_half_filled_form_shows_no_errors(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    fragment = client.get(reverse("meetings:roster"), {"org": tree.a1.pk, "org_changed": "1", "host": "x"})
    html = fragment.content.decode()
    assert "请至少选择一种活动类型。" not in html and "invalid-feedback" not in html
    assert "选择组织、日期和活动类型后" in html
    page = client.post(
        reverse("meetings:create"), {"org": tree.a1.pk, "types": ["committee"], "refresh": "1"}
    )
    assert "invalid-feedback" not in page.content.decode()
    assert len(page.context["roster"].rows) == 0  # no date yet: no roster


def test_entry_form_is_prefilled_from_the_query_and_defaults_the_host_to_the_secretary(
    client, users, branch, tree
):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("meetings:create"), {"org": tree.a1.pk, "type": "committee"})
    form = response.context["form"]
    assert form.initial["org"] == str(tree.a1.pk)
    assert form.initial["types"] == ["committee"]
    assert form.initial["date"] == dt.date.today()
    assert form.initial["host"] == str(branch["书记"].pk)
    html = response.content.decode()
    assert 'value="committee" id="id_types_committee" autocomplete="off" data-dj-keep checked' in html
    assert 'value="group"' not in html  # a 党支部 does not hold 党小组会
    assert [r.name for r in response.context["roster"].rows] == ["书记甲", "宣传丙", "组织乙"]


def test_branch_admin_gets_its_branch_preselected(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    form = client.get(reverse("meetings:create")).context["form"]
    assert form.initial["org"] == str(tree.a1.pk)
    assert sorted(form.fields["org"].orgs) == sorted([str(tree.a1.pk), str(tree.a1g1.pk)])


# --- detail, edit, delete --------------------------------------------------------------------------


def test_detail_shows_types_counts_absentees_and_actions(client, users, records, branch):
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("meetings:detail", args=[records["a1"].pk]))
    html = response.content.decode()
    assert "甲一主题党日" in html and "三楼会议室" in html
    assert [k.type for k in response.context["kinds"]] == ["lecture", "theme_day"]
    assert "预备戊" in html and "出差" in html
    assert reverse("meetings:edit", args=[records["a1"].pk]) in html
    assert reverse("meetings:delete", args=[records["a1"].pk]) in html
    assert reverse("orgs:detail", args=[records["a1"].org_id]) in html


def test_edit_form_is_prefilled_and_update_recomputes(client, users, records, branch, tree):
    meeting = records["a1"]
    client.force_login(users["branch_a1"])
    response = client.get(reverse("meetings:edit", args=[meeting.pk]))
    rows = {r.member_id: r for r in response.context["roster"].rows}
    assert rows[branch["预备"].pk].absent and rows[branch["预备"].pk].reason == "出差"
    assert sorted(response.context["form"].initial["types"]) == ["lecture", "theme_day"]
    data = post_data(
        tree.a1,
        topic="甲一主题党日（修订）",
        types=["theme_day"],
        absentees=[str(branch["书记"].pk), str(branch["组织"].pk)],
        **{f"reason_{branch['书记'].pk}": "公务"},
    )
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.topic == "甲一主题党日（修订）"
    assert kinds(meeting) == {"theme_day": (6, 4, 5, 3)}
    assert dict(meeting.absences.values_list("member__name", "reason")) == {"书记甲": "公务", "组织乙": ""}
    assert (
        AuditEvent.objects.filter(
            object_type="meetings.meeting", action="update", object_id=str(meeting.pk)
        ).count()
        == 1
    )


def _version(response) -> str:
    found = re.search(r'<input type="hidden" name="version" value="([0-9a-f]+)"', response.content.decode())
    assert found, "the edit form carries the record's version"
    return found.group(1)


def test_an_edit_from_a_page_opened_before_another_save_is_refused_not_saved_over(
    client, users, records, branch, tree
):
    """The secretary and the 党委 open the same record; the 党委 saves first. The secretary's save would silently
    undo it: it is refused, naming who changed the record and when, with what they typed kept; submitting again
    (the page now holds the current version) saves their values knowingly."""
    from django.test import Client

    meeting = records["a1"]
    url = reverse("meetings:edit", args=[meeting.pk])
    client.force_login(users["branch_a1"])
    other = Client()
    other.force_login(users["dangwei_a"])
    mine, theirs = _version(client.get(url)), _version(other.get(url))
    assert mine == theirs
    first = post_data(tree.a1, topic="党委改的主题", types=["theme_day"], version=theirs)
    assert other.post(url, first).status_code == 302
    meeting.refresh_from_db()
    assert meeting.topic == "党委改的主题"
    updates = AuditEvent.objects.filter(
        object_type="meetings.meeting", action="update", object_id=str(meeting.pk)
    )
    assert updates.count() == 1

    second = post_data(tree.a1, topic="书记改的主题", types=["theme_day"], version=mine)
    response = client.post(url, second)
    assert response.status_code == 200
    html = response.content.decode()
    assert "您打开此页后，这条记录已由dangwei_a于" in html and "本页的修改尚未保存" in html
    assert 'value="书记改的主题"' in html  # what was typed stays on the page
    assert f'href="{reverse("meetings:detail", args=[meeting.pk])}" target="_blank"' in html
    meeting.refresh_from_db()
    assert meeting.topic == "党委改的主题" and updates.count() == 1  # nothing saved over
    current = _version(response)
    assert current != mine

    response = client.post(url, {**second, "version": current})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.topic == "书记改的主题" and updates.count() == 2


def test_an_unchanged_record_saves_and_a_caller_without_a_page_is_not_checked(users, records, tree):
    from dangjian.core import edits
    from dangjian.meetings.services import meeting_snapshot, update_meeting

    meeting = records["a1"]
    opened = edits.version(meeting_snapshot(meeting))
    update_meeting(actor=users["branch_a1"], meeting=meeting, data={"topic": "一改"}, version=opened)
    with pytest.raises(edits.Stale):
        update_meeting(actor=users["branch_a1"], meeting=meeting, data={"topic": "二改"}, version=opened)
    meeting.refresh_from_db()
    assert meeting.topic == "一改"
    update_meeting(actor=users["branch_a1"], meeting=meeting, data={"topic": "导入改"})  # no page: no version
    meeting.refresh_from_db()
    assert meeting.topic == "导入改"


def test_delete_removes_the_record_and_is_audited(client, users, records):
    client.force_login(users["branch_a1"])
    pk = records["a1"].pk
    assert client.get(reverse("meetings:delete", args=[pk])).status_code == 405
    response = client.post(reverse("meetings:delete", args=[pk]))
    assert response.status_code == 302 and response["Location"] == reverse("meetings:list")
    assert not Meeting.objects.filter(pk=pk).exists()
    assert (
        AuditEvent.objects.filter(object_type="meetings.meeting", action="delete", object_id=str(pk)).count()
        == 1
    )


# --- attachments ---------------------------------------------------------------------------------


def test_attachments_are_stored_and_downloaded_within_scope(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    upload = SimpleUploadedFile("会议记录.pdf", PDF, content_type="application/pdf")
    response = client.post(reverse("meetings:create"), {**post_data(tree.a1), "attachments": [upload]})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "会议记录.pdf"
    assert "会议记录" not in attachment.file.name  # stored under a random name
    download = client.get(reverse("meetings:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    client.force_login(users["branch_a2"])
    assert client.get(reverse("meetings:attachment", args=[attachment.pk])).status_code == 404


def test_files_ticked_for_deletion_stay_ticked_when_the_edit_comes_back_with_an_error(
    client, users, branch, tree
):
    client.force_login(users["branch_a1"])
    upload = SimpleUploadedFile("会议记录.pdf", PDF, content_type="application/pdf")
    assert (
        client.post(reverse("meetings:create"), {**post_data(tree.a1), "attachments": [upload]}).status_code
        == 302
    )
    meeting, attachment = Meeting.objects.get(), Attachment.objects.get()
    url = reverse("meetings:edit", args=[meeting.pk])
    box = f'name="remove_attachment" value="{attachment.pk}" id="dj-remove-{attachment.pk}"'
    assert f"{box}>" in client.get(url).content.decode()  # not ticked when the page opens
    response = client.post(url, {**post_data(tree.a1, topic=""), "remove_attachment": [str(attachment.pk)]})
    assert response.status_code == 200 and response.context["form"].errors["topic"]
    assert f"{box} checked>" in response.content.decode()  # the choice is not silently undone
    assert Attachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.exe", b"MZ\x90\x00", "只能上传 PDF、JPG、PNG 或 DOCX 文件"),
        ("fake.pdf", b"MZ\x90\x00not a pdf", "内容与扩展名不符"),
    ],
)
def test_bad_attachments_are_refused(client, users, branch, tree, name, content, message):
    client.force_login(users["branch_a1"])
    upload = SimpleUploadedFile(name, content)
    response = client.post(reverse("meetings:create"), {**post_data(tree.a1), "attachments": [upload]})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["attachments"])
    assert not Meeting.objects.exists() and not Attachment.objects.exists()


def test_oversized_attachment_is_refused(client, users, branch, tree, monkeypatch):
    monkeypatch.setattr("dangjian.meetings.forms.ATTACHMENT_MAX_BYTES", 10)
    client.force_login(users["branch_a1"])
    upload = SimpleUploadedFile("大文件.pdf", PDF)
    response = client.post(reverse("meetings:create"), {**post_data(tree.a1), "attachments": [upload]})
    assert "“大文件.pdf”超过 20 MB。" in response.context["form"].errors["attachments"]
    assert not Meeting.objects.exists()


# --- list filters, calendar ------------------------------------------------------------------------


def test_list_filters_by_subtree_type_and_month(client, users, records, tree):
    client.force_login(users["gongwei"])
    url = reverse("meetings:list")

    def topics(params):
        return sorted(m.topic for m in client.get(url, params).context["page"].object_list)

    assert topics({"org": tree.a.pk}) == ["甲一主题党日", "甲二党员大会"]
    assert topics({"type": "lecture"}) == ["甲一主题党日"]
    assert topics({"month": "2026-03", "date_from": "2026-03-20"}) == ["甲一主题党日", "甲二党员大会"]
    assert topics({"date_to": "2026-03-15"}) == ["乙一支委会"]
    assert topics({"month": "2026-04"}) == []


def test_list_says_when_the_date_range_is_reversed(client, users, records, tree):
    """起始日期 after 截止日期 (picked the wrong way round) says so and filters from the 起始日期, rather than
    "no record matches", which reads as if nothing had been held."""
    client.force_login(users["gongwei"])
    response = client.get(reverse("meetings:list"), {"date_from": "2026-03-20", "date_to": "2026-03-01"})
    assert sorted(m.topic for m in response.context["page"].object_list) == ["甲一主题党日", "甲二党员大会"]
    html = response.content.decode()
    assert (
        '<div class="invalid-feedback d-block" data-testid="filter-error">截止日期早于起始日期，已按起始日期筛选，请核对。</div>'
        in html
    )
    assert 'value="2026-03-01"' in html  # what was typed stays, to be corrected


def test_list_shows_columns_and_the_largest_roster(client, users, records):
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("meetings:list")).content.decode()
    assert "主题党日" in html and "党课" in html
    assert "6 / 5" in html  # 主题党日 and 党课 share the branch roster; 预备戊 was absent
    assert "系统" in html


def test_calendar_places_records_on_their_day_with_links(client, users, records, tree):
    client.force_login(users["gongwei"])
    response = client.get(reverse("meetings:calendar"), {"month": "2026-03", "org": tree.a.pk})
    weeks = response.context["weeks"]
    assert weeks[0][0].date == dt.date(2026, 2, 23)  # Monday first
    assert weeks[-1][-1].date == dt.date(2026, 4, 5)
    day = next(d for w in weeks for d in w if d.date == D)
    assert sorted(m.topic for m in day.meetings) == ["甲一主题党日", "甲二党员大会"]
    html = response.content.decode()
    assert "周一" in html and "周日" in html
    assert "month=2026-02" in html and "month=2026-04" in html
    assert reverse("meetings:detail", args=[records["a1"].pk]) in html
    assert reverse("meetings:detail", args=[records["b1"].pk]) not in html


def test_calendar_counts_what_it_does_not_show(client, users, branch, tree, monkeypatch):
    monkeypatch.setattr(selectors, "CALENDAR_PER_DAY", 2)
    for i in range(3):
        create_meeting(actor=None, data={"org": tree.a1, "date": D, "topic": f"会{i}"}, types=["talk"])
    client.force_login(users["branch_a1"])
    response = client.get(reverse("meetings:calendar"), {"month": "2026-03"})
    day = next(d for w in response.context["weeks"] for d in w if d.date == D)
    assert (len(day.meetings), day.more) == (2, 1)
    assert "另有 1 条" in response.content.decode()


# --- 待办 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeRef:
    id: int
    code: str
    name: str
    type: str
    path: str
    unit: str


def _rule(rule_id: str):
    """A real rule of the rulebook (the 待办 items below are built by hand, the rules are not)."""
    from dangjian.compliance.rulebook import load_ruleset

    return load_ruleset().rule(rule_id)


@dataclass(frozen=True)
class FakeItem:
    org: FakeRef
    rule: object
    period: str
    due_by: dt.date
    message: str


@pytest.fixture
def fake_engine(monkeypatch):
    """A stand-in rule engine: one open item per organisation passed in (records the queryset)."""
    calls = []

    def todo(orgs, *, on=None):
        calls.append(list(orgs))
        items = []
        for org in orgs.order_by("path"):
            ref = FakeRef(org.pk, org.code, org.name, org.type, org.path, org.unit)
            if org.type == "zhibu":
                items.append(
                    FakeItem(
                        ref,
                        _rule("MTG-COMMITTEE-MONTHLY"),
                        "2026-11",
                        dt.date(2026, 11, 30),
                        "本月尚未召开支部委员会。",
                    )
                )
                items.append(
                    FakeItem(
                        ref,
                        _rule("MTG-LECTURE-QUARTERLY"),
                        "2026-Q4",
                        dt.date(2026, 12, 31),
                        "",
                    )
                )
        return items

    monkeypatch.setattr(selectors, "todo_items", lambda orgs, on: todo(orgs, on=on))
    return calls


def test_todo_groups_items_by_org_with_entry_links(client, users, tree, fake_engine, monkeypatch):
    monkeypatch.setattr("dangjian.meetings.views.dt", _frozen_dt(dt.date(2026, 11, 26)))
    client.force_login(users["dangwei_a"])
    response = client.get(reverse("meetings:todo"))
    groups = response.context["page"].object_list
    assert [g.org.code for g in groups] == ["A1", "A2"]
    assert [(e.item.rule.id, e.days_left, e.type) for e in groups[0].entries] == [
        ("MTG-COMMITTEE-MONTHLY", 4, "committee"),
        ("MTG-LECTURE-QUARTERLY", 35, "lecture"),
    ]
    html = response.content.decode()
    assert f"{reverse('meetings:create')}?org={tree.a1.pk}&amp;type=committee" in html
    assert "还剩 4 天" in html
    assert "乙一支部" not in html  # outside the 党委's scope
    assert {o.code for o in fake_engine[0]} == {"A", "A1", "A1G1", "A2"}


def test_a_todo_no_meeting_satisfies_links_to_its_own_page_not_to_the_entry_form(
    client, users, tree, monkeypatch
):
    """民主评议党员并评定等次 is done on the 民主评议 pages: its button goes there (the check kind's link), not to a
    blank entry form whose record would leave the item open."""
    ref = FakeRef(tree.a1.pk, tree.a1.code, tree.a1.name, tree.a1.type, tree.a1.path, tree.a1.unit)
    items = [
        FakeItem(
            ref, _rule("EVAL-REVIEW-ANNUAL"), "2026", dt.date(2026, 12, 31), "本年度尚未开展民主评议党员。"
        ),
        FakeItem(ref, _rule("MTG-COMMITTEE-MONTHLY"), "2026-12", dt.date(2026, 12, 31), ""),
    ]
    monkeypatch.setattr(selectors, "todo_items", lambda orgs, on: items)
    client.force_login(users["branch_a1"])
    for params in ({}, {"compact": "1"}):
        html = client.get(reverse("meetings:todo"), params, HTTP_HX_REQUEST="true").content.decode()
        buttons = re.findall(
            r'<a class="btn btn-outline-dj btn-sm dj-todo-go" href="([^"]*)"[^>]*>([^<]*)</a>', html
        )
        assert buttons == [
            (f"{reverse('evaluations:index')}?org={tree.a1.pk}", "去开展民主评议"),
            (f"{reverse('meetings:create')}?org={tree.a1.pk}&amp;type=committee", "去录入"),
        ], params


def test_todo_panel_on_the_list_is_compact(client, users, tree, fake_engine):
    client.force_login(users["gongwei"])
    response = client.get(
        reverse("meetings:todo"), {"compact": "1", "org": tree.b.pk}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "乙一支部" in html and "甲一支部" not in html
    assert [g.org.code for g, _e in response.context["soonest"]] == ["B1", "B1"]
    assert "最先到期" not in html  # every item shown: nothing more to say
    assert 'hx-get="' + reverse("meetings:todo") in client.get(reverse("meetings:list")).content.decode()


def test_the_compact_panel_says_when_it_shows_only_the_items_due_first(
    client, users, tree, fake_engine, monkeypatch
):
    monkeypatch.setattr("dangjian.meetings.views.TODO_COMPACT", 1)
    client.force_login(users["gongwei"])
    response = client.get(
        reverse("meetings:todo"), {"compact": "1", "org": tree.b.pk}, HTTP_HX_REQUEST="true"
    )
    assert len(response.context["soonest"]) == 1 and response.context["n_items"] == 2
    assert "1 个组织 · 2 项，以下为最先到期的 1 项" in response.content.decode()


def test_todo_for_a_large_scope_is_summarised_per_unit(client, users, tree, fake_engine, monkeypatch):
    monkeypatch.setattr("dangjian.meetings.views.TODO_ORG_LIMIT", 2)
    client.force_login(users["gongwei"])
    response = client.get(reverse("meetings:todo"))
    assert [(u.unit, u.orgs, u.items) for u in response.context["units"]] == [("甲委", 2, 4), ("乙委", 1, 2)]
    drill = client.get(reverse("meetings:todo"), {"unit": "乙委"})
    assert [g.org.code for g in drill.context["page"].object_list] == ["B1"]


def test_a_large_scope_s_todo_summary_is_counted_from_the_kept_todo(client, users, tree, branch, monkeypatch):
    """With the kept 待办 of today, the per-单位 summary is counted in SQL (no item read: a city's 工委 read 16,800 to
    count them), and it is the summary the items themselves give."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.compliance import kept

    kept.refresh()
    monkeypatch.setattr("dangjian.meetings.views.TODO_ORG_LIMIT", 1)
    client.force_login(users["gongwei"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("meetings:todo"))
    units = response.context["units"]
    expected = selectors.todo_units(selectors.todo_groups(users["gongwei"], dt.date.today()))
    assert units and units == expected
    assert (response.context["n_orgs"], response.context["n_items"]) == (
        sum(u.orgs for u in expected),
        sum(u.items for u in expected),
    )
    assert not [q for q in ctx.captured_queries if '"compliance_kepttodo"."message"' in q["sql"]]


def test_todo_with_the_real_engine_links_a_branch_to_the_entry_form(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("meetings:todo"))
    assert response.status_code == 200
    groups = response.context["page"].object_list
    assert groups and {g.org.code for g in groups} <= {"A1", "A1G1"}
    html = response.content.decode()
    assert f"{reverse('meetings:create')}?org={tree.a1.pk}&amp;type=" in html


def _frozen_dt(today: dt.date):
    class FrozenDate(dt.date):
        @classmethod
        def today(cls):
            return today

    return pytypes.SimpleNamespace(date=FrozenDate, timedelta=dt.timedelta)


# --- query counts ----------------------------------------------------------------------------------


@pytest.fixture
def busy(tree, branch, users, make_member):
    """64 members in A1 (and its 党小组) and 36 records over three months, each with two types."""
    for i in range(58):
        make_member(tree.a1g1 if i % 4 == 0 else tree.a1, name=f"党员{i:02d}")
    meetings = []
    for i in range(36):
        meetings.append(
            create_meeting(
                actor=None,
                data={
                    "org": tree.a1 if i % 3 else tree.a2,
                    "date": dt.date(2026, 1 + i % 3, 1 + i % 27),
                    "topic": f"记录{i}",
                },
                types=["theme_day", "lecture"] if i % 3 else ["assembly", "talk"],
                absentees={branch["预备"].pk: "请假"} if i % 3 else {},
            )
        )
    return meetings


def test_list_is_a_constant_number_of_queries(client, users, busy, django_assert_max_num_queries):
    client.force_login(users["gongwei"])
    with django_assert_max_num_queries(8):  # +1: the header's unread count
        response = client.get(reverse("meetings:list"))
    assert response.context["page"].paginator.count == 36
    assert all(len(m.kind_list) == 2 for m in response.context["page"].object_list)


def test_calendar_is_a_constant_number_of_queries(client, users, busy, django_assert_max_num_queries):
    client.force_login(users["dangwei_a"])
    with django_assert_max_num_queries(8):  # +1: the header's unread count
        response = client.get(reverse("meetings:calendar"), {"month": "2026-02"})
    assert response.context["total"] == 12


def test_detail_is_a_constant_number_of_queries(client, users, busy, django_assert_max_num_queries):
    client.force_login(users["branch_a1"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("meetings:detail", args=[busy[1].pk]))
    assert response.status_code == 200
    assert len(response.context["absences"]) == 1


def test_roster_fragment_is_a_constant_number_of_queries(
    client, users, busy, tree, django_assert_max_num_queries
):
    client.force_login(users["branch_a1"])
    # the roster: the subtree's organisations, the moves into or out of it, the members, their later moves; the
    # records of the same day and types (a possible double entry)
    with django_assert_max_num_queries(12):
        response = client.get(
            reverse("meetings:roster"),
            {"org": tree.a1.pk, "date": D.isoformat(), "types": ["assembly", "committee"]},
        )
    assert len(response.context["roster"].rows) == 64


def test_entry_form_with_roster_is_a_constant_number_of_queries(
    client, users, busy, tree, django_assert_max_num_queries
):
    client.force_login(users["branch_a1"])
    with django_assert_max_num_queries(12):  # as the roster's, with the form's own
        response = client.get(reverse("meetings:create"), {"org": tree.a1.pk, "type": "assembly"})
    assert len(response.context["roster"].rows) == 64


def test_list_and_detail_do_not_read_the_personal_data_of_the_people_they_name(
    client, users, tree, make_user, make_member
):
    """The author, the host and the lecturer are shown by name: their 身份证号 and phone are neither read nor
    decrypted (deferred), and the names come with the record (no query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    host = make_member(tree.a1, name="主持人甲")
    author = make_user("author_a1", "branch_admin", tree.a1, member=make_member(tree.a1, name="录入人乙"))
    for i in range(3):
        create_meeting(
            actor=author,
            data={
                "org": tree.a1,
                "date": dt.date(2026, 3, 1 + i),
                "topic": f"学习{i}",
                "host": host,
                "lecturer": host,
            },
            types=["lecture"],
        )
    client.force_login(users["branch_a1"])
    meeting = Meeting.objects.filter(org=tree.a1).order_by("date").first()
    for url in (reverse("meetings:list"), reverse("meetings:detail", args=[meeting.pk])):
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        assert "录入人乙" in html, url
        assert not [
            q["sql"] for q in ctx.captured_queries if '"id_number"' in q["sql"] or '"phone"' in q["sql"]
        ]
    assert "主持人甲" in html  # the detail page


# --- 连续未参加组织生活 over a wide range ---------------------------------------------------------------


def test_absences_over_a_range_too_wide_ask_for_a_narrower_one(
    client, users, tree, branch, hold, add_branches, settings
):
    """Over more 党支部 than WIDE_LIST_BRANCHES (the whole city at the 工委) no member's run is worked out: the
    page offers the organisations one level down, without the heading's counts, in as many queries whatever
    the number of 党支部; a narrower range lists the cases as before."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    for month in range(1, 8):  # 宣传丙 absent without a reason January–July of last year: a case
        hold(tree.a1, dt.date(2025, month, 15), "theme_day", absent={branch["宣传"]: ""})
    url = reverse("meetings:absences")
    case = f'data-member="{branch["宣传"].pk}" data-level="case"'
    client.force_login(users["gongwei"])
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["items"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="orglife-absences"' not in html
    assert f'href="?org={tree.a.pk}"' in html and f'href="?org={tree.b.pk}"' in html
    assert "宣传丙" not in html and case not in html and "没有连续未参加组织生活的党员" not in html
    assert not re.search(r"需审查 \d+ 人|预警 \d+ 人", html) and "统计至" in html
    assert 'id="dj-org"' in html  # the filter form
    response = client.get(url, {"org": tree.a.pk})  # 甲委: two 党支部
    assert response.context["wide"] is None and case in response.content.decode()
    assert "需审查 1 人" in response.content.decode()
    member = branch["宣传"]
    response = client.post(
        url,
        {
            "member": member.pk,
            "reviewed_on": dt.date.today().isoformat(),
            "through_month": "2025-07",
            "reason": "",
        },
    )  # invalid, over the range too wide to list: the member's branch comes back with the form and its errors
    assert response.status_code == 400 and response.context["wide"] is None
    assert response.context["org"] == member.org and case in response.content.decode()
    shown = next(i for i in response.context["items"] if i.run.member.id == member.pk)
    assert shown.form.errors and 'data-testid="wide-scope"' not in response.content.decode()
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add_branches(8, 0)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).context["wide"].branches == 11
    assert len(few.captured_queries) == len(many.captured_queries)
    settings.WIDE_LIST_BRANCHES = 10  # 甲委's ten 党支部 now
    client.force_login(users["dangwei_a"])  # 甲委's own range: listed
    response = client.get(url)
    assert response.context["wide"] is None and case in response.content.decode()


def test_a_date_before_the_branch_was_founded_says_so_instead_of_asking_for_the_roll(
    client, users, branch, tree
):
    """The roster of a day before the 成立日期 is empty; the form says the date is wrong, not that the roll or the
    posts need maintaining."""
    client.force_login(users["branch_a1"])
    url = reverse("meetings:roster")
    response = client.get(url, {"org": tree.a1.pk, "date": "2017-06-30", "types": ["assembly"]})
    html = response.content.decode()
    assert "2017-06-30 早于甲一支部的成立日期（2018-03-01），请核对会议日期。" in html
    assert "请先维护党员名册或职务" not in html
    response = client.get(url, {"org": tree.a1.pk, "date": D.isoformat(), "types": ["assembly"]})
    assert 'data-testid="roster-date"' not in response.content.decode()


def test_a_cleared_date_asks_for_the_date_alone_and_keeps_the_roster_ticks_and_host(
    client, users, branch, tree
):
    """A date cleared (or mistyped) in a filled form: the error is the date's alone — not the host's "7 不在可用的选项中"
    naming a member id — and the ticked absentees, their reasons and the host are still there to submit again."""
    client.force_login(users["branch_a1"])
    absentee = branch["宣传"]
    before = state()
    response = client.post(
        reverse("meetings:create"),
        post_data(
            tree.a1,
            date="",
            host=str(branch["书记"].pk),
            absentees=[str(absentee.pk)],
            **{f"reason_kind_{absentee.pk}": "sick", f"reason_{absentee.pk}": "住院"},
        ),
    )
    assert response.status_code == 200 and state() == before
    errors = response.context["form"].errors
    assert set(errors) == {"date"}
    html = response.content.decode()
    assert "不在可用的选项中" not in html and "选择一个有效的选项" not in html
    rows = {r.member_id: r for r in response.context["roster"].rows}
    assert rows[absentee.pk].absent and rows[branch["书记"].pk].absent is False
    assert "住院" in html
    assert response.context["form"]["host"].value() == str(branch["书记"].pk)
    assert f'<option value="{branch["书记"].pk}" selected' in html


# --- a possible double entry, a 党课 without its 主讲人 -------------------------------------------------


def test_the_roster_names_a_record_of_the_same_day_and_type_but_not_the_one_edited(
    client, users, records, branch, tree
):
    client.force_login(users["branch_a1"])
    url = reverse("meetings:roster")
    kept = records["a1"]  # A1 on D: 主题党日 and 党课
    same = client.get(url, {"org": tree.a1.pk, "date": D.isoformat(), "types": ["lecture", "assembly"]})
    assert [(s.pk, s.topic, s.types) for s in same.context["roster"].same_day] == [
        (kept.pk, "甲一主题党日", ("lecture",))
    ]
    html = same.content.decode()
    assert 'data-testid="same-day"' in html and reverse("meetings:detail", args=[kept.pk]) in html
    assert "甲一主题党日</a>（党课）" in html
    # another type, another day, or the record being edited: nothing to say
    for params in (
        {"org": tree.a1.pk, "date": D.isoformat(), "types": ["assembly"]},
        {"org": tree.a1.pk, "date": "2026-03-30", "types": ["lecture"]},
        {"org": tree.a1.pk, "date": D.isoformat(), "types": ["lecture"], "editing": str(kept.pk)},
    ):
        response = client.get(url, params)
        assert response.context["roster"].same_day == []
        assert 'data-testid="same-day"' not in response.content.decode()
    edit = client.get(reverse("meetings:edit", args=[kept.pk]))
    assert edit.context["roster"].same_day == []
    assert f'name="editing" value="{kept.pk}" data-dj-keep' in edit.content.decode()


def test_a_second_record_of_the_same_day_and_type_is_kept_with_a_warning(
    client, users, records, branch, tree
):
    client.force_login(users["branch_a1"])
    # editing the kept record does not find itself
    edited = client.post(
        reverse("meetings:edit", args=[records["a1"].pk]),
        post_data(tree.a1, types=["theme_day", "lecture"], topic="甲一主题党日", lecturer_name="外请专家"),
        follow=True,
    )
    assert [str(m) for m in edited.context["messages"]] == ["已保存组织生活记录。"]
    data = post_data(tree.a1, types=["theme_day"], topic="三月主题党日", lecturer_name="")
    response = client.post(reverse("meetings:create"), data, follow=True)
    assert Meeting.objects.filter(org=tree.a1, date=D).count() == 2  # kept: the branch decides
    shown = [str(m) for m in response.context["messages"]]
    assert shown[0] == "已录入组织生活“三月主题党日”（2026-03-31）。"
    assert shown[1:] == [
        "甲一支部在2026-03-31已有一条主题党日记录“甲一主题党日”，请核对是否重复录入；重复的一条可在其页面删除。"
    ]
    # an assembly the same day is no double entry
    other = client.post(
        reverse("meetings:create"), post_data(tree.a1, types=["assembly"], topic="党员大会"), follow=True
    )
    assert [str(m) for m in other.context["messages"]] == ["已录入组织生活“党员大会”（2026-03-31）。"]


def test_a_lecture_without_its_lecturer_is_kept_with_a_warning(client, users, branch, tree):
    client.force_login(users["branch_a1"])
    warning = "这条记录计入党课，但没有填写主讲人：书记、班子成员讲党课按主讲人统计，请点“编辑”补上。"
    bare = client.post(
        reverse("meetings:create"), post_data(tree.a1, types=["lecture"], topic="专题党课"), follow=True
    )
    assert warning in [str(m) for m in bare.context["messages"]]
    meeting = Meeting.objects.get(topic="专题党课")
    for lecturer in ({"lecturer": str(branch["书记"].pk)}, {"lecturer_name": "外请专家"}):
        response = client.post(
            reverse("meetings:edit", args=[meeting.pk]),
            post_data(tree.a1, types=["lecture"], topic="专题党课", **lecturer),
            follow=True,
        )
        assert [str(m) for m in response.context["messages"]] == ["已保存组织生活记录。"]
    assistant = client.post(  # not a 党课: no lecturer expected
        reverse("meetings:create"), post_data(tree.a1, types=["assembly"], topic="大会"), follow=True
    )
    assert warning not in [str(m) for m in assistant.context["messages"]]


def test_the_roster_names_a_group_under_its_branch_without_the_branchs_name(client, users, tree, make_member):
    """A 党小组 named after its branch ("甲一支部第二党小组") reads 第二党小组 on the branch's roster, as on the 党费收缴表
    (the whole name on hover): on a phone the branch's name repeated on every line of the roster."""
    from dangjian.orgs.services import create_org

    group = create_org(
        actor=None,
        data={
            "code": "A1G2",
            "name": f"{tree.a1.name}第二党小组",
            "type": "xiaozu",
            "parent": tree.a1,
            "unit": "甲委",
        },
    )
    make_member(group, name="小组成员")
    client.force_login(users["branch_a1"])
    response = client.get(
        reverse("meetings:roster"), {"org": tree.a1.pk, "date": D.isoformat(), "types": ["assembly"]}
    )
    (row,) = [r for r in response.context["roster"].rows if r.name == "小组成员"]
    assert (row.org_name, row.org_label) == (f"{tree.a1.name}第二党小组", "第二党小组")
    assert (
        f'<span class="dj-roster-org" title="{tree.a1.name}第二党小组">第二党小组</span>'
        in response.content.decode()
    )
