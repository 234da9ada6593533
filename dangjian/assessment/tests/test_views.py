"""The scheme page: every indicator with its points, method and standard, the grades and the tiers; a year
without a scheme is not found; a scheme file that no longer loads is said on the page."""

from __future__ import annotations

import re

from django.urls import reverse

from dangjian.assessment.tests.conftest import rewrite


def test_the_scheme_page_shows_every_indicator_and_how_it_is_scored(client, users):
    client.force_login(users["branch_a1"])
    response = client.get(reverse("assessment:scheme"))
    assert response.status_code == 200
    html = response.content.decode()
    indicators = re.findall(r'data-indicator="([A-Z0-9-]+)"', html)
    assert len(indicators) == 22 and indicators[:2] == ["POL-01", "POL-02"]
    assert (
        "每缺一个周期扣 0.5 分，扣完为止" in html
        and 'href="/compliance/rules/?version=6#rule-MTG-COMMITTEE-MONTHLY"' in html
    )
    assert "分值 × 完成民主评议党员的党支部比例" in html
    assert re.search(r'data-testid="automatic">58 分，由平台记录得出，无需填报', html)
    assert "最近三个月三会一课无缺项" in html and "sha256:" in html


def test_a_year_without_a_scheme_is_not_found(client, users):
    client.force_login(users["gongwei"])
    assert client.get(reverse("assessment:scheme"), {"year": "2031"}).status_code == 404
    assert client.get(reverse("assessment:scheme"), {"year": "x"}).status_code == 404


def test_a_scheme_that_no_longer_loads_is_said(client, users, rules):
    rewrite(rules, lambda d: d.update(total=99))
    client.force_login(users["gongwei"])
    html = client.get(reverse("assessment:scheme")).content.decode()
    assert 'data-testid="scheme-error"' in html and "与 total 99 不一致" in html
