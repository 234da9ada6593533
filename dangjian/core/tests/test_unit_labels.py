"""Lists over many 单位 name each row's 单位 beside its branch (branches of different 单位 are often named alike:
办公室党支部, 离退休干部党支部); a branch's own lists do not repeat it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse


@pytest.mark.parametrize("name", ["evaluations:index", "talks:index"])
def test_a_list_over_several_units_names_each_row_s_unit(client, users, tree, name):
    client.force_login(users["gongwei"])
    html = client.get(reverse(name)).content.decode()
    units = re.findall(r'data-testid="unit"> · ([^<]+)<', html)
    assert {"甲委", "乙委"} <= set(units), units
    client.force_login(users["branch_a1"])
    assert 'data-testid="unit"' not in client.get(reverse(name)).content.decode()
