import datetime as dt

import pytest

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.elections.models import Candidate, Election, Exclusion, TermAdjustment
from dangjian.elections.services import (
    approve_result,
    delete_election,
    record_election,
    record_term_adjustment,
)
from dangjian.elections.tests.conftest import cands
from dangjian.orgs.models import Org, Post
from dangjian.orgs.services import create_post

D = dt.date(2026, 9, 1)


def record(org, members, *, present=9, seats=3, votes=(9, 8, 7, 2), actor=None, **kw):
    return record_election(
        actor=actor,
        org=org,
        held_on=kw.pop("held_on", D),
        form="assembly",
        present=present,
        seats=seats,
        ballots_issued=kw.pop("issued", present),
        ballots_returned=kw.pop("returned", present),
        candidates=kw.pop("candidates", None) or cands(members, votes, kw.pop("titles", None)),
        **kw,
    )


def test_expected_voters_come_from_the_roster_minus_exclusions(tree, a1_voters):
    e = record(
        tree.a1,
        a1_voters,
        present=8,
        exclusions=[{"member": a1_voters[9], "reason": "abroad", "approval": "甲委机关党委2026-08-20批复"}],
        candidates=cands(a1_voters[:4], (8, 7, 6, 1)),
    )
    assert e.roster_voters == 10  # the 预备党员 has no vote (EL-05)
    assert e.expected == 9  # one approved exclusion (EL-12)
    assert e.exclusions.get().approval == "甲委机关党委2026-08-20批复"


def test_refused_for_quorum_at_exactly_four_fifths_nothing_written(tree, a1_voters):
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as exc:
        record(tree.a1, a1_voters, present=8, votes=(8, 7, 6, 2))  # 8 = 4/5 of 10
    assert "ELECT-QUORUM" in exc.value.message
    assert exc.value.field is None and "present" in exc.value.errors
    assert not Election.objects.exists() and not Candidate.objects.exists()
    assert AuditEvent.objects.count() == before
    e = record(tree.a1, a1_voters, present=9)
    assert e.present == 9 and e.expected == 10
    assert AuditEvent.objects.filter(object_type="elections.election", action="create").count() == 1


def test_refused_when_more_ballots_returned_than_issued(tree, a1_voters):
    with pytest.raises(ServiceError) as exc:
        record(tree.a1, a1_voters, issued=9, returned=10)
    assert "EL-13" in exc.value.message and "ballots_returned" in exc.value.errors
    assert not Election.objects.exists()


def test_results_stored_threshold_and_margin(tree, a1_voters):
    # 10 expected; 5 votes is exactly half: not elected; margin 4 for 3 seats passes (≥ 3.6)
    e = record(tree.a1, a1_voters, present=10, votes=(9, 6, 5, 5))
    elected = list(e.candidates.filter(elected=True).values_list("member__name", flat=True))
    assert elected == ["党员00", "党员01"]
    assert e.threshold_basis == "expected"


def test_threshold_basis_from_settings(tree, a1_voters, settings):
    settings.ELECTIONS_THRESHOLD_BASIS = "present"
    e = record(tree.a1, a1_voters, present=9, votes=(9, 6, 5, 5))  # 5 > 4.5
    assert e.threshold_basis == "present"
    assert e.candidates.filter(elected=True).count() == 2  # a tie at the last seat: 5, 5
    assert e.candidates.filter(elected=False, votes=5).count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"present": 11}, "不能多于"),
        ({"votes": (9, 8, 7, 20)}, "多于收回的选票"),
        ({"seats": 0}, "应选名额"),
    ],
)
def test_invalid_numbers_refused(tree, a1_voters, change, message):
    with pytest.raises(ServiceError, match=message):
        record(tree.a1, a1_voters, **change)
    assert not Election.objects.exists()


def test_candidates_must_be_formal_members_on_the_roster(tree, a1_voters, make_member):
    outsider = make_member(tree.a2, name="外支部党员")
    with pytest.raises(ServiceError, match="不是2026-09-01本组织的正式党员"):
        record(tree.a1, a1_voters, candidates=cands([*a1_voters[:3], outsider], (9, 8, 7, 1)))
    with pytest.raises(ServiceError, match="批准情况"):
        record(tree.a1, a1_voters, exclusions=[{"member": a1_voters[9], "reason": "abroad", "approval": ""}])


