"""Results of 述职评议: nothing before the campaign closes, only the total below the ballots' threshold, and the
综合 score's arithmetic at its edges (weights, items without ratings, rounding half up)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from dangjian.appraisals import selectors, services
from dangjian.appraisals.params import load_params, round2
from dangjian.appraisals.selectors import ItemFigures, score
from dangjian.appraisals.tests.conftest import ballot_of, to_voting


def figures(weight: str, good=0, fairly_good=0, average=0, poor=0, name="项"):
    item = SimpleNamespace(name=name, weight=Decimal(weight))
    return ItemFigures(item, {"good": good, "fairly_good": fairly_good, "average": average, "poor": poor})  # type: ignore[arg-type]


def test_one_item_is_its_mean_points():
    s = score([figures("1", good=2, fairly_good=1)], load_params())  # (200 + 80) / 3 = 93.333…
    assert s.value == Decimal("93.33") and s.explained == "(1×93.33) ÷ 1 = 93.33"


def test_weights_and_an_item_without_ratings():
    params = load_params()
    s = score(
        [figures("2", good=1, name="综合评价"), figures("1", poor=1, name="履职"), figures("5", name="空")],
        params,
    )
    assert s.value == Decimal("66.67")  # (2×100 + 1×0) / 3; the unrated item's weight is left out
    assert [t[0] for t in s.terms] == ["综合评价", "履职"] and s.weights == Decimal("3")


def test_rounding_is_half_up_on_the_exact_sum():
    assert round2(Decimal("83.325")) == Decimal("83.33")  # half up, not to even
    assert round2(Decimal("83.335")) == Decimal("83.34")
    s = score([figures("1", good=1, average=0), figures("3", fairly_good=1, average=1)], load_params())
    assert s.value == Decimal("77.50")  # (100 + 3×70) / 4 = 77.5
    third = score([figures("1", good=1, fairly_good=1, average=1)], load_params())  # 240 / 3 = 80
    assert third.value == Decimal("80.00")
    odd = score([figures("0.5", good=1), figures("1", fairly_good=1, poor=2)], load_params())
    # (0.5×100 + 1×26.666…) / 1.5 = 51.111… → 51.11
    assert odd.value == Decimal("51.11")


def test_no_ratings_no_score():
    s = score([figures("1")], load_params())
    assert s.value is None and s.explained == ""


@pytest.mark.django_db
def test_results_wait_for_the_closing_and_the_threshold(party, campaign):
    c = to_voting(campaign, party.admin)
    voters = party.people[2:6]  # 吴、孙、李、周: four ballots
    for m in voters:
        services.cast_vote(
            actor=party.accounts[m.pk], campaign=c, ratings=ballot_of(c, m, "good", A2="average")
        )
    found = selectors.results(c)
    assert not found.closed and found.ballots == 4 and found.rows == []
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    found = selectors.results(c)
    assert found.closed and not found.shown and found.rows == [] and found.ballots == 4  # the total only


@pytest.mark.django_db
def test_paper_ballots_typed_without_their_ratings_do_not_lift_a_few_online_votes_past_the_threshold(
    party, campaign
):
    """Two online votes and "3 paper ballots" left blank: showing the distribution would show how those two rated.
    Paper ballots count as the most ratings a secretary received on paper for one item, never more than typed."""
    c = to_voting(campaign, party.admin)
    for m in party.people[2:4]:
        services.cast_vote(actor=party.accounts[m.pk], campaign=c, ratings=ballot_of(c, m, "good"))
    services.record_paper_tallies(actor=party.admin, campaign=c, paper_ballots=3, counts={})
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    found = selectors.results(c)
    assert (found.ballots, found.paper, found.paper_counted, found.shown, found.rows) == (5, 3, 0, False, [])


@pytest.mark.django_db
def test_five_ballots_show_each_secretary(party, campaign, django_assert_max_num_queries):
    c = to_voting(campaign, party.admin)
    for m in party.people[:5]:  # 赵 and 钱 rate the other only
        services.cast_vote(
            actor=party.accounts[m.pk], campaign=c, ratings=ballot_of(c, m, "good", A2="average")
        )
    a1 = c.subjects.get(org=party.tree.a1)
    services.record_paper_tallies(
        actor=party.admin, campaign=c, paper_ballots=1, counts={(a1.pk, c.items.get().pk): {"poor": 1}}
    )
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    with django_assert_max_num_queries(4):
        found = selectors.results(c)
    assert found.shown and found.ballots == 6 and (found.online, found.paper) == (5, 1)
    rows = {r.subject.org.code: r for r in found.rows}
    assert rows["A1"].items[0].counts == {
        "good": 4,
        "fairly_good": 0,
        "average": 0,
        "poor": 1,
    }  # not 赵 himself
    assert rows["A2"].items[0].counts == {
        "good": 0,
        "fairly_good": 0,
        "average": 4,
        "poor": 0,
    }  # not 钱 herself
    assert rows["A1"].score.value == Decimal("80.00") and rows["A2"].score.value == Decimal("60.00")


@pytest.mark.django_db
def test_the_summary_workbook_has_the_day_of_the_report_and_a_width_for_every_column(party, campaign, today):
    """Review finding: 24 columns with widths for A and B only (long headers like "履行第一责任人职责·较好"
    unreadable) and no 述职日期. Every column now has a width fitting its header, and the day is there."""
    import io

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from dangjian.appraisals.xlsx import summary_tables
    from dangjian.core import xlsx

    services.set_items(
        actor=party.admin,
        campaign=campaign,
        items=[("综合评价", "2"), ("履行第一责任人职责", "1"), ("抓基层党建工作成效", "1")],
    )
    a1 = campaign.subjects.get(org=party.tree.a1)
    services.record_reported(actor=party.admin, subject=a1, reported_on=today)
    c = to_voting(campaign, party.admin)
    c = services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    tables, _n = summary_tables(c)
    sheet = load_workbook(io.BytesIO(xlsx.tables_bytes(tables))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "组织")
    assert header[:3] == ("组织", "书记", "述职日期") and len(header) == 3 + 3 * 5 + 2
    zhao = next(r for r in rows if r[0] == "甲一支部")
    assert zhao[2].date() == today
    for n, title in enumerate(header, start=1):
        width = sheet.column_dimensions[get_column_letter(n)].width
        assert width and width >= min(2 * len(title), 24), (title, width)
