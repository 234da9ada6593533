"""A list page's range too wide to list whole (orgs.selectors.wide_scope): when it asks for a narrower organisation,
what it offers instead (the organisations one level down, with their 党支部, within the user's scope), and that it
costs the same few queries however many organisations there are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.scope import scope_for
from dangjian.orgs.models import Org
from dangjian.orgs.selectors import wide_scope
from dangjian.orgs.services import create_org

pytestmark = pytest.mark.django_db


def _branch(code, parent, **extra):
    data = {"code": code, "name": f"{code}支部", "type": "zhibu", "parent": parent}
    return create_org(actor=None, data=data | {"founded_on": dt.date(2018, 3, 1), **extra})


def test_a_range_within_the_limit_is_listed(settings, users, tree):
    settings.WIDE_LIST_BRANCHES = 3  # the tree's 甲一, 甲二, 乙一
    scope_for(users["gongwei"])  # read once per request by every page before its own work
    with CaptureQueriesContext(connection) as ctx:
        assert wide_scope(users["gongwei"], None) is None
    assert len(ctx.captured_queries) == 1
    assert wide_scope(users["gongwei"], tree.a) is None


def test_a_wider_range_offers_the_organisations_one_level_down_with_their_branches(settings, users, tree):
    settings.WIDE_LIST_BRANCHES = 2
    wide = wide_scope(users["gongwei"], None, QueryDict("year=2026&org=&as_of=2026-05-01"))
    assert wide is not None and wide.org is None and wide.branches == 3 and wide.limit == 2
    # below the 工委: 甲委机关党委 (甲一, 甲二) and 乙委机关党委 (乙一 under 乙总支); 甲委党组 holds no 党支部
    assert [(c.org.code, c.branches) for c in wide.children] == [("A", 2), ("B", 1)]
    assert wide.children[0].href == f"?year=2026&org={tree.a.pk}&as_of=2026-05-01"
    chosen = wide_scope(users["gongwei"], tree.gw)
    assert chosen is not None and chosen.org == tree.gw
    assert [c.href for c in chosen.children] == [f"?org={tree.a.pk}", f"?org={tree.b.pk}"]


def test_dissolved_branches_do_not_count(settings, users, tree):
    settings.WIDE_LIST_BRANCHES = 3
    _branch("AD", tree.a, dissolved_on=dt.date.today() - dt.timedelta(days=1))
    assert wide_scope(users["gongwei"], None) is None  # still 3 active 党支部
    _branch("AE", tree.a)
    assert wide_scope(users["gongwei"], None).branches == 4


def test_only_what_the_user_administers_is_counted_or_offered(settings, users, tree):
    settings.WIDE_LIST_BRANCHES = 1
    _branch("BX", tree.b)  # 乙委: two 党支部 now, outside 甲委's scope
    wide = wide_scope(users["dangwei_a"], None)  # 甲委机关党委: 甲一, 甲二
    assert wide is not None and wide.branches == 2
    assert [c.org.code for c in wide.children] == ["A1", "A2"]  # 甲委机关党委's own children
    assert wide_scope(users["branch_a1"], None) is None  # one 党支部


def test_a_scope_of_several_top_organisations_offers_them(settings, tree, make_user):
    settings.WIDE_LIST_BRANCHES = 1
    user = make_user("two_tops", "dangwei_admin", tree.a)
    user.roles.create(role="dangwei_admin", org=tree.b, include_descendants=True)
    wide = wide_scope(user, None)
    assert wide is not None and wide.branches == 3
    assert [(c.org.code, c.branches) for c in wide.children] == [("A", 2), ("B", 1)]


def test_the_queries_do_not_grow_with_the_organisations(settings, users, tree):
    settings.WIDE_LIST_BRANCHES = 1
    scope_for(users["gongwei"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert wide_scope(users["gongwei"], None) is not None
        return len(ctx.captured_queries)

    small = count()
    for i in range(12):
        parent = create_org(
            actor=None,
            data={
                "code": f"P{i}",
                "name": f"第{i}机关党委",
                "type": "dangwei",
                "parent": tree.gw,
                "unit": f"单位{i}",
            },
        )
        _branch(f"P{i}B", parent)
    large = count()
    assert small == large <= 4  # the count, the scope's top, one level down, the 党支部 per prefix
    assert Org.objects.filter(type="zhibu").count() == 15
