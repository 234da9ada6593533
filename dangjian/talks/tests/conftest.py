from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from dangjian.orgs.services import create_post

D = dt.date


@pytest.fixture
def a1(tree, make_member):
    """甲一支部 with a committee (书记, 组织委员, 宣传委员 since 2020) and two members, one in its 党小组."""
    shuji = make_member(tree.a1, name="书记甲")
    zuzhi = make_member(tree.a1, name="组织委员乙")
    xuanchuan = make_member(tree.a1, name="宣传委员丙")
    for member, title in ((shuji, "shuji"), (zuzhi, "zuzhi"), (xuanchuan, "xuanchuan")):
        create_post(
            actor=None, data={"member": member, "org": tree.a1, "title": title, "started_on": D(2020, 1, 1)}
        )
    m1 = make_member(tree.a1, name="党员丁")
    m2 = make_member(tree.a1g1, name="党员戊")
    return SimpleNamespace(org=tree.a1, shuji=shuji, zuzhi=zuzhi, xuanchuan=xuanchuan, m1=m1, m2=m2)
