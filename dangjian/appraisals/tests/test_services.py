"""Services of 述职评议: who may open a campaign and be a subject, the states forward only, items and weights until
the 测评 opens, participants fixed at its opening, a vote counted once and never for oneself, paper tallies; every
refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.appraisals import services
from dangjian.appraisals.models import CampaignParticipant, Participation, Tally
from dangjian.appraisals.tests.conftest import ballot_of, state, to_voting
from dangjian.core.errors import OutOfScope, ServiceError

pytestmark = pytest.mark.django_db


def refused(call, match: str = ""):
    before = state()
    with pytest.raises(ServiceError, match=match):
        call()
    assert state() == before


@pytest.mark.parametrize(
    ("opened", "expected"),
    [((2027, 1, 5), 2026), ((2027, 3, 31), 2026), ((2027, 4, 1), 2027), ((2027, 12, 1), 2027)],
)
def test_the_report_year_defaults_to_last_year_in_the_first_quarter(opened, expected):
    assert services.default_report_year(dt.date(*opened)) == expected


def test_a_campaign_copies_the_default_items(party, today):
    c = services.create_campaign(actor=party.admin, owner=party.owner, year=today.year, opened_on=today)
    assert [(i.name, i.weight, i.overall) for i in c.items.all()] == [("综合评价", Decimal("1.00"), True)]
    assert c.state == "draft" and c.roles == ["committee"]
    report_year = services.default_report_year(today)
    assert c.report_year == report_year and c.title == f"甲委机关党委{report_year}年度书记抓党建述职评议"


def test_only_the_gongwei_or_a_dangwei_holds_one_and_only_in_scope(party, today):
    refused(
        lambda: services.create_campaign(
            actor=party.a1, owner=party.tree.a1, year=today.year, opened_on=today
        ),
        "述职评议由工委或机关党委组织",
    )
    before = state()
    with pytest.raises(OutOfScope):
        services.create_campaign(actor=party.foreign, owner=party.owner, year=today.year, opened_on=today)
    assert state() == before
    services.create_campaign(actor=party.admin, owner=party.owner, year=today.year, opened_on=today)
    refused(
        lambda: services.create_campaign(
            actor=party.admin, owner=party.owner, year=today.year, opened_on=today
        ),
        "已开展",
    )


def test_subjects_are_the_owners_branches_with_a_secretary(party, make_member, today):
    tree = party.tree
    c = services.create_campaign(actor=party.admin, owner=party.owner, year=today.year, opened_on=today)
    # another 党委's branch, the 党委 itself and a 党小组 are refused
    refused(lambda: services.add_subjects(actor=party.admin, campaign=c, orgs=[tree.b1]), "只能由其所属")
    refused(
        lambda: services.add_subjects(actor=party.admin, campaign=c, orgs=[tree.a1g1]),
        "不能选择：甲一第一党小组",
    )
    done = services.add_subjects(actor=party.admin, campaign=c, orgs=[tree.a1])
    assert [(s.org, s.secretary) for s in done] == [(tree.a1, party.zhao)]
    refused(
        lambda: services.add_subjects(actor=party.admin, campaign=c, orgs=[tree.a1]), "已在本次述职评议中"
    )
    # a branch without a secretary: refused by name, nothing added
    from dangjian.orgs.models import Post

    Post.objects.filter(org=tree.a2).update(ended_on=today - dt.timedelta(days=1))
    refused(
        lambda: services.add_subjects(actor=party.admin, campaign=c, orgs=[tree.a2]),
        "甲二支部在.*没有在任书记",
    )


def test_the_gongwei_takes_the_dangzu_and_dangwei(party, make_member, today):
    from dangjian.orgs.services import create_post

    tree = party.tree
    for org, name in ((tree.a_dz, "党组书记"), (tree.a, "党委书记")):
        m = make_member(tree.a1, name=name)
        create_post(
            actor=None, data={"member": m, "org": org, "title": "shuji", "started_on": dt.date(2020, 1, 1)}
        )
    c = services.create_campaign(actor=party.gongwei, owner=tree.gw, year=today.year, opened_on=today)
    refused(
        lambda: services.add_subjects(actor=party.gongwei, campaign=c, orgs=[tree.a1]), "不能选择：甲一支部"
    )
    done = services.add_subjects(actor=party.gongwei, campaign=c, orgs=[tree.a_dz, tree.a])
    assert [s.secretary.name for s in done] == ["党组书记", "党委书记"]


def test_states_move_forward_only_and_a_repeat_is_refused(party, campaign, today):
    c = services.advance(actor=party.admin, campaign=campaign, expected="draft")
    assert c.state == "reporting"
    refused(lambda: services.advance(actor=party.admin, campaign=c, expected="draft"), "请刷新页面")
    c = services.advance(actor=party.admin, campaign=c)
    assert c.state == "voting" and c.voting_from == today
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    assert c.state == "closed" and c.closed_on == today
    refused(lambda: services.advance(actor=party.admin, campaign=c), "已结束")


def test_a_campaign_without_subjects_does_not_move(party, today):
    c = services.create_campaign(actor=party.admin, owner=party.owner, year=today.year, opened_on=today)
    refused(lambda: services.advance(actor=party.admin, campaign=c), "请先添加述职的组织")


def test_participants_are_fixed_and_counters_created_when_voting_opens(party, campaign):
    services.set_participants(
        actor=party.admin, campaign=campaign, roles=["committee"], members=[party.plain]
    )
    c = to_voting(campaign, party.admin)
    sources = dict(CampaignParticipant.objects.filter(campaign=c).values_list("member__name", "source"))
    assert sources == {
        "郑党员": "listed",
        **{m.name: "committee" for m in party.people},
    }
    assert Tally.objects.filter(campaign=c).count() == 2 * 1 * 4  # subjects × items × ratings
    # from now on nothing of the set-up changes
    refused(
        lambda: services.set_participants(actor=party.admin, campaign=c, roles=["members"], members=[]),
        "测评",
    )
    refused(lambda: services.set_items(actor=party.admin, campaign=c, items=[("综合评价", "2")]), "测评")
    refused(lambda: services.add_subjects(actor=party.admin, campaign=c, orgs=[party.tree.a1]), "测评")


def test_all_formal_members_of_the_owner(party, campaign, make_member):
    make_member(
        party.tree.a2,
        name="预备甲",
        category="probationary",
        joined_on=dt.date(2025, 12, 1),
        confirmed_on=None,
    )
    make_member(party.tree.b1, name="乙委党员")
    services.set_participants(actor=party.admin, campaign=campaign, roles=["members"], members=[])
    c = to_voting(campaign, party.admin)
    names = set(c.participants.values_list("member__name", flat=True))
    assert names == {m.name for m in [*party.people, party.plain]}  # no 预备党员, nobody of 乙委


def test_a_listed_member_must_belong_to_the_owner(party, campaign, make_member):
    outsider = make_member(party.tree.b1, name="乙委党员")
    refused(
        lambda: services.set_participants(actor=party.admin, campaign=campaign, roles=[], members=[outsider]),
        "乙委党员不是甲委机关党委所属党员",
    )


def test_items_and_weights(party, campaign):
    items = services.set_items(
        actor=party.admin, campaign=campaign, items=[("综合评价", "2"), ("履行职责", "1.5"), ("", "")]
    )
    assert [(i.name, i.weight, i.overall) for i in items] == [
        ("综合评价", Decimal("2.00"), True),
        ("履行职责", Decimal("1.50"), False),
    ]
    for bad, match in (
        ([("", "1")], "综合评价是必备"),
        ([("综合评价", "0")], "权重应为大于0"),
        ([("综合评价", "1.234")], "最多两位小数"),
        ([("综合评价", "abc")], "权重"),
        ([("综合评价", "1"), ("综合评价", "1")], "不能重复"),
    ):
        refused(lambda bad=bad: services.set_items(actor=party.admin, campaign=campaign, items=bad), match)


def test_a_vote_is_counted_once_and_never_for_oneself(party, campaign):
    c = to_voting(campaign, party.admin)
    zhao = party.zhao
    assert len(ballot_of(c, party.qian)) == 1  # 钱书记 rates 甲一 only
    # 赵书记 rating themself is refused: the ballot must cover exactly the others
    with_self = ballot_of(c, party.people[2])  # 吴委员's complete ballot covers both
    refused(
        lambda: services.cast_vote(actor=party.accounts[zhao.pk], campaign=c, ratings=with_self),
        "请对每一名书记",
    )
    services.cast_vote(actor=party.accounts[zhao.pk], campaign=c, ratings=ballot_of(c, zhao, "fairly_good"))
    refused(
        lambda: services.cast_vote(actor=party.accounts[zhao.pk], campaign=c, ratings=ballot_of(c, zhao)),
        "不能重复投票",
    )
    assert Participation.objects.filter(campaign=c).count() == 1
    counts = {
        (t.subject.org.code, t.rating): t.online
        for t in Tally.objects.filter(campaign=c).select_related("subject__org")
    }
    assert counts[("A2", "fairly_good")] == 1 and sum(counts.values()) == 1


def test_only_participants_vote_and_only_during_the_voting(party, campaign, make_user):
    refused(
        lambda: services.cast_vote(actor=party.accounts[party.zhao.pk], campaign=campaign, ratings={}),
        "只有本次述职评议的测评人员",
    )
    c = to_voting(campaign, party.admin)
    refused(
        lambda: services.cast_vote(
            actor=party.accounts[party.plain.pk], campaign=c, ratings=ballot_of(c, party.plain)
        ),
        "只有本次述职评议的测评人员",
    )
    refused(
        lambda: services.cast_vote(actor=party.admin, campaign=c, ratings={}), "只有本次述职评议的测评人员"
    )
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    refused(
        lambda: services.cast_vote(
            actor=party.accounts[party.zhao.pk], campaign=c, ratings=ballot_of(c, party.zhao)
        ),
        "已结束",
    )


def test_paper_tallies_are_bounded_by_the_ballots(party, campaign):
    c = to_voting(campaign, party.admin)
    a1 = c.subjects.get(org=party.tree.a1)
    item = c.items.get()
    refused(
        lambda: services.record_paper_tallies(
            actor=party.admin, campaign=c, paper_ballots=2, counts={(a1.pk, item.pk): {"good": 2, "poor": 1}}
        ),
        "赵书记（甲一支部，综合评价）的各等次票数之和超过",
    )
    before = state()
    with pytest.raises(OutOfScope):
        services.record_paper_tallies(actor=party.foreign, campaign=c, paper_ballots=1, counts={})
    assert state() == before
    services.record_paper_tallies(
        actor=party.admin, campaign=c, paper_ballots=3, counts={(a1.pk, item.pk): {"good": 2, "poor": 1}}
    )
    assert Tally.objects.get(subject=a1, rating="good").paper == 2
    c.refresh_from_db()
    assert c.paper_ballots == 3


def test_paper_ballots_beyond_the_participants_who_did_not_vote_online_are_refused(party, campaign):
    # six participants (the committee posts); two voted online: at most four paper ballots can have come back
    c = to_voting(campaign, party.admin)
    assert c.participants.count() == 6
    for m in (party.zhao, party.qian):
        services.cast_vote(actor=party.accounts[m.pk], campaign=c, ratings=ballot_of(c, m))
    before = state()
    with pytest.raises(ServiceError) as refusal:
        services.record_paper_tallies(actor=party.admin, campaign=c, paper_ballots=5, counts={})
    assert refusal.value.message == (
        "收回纸质测评票5张，加上网上投票2人，共7张，多于测评人员（6人）：每名测评人员只有一张测评票，请核对。"
    )
    assert refusal.value.field == "paper_ballots"
    assert state() == before
    services.record_paper_tallies(actor=party.admin, campaign=c, paper_ballots=4, counts={})
    c.refresh_from_db()
    assert c.paper_ballots == 4


def test_a_report_upload_checks_type_and_size(party, campaign, today):
    from django.core.files.uploadedfile import SimpleUploadedFile

    s = campaign.subjects.get(org=party.tree.a1)
    refused(
        lambda: services.upload_report(
            actor=party.a1, subject=s, upload=SimpleUploadedFile("a.exe", b"MZ...")
        ),
        "只能上传 Word",
    )
    refused(
        lambda: services.upload_report(
            actor=party.a1, subject=s, upload=SimpleUploadedFile("a.pdf", b"PK\x03\x04")
        ),
        "不是扩展名所示的格式",
    )
    before = state()
    with pytest.raises(OutOfScope):
        services.upload_report(actor=party.a2, subject=s, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4"))
    assert state() == before
    done = services.upload_report(
        actor=party.a1, subject=s, upload=SimpleUploadedFile("述职报告.pdf", b"%PDF-1.4 x")
    )
    assert done.report_name == "述职报告.pdf" and done.report_uploaded_on == today
    assert done.report.read() == b"%PDF-1.4 x"
    done.report.close()
    done.report.delete(save=False)


def test_a_report_is_refused_above_20_mb(party, campaign, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    monkeypatch.setattr(services, "REPORT_MAX_BYTES", 10)
    s = campaign.subjects.get(org=party.tree.a1)
    refused(
        lambda: services.upload_report(
            actor=party.a1, subject=s, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 too long")
        ),
        "不能超过 20 MB",
    )


def test_the_reported_day(party, campaign, today):
    s = campaign.subjects.get(org=party.tree.a1)
    refused(
        lambda: services.record_reported(
            actor=party.admin, subject=s, reported_on=today + dt.timedelta(days=1)
        ),
        "不晚于今天",
    )
    before = state()
    with pytest.raises(OutOfScope):  # the branch's own administrator uploads, the owner records the day
        services.record_reported(actor=party.a1, subject=s, reported_on=today)
    assert state() == before
    assert services.record_reported(actor=party.admin, subject=s, reported_on=today).reported_on == today


def test_a_subject_is_removed_by_the_owner_before_the_voting_with_its_report(
    party, campaign, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.appraisals.models import Subject
    from dangjian.core.models import AuditEvent

    s = campaign.subjects.get(org=party.tree.a1)
    s = services.upload_report(
        actor=party.a1, subject=s, upload=SimpleUploadedFile("述职报告.pdf", b"%PDF-1.4 x")
    )
    storage, name = s.report.storage, s.report.name
    before = state()
    with pytest.raises(OutOfScope):  # the branch's own administrator does not hold the campaign
        services.remove_subject(actor=party.a1, subject=s)
    assert state() == before and storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_subject(actor=party.admin, subject=s)
    assert not Subject.objects.filter(pk=s.pk).exists()
    assert not storage.exists(name)  # the uploaded report goes with it
    event = AuditEvent.objects.filter(action="delete").latest("pk")
    assert event.before["org"] == "A1" and event.before["secretary"] == "赵书记"
    assert event.before["report"] == "述职报告.pdf"
    assert list(campaign.subjects.values_list("org__code", flat=True)) == ["A2"]


def test_a_subject_stays_once_the_voting_opened(party, campaign):
    to_voting(campaign, party.admin)
    s = campaign.subjects.get(org=party.tree.a2)
    refused(lambda: services.remove_subject(actor=party.admin, subject=s), "不能进行此项操作")


def test_closing_with_a_secretary_short_of_a_day_or_report_needs_confirming(party, campaign, today):
    """Review finding: a campaign was closed while secretaries had no 述职日期 or report, and the report could no
    longer be uploaded. Now the closing names them and is refused without the explicit confirmation."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = to_voting(campaign, party.admin)
    a1 = c.subjects.get(org=party.tree.a1)
    services.upload_report(actor=party.a1, subject=a1, upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4"))
    services.record_reported(actor=party.admin, subject=a1, reported_on=today)
    refused(
        lambda: services.advance(actor=party.admin, campaign=c),
        "未登记述职日期：钱书记（甲二支部）；未上传述职报告：钱书记（甲二支部）.*请勾选“仍然结束”",
    )
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    assert c.state == "closed"


def test_a_complete_campaign_closes_without_confirming(party, campaign, today):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = to_voting(campaign, party.admin)
    for s in c.subjects.all():
        services.upload_report(actor=party.admin, subject=s, upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4"))
        services.record_reported(actor=party.admin, subject=s, reported_on=today)
    assert services.advance(actor=party.admin, campaign=c).state == "closed"


def test_a_missing_report_and_day_are_added_after_the_closing_but_nothing_replaced(party, campaign, today):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = to_voting(campaign, party.admin)
    a1 = c.subjects.get(org=party.tree.a1)
    services.upload_report(actor=party.a1, subject=a1, upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4"))
    services.record_reported(actor=party.admin, subject=a1, reported_on=today)
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    tallies = list(Tally.objects.filter(campaign=c).order_by("pk").values_list("online", "paper"))
    a2 = c.subjects.get(org=party.tree.a2)
    done = services.upload_report(
        actor=party.a2, subject=a2, upload=SimpleUploadedFile("补传.pdf", b"%PDF-1.4 late")
    )
    assert done.report_name == "补传.pdf" and done.report_uploaded_on == today
    assert services.record_reported(actor=party.admin, subject=a2, reported_on=today).reported_on == today
    refused(
        lambda: services.upload_report(
            actor=party.a1, subject=a1, upload=SimpleUploadedFile("r2.pdf", b"%PDF-1.4")
        ),
        "已上传的述职报告不能再替换",
    )
    refused(
        lambda: services.record_reported(actor=party.admin, subject=a1, reported_on=today),
        "已登记的述职日期不能再修改",
    )
    refused(
        lambda: services.record_paper_tallies(actor=party.admin, campaign=c, paper_ballots=9, counts={}),
        "已结束",
    )
    assert list(Tally.objects.filter(campaign=c).order_by("pk").values_list("online", "paper")) == tallies
    for s in (a1, a2):
        s.refresh_from_db()
        s.report.delete(save=False)
