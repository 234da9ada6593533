"""The 党支部分类定级 说明 says why a branch did not reach each higher tier ("未评为先进：得分 94.55 低于 95 分"), on
the round's page and in the workbook, also for a round frozen in the earlier wording; the workbook leaves
计入年度考核的分值 empty while a unit is not completely scored, and its 计分完成 column is wide enough to read."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from dangjian.assessment.export import tables
from dangjian.assessment.models import FrozenBranch, Round
from dangjian.assessment.selectors import current_json
from dangjian.assessment.tests.test_selectors import YEAR, fail, stamp

REASON = "未评为先进：得分 94.55 低于 95 分"


def standard_a1(tree) -> None:
    """甲一 misses six early 支委会 (3 of the 55 points of the rule indicators): 94.55, 达标."""
    stamp()
    fail(tree.a1, "MTG-COMMITTEE-MONTHLY", [f"2026-{m:02d}" for m in range(1, 7)])


def test_the_round_page_says_why_a_branch_is_not_of_the_higher_tier(client, users, tree):
    standard_a1(tree)
    client.force_login(users["gongwei"])
    client.post(reverse("assessment:open"), {"year": YEAR})
    html = client.get(reverse("assessment:round", args=[YEAR])).content.decode()
    row = html[html.index('data-branch="A1"') :]
    row = row[: row.index("</tr>")]
    assert "达标" in row and f'<td class="small" lang="zh-hans">{REASON}</td>' in row
    # in the workbook's sheet too
    book = load_workbook(io.BytesIO(client.get(reverse("assessment:export", args=[YEAR])).content))
    a1 = next(r for r in book["党支部分类定级"].values if r[0] == "A1")
    assert a1[4] == "达标" and a1[5] == REASON


def test_a_tier_missed_by_a_condition_is_worded_alike(tree):
    stamp()
    fail(tree.a2, "MTG-COMMITTEE-MONTHLY", ["2026-11"])
    a2 = next(b for b in current_json(YEAR)["branches"] if b["org"] == "A2")
    assert a2["tier"] == "达标"
    assert a2["reasons"] == ["未评为先进：不满足“最近三个月三会一课无缺项”（“每月召开支部委员会”）"]


def test_a_round_frozen_in_the_earlier_wording_reads_the_same(tree):
    from dangjian.assessment.scoring import reworded

    found = Round.objects.create(
        year=YEAR, scheme_version=1, scheme_checksum="x", stage="approved", opened_on="2026-01-05"
    )
    found.frozen_meta = {"scheme": {}, "rulebook_version": 9, "as_of": "2026-12-31"}
    found.save()
    FrozenBranch.objects.create(
        round=found,
        org=tree.a1,
        score="88.00",
        tier="达标",
        data={
            "org": "A1",
            "name": "甲一支部",
            "unit": "甲委",
            "score": "88.00",
            "tier": "达标",
            "role": "standard",
            "reasons": ["先进：得分 88.00 低于 95"],
        },
    )
    assert current_json(YEAR)["branches"][0]["reasons"] == ["未评为先进：得分 88.00 低于 95 分"]
    assert reworded("先进：不满足“最近三个月三会一课无缺项”（MTG-COMMITTEE-MONTHLY）").startswith(
        "未评为先进：不满足"
    )
    assert reworded(REASON) == REASON
    other = "本单位有组织尚未生成检查结果（系统在记录保存后和每晚自动检查，检查完成后即计分），本项暂不计分。"
    assert reworded(other) == other


def data(complete: bool) -> dict:
    unit = {
        "unit": "甲委",
        "name": "甲委",
        "codes": ["A-DZ", "A"],
        "total": "80.00",
        "complete": complete,
        "grade": "好" if complete else None,
        "indicators": [],
    }
    return {
        "scheme": {"title": "考核方案", "version": 1, "total": "100", "organ_weight": "0.1"},
        "rulebook_version": 9,
        "as_of": "2026-12-31",
        "units": [unit],
        "branches": [],
    }


def test_the_weighted_points_wait_until_the_unit_is_completely_scored(client, users, tree):
    sheet = tables(data(complete=False))[0]
    (row,) = sheet.rows
    assert row[4] == "否（尚有考评人员未评分的指标）" and row[6] is None
    (row,) = tables(data(complete=True))[0].rows
    assert row[4] == "是" and float(row[6]) == 8.0
    # the 计分完成 column holds its longest text (a Chinese character is two widths)
    widths = sheet.widths
    assert widths[4] >= 2 * len("否（尚有考评人员未评分的指标）") and widths[6] >= 2 * len(
        "计入年度考核的分值"
    )
    # and so does the workbook the round's page exports
    stamp()
    client.force_login(users["gongwei"])
    client.post(reverse("assessment:open"), {"year": YEAR})
    book = load_workbook(io.BytesIO(client.get(reverse("assessment:export", args=[YEAR])).content))
    ws = book["单位考核结果"]
    jia = next(r for r in ws.values if r[0] == "甲委")
    assert jia[4].startswith("否") and jia[6] is None
    assert ws.column_dimensions["E"].width >= 30
