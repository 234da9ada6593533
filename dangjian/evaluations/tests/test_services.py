"""The services of 民主评议党员: opening, the steps, votes, paper tallies, grades and the follow-up."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.dates import add_months
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent
from dangjian.evaluations import selectors, services
from dangjian.evaluations.models import Participant, Participation, Tally
from dangjian.evaluations.params import excellent_cap, load_params, publicity_ends
from dangjian.evaluations.tests.conftest import advance_to, ballot_of, paper_vote, state

pytestmark = pytest.mark.django_db


def vote(ev, member, branch, **kwargs):
    services.cast_vote(
        actor=branch.accounts[member.pk], evaluation=ev, ratings=ballot_of(ev, member, **kwargs)
    )


# --- opening ----------------------------------------------------------------------------------------------


def test_opening_fixes_every_formal_and_probationary_member_on_the_roll(branch, opened):
    people = {p.member_id: p.formal for p in opened.participants.all()}
    assert people == {m.pk: m is not branch.probationary for m in branch.people}
    assert opened.step == "study"


def test_a_member_joining_after_the_opening_is_not_a_participant(branch, opened, make_member):
    make_member(branch.org, name="新来的")
    assert opened.participants.count() == 10


@pytest.mark.parametrize("who", ["sibling", "foreign"])
def test_opening_out_of_scope_changes_nothing(branch, who, today):
    before = state()
    with pytest.raises(OutOfScope):
        services.open_evaluation(
            actor=getattr(branch, who), org=branch.org, year=today.year, opened_on=today, organ="committee"
        )
    assert state() == before


def test_one_evaluation_per_branch_and_year(branch, opened, today):
    with pytest.raises(ServiceError, match="已开展"):
        services.open_evaluation(
            actor=branch.dangwei, org=branch.org, year=today.year, opened_on=today, organ="committee"
        )


def test_only_a_branch_opens_one(branch, tree, today):
    with pytest.raises(ServiceError, match="由党支部开展"):
        services.open_evaluation(actor=None, org=tree.a, year=today.year, opened_on=today, organ="committee")


# --- votes ------------------------------------------------------------------------------------------------


def test_voting_only_during_the_voting_step(branch, opened):
    before = state()
    with pytest.raises(ServiceError, match="不能进行此项操作"):
        vote(opened, branch.formal[0], branch)
    assert state() == before


def test_a_ballot_is_counted_once(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    voter = branch.formal[0]
    vote(ev, voter, branch)
    assert Participation.objects.filter(evaluation=ev).count() == 1
    counted = Tally.objects.filter(evaluation=ev, online=1)
    assert counted.count() == 9  # everyone else, the 预备党员 included
    assert not Tally.objects.filter(evaluation=ev, subject__member=voter, online__gt=0).exists()
    before = state()
    with pytest.raises(ServiceError, match="不能重复投票"):
        vote(ev, voter, branch, choice="excellent")
    assert state() == before


def test_a_probationary_member_is_rated_but_has_no_ballot(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    before = state()
    with pytest.raises(ServiceError, match="只有参加本次民主评议的党员本人"):
        vote(ev, branch.probationary, branch)
    assert state() == before
    assert [e.pk for e in selectors.open_for_member(branch.probationary.pk)[0]] == []
    assert [e.pk for e in selectors.open_for_member(branch.formal[0].pk)[0]] == [ev.pk]


def test_what_the_home_page_offers_follows_the_step_and_the_vote(branch, opened, django_assert_num_queries):
    """open_for_member: the 个人自评 at its step, the ballot while 测评 is open and not yet cast, nothing before or
    after (one query for both)."""
    voter, other = branch.formal[0], branch.formal[1]
    assert selectors.open_for_member(voter.pk) == ([], [])  # 学习教育
    ev = advance_to(opened, "self", branch.admin)
    ballots, selfs = selectors.open_for_member(voter.pk)
    assert ballots == [] and [(p.evaluation_id, p.member_id) for p in selfs] == [(ev.pk, voter.pk)]
    ev = advance_to(ev, "voting", branch.admin)
    vote(ev, voter, branch)
    assert selectors.open_for_member(voter.pk) == ([], [])  # cast
    with django_assert_num_queries(1):
        ballots, selfs = selectors.open_for_member(other.pk)
    assert [e.pk for e in ballots] == [ev.pk] and selfs == []
    assert ballots[0].org.name == branch.org.name  # read with the evaluation
    assert selectors.open_for_member(branch.probationary.pk) == ([], [])  # rated, no ballot
    advance_to(ev, "grading", branch.admin)
    assert selectors.open_for_member(other.pk) == ([], [])


def test_an_administrator_cannot_vote_for_a_member(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    before = state()
    with pytest.raises(ServiceError):
        services.cast_vote(actor=branch.admin, evaluation=ev, ratings=ballot_of(ev, branch.formal[0]))
    assert state() == before


@pytest.mark.parametrize("case", ["missing", "self", "bad_choice"])
def test_an_incomplete_ballot_is_refused(branch, opened, case):
    ev = advance_to(opened, "voting", branch.admin)
    voter = branch.formal[0]
    ratings = ballot_of(ev, voter)
    own = ev.participants.get(member=voter).pk
    if case == "missing":
        ratings.popitem()
    elif case == "self":
        ratings[own] = "excellent"
    else:
        ratings[next(iter(ratings))] = "great"
    before = state()
    with pytest.raises(ServiceError, match="请对每一名党员选择"):
        services.cast_vote(actor=branch.accounts[voter.pk], evaluation=ev, ratings=ratings)
    assert state() == before


def test_the_audit_trail_records_that_a_member_voted_never_how(branch, opened, today):
    ev = advance_to(opened, "voting", branch.admin)
    voter = branch.formal[0]
    vote(ev, voter, branch, choice="basic")
    event = AuditEvent.objects.filter(object_type="evaluations.participation").get()
    assert event.actor == branch.accounts[voter.pk]
    assert event.after == {"evaluation": ev.pk, "voted_on": today.isoformat()}


# --- results ----------------------------------------------------------------------------------------------


def test_results_are_hidden_until_the_voting_closes(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:6]:
        vote(ev, m, branch)
    found = selectors.results(ev)
    assert (found.closed, found.ballots, found.shown, found.rows) == (False, 6, False, [])
    ev = services.advance_step(actor=branch.admin, evaluation=ev)
    found = selectors.results(ev)
    assert found.shown and len(found.rows) == 10


def test_tallies_below_the_threshold_show_only_the_total(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:4]:
        vote(ev, m, branch)
    ev = services.advance_step(actor=branch.admin, evaluation=ev)
    found = selectors.results(ev)
    assert (found.closed, found.ballots, found.threshold, found.shown, found.rows) == (True, 4, 5, False, [])


def test_paper_ballots_count_toward_the_threshold_and_the_tallies(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    vote(ev, branch.formal[0], branch, choice="excellent")
    target = ev.participants.get(member=branch.formal[1])
    services.record_paper_tallies(
        actor=branch.admin,
        evaluation=ev,
        paper_ballots=4,
        counts={target.pk: {"excellent": 1, "qualified": 2, "basic": 1}},
    )
    ev = services.advance_step(actor=branch.admin, evaluation=ev)
    found = selectors.results(ev)
    assert found.ballots == 5 and found.shown
    row = next(r for r in found.rows if r.participant.pk == target.pk)
    assert row.ordered == [2, 2, 1, 0]
    voter_row = next(r for r in found.rows if r.participant.member_id == branch.formal[0].pk)
    assert voter_row.ordered == [0, 0, 0, 0]  # nobody rates themselves


def test_paper_counts_above_the_ballots_are_refused(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    target = ev.participants.get(member=branch.formal[1])
    before = state()
    with pytest.raises(ServiceError, match=r"超过收回的纸质测评票数（2张），请核对。"):
        services.record_paper_tallies(
            actor=branch.admin,
            evaluation=ev,
            paper_ballots=2,
            counts={target.pk: {"excellent": 2, "basic": 1}},
        )
    assert state() == before


def test_paper_ballots_beyond_the_members_who_did_not_vote_online_are_refused(branch, opened):
    # 9 正式党员 hold a 测评票 (the 预备党员 none); 2 voted online: at most 7 paper ballots can have come back
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:2]:
        vote(ev, m, branch)
    before = state()
    with pytest.raises(ServiceError) as refused:
        services.record_paper_tallies(actor=branch.admin, evaluation=ev, paper_ballots=8, counts={})
    assert refused.value.message == (
        "收回纸质测评票8张，加上网上投票2人，共10张，多于领取测评票的党员（9人）：每名党员只有一张测评票，请核对。"
    )
    assert refused.value.field == "paper_ballots"
    assert state() == before
    services.record_paper_tallies(actor=branch.admin, evaluation=ev, paper_ballots=7, counts={})
    ev.refresh_from_db()
    assert ev.paper_ballots == 7


# --- grades -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("graded", "cap"), [(9, 3), (10, 3), (8, 2), (3, 1), (2, 0), (0, 0)])
def test_excellent_cap_is_the_floor_of_one_third(graded, cap):
    from fractions import Fraction

    assert excellent_cap(graded, Fraction(1, 3)) == cap


def _grading(branch, opened):
    """The evaluation at its 组织评定, its 测评 held on paper."""
    paper_vote(advance_to(opened, "voting", branch.admin), branch.admin)
    return advance_to(opened, "grading", branch.admin)


def _grades(ev, excellent: int, probationary: str = ""):
    grades = {}
    for p in ev.participants.order_by("pk"):
        if not p.formal:
            grades[p.pk] = probationary
        else:
            grades[p.pk] = "excellent" if excellent > 0 else "qualified"
            excellent -= 1
    return grades


def test_exactly_one_third_excellent_is_allowed(branch, opened):
    ev = _grading(branch, opened)
    services.record_grades(actor=branch.admin, evaluation=ev, grades=_grades(ev, 3))
    assert Participant.objects.filter(evaluation=ev, grade="excellent").count() == 3


def test_more_than_one_third_excellent_is_refused_and_changes_nothing(branch, opened):
    ev = _grading(branch, opened)
    before = state()
    with pytest.raises(ServiceError, match="9人中最多3人，现为4人"):
        services.record_grades(actor=branch.admin, evaluation=ev, grades=_grades(ev, 4))
    assert state() == before


def test_a_probationary_member_gets_no_grade(branch, opened):
    ev = _grading(branch, opened)
    before = state()
    with pytest.raises(ServiceError, match="预备党员参加测评，但不确定等次：陈预备"):
        services.record_grades(
            actor=branch.admin, evaluation=ev, grades=_grades(ev, 1, probationary="qualified")
        )
    assert state() == before
    services.record_grades(actor=branch.admin, evaluation=ev, grades=_grades(ev, 1))
    assert Participant.objects.get(evaluation=ev, member=branch.probationary).grade == ""


def test_every_formal_member_needs_a_grade_before_publicity(branch, opened):
    ev = _grading(branch, opened)
    grades = _grades(ev, 1)
    grades.pop(ev.participants.get(member=branch.formal[2]).pk)
    with pytest.raises(ServiceError, match="孙三"):
        services.record_grades(actor=branch.admin, evaluation=ev, grades=grades)
    with pytest.raises(ServiceError, match="尚未评定等次"):
        services.advance_step(actor=branch.admin, evaluation=ev)


def test_an_unqualified_grade_records_its_rectification_due_date(branch, opened, today):
    ev = _grading(branch, opened)
    grades = _grades(ev, 0)
    p = ev.participants.get(member=branch.formal[4])
    grades[p.pk] = "unqualified"
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades)
    p.refresh_from_db()
    assert p.followup_due == add_months(today, 6)
    with pytest.raises(ServiceError, match="12个月以内"):
        services.record_grades(
            actor=branch.admin,
            evaluation=ev,
            grades=grades,
            followup_due={p.pk: add_months(today, 12) + dt.timedelta(days=1)},
        )
    services.record_grades(
        actor=branch.admin, evaluation=ev, grades=grades, followup_due={p.pk: add_months(today, 12)}
    )
    ev = advance_to(ev, "publicity", branch.admin)
    services.record_followup(actor=branch.admin, participant=p, outcome="corrected", decided_on=today)
    p.refresh_from_db()
    assert (p.followup_outcome, p.followup_decided_on) == ("corrected", today)


@pytest.mark.parametrize("who", ["sibling", "foreign"])
def test_grading_out_of_scope_changes_nothing(branch, opened, who):
    ev = _grading(branch, opened)
    before = state()
    with pytest.raises(OutOfScope):
        services.record_grades(actor=getattr(branch, who), evaluation=ev, grades=_grades(ev, 1))
    with pytest.raises(OutOfScope):
        services.advance_step(actor=getattr(branch, who), evaluation=ev)
    assert state() == before


def test_the_party_committee_may_act_on_its_branch(branch, opened):
    ev = services.advance_step(actor=branch.dangwei, evaluation=opened)
    assert ev.step == "self"


# --- the facts the rules read (evaluations.rules) -------------------------------------------------------------


def test_the_facts_say_whether_the_branch_completed_and_how_many_were_graded_excellent(
    branch, opened, tree, today
):
    from dangjian.evaluations.rules import load_evaluation_facts

    ev = _grading(branch, opened)
    services.record_grades(actor=branch.admin, evaluation=ev, grades=_grades(ev, 2))
    facts = load_evaluation_facts([tree.a1.pk, tree.a2.pk], None, today.year, today)
    assert list(facts) == [tree.a1.pk]
    f = facts[tree.a1.pk]
    assert (f.step, f.completed_on, f.graded_on, f.graded, f.excellent) == ("grading", None, today, 9, 2)
    ev = advance_to(ev, "publicity", branch.admin)
    ends = publicity_ends(today, load_params())  # five working days after the 公示 began
    services.advance_step(actor=branch.admin, evaluation=ev, on=ends)
    assert load_evaluation_facts([tree.a1.pk], None, today.year, ends)[tree.a1.pk].completed_on == ends
    yesterday = today - dt.timedelta(days=1)
    assert load_evaluation_facts([tree.a1.pk], None, today.year, yesterday) == {}  # opened today


def test_refusals_read_in_english(branch, opened):
    import re

    from django.utils import translation

    ev = _grading(branch, opened)
    with translation.override("en"), pytest.raises(ServiceError) as info:
        services.record_grades(actor=branch.admin, evaluation=ev, grades=_grades(ev, 4))
    assert info.value.message == "At most 1/3 of the graded members may be excellent: at most 3 of 9, here 4."
    with translation.override("en"), pytest.raises(ServiceError) as info:
        services.cast_vote(actor=branch.accounts[branch.formal[0].pk], evaluation=ev, ratings={})
    assert re.search(r"[\u4e00-\u9fff]", info.value.message) is None


def test_paper_ballots_typed_without_their_ratings_do_not_lift_online_votes_past_the_threshold(
    branch, opened
):
    """Two online votes and "3 paper ballots" left blank: showing the tallies would show how those two rated. Paper
    ballots count as the most ratings any member received on paper, never more than typed."""
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:2]:
        vote(ev, m, branch)
    services.record_paper_tallies(actor=branch.admin, evaluation=ev, paper_ballots=3, counts={})
    ev = services.advance_step(actor=branch.admin, evaluation=ev)
    found = selectors.results(ev)
    assert (found.ballots, found.paper, found.shown, found.rows) == (5, 3, False, [])  # typed: 3; counted: 0


def test_paper_ballots_with_their_ratings_count(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:2]:
        vote(ev, m, branch)
    target = ev.participants.get(member=branch.formal[3])
    services.record_paper_tallies(
        actor=branch.admin, evaluation=ev, paper_ballots=3, counts={target.pk: {"qualified": 3}}
    )
    ev = services.advance_step(actor=branch.admin, evaluation=ev)
    assert selectors.results(ev).shown
