"""The election numbers at their exact edges (pure functions, no database)."""

import datetime as dt
from fractions import Fraction

import pytest

from dangjian.elections.params import ElectionParams
from dangjian.elections.tally import Entry, classify_term, months_between, tally

P = ElectionParams(
    months_ahead=6,
    max_adjust_months=12,
    quorum=Fraction(4, 5),
    margin_percent=20,
    threshold=Fraction(1, 2),
    threshold_basis="expected",
)
PRESENT_BASIS = ElectionParams(**{**P.__dict__, "threshold_basis": "present"})


def run(
    expected=10, present=9, seats=5, votes=(9, 9, 9, 9, 9, 2), issued=None, returned=None, params=P, pre=None
):
    entries = [Entry(i, f"候选人{i}", v, pre[i] if pre else None) for i, v in enumerate(votes)]
    return tally(
        expected=expected,
        present=present,
        seats=seats,
        ballots_issued=present if issued is None else issued,
        ballots_returned=present if returned is None else returned,
        entries=entries,
        has_preselection=pre is not None,
        params=params,
    )


def test_quorum_exactly_four_fifths_fails_one_more_passes():
    assert not run(expected=10, present=8).check("ELECT-QUORUM").ok  # 8 = 4/5 of 10
    assert run(expected=10, present=8).refusals[0].rule == "ELECT-QUORUM"
    assert run(expected=10, present=9).check("ELECT-QUORUM").ok
    assert not run(expected=5, present=4).check("ELECT-QUORUM").ok
    assert run(expected=5, present=5).check("ELECT-QUORUM").ok
    assert run(expected=7, present=6).check("ELECT-QUORUM").ok  # 6 > 5.6
    assert not run(expected=7, present=5).check("ELECT-QUORUM").ok


def test_margin_exactly_twenty_percent_passes_one_fewer_fails():
    assert run(seats=5, votes=(9,) * 6).check("ELECT-MARGIN").ok  # 6 = 5 × 1.2
    assert not run(seats=5, votes=(9,) * 5).check("ELECT-MARGIN").ok
    assert run(seats=3, votes=(9,) * 4).check("ELECT-MARGIN").ok  # 4 ≥ 3.6
    assert not run(seats=3, votes=(9,) * 3).check("ELECT-MARGIN").ok
    assert not run(seats=5, votes=(9,) * 5).refusals  # the margin is shown, not a refusal


def test_exactly_half_of_the_expected_voters_is_not_elected():
    t = run(expected=10, present=10, seats=3, votes=(6, 6, 5, 4))
    assert [r.elected for r in t.results] == [True, True, False, False]
    assert t.min_votes == 6
    assert t.unfilled == 1
    assert any("另行选举" in n for n in t.notes)
    assert not t.check("ELECT-THRESHOLD").ok


def test_threshold_basis_expected_versus_present():
    # 应到 10, 实到 9: 5 votes is not more than half of 10, but more than half of 9
    expected = run(expected=10, present=9, seats=1, votes=(5, 3))
    present = run(expected=10, present=9, seats=1, votes=(5, 3), params=PRESENT_BASIS)
    assert expected.basis_count == 10 and not expected.results[0].elected
    assert present.basis_count == 9 and present.results[0].elected and present.min_votes == 5
    # exactly half of the present voters fails too
    even = run(expected=10, present=10, seats=1, votes=(5, 4), params=PRESENT_BASIS)
    assert not even.results[0].elected


def test_more_passing_than_seats_highest_win_and_a_tie_at_the_last_seat_needs_a_revote():
    t = run(expected=10, present=10, seats=2, votes=(9, 8, 7))
    assert [r.elected for r in t.results] == [True, True, False] and not t.tie
    tie = run(expected=10, present=10, seats=2, votes=(9, 7, 7))
    assert [r.elected for r in tie.results] == [True, False, False]
    assert tie.tie and [r.tied for r in tie.results] == [False, True, True]
    assert tie.unfilled == 1
    assert any("重新投票" in n for n in tie.notes)


def test_ballots_returned_more_than_issued_is_refused():
    assert run(present=9, issued=9, returned=9).check("EL-13").ok
    bad = run(present=9, issued=9, returned=10)
    assert [c.rule for c in bad.refusals] == ["EL-13"]


def test_preselection_makes_formal_candidates_above_half_of_expected():
    t = run(expected=10, present=10, seats=2, votes=(9, 8, 0, 0), pre=(8, 6, 5, 2))
    assert [r.formal for r in t.results] == [True, True, False, False]
    assert not t.check("ELECT-MARGIN").ok  # 2 formal candidates for 2 seats


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (dt.date(2026, 1, 1), "ok"),
        (dt.date(2026, 3, 31), "ok"),
        (dt.date(2026, 4, 1), "due"),  # 6 months ahead exactly
        (dt.date(2026, 10, 1), "due"),  # the last day of the term
        (dt.date(2026, 10, 2), "overdue"),
        (dt.date(2027, 10, 1), "overdue"),  # 1 year exactly
        (dt.date(2027, 10, 2), "violation"),
    ],
)
def test_term_status(as_of, status):
    assert classify_term(dt.date(2026, 10, 1), None, as_of, months_ahead=6, max_adjust_months=12)[0] == status


def test_a_postponement_moves_the_due_date():
    class Adj:
        kind = "postpone"
        new_due_on = dt.date(2027, 4, 1)

    end = dt.date(2026, 10, 1)
    assert classify_term(end, Adj, dt.date(2026, 10, 2), months_ahead=6, max_adjust_months=12) == (
        "due",
        dt.date(2027, 4, 1),
    )
    assert classify_term(end, Adj, dt.date(2027, 4, 2), months_ahead=6, max_adjust_months=12)[0] == "overdue"


def test_months_between():
    assert months_between(dt.date(2026, 4, 1), dt.date(2026, 10, 1)) == 6
    assert months_between(dt.date(2026, 4, 2), dt.date(2026, 10, 1)) == 5
    assert months_between(dt.date(2026, 12, 1), dt.date(2026, 10, 1)) == -2
