"""The scheme page: every indicator with its points, method and standard, the grades and the tiers; a year
without a scheme is not found; a scheme file that no longer loads is said on the page."""

from __future__ import annotations

import re

from django.urls import reverse

from dangjian.assessment.tests.conftest import rewrite


def test_the_scheme_page_shows_every_indicator_and_how_it_is_scored(client, users):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("assessment:scheme"), {"year": "2026"})
    assert response.status_code == 200
    html = response.content.decode()
    indicators = re.findall(r'data-indicator="([A-Z0-9-]+)"', html)
    assert len(indicators) == 22 and indicators[:2] == ["POL-01", "POL-02"]
    assert (
        "每缺一个周期扣 0.5 分，扣完为止" in html
        and 'href="/compliance/rules/?version=6#rule-MTG-COMMITTEE-MONTHLY"' in html
    )
    assert "分值 × 完成民主评议党员的党支部比例" in html
    # the rules an indicator scores by are named as the scheme's rulebook names them, their codes on hover only
    from dangjian.compliance.rulebook import load_ruleset

    title = next(r.title for r in load_ruleset(6).rules if r.id == "MTG-COMMITTEE-MONTHLY")
    assert f'#rule-MTG-COMMITTEE-MONTHLY" title="MTG-COMMITTEE-MONTHLY" lang="zh-hans">{title}</a>' in html
    assert ">MTG-COMMITTEE-MONTHLY<" not in html
    assert re.search(r'data-testid="automatic">58 分，由平台记录得出，无需填报', html)
    assert "最近三个月三会一课无缺项" in html and "sha256:" in html
    # written against 第 6 版, scored by the current rulebook's kept results (what the rounds' pages say): both named
    current = load_ruleset().version
    assert current != 6
    assert f"计分读取当前规则库第 {current} 版的检查结果，方案所依据的规则均在其中。" in html


def test_the_2027_scheme_shows_the_appraisal_bands(client, users):
    client.force_login(users["gongwei"])
    html = client.get(reverse("assessment:scheme"), {"year": "2027"}).content.decode()
    assert "机关党委书记述职评议的综合得分：90 分及以上得 5 分；80 分及以上得 4 分" in html


def test_a_year_without_a_scheme_is_not_found(client, users):
    client.force_login(users["gongwei"])
    assert client.get(reverse("assessment:scheme"), {"year": "2031"}).status_code == 404
    assert client.get(reverse("assessment:scheme"), {"year": "x"}).status_code == 404


def test_a_scheme_that_no_longer_loads_is_said(client, users, rules):
    rewrite(rules, lambda d: d.update(total=99))
    client.force_login(users["gongwei"])
    html = client.get(reverse("assessment:scheme"), {"year": "2026"}).content.decode()
    assert 'data-testid="scheme-error"' in html and "与 total 99 不一致" in html


# --- the cycle through the pages ------------------------------------------------------------------------------


