"""民主测评 per 党小组 (BR-16, large branches): the groups fixed on the opening date, a voter rating only their own
group, the tallies and their threshold per group, and a branch without 党小组 refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.evaluations import selectors, services
from dangjian.evaluations.models import Tally
from dangjian.evaluations.tests.conftest import advance_to, ballot_of, state

pytestmark = pytest.mark.django_db
GROUP_NAMES = ["甲乙", "甲丙", "甲丁", "甲戊"]  # with 冯九: five in 甲一第一党小组


@pytest.fixture
def grouped(branch, tree, make_member, make_user, today):
    """甲一 with five members in its 党小组 (冯九 and four more, each with an account) and six directly in the
    branch (赵一 … 王八 but 冯九's group, the 预备党员 among them), opened per group."""
    extra = [make_member(tree.a1g1, name=n) for n in GROUP_NAMES]
    for m in extra:
        branch.accounts[m.pk] = make_user(f"m{m.pk}", "member", tree.a1, member=m)
    branch.group = [branch.formal[8], *extra]
    branch.direct = branch.formal[:8]
    return services.open_evaluation(
        actor=branch.admin, org=branch.org, year=today.year, opened_on=today, organ="assembly", by_group=True
    )


def vote(ev, member, branch, choice="qualified"):
    services.cast_vote(
        actor=branch.accounts[member.pk], evaluation=ev, ratings=group_ballot(ev, member, choice)
    )


def group_ballot(ev, member, choice="qualified"):
    me = ev.participants.get(member=member)
    return {p.pk: choice for p in ev.participants.exclude(pk=me.pk).filter(group_id=me.group_id)}


def test_opening_fixes_each_participants_group(branch, grouped, tree):
    groups = dict(grouped.participants.values_list("member_id", "group_id"))
    assert {m: groups[m.pk] for m in branch.group} == {m: tree.a1g1.pk for m in branch.group}
    assert {groups[m.pk] for m in [*branch.direct, branch.probationary]} == {None}
    assert grouped.by_group


def test_a_branch_without_a_group_member_cannot_choose_it(tree, make_member, make_user, today):
    make_member(tree.a2, name="甲二党员")
    admin = make_user("branch_a2", "branch_admin", tree.a2)
    before = state()
    with pytest.raises(ServiceError, match="没有编入党小组的党员，不能按党小组测评"):
        services.open_evaluation(
            actor=admin, org=tree.a2, year=today.year, opened_on=today, organ="assembly", by_group=True
        )
    assert state() == before
    ev = services.open_evaluation(
        actor=admin, org=tree.a2, year=today.year, opened_on=today, organ="assembly"
    )
    before = state()
    with pytest.raises(ServiceError, match="不能按党小组测评"):
        services.set_by_group(actor=admin, evaluation=ev, by_group=True)
    assert state() == before


def test_the_choice_can_change_until_the_voting_begins(branch, opened):
    ev = services.set_by_group(actor=branch.admin, evaluation=opened, by_group=True)
    assert ev.by_group
    ev = advance_to(ev, "self", branch.admin)
    ev = services.set_by_group(actor=branch.admin, evaluation=ev, by_group=False)
    assert not ev.by_group
    ev = advance_to(ev, "voting", branch.admin)
    before = state()
    with pytest.raises(ServiceError, match="不能进行此项操作"):
        services.set_by_group(actor=branch.admin, evaluation=ev, by_group=True)
    assert state() == before


def test_another_branchs_administrator_cannot_choose_it(branch, opened):
    before = state()
    with pytest.raises(OutOfScope):
        services.set_by_group(actor=branch.sibling, evaluation=opened, by_group=True)
    assert state() == before


def test_a_voter_rates_only_their_own_group(branch, grouped):
    ev = advance_to(grouped, "voting", branch.admin)
    voter = branch.group[0]
    ballot = group_ballot(ev, voter)
    assert len(ballot) == 4  # the four others of the 党小组
    whole = ballot_of(ev, voter)  # everyone else in the branch: refused
    before = state()
    with pytest.raises(ServiceError, match="请对每一名党员选择"):
        services.cast_vote(actor=branch.accounts[voter.pk], evaluation=ev, ratings=whole)
    assert state() == before
    vote(ev, voter, branch, "excellent")
    counted = set(Tally.objects.filter(evaluation=ev, online=1).values_list("subject__member_id", flat=True))
    assert counted == {m.pk for m in branch.group[1:]}
    # someone directly in the branch rates the others directly in it, the 预备党员 among them
    direct = branch.direct[0]
    assert len(group_ballot(ev, direct)) == 8
    vote(ev, direct, branch)


def _close(ev, branch):
    return advance_to(ev, "grading", branch.admin)


@pytest.mark.parametrize("votes", [4, 5])
def test_tallies_and_their_threshold_are_per_group(branch, grouped, votes):
    """Five direct voters: their group is shown. The 党小组's four or five voters: shown only at five (the
    parameter), below it its total alone — while the direct group is shown either way."""
    ev = advance_to(grouped, "voting", branch.admin)
    for m in branch.direct[:5]:
        vote(ev, m, branch)
    for m in branch.group[:votes]:
        vote(ev, m, branch, "excellent")
    ev = _close(ev, branch)
    found = selectors.results(ev)
    assert found.by_group and found.ballots == 5 + votes
    by_group = {g.group.code if g.group else None: g for g in found.groups}
    assert set(by_group) == {None, "A1G1"}
    assert (by_group[None].ballots, by_group[None].shown) == (5, True)
    assert (by_group["A1G1"].ballots, by_group["A1G1"].shown) == (votes, votes == 5)
    tallies = found.tallies()
    feng = ev.participants.get(member=branch.group[0])
    zhao = ev.participants.get(member=branch.direct[0])
    assert tallies[zhao.pk] == [0, 4, 0, 0]  # rated by the four other direct voters
    if votes == 5:
        assert tallies[feng.pk] == [4, 0, 0, 0]
    else:
        assert feng.pk not in tallies


def test_the_pages_show_a_group_below_the_threshold_by_its_total_only(branch, grouped):
    ev = advance_to(grouped, "voting", branch.admin)
    for m in branch.direct[:5]:
        vote(ev, m, branch)
    vote(ev, branch.group[0], branch)
    ev = _close(ev, branch)
    client = Client()
    client.force_login(branch.admin)
    body = client.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "甲一第一党小组：5 人，测评票 1 张，少于 5 张，不显示个人测评结果" in body
    assert "支部直属党员：9 人，测评票 5 张" in body
    grades = client.get(reverse("evaluations:grades", args=[ev.pk])).content.decode()
    assert "按党小组统计" in grades and grades.count("不显示</td>") == 5  # the five of the 党小组


def test_a_groups_paper_ballots_are_the_most_any_member_received(branch, grouped):
    ev = advance_to(grouped, "voting", branch.admin)
    people = {p.member_id: p.pk for p in ev.participants.all()}
    counts = {people[m.pk]: {"qualified": 3} for m in branch.group}
    counts[people[branch.group[0].pk]] = {"qualified": 4, "excellent": 1}
    services.record_paper_tallies(actor=branch.admin, evaluation=ev, paper_ballots=5, counts=counts)
    ev = _close(ev, branch)
    found = selectors.results(ev)
    by_group = {g.group.code if g.group else None: g for g in found.groups}
    assert (by_group["A1G1"].paper, by_group["A1G1"].shown) == (5, True)
    assert (by_group[None].paper, by_group[None].shown) == (0, False)


def test_the_opening_page_offers_it_only_to_a_branch_with_a_group(branch, tree, make_user):
    client = Client()
    client.force_login(branch.admin)
    page = client.get(reverse("evaluations:open"), {"org": tree.a1.pk}).content.decode()
    assert "按党小组测评" in page
    client.force_login(make_user("only_a2", "branch_admin", tree.a2))
    page = client.get(reverse("evaluations:open"), {"org": tree.a2.pk}).content.decode()
    assert "按党小组测评" not in page


def test_the_grouping_button_sets_it_before_the_voting(branch, opened):
    client = Client()
    client.force_login(branch.admin)
    assert (
        'data-testid="grouping"'
        in client.get(reverse("evaluations:detail", args=[opened.pk])).content.decode()
    )
    response = client.post(reverse("evaluations:grouping", args=[opened.pk]), {"by_group": "on"}, follow=True)
    assert "民主测评将按党小组进行。" in response.content.decode()
    opened.refresh_from_db()
    assert opened.by_group


def test_the_results_command_gives_the_groups_and_leaves_out_a_small_groups_tallies(branch, grouped):
    from dangjian.evaluations.management.commands.evaluations import _results_note, results_json

    ev = advance_to(grouped, "voting", branch.admin)
    for m in branch.direct[:5]:
        vote(ev, m, branch)
    vote(ev, branch.group[0], branch)
    data = results_json(_close(ev, branch))
    assert data["evaluation"]["by_group"] is True
    assert data["evaluation"]["groups"] == [
        {"group": None, "participants": 9, "ballots": 5, "tallies_shown": True},
        {"group": "甲一第一党小组", "participants": 5, "ballots": 1, "tallies_shown": False},
    ]
    people = {p["name"]: p for p in data["participants"]}
    assert people["冯九"]["group"] == "甲一第一党小组" and people["冯九"]["tallies"] is None
    assert people["赵一"]["group"] is None and people["赵一"]["tallies"]["qualified"] == 4
    assert "甲一第一党小组 1 张（少于 5 张，不显示个人测评结果）" in _results_note(data["evaluation"])


def test_a_voter_alone_in_a_group_is_told_there_is_nobody_to_rate(
    branch, tree, make_member, make_user, today
):
    """One member in the 党小组 (冯九): the ballot says there is nobody to choose, and submitting it counts the vote."""
    ev = services.open_evaluation(
        actor=branch.admin, org=branch.org, year=today.year, opened_on=today, organ="assembly", by_group=True
    )
    ev = advance_to(ev, "voting", branch.admin)
    alone = branch.formal[8]
    client = Client()
    client.force_login(branch.accounts[alone.pk])
    page = client.get(reverse("evaluations:vote", args=[ev.pk])).content.decode()
    assert 'data-testid="nobody-to-rate"' in page and 'data-member="' not in page
    response = client.post(reverse("evaluations:vote", args=[ev.pk]), {})
    assert response.status_code == 302
    assert ev.participations.filter(voter__member=alone).exists()
