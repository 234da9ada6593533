"""Meeting rules end to end: records entered through the meetings service, evaluated from the database."""

import datetime as dt

from dangjian.compliance.tests.conftest import Y
from dangjian.meetings.tests.builders import meeting_ids_of
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_post, update_post

D = dt.date


def test_assembly_every_quarter(tree, branch, meet, result):
    held = [meet(tree.a1, D(Y, m, d), "assembly") for m, d in ((3, 31), (6, 30), (9, 30))]
    r = result(Org.objects.all(), "MTG-ASSEMBLY-QUARTERLY", tree.a1)
    assert (r.status, r.missing, meeting_ids_of(r.evidence)) == (
        "fail",
        [f"{Y}-Q4"],
        sorted(m.pk for m in held),
    )
    assert r.message == f"{Y}年缺少1个季度的支部党员大会：{Y}-Q4。"
    assert result(Org.objects.all(), "MTG-ASSEMBLY-QUARTERLY", tree.a1, as_of=D(Y, 12, 30)).status == "pass"


def test_a_record_with_several_types_counts_for_each(tree, branch, meet, result):
    m = meet(tree.a1, D(Y, 1, 15), "theme_day", "lecture", "assembly")
    orgs = Org.objects.subtree(tree.a1)
    theme = result(orgs, "MTG-THEME-DAY-MONTHLY", tree.a1, as_of=D(Y, 1, 31))
    assert (theme.status, meeting_ids_of(theme.evidence)) == ("pass", [m.pk])
    lecture = result(orgs, "MTG-LECTURE-QUARTERLY", tree.a1, as_of=D(Y, 3, 31))
    assembly = result(orgs, "MTG-ASSEMBLY-QUARTERLY", tree.a1, as_of=D(Y, 3, 31))
    assert (lecture.status, assembly.status) == ("pass", "pass")


def test_probationary_member_does_not_count_toward_the_assembly_quorum(tree, branch, meet, result):
    # 4 正式党员 expected (one in the 党小组); 2 of them absent: exactly half of the voters present,
    # although 3 of the 5 people (with the 预备党员) attended.
    short = meet(tree.a1, D(Y, 3, 5), "assembly", absent=[branch["组织"], branch["宣传"]])
    ok = meet(tree.a1, D(Y, 6, 5), "assembly", absent=[branch["预备"], branch["宣传"]])
    assert short.kinds.get().present == 3
    r = result(Org.objects.all(), "MTG-ASSEMBLY-QUORUM", tree.a1)
    assert (r.status, r.missing, meeting_ids_of(r.evidence)) == ("fail", [f"{Y}-03-05"], [ok.pk])
    assert r.message.endswith(f"{Y}-03-05（应到4，实到2）。")


def test_committee_every_month_and_its_quorum(tree, branch, meet, result):
    for month in (1, 2, 3, 4, 6):
        meet(tree.a1, D(Y, month, 10), "committee")
    meet(tree.a1, D(Y, 7, 10), "committee", absent=[branch["组织"], branch["宣传"]])
    orgs = Org.objects.subtree(tree.a1)
    monthly = result(orgs, "MTG-COMMITTEE-MONTHLY", tree.a1, as_of=D(Y, 8, 31))
    assert (monthly.status, monthly.missing) == ("fail", [f"{Y}-05", f"{Y}-08"])
    quorum = result(orgs, "MTG-COMMITTEE-QUORUM", tree.a1, as_of=D(Y, 8, 31))
    assert (quorum.status, quorum.missing) == ("fail", [f"{Y}-07-10"])


def test_committee_monthly_not_applicable_to_a_branch_without_a_committee(tree, branch, make_member, result):
    update_post(actor=None, post=branch["posts"]["xuanchuan"], data={"ended_on": D(Y, 9, 1)})
    r = result(Org.objects.all(), "MTG-COMMITTEE-MONTHLY", tree.a1)
    assert (r.status, r.message) == (
        "not_applicable",
        f"不适用：{Y}-12-31未设支部委员会（在任委员2人，不足3人）。",
    )
    assert result(Org.objects.all(), "MTG-COMMITTEE-MONTHLY", tree.a1, as_of=D(Y, 8, 31)).status == "fail"


def test_party_group_meets_every_month(tree, branch, meet, result):
    meet(tree.a1g1, D(Y, 1, 31), "group")
    meet(tree.a1g1, D(Y, 2, 1), "group")
    r = result(Org.objects.all(), "MTG-GROUP-MONTHLY", tree.a1g1, as_of=D(Y, 3, 31))
    assert (r.status, r.missing) == ("fail", [f"{Y}-03"])