def test_the_cycle_through_the_pages(client, users, tree):
    import datetime as dt
    import io

    from openpyxl import load_workbook

    from dangjian.assessment.models import FrozenUnit, Round, SelfReview
    from dangjian.assessment.services import MANUAL_METHODS
    from dangjian.assessment.tests.test_selectors import YEAR, fail, stamp

    stamp()
    fail(tree.a1, "MTG-COMMITTEE-MONTHLY", ["2026-03", "2026-04"])
    client.force_login(users["gongwei"])
    index = client.get(reverse("assessment:index")).content.decode()
    assert 'data-testid="open-round"' in index
    response = client.post(reverse("assessment:open"), {"year": YEAR})
    assert response.status_code == 302 and Round.objects.get().stage == "self"

    # the unit writes its 自评: a contest of ORG-01
    client.force_login(users["dangwei_a"])
    unit_url = reverse("assessment:unit", args=[YEAR, tree.a.pk])
    html = client.get(unit_url).content.decode()
    assert "2 个缺项 × 0.5 = 1.00；6 − 1.00 = 5.00。" in html and "甲一支部（A1）" not in html
    rule = '<span title="MTG-COMMITTEE-MONTHLY">每月召开支部委员会</span>（2026年3月、2026年4月），扣 1.00'
    assert (
        f'<a href="/compliance/org/{tree.a1.pk}/?year={YEAR}#rule-MTG-COMMITTEE-MONTHLY">甲一支部</a>：{rule}'
        in html
    )
    url = reverse("assessment:self_review", args=[YEAR, tree.a.pk, "ORG-01"])
    client.post(url, {"text": "4月已召开，记录漏登", "contest": "on", "claimed": "5.5"})
    assert SelfReview.objects.get().claimed == 5.5
    assert client.get(reverse("assessment:unit", args=[YEAR, tree.b.pk])).status_code == 404  # not theirs
    round_html = client.get(reverse("assessment:round", args=[YEAR])).content.decode()
    assert 'data-unit="甲委"' in round_html and 'data-unit="乙委"' not in round_html

    # the assessors: into 考评, rule, score everything, 审定
    client.force_login(users["gongwei"])
    client.post(reverse("assessment:advance", args=[YEAR]), {"stage": "self"})
    review = SelfReview.objects.get()
    client.post(
        reverse("assessment:rule", args=[review.pk]), {"accept": "1", "adjusted": "5.5", "text": "记录属实"}
    )
    from dangjian.assessment.scheme import load_scheme

    for unit in (tree.a, tree.b):
        for i in load_scheme(YEAR).scheme.indicators:
            if i.method in MANUAL_METHODS:
                client.post(
                    reverse("assessment:score", args=[YEAR, unit.pk, i.id]),
                    {"points": "0" if i.method == "penalty" else str(i.points), "reason": "按工委掌握的情况"},
                )
    # 审定 before 31 December: the page warns, and the round does not move without the box ticked
    round_html = client.get(reverse("assessment:round", args=[YEAR])).content.decode()
    early = dt.date.today() < dt.date(YEAR, 12, 31)
    assert ('data-testid="early-approval"' in round_html) == early
    if early:
        assert 'name="confirm_early"' in round_html
        response = client.post(reverse("assessment:advance", args=[YEAR]), {"stage": "review"}, follow=True)
        assert Round.objects.get().stage == "review" and "年度未结束，仍然审定" in response.content.decode()
    response = client.post(
        reverse("assessment:advance", args=[YEAR]), {"stage": "review", "confirm_early": "1"}
    )
    assert Round.objects.get().stage == "approved", [str(m) for m in response.wsgi_request._messages]
    assert FrozenUnit.objects.count() == 2
    html = client.get(reverse("assessment:unit", args=[YEAR, tree.a.pk])).content.decode()
    assert "考评采纳（记录属实），由 5.00 调整为 5.50" in html
    round_html = client.get(reverse("assessment:round", args=[YEAR])).content.decode()
    assert "已于" in round_html
    # the 示范 list names each branch with its unit (two units may each have a 办公室党支部)
    models = round_html[round_html.index('data-testid="models"') :]
    models = models[: models.index("</section>")]
    assert "甲一支部（甲委）" in models and "乙一支部（乙委）" in models, models
    book = load_workbook(
        io.BytesIO(client.get(reverse("assessment:export", args=[YEAR])).content), read_only=True
    )
    rows = list(book["单位考核结果"].values)
    assert any(
        r[0] == "甲委" and r[3] and r[4] == "是" and r[6] for r in rows
    )  # graded and counted once frozen
    assert dt.date.today() >= Round.objects.get().approved_on


def test_a_penalty_is_entered_and_shown_as_a_deduction(client, users, tree):
    """Review finding: PEN-01 was entered under "得分" and shown "2.00 / 5" (an assessor typing 5 for "no problems"
    deducted 5). Now it reads 扣分, with 0 = 无扣分, and is shown as 扣 2.00（最多扣 5）."""
    from dangjian.assessment.models import Round
    from dangjian.assessment.tests.test_selectors import YEAR, stamp

    stamp()
    client.force_login(users["gongwei"])
    client.post(reverse("assessment:open"), {"year": YEAR})
    client.post(reverse("assessment:advance", args=[YEAR]), {"stage": "self"})
    assert Round.objects.get().stage == "review"
    url = reverse("assessment:unit", args=[YEAR, tree.a.pk])

    def section(html: str, indicator: str) -> str:
        start = html.index(f'data-indicator="{indicator}"')
        return html[start : html.index("</section>", start)]

    pen = section(client.get(url).content.decode(), "PEN-01")
    assert ">扣分</label>" in pen and "0 = 无扣分，最多扣 5 分" in pen and ">得分<" not in pen
    assert ">加分</label>" in section(client.get(url).content.decode(), "BON-01")
    client.post(
        reverse("assessment:score", args=[YEAR, tree.a.pk, "PEN-01"]),
        {"points": "2", "reason": "两个问题未整改"},
    )
    pen = section(client.get(url).content.decode(), "PEN-01")
    assert "扣 2.00" in pen and "（最多扣 5）" in pen and "2.00 / 5" not in pen
    assert "考评人员扣分 2.00" in pen
