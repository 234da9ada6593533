"""The pages of 民主评议党员 through the test client: an evaluation from opening to grades, the member's ballot,
and what each page shows or hides."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.evaluations.models import Evaluation, Participant, Participation, Tally
from dangjian.evaluations.tests.conftest import advance_to

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def ballot_post(ev, member, choice="qualified") -> dict:
    return {f"r-{p.pk}": choice for p in ev.participants.exclude(member=member)}


def test_a_branch_runs_an_evaluation_through_its_pages(branch, today):
    admin = client_of(branch.admin)
    page = admin.get(reverse("evaluations:index"))
    assert page.status_code == 200 and "开展民主评议" in page.content.decode()
    response = admin.post(
        reverse("evaluations:open"),
        {"org": branch.org.pk, "year": today.year, "opened_on": today.isoformat(), "organ": "assembly"},
    )
    ev = Evaluation.objects.get(org=branch.org, year=today.year)
    assert response.status_code == 302 and response["Location"] == reverse("evaluations:detail", args=[ev.pk])
    for step in ("study", "self"):
        assert admin.post(reverse("evaluations:advance", args=[ev.pk]), {"step": step}).status_code == 302
    ev.refresh_from_db()
    assert ev.step == "voting"
    # a resent 进入下一步 (the page showed 个人自评) is refused: no step is skipped
    admin.post(reverse("evaluations:advance", args=[ev.pk]), {"step": "self"})
    ev.refresh_from_db()
    assert ev.step == "voting"

    for m in branch.formal[:6]:
        member = client_of(branch.accounts[m.pk])
        home = member.get(reverse("dashboard")).content.decode()
        assert "请参加民主测评" in home
        page = member.get(reverse("evaluations:vote", args=[ev.pk]))
        assert page.status_code == 200
        assert page.content.decode().count('class="btn-check"') == 4 * 9
        assert member.post(reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, m)).status_code == 302
        assert "请参加民主测评" not in member.get(reverse("dashboard")).content.decode()
    detail = admin.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "网上投票 6/9 人" in detail and "测评结束（进入组织评定）后才显示测评结果" in detail

    admin.post(reverse("evaluations:advance", args=[ev.pk]), {"step": "voting"})
    page = admin.get(reverse("evaluations:grades", args=[ev.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "最多 3 人" in body and "预备党员，不确定等次" in body
    grades = {f"g-{p.pk}": "qualified" for p in Participant.objects.filter(evaluation=ev, formal=True)}
    first = Participant.objects.get(evaluation=ev, member=branch.formal[0])
    grades[f"g-{first.pk}"] = "excellent"
    assert admin.post(reverse("evaluations:grades", args=[ev.pk]), grades).status_code == 302
    assert Participant.objects.get(pk=first.pk).grade == "excellent"


def test_the_list_over_a_range_too_wide_asks_for_a_narrower_one(client, users, tree, settings, today):
    """Over more 党支部 than WIDE_LIST_BRANCHES (the whole city at the 工委) the evaluations are not read: the list
    offers the organisations one level down (keeping the year); one of them chosen (?org=, within the user's
    scope: a 404 otherwise), its branches are listed as before."""
    settings.WIDE_LIST_BRANCHES = 2  # the tree's 甲一, 甲二 and 乙一
    client.force_login(users["gongwei"])
    response = client.get(reverse("evaluations:index"), {"year": today.year})
    assert response.status_code == 200
    assert response.context["rows"] == [] and response.context["wide"].branches == 3
    html = response.content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="evaluations"' not in html
    assert f'href="?year={today.year}&amp;org={tree.a.pk}"' in html and 'data-org="A1"' not in html
    assert 'data-testid="open-for-branches"' in html  # the action of its own page is kept
    assert 'name="org"' in html  # the filter the block points to
    response = client.get(reverse("evaluations:index"), {"org": tree.a.pk})  # 甲委: two 党支部
    html = response.content.decode()
    assert response.context["wide"] is None and 'data-testid="wide-scope"' not in html
    assert 'data-org="A1"' in html and 'data-org="A2"' in html and 'data-org="B1"' not in html
    client.force_login(users["dangwei_a"])  # 甲委's own range: listed
    response = client.get(reverse("evaluations:index"))
    assert response.context["wide"] is None and 'data-org="A2"' in response.content.decode()
    assert client.get(reverse("evaluations:index"), {"org": tree.b.pk}).status_code == 404
    assert client.get(reverse("evaluations:index"), {"org": "x"}).status_code == 404


def test_choosing_the_branch_over_a_range_too_wide_narrows_it_first(client, users, tree, settings):
    """The page choosing the branch to open an evaluation for lists at most WIDE_LIST_BRANCHES 党支部: above, the
    organisations one level down narrow the range (?within=; one of the user's, else a 404)."""
    settings.WIDE_LIST_BRANCHES = 2
    client.force_login(users["gongwei"])
    html = client.get(reverse("evaluations:open")).content.decode()
    assert 'data-testid="wide-scope"' in html and 'data-testid="choose-org"' not in html
    assert f'href="?within={tree.a.pk}"' in html and f'href="?org={tree.a1.pk}"' not in html
    html = client.get(reverse("evaluations:open"), {"within": tree.a.pk}).content.decode()
    assert 'data-testid="wide-scope"' not in html and 'data-testid="choose-org"' in html
    assert f'href="?org={tree.a1.pk}"' in html and f'href="?org={tree.b1.pk}"' not in html
    response = client.get(reverse("evaluations:open"), {"org": tree.a1.pk})  # chosen: the form
    assert response.status_code == 200 and 'data-testid="choose-org"' not in response.content.decode()
    settings.WIDE_LIST_BRANCHES = 1  # 甲委 too wide: its branches are chosen at once
    html = client.get(reverse("evaluations:open"), {"within": tree.a.pk}).content.decode()
    assert 'data-testid="wide-scope"' in html and f'href="?org={tree.a1.pk}"' in html
    settings.WIDE_LIST_BRANCHES = 2
    client.force_login(users["dangwei_a"])  # 甲委's own range: listed
    html = client.get(reverse("evaluations:open")).content.decode()
    assert 'data-testid="choose-org"' in html and f'href="?org={tree.a2.pk}"' in html
    assert client.get(reverse("evaluations:open"), {"within": tree.b.pk}).status_code == 404
    assert client.get(reverse("evaluations:open"), {"within": "x"}).status_code == 404


def test_a_second_vote_is_refused_with_a_message_and_changes_nothing(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    m = branch.formal[0]
    member = client_of(branch.accounts[m.pk])
    member.post(reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, m))
    counts = (Participation.objects.count(), list(Tally.objects.order_by("pk").values_list("online")))
    response = member.post(
        reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, m, "excellent"), follow=True
    )
    assert "您已参加本次民主测评，不能重复投票。" in response.content.decode()
    assert (Participation.objects.count(), list(Tally.objects.order_by("pk").values_list("online"))) == counts
    assert not Tally.objects.filter(rating="excellent", online__gt=0).exists()