def test_out_of_scope_refused(tree, a1_voters, users):
    with pytest.raises(OutOfScope):
        record(tree.a1, a1_voters, actor=users["branch_a2"])
    assert not Election.objects.exists()


def test_approval_opens_the_new_term_and_records_the_posts(tree, a1_voters, users):
    old_secretary = create_post(
        actor=None,
        data={"member": a1_voters[5], "org": tree.a1, "title": "shuji", "started_on": dt.date(2023, 9, 10)},
    )
    e = record(
        tree.a1, a1_voters, present=10, votes=(9, 8, 7, 2), titles={0: "shuji", 1: "fushuji", 2: "zuzhi"}
    )
    approved = dt.date(2026, 9, 20)
    approve_result(actor=users["dangwei_a"], election=e, approved_on=approved, approving_body="甲委机关党委")
    org = Org.objects.get(pk=tree.a1.pk)
    assert org.term_started_on == D and org.term_end == dt.date(2029, 9, 1)
    old_secretary.refresh_from_db()
    assert old_secretary.ended_on == approved
    current = {(p.member.name, p.title) for p in Post.objects.current(approved).filter(org=tree.a1)}
    assert current == {("党员00", "shuji"), ("党员01", "fushuji"), ("党员02", "zuzhi")}
    e.refresh_from_db()
    assert e.approved_on == approved and e.approving_body == "甲委机关党委"
    with pytest.raises(ServiceError, match="已于"):
        approve_result(actor=None, election=e, approved_on=approved, approving_body="甲委机关党委")


def test_approval_refused_before_the_election_or_out_of_scope_changes_nothing(tree, a1_voters, users):
    e = record(tree.a1, a1_voters, present=10)
    with pytest.raises(ServiceError, match="不能早于选举日期"):
        approve_result(actor=None, election=e, approved_on=dt.date(2026, 8, 1), approving_body="甲委机关党委")
    with pytest.raises(OutOfScope):
        approve_result(actor=users["branch_a2"], election=e, approved_on=D, approving_body="甲委机关党委")
    assert not Post.objects.filter(org=tree.a1).exists()
    assert Org.objects.get(pk=tree.a1.pk).term_started_on == dt.date(2023, 9, 1)


def test_postponement_at_most_a_year(tree, a1_voters, users):
    # term 2023-09-01 + 3 years = 2026-09-01
    kw = {
        "actor": users["dangwei_a"],
        "org": tree.a1,
        "approved_on": dt.date(2026, 8, 1),
        "approving_body": "甲委机关党委",
    }
    with pytest.raises(ServiceError, match="不超过12个月"):
        record_term_adjustment(**kw, kind="postpone", new_due_on=dt.date(2027, 9, 2), reason="机构改革")
    with pytest.raises(ServiceError, match="应晚于"):
        record_term_adjustment(**kw, kind="postpone", new_due_on=dt.date(2026, 9, 1), reason="机构改革")
    with pytest.raises(ServiceError, match="理由"):
        record_term_adjustment(**kw, kind="postpone", new_due_on=dt.date(2027, 9, 1), reason=" ")
    assert not TermAdjustment.objects.exists()
    a = record_term_adjustment(**kw, kind="postpone", new_due_on=dt.date(2027, 9, 1), reason="机构改革")
    assert a.term_end == dt.date(2026, 9, 1)
    assert AuditEvent.objects.filter(object_type="elections.termadjustment").count() == 1
    with pytest.raises(OutOfScope):
        record_term_adjustment(
            **{**kw, "actor": users["branch_a2"]},
            kind="advance",
            new_due_on=dt.date(2026, 6, 1),
            reason="调整",
        )


def test_preselection_formal_candidates_stored_and_required(tree, a1_voters):
    with pytest.raises(ServiceError, match="预选得票"):
        record(tree.a1, a1_voters, present=10, has_preselection=True)
    candidates = [
        {"member": m, "prevotes": pv, "votes": v}
        for m, pv, v in zip(a1_voters[:5], (9, 8, 7, 6, 5), (9, 8, 7, 6, None), strict=True)
    ]
    e = record(tree.a1, a1_voters, present=10, seats=3, has_preselection=True, candidates=candidates)
    # 预选: more than half of 10 expected → 4 正式候选人 (5 votes is exactly half)
    assert list(e.candidates.order_by("pk").values_list("formal", flat=True)) == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert e.candidates.filter(elected=True).count() == 3