def test_org_life_and_member_review_in_one_record(tree, branch, meet, result):
    m = meet(tree.a1, D(Y, 11, 20), "org_life", "member_review")
    life = result(Org.objects.all(), "MTG-ORG-LIFE-ANNUAL", tree.a1)
    assert (life.status, meeting_ids_of(life.evidence), life.message) == (
        "pass",
        [m.pk],
        f"已满足：本年度已召开组织生活会（{Y}-11-20）。",
    )
    assert result(Org.objects.all(), "MTG-MEMBER-REVIEW-ANNUAL", tree.a1).status == "pass"
    pending = result(Org.objects.all(), "MTG-ORG-LIFE-ANNUAL", tree.a2, as_of=D(Y, 11, 30))
    assert pending.status == "pending"
    assert result(Org.objects.all(), "MTG-ORG-LIFE-ANNUAL", tree.a2).status == "fail"


def test_branch_secretary_replaced_mid_year(tree, branch, meet, result):
    update_post(actor=None, post=branch["posts"]["shuji"], data={"ended_on": D(Y, 6, 1)})
    create_post(
        actor=None,
        data={"member": branch["组织"], "org": tree.a1, "title": "shuji", "started_on": D(Y, 6, 1)},
    )
    meet(tree.a1g1, D(Y, 7, 1), "lecture", lecturer=branch["书记"])
    r = result(Org.objects.all(), "LECTURE-SECRETARY-ANNUAL", tree.a1)
    assert (r.status, r.missing) == ("fail", [str(Y)])
    by_new = meet(tree.a1g1, D(Y, 8, 1), "lecture", lecturer=branch["组织"])
    r = result(Org.objects.all(), "LECTURE-SECRETARY-ANNUAL", tree.a1)
    assert (r.status, meeting_ids_of(r.evidence)) == ("pass", [by_new.pk])


def test_former_secretary_lecture_before_the_change_counts(tree, branch, meet, result):
    update_post(actor=None, post=branch["posts"]["shuji"], data={"ended_on": D(Y, 6, 1)})
    before = meet(tree.a1, D(Y, 5, 31), "lecture", lecturer=branch["书记"])
    assert meeting_ids_of(result(Org.objects.all(), "LECTURE-SECRETARY-ANNUAL", tree.a1).evidence) == [
        before.pk
    ]


def party_group(tree, make_member):
    """A-DZ with three post holders (members of A2), its 书记 since 2024."""
    holders = [make_member(tree.a2, name=n) for n in ("党组甲", "党组乙", "党组丙")]
    for person, title in zip(holders, ("shuji", "fushuji", "weiyuan"), strict=True):
        create_post(
            actor=None, data={"member": person, "org": tree.a_dz, "title": title, "started_on": D(2024, 1, 1)}
        )
    return holders


def test_party_group_secretary_lecture_recorded_anywhere(tree, make_member, meet, result):
    secretary, deputy, _ = party_group(tree, make_member)
    meet(tree.a2, D(Y, 3, 1), "lecture", lecturer=deputy)
    only_dz = Org.objects.filter(pk=tree.a_dz.pk)
    assert result(only_dz, "LECTURE-SECRETARY-ANNUAL", tree.a_dz).status == "fail"
    lecture = meet(tree.a2, D(Y, 4, 1), "lecture", lecturer=secretary)
    r = result(only_dz, "LECTURE-SECRETARY-ANNUAL", tree.a_dz)
    assert (r.status, meeting_ids_of(r.evidence)) == ("pass", [lecture.pk])


def test_party_group_secretary_lecture_in_the_party_group_itself(tree, make_member, meet, result):
    secretary, *_ = party_group(tree, make_member)
    lecture = meet(tree.a_dz, D(Y, 4, 1), "lecture", lecturer=secretary)
    assert meeting_ids_of(result(Org.objects.all(), "LECTURE-SECRETARY-ANNUAL", tree.a_dz).evidence) == [
        lecture.pk
    ]


def test_democratic_life_and_its_quorum(tree, make_member, meet, result):
    holders = party_group(tree, make_member)
    two_thirds = meet(tree.a_dz, D(Y, 12, 10), "democratic_life", absent=holders[2:])
    meet(tree.a_dz, D(Y, 12, 20), "democratic_life", absent=holders[1:])
    annual = result(Org.objects.all(), "MTG-DEMOCRATIC-LIFE-ANNUAL", tree.a_dz)
    assert annual.status == "pass"
    quorum = result(Org.objects.all(), "MTG-DEMOCRATIC-LIFE-QUORUM", tree.a_dz)
    assert (quorum.status, quorum.missing, meeting_ids_of(quorum.evidence)) == (
        "fail",
        [f"{Y}-12-20"],
        [two_thirds.pk],
    )
