"""The assessment's cycle: the 工委 opens the year under its published scheme; a unit explains or contests in 自评;
assessors score what no record shows, with a reason, and rule on contests in 考评; 审定 needs every item scored and
every contest ruled, then freezes the scores, which no longer follow the records. Refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.assessment.models import FrozenBranch, FrozenUnit, ManualScore, Round, SelfReview, Stage
from dangjian.assessment.selectors import assess, current_json, unit_of
from dangjian.assessment.services import (
    MANUAL_METHODS,
    advance,
    open_round,
    rule_contest,
    score_item,
    write_self_review,
)
from dangjian.assessment.tests.conftest import rewrite
from dangjian.assessment.tests.test_selectors import YEAR, fail, score, stamp
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.core.models import AuditEvent

D = Decimal


@pytest.fixture
def opened(tree, users):
    stamp()
    fail(tree.a1, "MTG-COMMITTEE-MONTHLY", ["2026-03", "2026-04"])
    return open_round(actor=users["gongwei"], year=YEAR, on=dt.date(2027, 1, 10))


def to_review(found, users):
    return advance(actor=users["gongwei"], round=found, expected=Stage.SELF)


def score_everything(found, users, points="4"):
    scheme = assess(YEAR).loaded.scheme
    for unit in ("甲委", "乙委"):
        for i in scheme.indicators:
            if i.method in MANUAL_METHODS:
                value = min(D(points), i.points) if i.method != "penalty" else D(0)
                score_item(
                    actor=users["gongwei"],
                    round=found,
                    unit_key=unit,
                    indicator_id=i.id,
                    points=value,
                    reason="看了会议纪要",
                )


def test_only_the_gongwei_opens_a_round_once_under_a_published_scheme(tree, users, rules):
    with pytest.raises(OutOfScope):
        open_round(actor=users["dangwei_a"], year=YEAR)
    rewrite(rules, lambda d: d.update(title="草稿"))  # not in the manifest: a draft
    with pytest.raises(ServiceError, match="尚未发布"):
        open_round(actor=users["gongwei"], year=YEAR)
    assert (
        not Round.objects.exists() and not AuditEvent.objects.filter(object_type="assessment.round").exists()
    )


def test_a_year_without_a_scheme_is_refused_in_plain_words(tree, users, rules):
    with pytest.raises(ServiceError) as refused:
        open_round(actor=users["gongwei"], year=YEAR + 4, on=dt.date(YEAR + 4, 3, 1))
    assert refused.value.message == f"{YEAR + 4}年度尚未制定考核方案，不能开始考核。"  # no file, no directory
    assert not Round.objects.exists()


def test_a_year_not_yet_begun_is_refused(tree, users):
    with pytest.raises(ServiceError, match="2026年度尚未开始"):
        open_round(actor=users["gongwei"], year=YEAR, on=dt.date(2025, 12, 31))
    assert not Round.objects.exists()


def test_open_twice_is_refused(opened, users):
    assert (opened.stage, opened.scheme_version) == (Stage.SELF, 1) and len(opened.scheme_checksum) == 64
    with pytest.raises(ServiceError, match="已经开始"):
        open_round(actor=users["gongwei"], year=YEAR)
    assert AuditEvent.objects.filter(action="create", object_type="assessment.round").count() == 1


def test_a_unit_contests_an_automatic_score_and_the_assessors_accept_it(opened, users):
    review = write_self_review(
        actor=users["dangwei_a"],
        round=opened,
        unit_key="甲委",
        indicator_id="ORG-01",
        text="4月的支委会已召开，记录补录在5月",
        contest=True,
        claimed="5.5",
    )
    assert (review.contest, review.claimed) == (True, D("5.50"))
    found = to_review(opened, users)
    rule_contest(actor=users["gongwei"], review=review, accept=True, text="核实会议记录属实", adjusted="5.5")
    org01 = score(unit_of(assess(YEAR, round=found), "A"), "ORG-01")
    assert org01.score == D("5.5") and "考评采纳（核实会议记录属实），由 5.00 调整为 5.50" in org01.explain
    assert AuditEvent.objects.filter(action="approve", object_type="assessment.round").exists()


def test_contests_and_explanations_are_checked(opened, users):
    cases = [
        (
            dict(actor=users["branch_a2"], unit_key="甲委"),
            OutOfScope,
            "",
        ),  # a branch administrator is not the unit
        (dict(actor=users["dangwei_a"], unit_key="乙委"), OutOfScope, ""),  # another unit
        (
            dict(actor=users["dangwei_a"], unit_key="甲委", indicator_id="POL-02", contest=True, claimed="1"),
            ServiceError,
            "只能对自动计分的指标提出异议",
        ),
        (dict(actor=users["dangwei_a"], unit_key="甲委", contest=True), ServiceError, "请填写认为应得的分数"),
        (
            dict(actor=users["dangwei_a"], unit_key="甲委", contest=True, claimed="6.5"),
            ServiceError,
            "0 到 6 之间",
        ),
        (dict(actor=users["dangwei_a"], unit_key="甲委", text="  "), ServiceError, "请填写说明"),
        (dict(actor=users["dangwei_a"], unit_key="无此单位"), ServiceError, "没有这个参加考核的单位"),
    ]
    for overrides, error, message in cases:
        args = dict(round=opened, indicator_id="ORG-01", text="说明") | overrides
        with pytest.raises(error, match=message or None):
            write_self_review(**args)
    assert not SelfReview.objects.exists()
    to_review(opened, users)
    with pytest.raises(ServiceError, match="当前处于“工委考评”阶段"):
        write_self_review(
            actor=users["dangwei_a"], round=opened, unit_key="甲委", indicator_id="ORG-01", text="晚了"
        )


def test_assessors_score_with_a_reason_within_the_points_in_review_only(opened, users):
    with pytest.raises(ServiceError, match="当前处于“单位自评”阶段"):
        score_item(
            actor=users["gongwei"],
            round=opened,
            unit_key="甲委",
            indicator_id="POL-02",
            points=8,
            reason="好",
        )
    to_review(opened, users)
    for args, error, message in [
        (dict(actor=users["dangwei_a"]), OutOfScope, "工委管理员"),
        (dict(indicator_id="ORG-01"), ServiceError, "自动计分"),
        (dict(points="10.01"), ServiceError, "0 到 10 之间"),
        (dict(points="x"), ServiceError, "应为数字"),
        (dict(reason=""), ServiceError, "请写明评分理由"),
    ]:
        with pytest.raises(error, match=message):
            score_item(
                **(
                    dict(
                        actor=users["gongwei"],
                        round=opened,
                        unit_key="甲委",
                        indicator_id="POL-02",
                        points=8,
                        reason="好",
                    )
                    | args
                )
            )
    assert not ManualScore.objects.exists()
    score_item(
        actor=users["gongwei"],
        round=opened,
        unit_key="甲委",
        indicator_id="POL-02",
        points="8.5",
        reason="第一议题执行到位",
    )
    pol02 = score(unit_of(assess(YEAR, round=opened), "A"), "POL-02")
    who = users["gongwei"].display_name()
    assert pol02.score == D("8.50")
    assert pol02.explain == f"考评人员评分 8.50（{who}，{dt.date.today():%Y-%m-%d}）：第一议题执行到位"


def test_approval_needs_every_item_scored_and_every_contest_ruled_then_freezes(opened, users, tree):
    review = write_self_review(
        actor=users["dangwei_a"],
        round=opened,
        unit_key="甲委",
        indicator_id="ORG-01",
        text="有误",
        contest=True,
        claimed="6",
    )
    found = to_review(opened, users)
    with pytest.raises(ServiceError, match="未作考评意见"):
        advance(actor=users["gongwei"], round=found, expected=Stage.REVIEW)
    rule_contest(actor=users["gongwei"], review=review, accept=False, text="记录显示3月、4月未召开")
    with pytest.raises(ServiceError, match="以下单位还有指标未评分"):
        advance(actor=users["gongwei"], round=found, expected=Stage.REVIEW)
    assert found.stage == Stage.REVIEW and not FrozenUnit.objects.exists()
    score_everything(found, users)
    found = advance(actor=users["gongwei"], round=found, expected=Stage.REVIEW, on=dt.date(2027, 2, 1))
    assert (found.stage, found.approved_on) == (Stage.APPROVED, dt.date(2027, 2, 1))
    frozen = current_json(YEAR)
    assert frozen["frozen"] and {u["unit"] for u in frozen["units"]} == {"甲委", "乙委"}
    assert all(u["grade"] for u in frozen["units"]) and FrozenBranch.objects.count() == 3
    before = next(u for u in frozen["units"] if u["unit"] == "甲委")["total"]
    # the records change after 审定: the live computation moves, the frozen assessment does not
    fail(tree.a2, "MTG-COMMITTEE-MONTHLY", ["2026-05"])
    assert unit_of(assess(YEAR, round=found), "A").total.total == D(before) - D("0.5")
    assert next(u for u in current_json(YEAR)["units"] if u["unit"] == "甲委")["total"] == before
    with pytest.raises(ServiceError, match="当前处于“审定”阶段"):
        advance(actor=users["gongwei"], round=found, expected=Stage.REVIEW)  # a repeat of the click
    found = advance(actor=users["gongwei"], round=found, expected=Stage.APPROVED)
    found = advance(actor=users["gongwei"], round=found, expected=Stage.PUBLICITY)
    assert found.stage == Stage.DONE
    with pytest.raises(ServiceError, match="已经结束"):
        advance(actor=users["gongwei"], round=found, expected=Stage.DONE)


def test_a_contest_is_ruled_only_once_written_and_in_review(opened, users):
    note = write_self_review(
        actor=users["dangwei_a"], round=opened, unit_key="甲委", indicator_id="ORG-02", text="说明一下"
    )
    contest = write_self_review(
        actor=users["dangwei_a"],
        round=opened,
        unit_key="甲委",
        indicator_id="ORG-01",
        text="有误",
        contest=True,
        claimed="6",
    )
    with pytest.raises(ServiceError, match="单位自评"):
        rule_contest(actor=users["gongwei"], review=contest, accept=False, text="x")
    to_review(opened, users)
    with pytest.raises(ServiceError, match="不是异议"):
        rule_contest(actor=users["gongwei"], review=note, accept=False, text="x")
    with pytest.raises(ServiceError, match="请写明考评意见的理由"):
        rule_contest(actor=users["gongwei"], review=contest, accept=False, text="")
    with pytest.raises(OutOfScope):
        rule_contest(actor=users["dangwei_a"], review=contest, accept=True, text="自己批", adjusted="6")
    contest.refresh_from_db()
    assert contest.ruling == "" and contest.adjusted is None


def test_the_indicator_sheet_adds_up_to_each_units_total(opened, users):
    """Review finding: a penalty's deduction sat in the 得分 column as a positive figure, so the column did not add
    up. Now it is negative there (and bonus/penalty have no 分值: the 分值 column adds up to the 满分)."""
    import io

    from openpyxl import load_workbook

    from dangjian.assessment.export import tables
    from dangjian.core import xlsx

    found = to_review(opened, users)
    score_everything(found, users)
    for unit, pen, bon in (("甲委", "2", "1"), ("乙委", "0.5", "0")):
        score_item(
            actor=users["gongwei"], round=found, unit_key=unit, indicator_id="PEN-01", points=pen, reason="r"
        )
        score_item(
            actor=users["gongwei"], round=found, unit_key=unit, indicator_id="BON-01", points=bon, reason="r"
        )
    data = assess(YEAR, round=found).as_json()
    book = load_workbook(io.BytesIO(xlsx.tables_bytes(tables(data))), read_only=True)
    totals = {r[0]: D(str(r[2])) for r in book["单位考核结果"].values if r[0] in ("甲委", "乙委")}
    rows = [r for r in book["指标得分"].values if r[0] in ("甲委", "乙委")]
    for unit in ("甲委", "乙委"):
        mine = [r for r in rows if r[0] == unit]
        assert sum((D(str(r[6])) for r in mine), D(0)) == totals[unit]
        assert sum((D(str(r[5])) for r in mine if r[5] is not None), D(0)) == 100
    pen = next(r for r in rows if r[0] == "甲委" and r[2] == "PEN-01")
    assert pen[4] == "扣分项（最多扣 5 分）" and pen[5] is None and D(str(pen[6])) == D(-2)
    assert "考评人员扣分 2.00" in pen[7]


def test_approval_before_the_years_end_needs_confirming_and_says_what_is_pending(opened, users, tree):
    """Review finding: 审定 was allowed on 7 December with results still 待定. Before 31 December of the round's
    year it is refused without `confirm_early`, saying how many results are 待定; from 31 December it is not."""
    from dangjian.assessment.scheme import load_scheme
    from dangjian.compliance.kept import unit_key
    from dangjian.compliance.models import KeptResult
    from dangjian.compliance.rulebook import load_ruleset

    rule = sorted(load_scheme(YEAR).scheme.rule_ids - {"MTG-COMMITTEE-MONTHLY"})[0]
    for org in (tree.a1, tree.b1):
        KeptResult.objects.create(
            version=load_ruleset().version,
            year=YEAR,
            org=org,
            rule_id=rule,
            unit_key=unit_key(org),
            org_path=org.path,
            status="pending",
            message="待定",
            since=dt.date(YEAR, 1, 1),
            digest="x",
        )
    found = to_review(opened, users)
    score_everything(found, users)
    events = AuditEvent.objects.count()
    with pytest.raises(
        ServiceError, match=r"2026年度尚未结束（到2026-12-31），还有 2 项检查结果待定.*仍然审定"
    ):
        advance(actor=users["gongwei"], round=found, expected=Stage.REVIEW, on=dt.date(YEAR, 12, 7))
    found.refresh_from_db()
    assert (
        found.stage == Stage.REVIEW
        and not FrozenUnit.objects.exists()
        and AuditEvent.objects.count() == events
    )
    found = advance(
        actor=users["gongwei"],
        round=found,
        expected=Stage.REVIEW,
        on=dt.date(YEAR, 12, 7),
        confirm_early=True,
    )
    assert found.stage == Stage.APPROVED and FrozenUnit.objects.count() == 2


def test_approval_from_the_last_day_of_the_year_needs_no_confirming(opened, users):
    found = to_review(opened, users)
    score_everything(found, users)
    found = advance(actor=users["gongwei"], round=found, expected=Stage.REVIEW, on=dt.date(YEAR, 12, 31))
    assert found.stage == Stage.APPROVED
