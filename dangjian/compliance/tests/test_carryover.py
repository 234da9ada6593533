"""The refreshes of a year's first months keep the previous year too (rules/workbench.yaml, `previous_year_months`),
evaluated as of its 31 December: the nightly command and the refresh after a write, in a bounded number of
statements whatever the number of organisations; an explicit year, or a day after the window, keeps one year."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.compliance import carryover, kept
from dangjian.compliance.models import KeptResult, KeptStamp, KeptTodo
from dangjian.compliance.tests.test_query_count import populate
from dangjian.core import rulefiles
from dangjian.orgs.models import Org

JAN5 = dt.date(2027, 1, 5)


def test_the_window_is_the_first_months_of_a_year():
    assert carryover.load_params().previous_year_months == 3
    assert carryover.years(JAN5) == [2027, 2026]
    assert carryover.years(dt.date(2027, 3, 31)) == [2027, 2026]
    assert carryover.years(dt.date(2027, 4, 1)) == [2027]


def test_the_parameter_is_checked(tmp_path, settings):
    (tmp_path / "workbench.yaml").write_text("previous_year_months: 13\n", encoding="utf-8")
    settings.RULES_DIR = tmp_path
    with pytest.raises(rulefiles.RuleFileError, match=r"workbench\.yaml"):
        carryover.load_params()


def test_a_january_refresh_keeps_last_year_as_of_its_last_day(tree, make_member):
    make_member(tree.a1, name="王一")
    report = kept.refresh(Org.objects.all(), on=JAN5)
    assert report.previous is not None and report.previous.results > 0
    assert report.previous.todos == 0  # the 待办 are the new year's only
    assert set(KeptStamp.objects.filter(year=2026).values_list("as_of", flat=True)) == {dt.date(2026, 12, 31)}
    assert set(KeptStamp.objects.filter(year=2027).values_list("as_of", flat=True)) == {JAN5}
    assert not KeptTodo.objects.filter(period__startswith="2026").exists()
    # an explicit year keeps that year only; after the window the new year only
    assert kept.refresh(Org.objects.all(), on=JAN5, year=2027).previous is None
    KeptResult.objects.filter(year=2026).delete()
    assert kept.refresh(Org.objects.all(), on=dt.date(2027, 4, 1)).previous is None
    assert not KeptResult.objects.filter(year=2026).exists()


def test_the_nightly_command_in_january_reports_both_years(tree, make_member):
    make_member(tree.a1, name="王一")
    out = StringIO()
    with time_machine.travel(dt.datetime(2027, 1, 5, 2, 0), tick=False):
        call_command("compliance", "refresh", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "个组织 2027 年的" in lines[0] and "个组织 2026 年的" in lines[1]
    assert KeptResult.objects.filter(year=2026).count() > 0
    out = StringIO()
    with time_machine.travel(dt.datetime(2027, 1, 5, 2, 0), tick=False):
        call_command("compliance", "refresh", "--year", "2027", stdout=out)
    assert len(out.getvalue().splitlines()) == 1


def test_a_january_refresh_runs_as_many_statements_for_three_times_the_organisations(tree):
    def statements() -> int:
        with CaptureQueriesContext(connection) as ctx:
            report = kept.refresh(Org.objects.all(), on=JAN5)
        assert report.previous is not None and (report.previous.created, report.previous.changed) == (0, 0)
        return len(ctx.captured_queries)

    populate(tree.gw, 10)
    kept.refresh(Org.objects.all(), on=JAN5)
    few = statements()
    populate(tree.gw, 30)
    kept.refresh(Org.objects.all(), on=JAN5)
    assert statements() == few
