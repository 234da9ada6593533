"""The pages of an evaluation whose participants left the branch after the opening: marked with the reason, not
graded, not waited for, their kept grade shown; the member's own pages ask nothing more of them; the pages read a
number of queries that does not grow with those who left."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.evaluations.models import Participant
from dangjian.evaluations.tests.conftest import advance_to, paper_vote
from dangjian.evaluations.tests.test_departures import leave
from dangjian.evaluations.tests.test_views import ballot_post, client_of

pytestmark = pytest.mark.django_db


def row(body: str, member) -> str:
    """The table row of `member` on a page."""
    start = body.index(f'data-member="{member.pk}"')
    return body[start : body.index("</tr>", start)]


def test_the_branch_grades_and_publishes_without_those_who_left(branch, tree, opened, today):
    ev = advance_to(opened, "voting", branch.admin)
    paper_vote(ev, branch.admin)
    ev = advance_to(ev, "grading", branch.admin)
    out, moved = branch.formal[1], branch.formal[2]
    leave("transferred_out", out, branch, tree, today)
    leave("moved", moved, branch, tree, today)
    admin = client_of(branch.admin)
    day = today.isoformat()

    page = admin.get(reverse("evaluations:grades", args=[ev.pk])).content.decode()
    assert f"已于{day}转出" in row(page, out) and f"已于{day}转至甲二支部" in row(page, moved)
    assert "不再评定等次" in row(page, out) and 'type="radio"' not in row(page, out)
    assert "参加评定 7 人" in page and "最多 2 人" in page
    grades = {
        f"g-{p.pk}": "qualified"
        for p in Participant.objects.filter(evaluation=ev, formal=True).exclude(member__in=[out, moved])
    }
    assert admin.post(reverse("evaluations:grades", args=[ev.pk]), grades).status_code == 302
    assert Participant.objects.filter(evaluation=ev, grade="qualified").count() == 7

    detail = admin.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert f'data-testid="left">已于{day}转出<' in row(detail, out) and "不再评定等次" in row(detail, out)
    assert "2 名参评党员在评议开始后已不在本支部" in detail
    assert "参加组织评定 7 人" in detail
    # the 公示 asks for neither their grade nor their 个人自评 (the eight others' gaps are still named)
    assert "公示前请登记个人自评（8人）" in detail
    body = admin.post(reverse("evaluations:advance", args=[ev.pk]), {"step": "grading"}, follow=True)
    body = body.content.decode()
    named = body[body.index("以下党员尚未登记个人自评：") : body.index("，未公示")]
    assert branch.formal[0].name in named and out.name not in named and moved.name not in named
    admin.post(reverse("evaluations:advance", args=[ev.pk]), {"step": "grading", "confirm_gaps": "1"})
    ev.refresh_from_db()
    assert ev.step == "publicity"


def test_a_grade_given_before_leaving_is_shown_and_kept(branch, tree, opened, today):
    ev = advance_to(opened, "voting", branch.admin)
    paper_vote(ev, branch.admin)
    ev = advance_to(ev, "grading", branch.admin)
    gone = branch.formal[0]
    admin = client_of(branch.admin)
    grades = {f"g-{p.pk}": "qualified" for p in Participant.objects.filter(evaluation=ev, formal=True)}
    kept = Participant.objects.get(evaluation=ev, member=gone)
    grades[f"g-{kept.pk}"] = "excellent"
    assert admin.post(reverse("evaluations:grades", args=[ev.pk]), grades).status_code == 302
    leave("deceased", gone, branch, tree, today)

    page = admin.get(reverse("evaluations:grades", args=[ev.pk])).content.decode()
    assert f"已于{today.isoformat()}去世" in row(page, gone)
    assert 'data-testid="kept-grade">优秀</span>' in row(page, gone) and "（已评定，保留）" in row(page, gone)
    assert "参加评定 9 人" in page and "含已不在本支部、保留原评定等次的 1 人" in page
    # the form sent without them keeps their grade
    del grades[f"g-{kept.pk}"]
    assert admin.post(reverse("evaluations:grades", args=[ev.pk]), grades).status_code == 302
    assert Participant.objects.get(pk=kept.pk).grade == "excellent"
    detail = admin.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "优秀" in row(detail, gone) and "去世" in row(detail, gone)


def test_the_voting_pages_leave_out_those_who_left(branch, tree, opened, today):
    ev = advance_to(opened, "voting", branch.admin)
    voted, gone = branch.formal[0], branch.formal[1]
    client_of(branch.accounts[voted.pk]).post(
        reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, voted)
    )
    leave("transferred_out", voted, branch, tree, today)
    leave("moved", gone, branch, tree, today)

    detail = client_of(branch.admin).get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "已投票" in row(detail, voted) and "不再投票" in row(detail, gone)
    assert "还有 7 名党员未投票" in detail  # nine ballots, one cast, one holder gone without casting it

    member = client_of(branch.accounts[gone.pk])
    assert "请参加民主测评" not in member.get(reverse("dashboard")).content.decode()
    mine = member.get(reverse("evaluations:mine")).content.decode()
    assert "您已不在甲一支部，本次民主评议不再需要您投票或填写个人自评。" in mine
    assert 'data-testid="go-vote"' not in mine
    page = member.get(reverse("evaluations:vote", args=[ev.pk])).content.decode()
    assert "您已不在甲一支部，不再参加本次民主测评。" in page and 'data-testid="vote-form"' not in page
    refused = member.post(reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, gone))
    assert refused.status_code == 400 and not ev.participations.filter(voter__member=gone).exists()


@pytest.mark.parametrize("name", ["evaluations:detail", "evaluations:grades", "evaluations:tallies"])
def test_the_pages_read_a_fixed_number_of_queries_whatever_the_departures(branch, tree, opened, today, name):
    ev = advance_to(opened, "voting", branch.admin)
    if name == "evaluations:grades":
        paper_vote(ev, branch.admin)
        ev = advance_to(ev, "grading", branch.admin)
    admin = client_of(branch.admin)
    url = reverse(name, args=[ev.pk])
    leave("moved", branch.formal[0], branch, tree, today)
    admin.get(url)  # the session and the scope are warm
    with CaptureQueriesContext(connection) as few:
        body = admin.get(url).content.decode()
    assert body.count('data-testid="left"') == 1
    leave("moved", branch.formal[1], branch, tree, today)
    leave("transferred_out", branch.formal[2], branch, tree, today)
    leave("deceased", branch.formal[3], branch, tree, today)
    with CaptureQueriesContext(connection) as many:
        body = admin.get(url).content.decode()
    assert body.count('data-testid="left"') == 4
    assert len(many) == len(few)
