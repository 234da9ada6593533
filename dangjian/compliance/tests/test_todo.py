"""本月/本季度待办 (database)."""

import datetime as dt

import pytest

from dangjian.compliance.evaluator import todo
from dangjian.compliance.tests.conftest import Y
from dangjian.orgs.models import Org
from dangjian.orgs.services import create_org, update_org

D = dt.date
ON = D(Y, 5, 20)


def rows(items):
    return [(i.org.code, i.rule.id, i.period, i.due_by) for i in items]


def test_what_is_still_due_this_month_quarter_and_year(tree, branch, meet):
    meet(tree.a1, D(Y, 4, 30), "theme_day")  # last month: does not count for May
    meet(tree.a1, D(Y, 5, 10), "theme_day")
    meet(tree.a1, D(Y, 4, 15), "assembly")
    meet(tree.a1, D(Y, 3, 31), "lecture")  # last quarter
    assert rows(todo(Org.objects.subtree(tree.a1), on=ON)) == [
        ("A1", "MTG-COMMITTEE-MONTHLY", f"{Y}-05", D(Y, 5, 31)),
        ("A1G1", "MTG-GROUP-MONTHLY", f"{Y}-05", D(Y, 5, 31)),
        ("A1", "MTG-LECTURE-QUARTERLY", f"{Y}-Q2", D(Y, 6, 30)),
        ("A1", "MTG-ORG-LIFE-ANNUAL", str(Y), D(Y, 12, 31)),
        ("A1", "MTG-MEMBER-REVIEW-ANNUAL", str(Y), D(Y, 12, 31)),
        ("A1", "LECTURE-SECRETARY-ANNUAL", str(Y), D(Y, 12, 31)),
        ("A1", "EVAL-REVIEW-ANNUAL", str(Y), D(Y, 12, 31)),
    ]


def test_todo_messages(tree, branch):
    items = {i.rule.id: i.message for i in todo(Org.objects.filter(pk=tree.a1.pk), on=ON)}
    assert items["MTG-COMMITTEE-MONTHLY"] == f"本月（{Y}-05）尚未召开支部委员会。"
    assert items["MTG-LECTURE-QUARTERLY"] == f"本季度（{Y}-Q2）尚未上党课。"
    assert items["MTG-THEME-DAY-MONTHLY"] == f"本月（{Y}-05）尚未开展主题党日。"
    assert items["LECTURE-SECRETARY-ANNUAL"] == "本年度书记尚未讲党课。"


def test_annual_items_disappear_once_held(tree, branch, meet):
    meet(tree.a1, D(Y, 2, 1), "org_life", "member_review", "lecture", lecturer=branch["书记"])
    due = {i.rule.id for i in todo(Org.objects.filter(pk=tree.a1.pk), on=ON)}
    assert due.isdisjoint({"MTG-ORG-LIFE-ANNUAL", "MTG-MEMBER-REVIEW-ANNUAL", "LECTURE-SECRETARY-ANNUAL"})


def test_branch_without_a_committee_has_no_committee_item(tree):
    due = {i.rule.id for i in todo(Org.objects.filter(pk=tree.a2.pk), on=ON)}
    assert due == {
        "MTG-ASSEMBLY-QUARTERLY",
        "MTG-LECTURE-QUARTERLY",
        "MTG-THEME-DAY-MONTHLY",
        "MTG-ORG-LIFE-ANNUAL",
        "MTG-MEMBER-REVIEW-ANNUAL",
        "LECTURE-SECRETARY-ANNUAL",
        "EVAL-REVIEW-ANNUAL",
    }


def test_party_group_items(tree):
    assert rows(todo(Org.objects.filter(pk=tree.a_dz.pk), on=ON)) == [
        ("A-DZ", "MTG-DEMOCRATIC-LIFE-ANNUAL", str(Y), D(Y, 12, 31)),
        ("A-DZ", "LECTURE-SECRETARY-ANNUAL", str(Y), D(Y, 12, 31)),
    ]


def test_due_by_the_dissolution_date_when_earlier(tree):
    update_org(actor=None, org=tree.a2, data={"dissolved_on": D(Y, 5, 25)})
    items = todo(Org.objects.filter(pk=tree.a2.pk), on=ON)
    assert {(i.period, i.due_by) for i in items} == {
        (f"{Y}-05", D(Y, 5, 25)),
        (f"{Y}-Q2", D(Y, 5, 25)),
        (str(Y), D(Y, 5, 25)),  # the annual meetings' and EVAL-REVIEW-ANNUAL's
    }


def test_only_organisations_active_on_the_day(tree):
    update_org(actor=None, org=tree.a2, data={"dissolved_on": ON})
    create_org(
        actor=None,
        data={"code": "A3", "name": "甲三支部", "type": "zhibu", "parent": tree.a, "founded_on": D(Y, 5, 21)},
    )
    assert todo(Org.objects.filter(code__in=["A2", "A3"]), on=ON) == []
    assert {i.org.code for i in todo(Org.objects.filter(code__in=["A2", "A3"]), on=D(Y, 5, 21))} == {"A3"}


def test_on_defaults_to_today(tree, time_machine):
    time_machine.move_to(dt.datetime(Y, 8, 3, 9, 0))
    assert {i.period for i in todo(Org.objects.filter(pk=tree.a2.pk))} == {f"{Y}-08", f"{Y}-Q3", str(Y)}


def test_the_live_todo_builds_and_checks_with_the_collector_paused(tree, branch, monkeypatch, collector_spy):
    """As `evaluate`: a city's facts are millions of short-lived objects that the collector would walk again and
    again (the live 待办 of the city took twice as long); it resumes afterwards, also when a build fails."""
    import gc

    from dangjian.compliance import evaluator

    built, checked = collector_spy(evaluator, "build_facts"), collector_spy(evaluator, "todo_of")
    assert gc.isenabled()
    assert todo(Org.objects.subtree(tree.a1), on=ON)
    assert built == [False] and checked == [False] and gc.isenabled()

    def failing(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(evaluator, "build_facts", failing)
    with pytest.raises(RuntimeError):
        todo(Org.objects.subtree(tree.a1), on=ON)
    assert gc.isenabled()
