"""Participants who leave the branch after its 民主评议 is opened (转出, 转至另一支部, 去世, 出党, 停止党籍): the
services ask nothing more of them — no grade, no 个人自评, no ballot — and keep what they did; the 优秀 cap counts
the grades the evaluation ends with; EVAL-REVIEW-ANNUAL and EVAL-EXCELLENT-CAP read the completed evaluation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.compliance.evaluator import evaluate
from dangjian.core.errors import ServiceError
from dangjian.evaluations import selectors, services
from dangjian.evaluations.departures import departures
from dangjian.evaluations.models import Participant, Participation, Tally
from dangjian.evaluations.tests.conftest import advance_to, ballot_of, paper_vote, state
from dangjian.evaluations.tests.test_views import client_of
from dangjian.movements import services as movements
from dangjian.orgs.models import Org

pytestmark = pytest.mark.django_db

D = dt.date


def leave(how: str, member, branch, tree, on: dt.date) -> None:
    """`member` leaves 甲一支部 on `on`, through the services that record it."""
    if how == "transferred_out":
        movements.transfer_out(
            actor=branch.admin,
            member=member,
            letter_no="甲组转字001号",
            destination="外省某单位党支部",
            transferred_on=on,
        )
    elif how == "moved":
        transfer = movements.start_transfer(
            actor=branch.admin, member=member, to_org=tree.a2, started_on=on, reason="工作调动"
        )
        movements.accept_transfer(actor=branch.dangwei, transfer=transfer, accepted_on=on)
    else:
        movements.change_status(
            actor=branch.admin,
            member=member,
            status=how,
            effective_on=on,
            decided_on=on,
            decision_body="" if how == "deceased" else "甲一支部党员大会",
            outcome="withdrew" if how == "left_party" else None,
        )


def grades_of(ev, *, but=(), excellent=(), choice="qualified") -> dict[int, str]:
    """A grade for every 正式党员 participant except the members `but`; 优秀 for the members `excellent`."""
    skip = {m.pk for m in but}
    best = {m.pk for m in excellent}
    return {
        p.pk: "excellent" if p.member_id in best else choice
        for p in ev.participants.filter(formal=True).order_by("pk")
        if p.member_id not in skip
    }


def at_grading(opened, branch):
    ev = advance_to(opened, "voting", branch.admin)
    paper_vote(ev, branch.admin)
    return advance_to(ev, "grading", branch.admin)


@pytest.mark.parametrize(
    ("how", "label"),
    [
        ("transferred_out", "已于{d}转出"),
        ("moved", "已于{d}转至甲二支部"),
        ("deceased", "已于{d}去世"),
        ("left_party", "已于{d}出党"),
        ("suspended", "已于{d}停止党籍"),
    ],
)
def test_a_participant_who_left_is_not_graded_and_the_publicity_does_not_wait(
    branch, tree, opened, today, how, label
):
    ev = at_grading(opened, branch)
    gone = branch.formal[2]
    for p in ev.participants.exclude(member=gone):  # every 个人自评 recorded but the one who left
        services.record_self_assessment(actor=branch.admin, participant=p, paper=True)
    leave(how, gone, branch, tree, today)
    people = selectors.participants(ev)
    left = departures(ev, people)
    assert [(p.member_id, left[p.pk].label) for p in people if p.pk in left] == [
        (gone.pk, label.format(d=today.isoformat()))
    ]
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades_of(ev, but=[gone]))
    ev = services.advance_step(actor=branch.admin, evaluation=ev)  # no "仍然公示" needed either
    assert ev.step == "publicity"
    assert Participant.objects.get(evaluation=ev, member=gone).grade == ""
    assert Participant.objects.filter(evaluation=ev, formal=True).exclude(grade="").count() == 8


def test_a_participant_suspended_is_not_graded_until_the_suspension_is_lifted(branch, tree, opened, today):
    ev = at_grading(opened, branch)
    gone = branch.formal[2]
    leave("suspended", gone, branch, tree, today)
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades_of(ev, but=[gone]))
    movements.change_status(  # 恢复党籍: back on the branch's roll, a participant like the others again
        actor=branch.admin,
        member=gone,
        status="normal",
        effective_on=today,
        decided_on=today,
        decision_body="甲一支部党员大会",
    )
    with pytest.raises(ServiceError, match=f"请为{gone.name}选择评定等次"):
        services.record_grades(actor=branch.admin, evaluation=ev, grades=grades_of(ev, but=[gone]))
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades_of(ev))
    assert Participant.objects.get(evaluation=ev, member=gone).grade == "qualified"


def test_a_grade_given_before_leaving_is_kept_and_cannot_be_changed(branch, tree, opened, today):
    ev = at_grading(opened, branch)
    gone = branch.formal[2]
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades_of(ev, choice="basic"))
    leave("transferred_out", gone, branch, tree, today)
    # the page no longer offers their grade: the others' grades are saved, theirs is kept
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades_of(ev, but=[gone]))
    kept = Participant.objects.get(evaluation=ev, member=gone)
    assert kept.grade == "basic"
    assert Participant.objects.filter(evaluation=ev, grade="qualified").count() == 8
    before = state()
    with pytest.raises(ServiceError, match=f"{gone.name}已不在本支部，不再评定等次"):
        services.record_grades(actor=branch.admin, evaluation=ev, grades=grades_of(ev))
    assert state() == before
    services.record_grades(  # their own grade sent back unchanged is no change
        actor=branch.admin, evaluation=ev, grades=grades_of(ev) | {kept.pk: "basic"}
    )


def test_the_excellent_cap_counts_the_graded_and_the_grades_kept(branch, tree, opened, today, make_member):
    """The cap is a share of the grades the evaluation ends with. Ten 正式党员: one who left ungraded is not counted
    (nine graded: at most 3 优秀); one who left as 优秀 is (still ten grades: at most 3, theirs among them) — the
    page never accepts what EVAL-EXCELLENT-CAP, reading every grade kept, would then fail."""
    make_member(branch.org, name="褚十")  # joined before the opening: a tenth 正式党员
    opened.delete()
    ev = services.open_evaluation(
        actor=branch.admin, org=branch.org, year=today.year, opened_on=today, organ="assembly"
    )
    ev = at_grading(ev, branch)
    first, second = branch.formal[0], branch.formal[1]
    others = branch.formal[2:5]
    leave("moved", second, branch, tree, today)  # ungraded: out of the count
    with pytest.raises(ServiceError, match="9人中最多3人，现为4人"):
        services.record_grades(
            actor=branch.admin, evaluation=ev, grades=grades_of(ev, but=[second], excellent=[first, *others])
        )
    services.record_grades(
        actor=branch.admin, evaluation=ev, grades=grades_of(ev, but=[second], excellent=[first, *others[:2]])
    )
    leave("transferred_out", first, branch, tree, today)  # graded 优秀: kept, and counted
    before = state()
    with pytest.raises(
        ServiceError, match="9人中最多3人，现为4人。参加评定人数含已不在本支部、保留原评定等次的1人"
    ):
        services.record_grades(
            actor=branch.admin, evaluation=ev, grades=grades_of(ev, but=[first, second], excellent=others)
        )
    assert state() == before
    services.record_grades(
        actor=branch.admin, evaluation=ev, grades=grades_of(ev, but=[first, second], excellent=others[:2])
    )
    assert Participant.objects.get(evaluation=ev, member=first).grade == "excellent"
    found = evaluate(Org.objects.filter(pk=branch.org.pk), year=today.year, as_of=today).results
    cap = next(r for r in found if r.rule.id == "EVAL-EXCELLENT-CAP")
    assert cap.status == "pass" and "评定9名，其中优秀3名" in str(cap.message)


def test_a_ballot_cast_before_leaving_stays_and_one_who_left_votes_no_more(branch, tree, opened, today):
    ev = advance_to(opened, "voting", branch.admin)
    voter, later = branch.formal[0], branch.formal[1]
    services.cast_vote(actor=branch.accounts[voter.pk], evaluation=ev, ratings=ballot_of(ev, voter))
    counted = list(Tally.objects.filter(evaluation=ev).order_by("pk").values_list("online", flat=True))
    leave("transferred_out", voter, branch, tree, today)
    leave("moved", later, branch, tree, today)
    assert (
        list(Tally.objects.filter(evaluation=ev).order_by("pk").values_list("online", flat=True)) == counted
    )
    assert Participation.objects.filter(evaluation=ev, voter__member=voter).exists()
    before = state()
    with pytest.raises(ServiceError, match="您已不在甲一支部，不再参加本次民主测评"):
        services.cast_vote(actor=branch.accounts[later.pk], evaluation=ev, ratings=ballot_of(ev, later))
    assert state() == before
    # the ballots still rate everyone fixed at the opening, those who left included
    other = branch.formal[3]
    services.cast_vote(actor=branch.accounts[other.pk], evaluation=ev, ratings=ballot_of(ev, other))
    assert Tally.objects.filter(evaluation=ev, subject__member=later, online=2).count() == 1
    # nothing is offered to them any more: no ballot on their home page or their evaluations page
    assert selectors.open_for_member(later.pk) == ([], [])
    assert [(r.left, r.may_vote) for r in selectors.own_evaluations(later.pk)] == [(True, False)]
    assert selectors.open_for_member(branch.formal[4].pk) == ([ev], [])


def test_one_who_left_writes_no_self_assessment(branch, tree, opened, today):
    ev = advance_to(opened, "self", branch.admin)
    gone = branch.formal[0]
    leave("deceased", gone, branch, tree, today)  # a 死亡 recorded: their account is no longer asked
    participant = Participant.objects.get(evaluation=ev, member=gone)
    before = state()
    with pytest.raises(ServiceError, match="您已不在甲一支部，无需填写"):
        services.write_own_self_assessment(
            actor=branch.accounts[gone.pk], participant=participant, text="自评"
        )
    assert state() == before
    assert selectors.open_for_member(gone.pk) == ([], [])
    assert [r.may_write_self for r in selectors.own_evaluations(gone.pk)] == [False]


def test_a_member_moved_to_another_branch_is_not_added_to_its_evaluation(
    branch, tree, opened, today, make_member
):
    """The receiving branch's evaluation of the year, opened before the move, keeps its participants: the member is
    marked on the evaluation of the branch they left, not silently added to the other one."""
    make_member(tree.a2, name="甲二党员")
    theirs = services.open_evaluation(
        actor=branch.dangwei, org=tree.a2, year=today.year, opened_on=today, organ="assembly"
    )
    moved = branch.formal[0]
    leave("moved", moved, branch, tree, today)
    assert not theirs.participants.filter(member=moved).exists()
    people = selectors.participants(opened)
    assert [p.member_id for p in people if p.pk in departures(opened, people)] == [moved.pk]
    assert departures(theirs, selectors.participants(theirs)) == {}
    page = client_of(branch.dangwei).get(reverse("evaluations:detail", args=[opened.pk])).content.decode()
    assert f'data-member="{moved.pk}" data-left="moved"' in page and f"转至{tree.a2.name}" in page
    page = client_of(branch.dangwei).get(reverse("evaluations:detail", args=[theirs.pk])).content.decode()
    assert f'data-member="{moved.pk}"' not in page


def test_the_rules_pass_a_branch_whose_participant_left_before_the_grading(branch, tree, today):
    """EVAL-REVIEW-ANNUAL over last year's evaluation: a member transferred out in April, before the 组织评定; the
    evaluation completes on 1 June with the eight others graded. Leaving after the completion marks nobody."""
    y = today.year - 1
    ev = services.open_evaluation(
        actor=branch.admin, org=branch.org, year=y, opened_on=D(y, 3, 1), organ="assembly"
    )
    for step, day in (("self", D(y, 3, 2)), ("voting", D(y, 4, 1))):
        ev = services.advance_step(
            actor=branch.admin, evaluation=ev, on=day, expected=None, confirm_gaps=True
        )
        assert ev.step == step
    paper_vote(ev, branch.admin)
    gone = branch.formal[2]
    leave("transferred_out", gone, branch, tree, D(y, 4, 15))
    ev = services.advance_step(actor=branch.admin, evaluation=ev, on=D(y, 5, 1))
    services.record_grades(
        actor=branch.admin,
        evaluation=ev,
        grades=grades_of(ev, but=[gone], excellent=branch.formal[:2]),
        on=D(y, 5, 10),
    )
    ev = services.advance_step(actor=branch.admin, evaluation=ev, on=D(y, 5, 11), confirm_gaps=True)
    ev = services.advance_step(actor=branch.admin, evaluation=ev, on=D(y, 6, 1))
    assert ev.step == "done"
    found = {
        r.rule.id: r
        for r in evaluate(Org.objects.filter(pk=branch.org.pk), year=y, as_of=D(y, 12, 31)).results
    }
    annual = found["EVAL-REVIEW-ANNUAL"]
    assert annual.status == "pass" and "评定8名党员" in str(annual.message)
    cap = found["EVAL-EXCELLENT-CAP"]
    assert cap.status == "pass" and "评定8名，其中优秀2名" in str(cap.message)
    # the one who left is marked on the completed evaluation; one leaving after its completion is not
    leave("transferred_out", branch.formal[3], branch, tree, today)
    people = selectors.participants(ev)
    assert [p.member_id for p in people if p.pk in departures(ev, people)] == [gone.pk]
