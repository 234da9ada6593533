"""An evaluation is not driven through its steps in minutes: the 测评 closes only with a ballot (online or on
paper), and the 公示 lasts `publicity_working_days` working days (rules/evaluations.yaml) before it may end; the
evaluation's page says when."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dangjian.core.errors import ServiceError
from dangjian.evaluations import services
from dangjian.evaluations.params import load_params, publicity_ends
from dangjian.evaluations.tests.conftest import advance_to, ballot_of, paper_vote, state

pytestmark = pytest.mark.django_db
D = dt.date


def client_of(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def page_of(ev, user) -> str:
    return client_of(user).get(reverse("evaluations:detail", args=[ev.pk])).content.decode()


def published(branch, opened, on: dt.date):
    """The evaluation at its 公示 from `on`, its 测评 held on paper and every 正式党员 graded 合格."""
    ev = advance_to(opened, "voting", branch.admin)
    paper_vote(ev, branch.admin)
    ev = advance_to(ev, "grading", branch.admin)
    grades = {p.pk: "qualified" for p in ev.participants.filter(formal=True)}
    services.record_grades(actor=branch.admin, evaluation=ev, grades=grades)
    return services.advance_step(actor=branch.admin, evaluation=ev, on=on, confirm_gaps=True)


# --- the parameter --------------------------------------------------------------------------------------


def test_the_publicity_period_is_a_parameter_with_its_basis():
    found = load_params().publicity_working_days
    assert found.value == 5 and found.confidence == "UNCONFIRMED" and "5个工作日" in found.basis


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2026, 12, 7), D(2026, 12, 14)),  # Monday → the next Monday
        (D(2026, 12, 4), D(2026, 12, 11)),  # Friday → the next Friday
        (D(2026, 12, 5), D(2026, 12, 11)),  # Saturday → Friday: five working days from Monday
        (D(2026, 12, 30), D(2027, 1, 6)),  # across the new year
    ],
)
def test_the_publicity_ends_five_working_days_after_it_began(start, end):
    assert publicity_ends(start, load_params()) == end


# --- closing the 测评 ------------------------------------------------------------------------------------


def test_the_voting_does_not_close_without_any_ballot(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    before = state()
    with pytest.raises(ServiceError, match="尚未收回任何测评票"):
        services.advance_step(actor=branch.admin, evaluation=ev)
    assert state() == before
    ev.refresh_from_db()
    assert (ev.step, ev.voting_closed_on) == ("voting", None)


def test_one_online_ballot_closes_the_voting(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    voter = branch.formal[0]
    services.cast_vote(actor=branch.accounts[voter.pk], evaluation=ev, ratings=ballot_of(ev, voter))
    assert services.advance_step(actor=branch.admin, evaluation=ev).step == "grading"


def test_paper_ballots_alone_close_the_voting(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    services.record_paper_tallies(actor=branch.admin, evaluation=ev, paper_ballots=0, counts={})
    with pytest.raises(ServiceError, match="尚未收回任何测评票"):
        services.advance_step(actor=branch.admin, evaluation=ev)
    paper_vote(ev, branch.admin, ballots=6)
    assert services.advance_step(actor=branch.admin, evaluation=ev).step == "grading"


def test_the_page_says_why_the_voting_cannot_close_yet(branch, opened):
    ev = advance_to(opened, "voting", branch.admin)
    page = page_of(ev, branch.admin)
    assert 'data-testid="advance-wait"' in page and "尚未收回任何测评票" in page
    assert 'type="button" disabled aria-describedby="dj-advance-wait" data-testid="advance"' in page
    assert reverse("evaluations:advance", args=[ev.pk]) not in page
    response = client_of(branch.admin).post(
        reverse("evaluations:advance", args=[ev.pk]), {"step": "voting"}, follow=True
    )
    assert "尚未收回任何测评票" in response.content.decode()
    ev.refresh_from_db()
    assert ev.step == "voting"
    paper_vote(ev, branch.admin)
    page = page_of(ev, branch.admin)
    assert 'data-testid="advance-wait"' not in page and reverse("evaluations:advance", args=[ev.pk]) in page


# --- ending the 公示 -------------------------------------------------------------------------------------


def test_the_publicity_does_not_end_before_five_working_days(branch, opened, today):
    monday = today + dt.timedelta(days=7 - today.weekday())  # the next Monday (not before the opening)
    ev = published(branch, opened, monday)
    assert (ev.step, ev.published_on) == ("publicity", monday)
    for day in (monday, monday + dt.timedelta(days=4), monday + dt.timedelta(days=6)):
        before = state()
        with pytest.raises(ServiceError) as info:
            services.advance_step(actor=branch.admin, evaluation=ev, on=day)
        assert info.value.message == (
            f"公示期不少于5个工作日：{monday:%Y-%m-%d}起公示，"
            f"{monday + dt.timedelta(days=7):%Y-%m-%d}起才能结束公示。"
        )
        assert state() == before
    ev = services.advance_step(actor=branch.admin, evaluation=ev, on=monday + dt.timedelta(days=7))
    assert (ev.step, ev.completed_on) == ("done", monday + dt.timedelta(days=7))


def test_the_page_shows_when_the_publicity_may_end(branch, opened, today):
    ev = published(branch, opened, today)
    ends = publicity_ends(today, load_params())
    page = page_of(ev, branch.admin)
    assert f"公示期不少于5个工作日，{ends:%Y-%m-%d}起可结束公示。" in page
    assert 'type="button" disabled aria-describedby="dj-publicity-ends" data-testid="advance"' in page
    response = client_of(branch.admin).post(
        reverse("evaluations:advance", args=[ev.pk]), {"step": "publicity"}, follow=True
    )
    assert f"{ends:%Y-%m-%d}起才能结束公示" in response.content.decode()
    ev.refresh_from_db()
    assert (ev.step, ev.completed_on) == ("publicity", None)


def test_the_page_offers_the_end_once_the_publicity_is_over(branch, opened, today):
    ev = published(branch, opened, today)
    ends = publicity_ends(today, load_params())
    with time_machine.travel(dt.datetime.combine(ends, dt.time(12)), tick=False):
        admin = client_of(branch.admin)
        page = admin.get(reverse("evaluations:detail", args=[ev.pk])).content.decode()
        assert 'data-testid="publicity-ends"' in page and 'aria-describedby="dj-publicity-ends"' not in page
        assert reverse("evaluations:advance", args=[ev.pk]) in page
        admin.post(reverse("evaluations:advance", args=[ev.pk]), {"step": "publicity"})
    ev.refresh_from_db()
    assert (ev.step, ev.completed_on) == ("done", ends)
