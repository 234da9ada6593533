"""分类定级 over the years: the 党委/工委 home counts the tiers at the latest 审定 within its scope and how they moved
since the one before; a branch's drill-down shows its tier at each 审定."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from dangjian.assessment.models import FrozenBranch, Round
from dangjian.assessment.selectors import tier_history, tier_movement


def frozen(year, tiers):
    found = Round.objects.create(
        year=year,
        scheme_version=1,
        scheme_checksum="x" * 64,
        stage="done",
        opened_on=dt.date(year + 1, 1, 5),
        approved_on=dt.date(year + 1, 2, 1),
    )
    for org, tier, score in tiers:
        FrozenBranch.objects.create(
            round=found, org=org, tier=tier, score=score, data={"org": org.code, "tier": tier}
        )
    return found


def test_the_moves_between_the_last_two_approvals_within_the_scope(tree, users):
    frozen(2025, [(tree.a1, "后进", 60), (tree.a2, "达标", 80), (tree.b1, "达标", 80)])
    frozen(2026, [(tree.a1, "达标", 82), (tree.a2, "达标", 85), (tree.b1, "后进", 50)])
    moved = tier_movement(users["dangwei_a"])
    assert (moved.year, moved.previous) == (2026, 2025)
    assert moved.counts == [("达标", 2)] and moved.moves == [("后进", "达标", 1)]
    city = tier_movement(users["gongwei"])
    assert city.counts == [("达标", 2), ("后进", 1)]  # in the scheme's order: 先进, 达标, 后进
    assert sorted(city.moves) == [("后进", "达标", 1), ("达标", "后进", 1)]
    assert [(y, t) for y, t, _s in tier_history(tree.a1)] == [(2025, "后进"), (2026, "达标")]


def test_the_home_and_the_drill_down_show_them(client, tree, users):
    assert tier_movement(users["gongwei"]) is None  # nothing approved yet
    frozen(2025, [(tree.a1, "后进", 60)])
    frozen(2026, [(tree.a1, "达标", 82)])
    client.force_login(users["dangwei_a"])
    html = client.get(reverse("dashboard")).content.decode()
    moves = re.search(r'data-testid="moves">(.*?)</p>', html, re.S).group(1)
    assert "与2025年度相比" in moves
    assert re.sub(r"<[^>]+>", "", moves).split("：")[1].split() == ["后进", "→", "达标", "1"]
    page = client.get(reverse("portal:work_org", args=[tree.a1.pk])).content.decode()
    assert (
        '2025年度 <span lang="zh-hans">后进</span>（60.00） → 2026年度 <span lang="zh-hans">达标</span>（82.00）'
        in page
    )