def test_member_under_discipline_left_out_with_the_decision(tree, a1_voters):
    e = record(
        tree.a1,
        a1_voters,
        present=9,
        exclusions=[
            {"member": a1_voters[9], "reason": "discipline", "approval": "甲委纪委2026年第3号处分决定"}
        ],
        candidates=cands(a1_voters[:4], (9, 8, 7, 1)),
    )
    assert e.expected == 9
    with pytest.raises(ServiceError, match="不能作为候选人"):
        record(
            tree.a1,
            a1_voters,
            present=9,
            exclusions=[{"member": a1_voters[0], "reason": "discipline", "approval": "处分决定"}],
        )


# --- dates no later than today, one record per election, deleting a mistaken one ---------------------------


def test_a_future_election_or_approval_is_refused_and_changes_nothing(tree, a1_voters, users):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="选举日期不能晚于今天") as exc:
        record(tree.a1, a1_voters, held_on=tomorrow)
    assert exc.value.field == "held_on" and not Election.objects.exists()
    e = record(tree.a1, a1_voters, present=10)
    with pytest.raises(ServiceError, match="批准日期不能晚于今天") as exc:
        approve_result(
            actor=users["dangwei_a"], election=e, approved_on=tomorrow, approving_body="甲委机关党委"
        )
    assert exc.value.field == "approved_on"
    e.refresh_from_db()
    assert e.approved_on is None and not Post.objects.filter(org=tree.a1).exists()
    assert Org.objects.get(pk=tree.a1.pk).term_started_on == dt.date(2023, 9, 1)
    assert AuditEvent.objects.count() == events + 1  # the election's creation only


def test_the_same_election_recorded_twice_is_refused_naming_the_first(tree, a1_voters):
    first = record(tree.a1, a1_voters, present=10)  # 3 of 3 seats filled
    events = AuditEvent.objects.count()
    for change in (
        {},
        {"votes": (9, 8, 6, 3)},
        {"present": 9, "seats": 2, "votes": (8, 6, 3, 1)},
    ):  # the same, or corrected
        with pytest.raises(ServiceError) as exc:
            record(tree.a1, a1_voters, **{"present": 10, **change})
        assert exc.value.message.startswith(
            "甲一支部 2026-09-01的选举已登记（党员大会，应选3名，当选3名），不能重复登记。"
        ), exc.value.message
        assert "删除后重新登记" in exc.value.message and exc.value.field == "held_on"
    assert list(Election.objects.all()) == [first] and AuditEvent.objects.count() == events
    # another day is another election
    assert record(tree.a1, a1_voters, present=10, held_on=dt.date(2026, 9, 2)).pk != first.pk


def test_a_same_day_election_of_the_seats_left_unfilled_is_recorded(tree, a1_voters):
    # 10 expected; 5 votes is not more than half: 2 of 3 seats filled, 1 left for 另行选举 (EL-10)
    first = record(tree.a1, a1_voters, present=10, votes=(9, 6, 5, 5))
    with pytest.raises(ServiceError, match="尚有1个名额未选出：同日另行选举的应选名额不能超过1名") as exc:
        record(tree.a1, a1_voters, present=10, seats=2, candidates=cands(a1_voters[2:5], (8, 7, 1)))
    assert exc.value.field == "seats"
    with pytest.raises(ServiceError, match="党员00已在2026-09-01的选举中当选") as exc:
        record(tree.a1, a1_voters, present=10, seats=1, candidates=cands(a1_voters[:3:2], (8, 2)))
    assert exc.value.field == "candidates"
    with pytest.raises(ServiceError, match="不能重复登记"):  # the first again, word for word
        record(tree.a1, a1_voters, present=10, votes=(9, 6, 5, 5))
    again = record(tree.a1, a1_voters, present=10, seats=1, candidates=cands(a1_voters[2:4], (8, 2)))
    assert again.candidates.get(elected=True).member == a1_voters[2]
    with pytest.raises(ServiceError, match="应选3名，当选3名），不能重复登记"):  # the day's seats are filled
        record(tree.a1, a1_voters, present=10, seats=1, candidates=cands(a1_voters[4:6], (8, 2)))
    assert Election.objects.count() == 2 and first.pk != again.pk


