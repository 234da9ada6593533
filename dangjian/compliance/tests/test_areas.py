"""The areas of work the apps register for their check kinds, and the overview's columns grouped by them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.compliance import registry
from dangjian.compliance.registry import KIND_AREAS, REGISTRY, area_of, register_area
from dangjian.compliance.rulebook import load_ruleset


def test_every_kind_of_the_published_rulebooks_is_in_an_area():
    kinds = {rule.check for rule in load_ruleset().rules}
    assert kinds <= set(KIND_AREAS)
    labels = [str(area_of(k).label) for k in sorted(kinds)]
    assert set(labels) == {
        "组织设置",
        "三会一课",
        "党费",
        "发展党员",
        "换届",
        "培训",
        "谈心谈话",
        "党员管理",
        "民主评议",
        "述职评议",
    }
    assert str(area_of("periodic_meetings").label) == "三会一课"
    assert str(area_of("term_on_time_adjusted").label) == "换届"


def test_a_kind_without_an_area_goes_last_and_conflicts_are_refused(monkeypatch):
    monkeypatch.setattr(registry, "AREAS", dict(registry.AREAS))
    monkeypatch.setattr(registry, "KIND_AREAS", dict(registry.KIND_AREAS))
    assert area_of("no_such_kind") is registry.OTHER_AREA
    register_area("meetings", "三会一课", order=20, kinds=("another_meeting_kind",))  # the same area again
    assert registry.area_of("another_meeting_kind").key == "meetings"
    with pytest.raises(RuntimeError, match="different labels"):
        register_area("meetings", "会议", order=20, kinds=())
    with pytest.raises(RuntimeError, match="two areas"):
        register_area("dues", "党费", order=30, kinds=("periodic_meetings",))
    assert set(REGISTRY) - set(registry.KIND_AREAS) <= {k for k in REGISTRY if k.startswith("test_")}


def test_the_overview_groups_its_columns_by_area(client, users, tree):
    client.force_login(users["gongwei"])
    board = client.get(reverse("compliance:overview"), {"year": 2026, "as_of": "2026-03-31"}).context["board"]
    keys = [col.area.key for col in board.columns]
    runs = [key for i, key in enumerate(keys) if i == 0 or keys[i - 1] != key]
    assert len(runs) == len(set(runs))  # each area's columns together
    assert [h.area.key for h in board.areas] == runs
    assert sum(h.span for h in board.areas) == len(board.columns)
    orders = [col.area.order for col in board.columns]
    assert orders == sorted(orders)
    body = client.get(reverse("compliance:overview"), {"year": 2026, "as_of": "2026-03-31"}).content.decode()
    assert '<th class="dj-cm-area" scope="colgroup" colspan="' in body and ">三会一课</th>" in body


def test_the_work_list_shows_each_area_in_one_category(monkeypatch):
    """A workbench category shows an area's check kinds: every kind of the rulebook is on the work list, in the
    category of its area, and two categories cannot show one area."""
    from dangjian.compliance import workbench

    for rule in load_ruleset().rules:
        category = workbench.category_of(rule.check)
        assert category is not None and category.area == KIND_AREAS[rule.check], rule.id
    assert workbench.category_of("periodic_meetings").key == "meetings"
    assert workbench.category_of("no_such_kind") is None
    monkeypatch.setattr(workbench, "CATEGORIES", dict(workbench.CATEGORIES))
    monkeypatch.setattr(workbench, "_BY_AREA", dict(workbench._BY_AREA))
    with pytest.raises(RuntimeError, match="two workbench categories"):
        workbench.register_category("meetings_again", "会议", order=99, area="meetings")
