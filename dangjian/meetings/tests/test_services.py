import datetime as dt

import pytest

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.meetings.models import Meeting, MeetingKind
from dangjian.meetings.roster import members_in_subtree
from dangjian.meetings.services import create_meeting, delete_meeting, update_meeting
from dangjian.members.services import update_member
from dangjian.orgs.services import create_post, update_post

D = dt.date(2026, 3, 31)


@pytest.fixture
def branch(tree, make_member):
    """A1 with 4 正式党员 (one in its 党小组), 1 预备党员, and a committee of three."""
    people = {
        "书记": make_member(tree.a1, name="书记甲"),
        "组织": make_member(tree.a1, name="组织乙"),
        "宣传": make_member(tree.a1, name="宣传丙"),
        "小组": make_member(tree.a1g1, name="小组丁"),
        "预备": make_member(
            tree.a1, name="预备戊", category="probationary", confirmed_on=None, joined_on=dt.date(2025, 12, 1)
        ),
    }
    for key, title in (("书记", "shuji"), ("组织", "zuzhi"), ("宣传", "xuanchuan")):
        create_post(
            actor=None,
            data={"member": people[key], "org": tree.a1, "title": title, "started_on": dt.date(2024, 1, 1)},
        )
    return people


def kinds(meeting):
    return {k.type: (k.expected, k.present, k.expected_formal, k.present_formal) for k in meeting.kinds.all()}


def test_one_record_counts_for_each_type_with_its_own_roster(tree, branch):
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "主题党日暨党课"},
        types=["theme_day", "lecture", "committee"],
        absentees={branch["预备"].pk: "出差", branch["宣传"].pk: "病假"},
    )
    assert kinds(meeting) == {
        "theme_day": (5, 3, 4, 3),
        "lecture": (5, 3, 4, 3),
        "committee": (3, 2, 3, 2),
    }
    assert MeetingKind.objects.filter(org=tree.a1, date=D).count() == 3


def test_absentee_not_on_the_roster_is_refused(tree, branch, make_member):
    outsider = make_member(tree.a2, name="外支部")
    with pytest.raises(ServiceError, match="缺席人员不在应到名单中：外支部"):
        create_meeting(
            actor=None,
            data={"org": tree.a1, "date": D, "topic": "支委会"},
            types=["committee"],
            absentees={outsider.pk: ""},
        )
    assert not Meeting.objects.exists()


def test_roster_uses_the_organisation_on_the_meeting_date(tree, branch, users):
    mover = branch["组织"]
    # the 组织委员 of 甲一 leaves the post first: a change of organisation does not leave it running
    update_post(actor=None, post=mover.posts.get(), data={"ended_on": dt.date(2026, 4, 15)})
    update_member(actor=None, member=mover, data={"org": tree.a2}, effective_on=dt.date(2026, 4, 15))
    before = [e.name for e in members_in_subtree(tree.a1, dt.date(2026, 4, 14))]
    after = [e.name for e in members_in_subtree(tree.a1, dt.date(2026, 4, 15))]
    assert "组织乙" in before and "组织乙" not in after
    assert "组织乙" in [e.name for e in members_in_subtree(tree.a2, dt.date(2026, 4, 15))]