def test_an_election_not_yet_approved_is_deleted_in_scope_with_its_audit(tree, a1_voters, users):
    e = record(
        tree.a1,
        a1_voters,
        present=9,
        exclusions=[{"member": a1_voters[9], "reason": "abroad", "approval": "甲委机关党委批复"}],
        candidates=cands(a1_voters[:4], (9, 8, 7, 1)),
    )
    before = (Election.objects.count(), Candidate.objects.count(), AuditEvent.objects.count())
    with pytest.raises(OutOfScope):
        delete_election(actor=users["branch_a2"], election=e)
    assert (Election.objects.count(), Candidate.objects.count(), AuditEvent.objects.count()) == before
    delete_election(actor=users["branch_a1"], election=e)
    assert not Election.objects.exists() and not Candidate.objects.exists() and not Exclusion.objects.exists()
    event = AuditEvent.objects.get(object_type="elections.election", action="delete")
    assert event.object_id == str(e.pk) and event.org_path == tree.a1.path
    assert event.before["held_on"] == "2026-09-01" and event.before["elected"] == [
        "党员00",
        "党员01",
        "党员02",
    ]
    # deleted, the date is free again
    assert record(tree.a1, a1_voters, present=10).held_on == D


def test_an_approved_election_is_not_deleted(tree, a1_voters, users):
    e = record(tree.a1, a1_voters, present=10)
    approve_result(actor=users["dangwei_a"], election=e, approved_on=D, approving_body="甲委机关党委")
    events = AuditEvent.objects.count()
    for actor in (users["branch_a1"], users["dangwei_a"]):
        with pytest.raises(ServiceError, match=r"已于2026-09-01经甲委机关党委批准.*不能删除"):
            delete_election(actor=actor, election=e)
    assert Election.objects.filter(pk=e.pk).exists() and AuditEvent.objects.count() == events


def test_deleting_a_mistaken_election_puts_its_kept_results_right(
    tree, a1_voters, django_capture_on_commit_callbacks
):
    from dangjian.compliance import kept
    from dangjian.compliance.models import KeptResult

    def margin():
        return KeptResult.objects.get(org=tree.a1, rule_id="ELECT-MARGIN", year=dt.date.today().year).status

    kept.refresh()
    held = dt.date.today() - dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):  # 3 candidates for 3 seats: no margin
        mistaken = record(tree.a1, a1_voters, present=10, held_on=held, votes=(9, 8, 7))
    assert margin() == "fail"
    with django_capture_on_commit_callbacks(execute=True):
        delete_election(actor=None, election=mistaken)
    assert margin() == "pass"


def test_refused_when_more_ballots_issued_than_voters_present(tree, a1_voters):
    # 9 present could not be handed 12 ballots: a candidate's 11 votes would be more than the voters present
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as exc:
        record(tree.a1, a1_voters, present=9, issued=12, returned=12, votes=(11, 10, 9, 2))
    assert exc.value.message == (
        "发出选票（12张）不能多于实到会有选举权人数（9人）：每名到会的有选举权党员领取一张选票，请核对。"
    )
    assert exc.value.field == "ballots_issued"
    assert not Election.objects.exists() and AuditEvent.objects.count() == before
    e = record(tree.a1, a1_voters, present=9, issued=9, returned=9, votes=(9, 8, 7, 2))
    assert (e.ballots_issued, e.ballots_returned) == (9, 9)


def test_refused_when_votes_add_up_to_more_than_the_ballots_allow(tree, a1_voters):
    # 9 ballots for 3 seats carry at most 27 marks; 9 + 9 + 9 + 2 = 29 cannot have been cast
    with pytest.raises(ServiceError) as exc:
        record(tree.a1, a1_voters, present=9, votes=(9, 9, 9, 2))
    assert exc.value.message == (
        "候选人得票合计29票，多于收回选票9张×应选名额3名＝27票：每张选票最多选3名，请核对得票。"
    )
    assert exc.value.field == "candidates"
    assert not Election.objects.exists()
    e = record(tree.a1, a1_voters, present=9, votes=(9, 9, 8, 1))  # 27: every ballot marked three names
    assert e.candidates.filter(elected=True).count() == 3
