"""The 党委's roll-up and the arrears list as their readers use them: the year summary shows each line's 全年 next to
its name (after twelve months it was off the right edge on a 1280 px laptop and on a phone), and each member in
arrears opens their 党费 page, where the 补交 is recorded and the months are read."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dangjian.dues.tests.test_views import _arrears_setup, declare, login

pytestmark = pytest.mark.django_db


def test_the_year_summary_shows_the_years_total_next_to_the_name(client, users, tree, make_member, today):
    declare(today, users["own_member"])
    login(client, users["dangwei_a"])
    response = client.get(reverse("dues:summary"), {"year": today.year})
    html = response.content.decode()
    header = re.search(r"<thead><tr>(.*?)</tr></thead>", html, re.S)[1]
    columns = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<th[^>]*>(.*?)</th>", header, re.S)]
    assert columns == ["党支部", "全年", *(f"{n}月" for n in range(1, 13))]
    line = next(line for line in response.context["lines"] if line.org == tree.a1)
    row = re.search(r'<tr class="[^"]*" data-org="A1">(.*?)</tr>', html, re.S)[1]
    first_cell = re.search(r"<td[^>]*>(.*?)</td>", row, re.S)[1]
    assert first_cell.startswith(f"{line.total_due:.2f}<br>{line.total_paid:.2f}")


def test_each_member_in_arrears_opens_their_dues_page(client, users, tree, make_member, today):
    m = _arrears_setup(today, make_member, tree)
    login(client, users["branch_a1"])
    response = client.get(reverse("dues:arrears"))
    item = next(i for i in response.context["items"] if i.row.member_id == m.pk)
    year = item.row.unpaid_months[-1][:4]
    url = f"{reverse('dues:member', args=[m.pk])}?year={year}"
    assert f'<a href="{url}" data-testid="member-link">欠缴者</a>' in response.content.decode()
    assert client.get(url).status_code == 200
