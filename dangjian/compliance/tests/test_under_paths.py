"""compliance.facts.under_paths: rows under any of several organisation paths — one LIKE per path for a few, one
lookup of the rows' path prefix in the set of paths for many (a full refresh's part is about 30 单位's subtrees)."""

import itertools

import pytest
from django.db.models import Q

from dangjian.compliance import facts as facts_module
from dangjian.compliance.facts import under_paths
from dangjian.members.models import Member
from dangjian.orgs.models import Org


def _like(field: str, paths) -> Q:
    where = Q(pk__in=[])
    for path in paths:
        where |= Q(**{f"{field}__startswith": path})
    return where


@pytest.mark.parametrize("many", [1, 2, 4])
@pytest.mark.django_db
def test_the_same_rows_as_one_like_per_path(tree, make_member, monkeypatch, many):
    monkeypatch.setattr(
        facts_module, "MANY_PATHS", many
    )  # 1: every group by its prefix; 4: the rows here by LIKE
    for org in (tree.a1, tree.a1g1, tree.a2, tree.b1):
        make_member(org)
    paths = [o.path for o in Org.objects.order_by("path")]
    for size in (0, 1, 2, 3):
        for chosen in itertools.combinations(paths, size):
            orgs = set(Org.objects.filter(under_paths("path", chosen)).values_list("pk", flat=True))
            assert orgs == set(Org.objects.filter(_like("path", chosen)).values_list("pk", flat=True)), chosen
            members = set(
                Member.objects.filter(under_paths("org__path", chosen)).values_list("pk", flat=True)
            )
            assert members == set(
                Member.objects.filter(_like("org__path", chosen)).values_list("pk", flat=True)
            )
    assert not Org.objects.filter(under_paths("path", [])).exists()  # no path: no row


@pytest.mark.django_db
def test_many_paths_of_a_length_are_one_lookup_not_a_like_each(tree, monkeypatch):
    monkeypatch.setattr(facts_module, "MANY_PATHS", 2)
    siblings = [tree.a1.path, tree.a2.path]  # branches of one 党委: paths of one length
    assert len(siblings[0]) == len(siblings[1])
    sql = str(Org.objects.filter(under_paths("path", siblings)).query).upper()
    assert "SUBSTR" in sql and "LIKE" not in sql
    one = str(Org.objects.filter(under_paths("path", siblings[:1])).query).upper()
    assert "LIKE" in one and "SUBSTR" not in one