def test_an_incomplete_ballot_is_shown_again_with_the_missing_names(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    m = branch.formal[0]
    data = ballot_post(ev, m)
    missing = ev.participants.get(member=branch.formal[1])
    data.pop(f"r-{missing.pk}")
    response = client_of(branch.accounts[m.pk]).post(reverse("evaluations:vote", args=[ev.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "请为钱二选择测评等次。" in page
    assert Participation.objects.count() == 0
    # the alert at the top of the form names them, linking to their rows, which are marked
    alert = page[page.index('data-testid="vote-missing"') :]
    alert = alert[: alert.index("</div>\n  </div>")]
    assert (
        "还有 1 名党员未选择测评等次" in alert and f'href="#vote-{missing.pk}"' in alert and "钱二" in alert
    )
    assert (
        'data-testid="vote-missing" data-missing-alert' in page
        and "d-none" not in page.split('data-testid="vote-missing"')[0].rsplit("<div", 1)[1]
    )
    assert f'dj-vote-missing" id="vote-{missing.pk}"' in page
    assert page.count("dj-vote-missing") == 1


def test_the_ballot_page_is_a_404_for_someone_without_a_ballot(branch, opened, tree, make_member, make_user):
    ev = advance_to(opened, "voting", branch.admin)
    outsider = make_member(tree.a2, name="甲二党员")
    for user in (make_user("outsider", "member", tree.a2, member=outsider), branch.admin):
        assert client_of(user).get(reverse("evaluations:vote", args=[ev.pk])).status_code == 404
    probationary = client_of(branch.accounts[branch.probationary.pk])
    assert probationary.get(reverse("evaluations:vote", args=[ev.pk])).status_code == 404


def test_the_evaluation_page_shows_only_the_total_below_the_threshold(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:4]:
        client_of(branch.accounts[m.pk]).post(reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, m))
    advance_to(ev, "grading", branch.admin)
    body = client_of(branch.admin).get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "共收回测评票 4 张，少于 5 张，不显示每名党员的测评结果。" in body
    assert '<th class="text-end">优秀</th>' not in body
    grades = client_of(branch.admin).get(reverse("evaluations:grades", args=[ev.pk])).content.decode()
    assert "少于 5 张，不显示个人得票" in grades


def test_a_probationary_member_reads_why_they_have_no_ballot(branch, opened):
    """A 预备党员 takes part without a 测评票 and, by the parameters, without a grade: their page says so instead of
    listing the evaluation with nothing to do and no word why; a 正式党员 reads no such line."""
    ev = advance_to(opened, "voting", branch.admin)
    page = (
        client_of(branch.accounts[branch.probationary.pk]).get(reverse("evaluations:mine")).content.decode()
    )
    assert 'data-testid="no-ballot">预备党员参加民主评议、接受测评，不投测评票，不评定等次。' in page
    assert "请参加民主测评" not in page
    formal = client_of(branch.accounts[branch.formal[0].pk]).get(reverse("evaluations:mine")).content.decode()
    assert 'data-testid="no-ballot"' not in formal and ev.step == "voting"


def test_the_members_page_lists_the_ballot_and_the_published_grade(branch, opened, today):
    ev = advance_to(opened, "voting", branch.admin)
    m = branch.formal[0]
    member = client_of(branch.accounts[m.pk])
    assert "请参加民主测评" in member.get(reverse("evaluations:mine")).content.decode()
    member.post(reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, m))
    ev = advance_to(ev, "grading", branch.admin)
    from dangjian.evaluations import services

    grades = {p.pk: "qualified" for p in ev.participants.filter(formal=True)}
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades)
    assert "评定等次" not in member.get(reverse("evaluations:mine")).content.decode()  # not before 公示
    advance_to(ev, "publicity", branch.admin)
    body = member.get(reverse("evaluations:mine")).content.decode()
    assert "评定等次：<strong>合格</strong>" in body
    timeline = client_of(branch.admin).get(reverse("members:timeline", args=[m.pk])).content.decode()
    assert f"{today.year}年度民主评议党员：合格" in timeline


def test_the_work_list_shows_an_open_evaluation_at_its_step(branch, opened, today):
    from dangjian.portal.workbench import work_list

    items = [i for i in work_list(branch.admin).items if i.category == "evaluations"]
    assert [i.title for i in items] == [f"{today.year}年度民主评议党员：学习教育"]
    assert items[0].link.url == reverse("evaluations:detail", args=[opened.pk])
    assert [i for i in work_list(branch.sibling).items if i.category == "evaluations"] == []


def test_the_list_reads_a_fixed_number_of_queries_whatever_the_branches(
    branch, opened, add_branches, make_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = client_of(branch.dangwei)
    admin.get(reverse("evaluations:index"))  # the session and the scope are warm
    with CaptureQueriesContext(connection) as few:
        page = admin.get(reverse("evaluations:index"))
    assert page.content.decode().count("开展民主评议</a>") == 1  # 甲二
    add_branches(6, 1)
    with CaptureQueriesContext(connection) as many:
        page = admin.get(reverse("evaluations:index"))
    assert page.content.decode().count("开展民主评议</a>") == 7
    assert len(many) == len(few)


def test_paper_ballots_beyond_the_voters_are_refused_beside_the_count_keeping_what_was_typed(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    target = ev.participants.get(member=branch.formal[1])
    admin = client_of(branch.admin)
    page = admin.post(
        reverse("evaluations:tallies", args=[ev.pk]),
        {"paper_ballots": "40", f"c-{target.pk}-qualified": "3"},
    )
    assert page.status_code == 400
    body = page.content.decode()
    assert "收回纸质测评票40张，加上网上投票0人，共40张，多于领取测评票的党员（9人）" in body
    assert 'value="40"' in body and f'name="c-{target.pk}-qualified" value="3"' in body
    ev.refresh_from_db()
    assert ev.paper_ballots == 0


def test_closing_the_vote_says_how_many_members_have_not_voted(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    for m in branch.formal[:2]:
        client_of(branch.accounts[m.pk]).post(reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, m))
    body = client_of(branch.admin).get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert "确定结束民主测评、进入“组织评定”？还有 7 名党员未投票，结束后不能再投票。进入后不能退回。" in body
    assert 'data-testid="not-voted"' in body and "还有 7 名党员未投票（见下方名单）" in body
    for m in branch.formal[2:]:
        client_of(branch.accounts[m.pk]).post(reverse("evaluations:vote", args=[ev.pk]), ballot_post(ev, m))
    body = client_of(branch.admin).get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
    assert 'data-testid="not-voted"' not in body and "确定进入“组织评定”？进入后不能退回。" in body
