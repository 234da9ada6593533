"""The `evaluation` method's `appraisal_composite`: the 综合 score of the unit's 机关党委 secretary's 述职评议 on the
year's work, mapped to points by bands; nothing while the campaign is open or its ballots are too few to show
results (the 述职评议's own secrecy threshold); a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.appraisals.models import Campaign, CampaignItem, Subject, Tally
from dangjian.assessment.scheme import SchemeError, load_scheme
from dangjian.assessment.selectors import assess, unit_of
from dangjian.assessment.tests.conftest import rewrite
from dangjian.assessment.tests.test_selectors import YEAR, score, stamp

D = Decimal
MAPPING = [
    {"min": 90, "points": 5},
    {"min": 80, "points": 4},
    {"min": 60, "points": 2},
    {"min": 0, "points": 0},
]


def automated(data):
    for g in data["groups"]:
        for i in g["indicators"]:
            if i["id"] == "RES-01":
                i.clear()
                i.update(
                    id="RES-01",
                    title="书记抓基层党建述职评议",
                    points=5,
                    method="evaluation",
                    source="appraisal_composite",
                    mapping=MAPPING,
                )


def campaign(tree, make_member, *, good, fair, state="closed", paper_ballots=None, org=None, held=YEAR + 1):
    """The 工委's campaign on YEAR's work with 甲委机关党委's secretary rated on paper: `good` 好, `fair` 较好."""
    found = Campaign.objects.create(
        owner=tree.gw,
        year=held,
        report_year=YEAR,
        title=f"{YEAR}年度机关党委书记述职评议",
        state=state,
        opened_on=dt.date(YEAR + 1, 1, 10),
        closed_on=dt.date(YEAR + 1, 1, 31) if state == "closed" else None,
        paper_ballots=good + fair if paper_ballots is None else paper_ballots,
    )
    item = CampaignItem.objects.create(campaign=found, name="综合评价", weight=1, overall=True)
    secretary = make_member(tree.b1 if org == tree.b else tree.a1, name="张书记")  # a member of a branch
    subject = Subject.objects.create(campaign=found, org=org or tree.a, secretary=secretary)
    for rating, n in (("good", good), ("fairly_good", fair), ("average", 0), ("poor", 0)):
        Tally.objects.create(campaign=found, subject=subject, item=item, rating=rating, paper=n)
    return found


@pytest.fixture
def scheme(rules):
    rewrite(rules, automated)
    return load_scheme(YEAR).scheme


def test_the_composite_maps_to_points(tree, make_member, scheme):
    stamp()
    campaign(tree, make_member, good=4, fair=1)  # (4×100 + 1×80) ÷ 5 = 96
    found = assess(YEAR)
    res = score(unit_of(found, "A"), "RES-01")
    assert res.score == D("5.00")
    assert (
        res.explain
        == f"“{YEAR}年度机关党委书记述职评议”中张书记综合得分 96.00，在 90 分及以上一档，得 5 分。"
    )
    assert score(unit_of(found, "B"), "RES-01").score == D("0.00")  # no 述职评议 for 乙委


def test_bands_at_their_edges(tree, make_member, scheme):
    stamp()
    campaign(tree, make_member, good=1, fair=4)  # (100 + 320) ÷ 5 = 84
    assert score(unit_of(assess(YEAR), "A"), "RES-01").score == D("4.00")


@pytest.mark.parametrize(
    ("state", "paper", "why"), [("voting", None, "尚未完成"), ("closed", 4, "少于 5 张")]
)
def test_no_points_while_open_or_below_the_threshold(tree, make_member, scheme, state, paper, why):
    stamp()
    campaign(tree, make_member, good=4, fair=0, state=state, paper_ballots=paper)
    res = score(unit_of(assess(YEAR), "A"), "RES-01")
    assert res.score == D("0.00") and why in res.explain and "96" not in res.explain


def test_a_fixed_number_of_queries(tree, make_member, scheme):
    stamp()
    campaign(tree, make_member, good=4, fair=1)
    with CaptureQueriesContext(connection) as one:
        assess(YEAR)
    # a second unit's secretary, in a campaign held in December on the same year's work
    campaign(tree, make_member, good=5, fair=0, org=tree.b, held=YEAR)
    with CaptureQueriesContext(connection) as two:
        found = assess(YEAR)
    assert len(two) == len(one) and score(unit_of(found, "B"), "RES-01").score == D("5.00")


def test_a_mapping_is_required_and_sane(rules):
    def without(data):
        automated(data)
        for g in data["groups"]:
            for i in g["indicators"]:
                if i["id"] == "RES-01":
                    i["mapping"] = [{"min": 0, "points": 6}]

    rewrite(rules, without)
    with pytest.raises(SchemeError, match="mapping 的分值不能超过本项分值"):
        load_scheme(YEAR)