def test_roster_undoes_every_later_move_and_reads_the_roll_by_index(tree, branch):
    """A member moved twice after the meeting (甲一 → 甲二 → 乙一) is on 甲一's roster of before the first move, on
    甲二's between the two, on neither after; the members are read by organisation and id given as values — not
    through a join of the organisations and the history, which no index answers (the whole roll scanned)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mover = branch["宣传"]
    update_post(actor=None, post=mover.posts.get(), data={"ended_on": dt.date(2026, 4, 15)})
    update_member(actor=None, member=mover, data={"org": tree.a2}, effective_on=dt.date(2026, 4, 15))
    mover.refresh_from_db()
    update_member(actor=None, member=mover, data={"org": tree.b1}, effective_on=dt.date(2026, 5, 1))

    def names(org, day):
        return {e.name for e in members_in_subtree(org, day)}

    april_14, april_20 = dt.date(2026, 4, 14), dt.date(2026, 4, 20)
    assert "宣传丙" in names(tree.a1, april_14) and "宣传丙" not in names(tree.a2, april_14)
    assert "宣传丙" in names(tree.a2, april_20) and "宣传丙" not in names(tree.a1, april_20)
    assert "宣传丙" not in names(tree.a1, dt.date(2026, 5, 2)) | names(tree.a2, dt.date(2026, 5, 2))
    assert "宣传丙" in names(tree.b, dt.date(2026, 5, 2))  # 乙一's 党委 counts its subtree
    assert names(tree.a, dt.date(2026, 4, 14)) >= {"书记甲", "组织乙", "小组丁", "宣传丙"}  # 党小组 included

    with CaptureQueriesContext(connection) as queries:
        entries = members_in_subtree(tree.a1, dt.date(2026, 4, 14))
    assert {e.name for e in entries} == {"书记甲", "组织乙", "宣传丙", "小组丁", "预备戊"}
    assert len(queries) == 4
    roll = [q["sql"] for q in queries.captured_queries if 'FROM "members_member"' in q["sql"]]
    assert len(roll) == 1
    assert "JOIN" not in roll[0] and "ORDER BY" not in roll[0]
    # its one subquery is by member (NOT EXISTS a 组织关系转入本系统 after the date: members.models.arrived_by_q)
    assert roll[0].count("SELECT") == 2 and roll[0].count('FROM "movements_transfer"') == 1


def test_probationary_member_has_no_vote_and_members_not_yet_joined_are_not_expected(tree, branch):
    entries = {e.name: e.formal for e in members_in_subtree(tree.a1, dt.date(2025, 12, 31))}
    assert entries["预备戊"] is False and entries["书记甲"] is True
    assert "预备戊" not in {e.name for e in members_in_subtree(tree.a1, dt.date(2025, 11, 30))}


@pytest.mark.parametrize(
    ("org_attr", "types", "data", "message"),
    [
        ("a1", ["democratic_life"], {}, "党支部不召开“民主生活会”"),
        ("a1", ["assembly"], {"date": dt.date(2099, 1, 1)}, "日期不能晚于今天"),
        ("a1", [], {}, "请至少选择一种活动类型"),
        ("a1", ["assembly"], {"date": dt.date(2017, 1, 1)}, "早于甲一支部的成立日期"),
    ],
)
def test_invalid_records_are_refused(tree, branch, org_attr, types, data, message):
    with pytest.raises(ServiceError, match=message):
        create_meeting(
            actor=None, data={"org": getattr(tree, org_attr), "date": D, "topic": "会议", **data}, types=types
        )
    assert not Meeting.objects.exists()


def test_edit_is_audited_and_recomputes_attendance(tree, branch, users):
    meeting = create_meeting(
        actor=users["branch_a1"], data={"org": tree.a1, "date": D, "topic": "党员大会"}, types=["assembly"]
    )
    # The branch's five plus the `users` fixture's own member of A1.
    assert kinds(meeting) == {"assembly": (6, 6, 5, 5)}
    update_meeting(
        actor=users["branch_a1"],
        meeting=meeting,
        data={},
        absentees={branch["书记"].pk: ("official", "赴京")},
    )
    meeting.refresh_from_db()
    assert kinds(meeting) == {"assembly": (6, 5, 5, 4)}
    event = AuditEvent.objects.filter(object_type="meetings.meeting", action="update").get()
    assert event.before["attendance"] == "支部党员大会 应到6 实到6"
    assert event.after["absentees"] == "书记甲（公差：赴京）"


def test_sibling_branch_admin_cannot_record_edit_or_delete(tree, branch, users):
    meeting = create_meeting(
        actor=None, data={"org": tree.a1, "date": D, "topic": "党员大会"}, types=["assembly"]
    )
    events = AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        create_meeting(
            actor=users["branch_a2"], data={"org": tree.a1, "date": D, "topic": "越权"}, types=["assembly"]
        )
    with pytest.raises(OutOfScope):
        update_meeting(actor=users["branch_a2"], meeting=meeting, data={"topic": "改"})
    with pytest.raises(OutOfScope):
        delete_meeting(actor=users["branch_a2"], meeting=meeting)
    assert Meeting.objects.get().topic == "党员大会"
    assert AuditEvent.objects.count() == events


def test_the_dissolution_date_is_the_last_day_a_record_can_carry(tree, branch):
    from dangjian.orgs.models import Org

    # written directly: the orgs service now refuses to dissolve a branch with members on the roll, and this is about
    # the records a dissolved organisation may carry
    Org.objects.filter(pk=tree.a1.pk).update(dissolved_on=dt.date(2026, 3, 31))
    tree.a1.refresh_from_db()
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": dt.date(2026, 3, 31), "topic": "最后一次党员大会"},
        types=["assembly"],
    )
    with pytest.raises(ServiceError, match="已于2026-03-31撤销"):
        create_meeting(
            actor=None,
            data={"org": tree.a1, "date": dt.date(2026, 4, 1), "topic": "撤销后"},
            types=["assembly"],
        )


def test_stray_absentee_outside_scope_is_not_named(tree, branch, users, make_member):
    outsider = make_member(tree.b1, name="乙一党员")
    with pytest.raises(ServiceError) as info:
        create_meeting(
            actor=users["branch_a1"],
            data={"org": tree.a1, "date": D, "topic": "支委会"},
            types=["committee"],
            absentees={outsider.pk: ""},
        )
    assert "乙一党员" not in info.value.message
    assert "另有1名不在您管理范围内的人员" in info.value.message


def test_host_must_be_expected_or_a_post_holder(tree, branch, make_member):
    outsider = make_member(tree.b1, name="乙一党员")
    with pytest.raises(ServiceError, match="主持人应为应到人员或该组织的在任委员"):
        create_meeting(
            actor=None,
            data={"org": tree.a1, "date": D, "topic": "支委会", "host": outsider},
            types=["committee"],
        )
    create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "支委会", "host": branch["书记"]},
        types=["committee"],
    )


def test_party_group_secretary_may_lecture_at_a_branch_of_the_same_unit(tree, branch, users, make_member):
    leader = make_member(tree.b1, name="党组书记")
    create_post(
        actor=None,
        data={"member": leader, "org": tree.a_dz, "title": "shuji", "started_on": dt.date(2024, 1, 1)},
    )
    stranger = make_member(tree.b1, name="外单位党员")
    data = {"org": tree.a1, "date": D, "topic": "党课"}
    with pytest.raises(ServiceError, match="主讲人应为本组织或本单位"):
        create_meeting(actor=users["branch_a1"], data={**data, "lecturer": stranger}, types=["lecture"])
    meeting = create_meeting(actor=users["branch_a1"], data={**data, "lecturer": leader}, types=["lecture"])
    assert meeting.lecturer == leader


def test_attachments_are_audited_and_their_files_removed_with_the_record(
    tree, branch, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("会议记录.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    meeting = create_meeting(
        actor=None,
        data={"org": tree.a1, "date": D, "topic": "党员大会"},
        types=["assembly"],
        attachments=[upload],
    )
    attachment = meeting.attachments.get()
    assert attachment.name == "会议记录.pdf" and attachment.file.name != "会议记录.pdf"
    assert (
        AuditEvent.objects.get(action="create", object_type="meetings.meeting").after["attachments"]
        == "会议记录.pdf"
    )
    path = tmp_path / attachment.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        delete_meeting(actor=None, meeting=meeting)
    assert not path.exists()
