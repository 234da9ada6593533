"""Rulebook v10: TRAIN-MEMBER-HOURS prorates the hours of a member who joined the Party in the year
(`new_members: prorated`); v9 (`full`, the default) keeps its published results: the whole year's 32 学时 for
everyone on the roll. The member's own page, the secretary's page and the branch's hours page read the same target."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.orgs.models import Org
from dangjian.training import logic
from dangjian.training.selectors import own_hours

pytestmark = pytest.mark.django_db

RULE = "TRAIN-MEMBER-HOURS"
D = dt.date
Y = 2026
YEAR_END = D(Y, 12, 31)


def found(org, version: int, as_of=YEAR_END):
    rs = load_ruleset(version)
    rs = rs.model_copy(update={"rules": [rs.rule(RULE)]})
    (result,) = evaluate(Org.objects.filter(pk=org.pk), year=Y, as_of=as_of, ruleset=rs).for_rule(RULE)
    return result


def test_v10_changes_the_parameter_only():
    v9, v10 = load_ruleset(9), load_ruleset(10)
    assert v9.rule(RULE).typed_params.new_members == "full"
    assert v10.rule(RULE).typed_params.new_members == "prorated"
    assert v10.rule(RULE).params == {**v9.rule(RULE).params, "new_members": "prorated"}
    assert "年内入党" in v10.rule(RULE).note and "年内入党" not in v9.rule(RULE).note
    others = [r for r in v10.rules if r.id != RULE]
    assert [r.model_dump() for r in others] == [r.model_dump() for r in v9.rules if r.id != RULE]


@pytest.mark.parametrize(
    ("joined_on", "target"),
    [
        (D(Y, 1, 20), "32"),  # the whole year
        (D(Y, 7, 1), "16"),  # July to December: 6 months
        (D(Y, 11, 5), "6"),  # 2 months: 5.33, rounded up
        (D(Y, 12, 28), "3"),  # 1 month: 2.67, rounded up
        (D(Y - 1, 11, 5), "32"),  # joined the year before
        (None, "32"),  # a post holder: not known
    ],
)
def test_the_prorated_target(joined_on, target):
    assert logic.prorated_target(Decimal("32"), joined_on, Y) == Decimal(target)


@pytest.fixture
def newcomer(tree, make_member, train):
    """A 预备党员 admitted on 5 November with 6 学时 of training, and a member of long standing with 32."""
    new = make_member(
        tree.a1, name="新党员", category="probationary", joined_on=D(Y, 11, 5), confirmed_on=None
    )
    old = make_member(tree.a1, name="老党员")
    train(tree.a, [old], D(Y, 3, 1), hours="32", ended_on=D(Y, 3, 4))
    train(tree.a, [new], D(Y, 11, 20), hours="6")
    return new


def test_v9_asks_the_new_member_for_the_whole_year_and_v10_for_their_months(newcomer, tree):
    v9 = found(tree.a1, 9)
    assert v9.status == "fail" and v9.missing == ["新党员"]
    assert "新党员（已完成6学时，差26学时）" in str(v9.message)
    v10 = found(tree.a1, 10)
    assert v10.status == "pass", str(v10.message)
    assert "其中年内入党的1名按入党后的月数折算" in str(v10.message)


def test_v10_a_new_member_short_of_their_share_is_named_with_it(tree, make_member, train):
    new = make_member(
        tree.a1, name="新党员", category="probationary", joined_on=D(Y, 7, 1), confirmed_on=None
    )
    train(tree.a, [new], D(Y, 9, 1), hours="10", ended_on=D(Y, 9, 2))
    result = found(tree.a1, 10)
    assert result.status == "fail" and result.missing == ["新党员"]
    assert "新党员（已完成10学时，差6学时（7月入党，按16学时计））" in str(result.message)
    pending = found(tree.a1, 10, as_of=D(Y, 11, 30))
    assert pending.status == "pending" and "差6学时（7月入党，按16学时计）" in str(pending.message)


def test_v10_the_own_hours_read_the_prorated_target(newcomer, tree):
    own = own_hours(newcomer, year=Y, as_of=YEAR_END)
    assert own.target == Decimal("6") and own.prorated and own.met
    own = own_hours(newcomer, year=Y + 1, as_of=D(Y + 1, 12, 31))
    assert own.target == Decimal("32") and not own.prorated  # the next year: the whole year


def test_v10_pages_say_the_target_is_prorated(client, make_user, users, newcomer, tree):
    client.force_login(make_user("xin", "member", tree.a1, member=newcomer))
    page = client.get(reverse("training:secretary"), {"year": Y, "as_of": f"{Y}-12-31"}).content.decode()
    assert "全年目标 6 学时（当年入党，按入党后的月数折算）" in page
    client.force_login(users["dangwei_a"])
    page = client.get(
        reverse("training:hours"), {"org": tree.a1.pk, "year": Y, "as_of": f"{Y}-12-31"}
    ).content.decode()
    assert "年内入党的党员按入党当月至12月的月数折算。" in page
    line = page[page.index(f'data-member="{newcomer.pk}"') :]
    line = line[: line.index("</tr>")]
    assert "按 6 学时计" in line and "未达标" not in line
