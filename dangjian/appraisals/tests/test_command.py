"""`dangjian appraisals status|results`: the campaigns of a year (JSON, table), one campaign's results in JSON
and xlsx — the figures only once closed and above the threshold."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dangjian.appraisals import services
from dangjian.appraisals.tests.conftest import ballot_of, to_voting
from dangjian.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("appraisals", *args, stdout=out)
    return out.getvalue()


def test_status_json(party, campaign, today):
    c = to_voting(campaign, party.admin)
    services.cast_vote(actor=party.accounts[party.zhao.pk], campaign=c, ratings=ballot_of(c, party.zhao))
    with CaptureQueriesContext(connection) as queries:
        items = json.loads(run("status", "--year", str(today.year), "--format", "json"))
    assert len(queries) <= 4
    assert items == [
        {
            "campaign": c.pk,
            "org": "A",
            "name": "甲委机关党委",
            "title": c.title,
            "year": today.year,
            "report_year": c.report_year,
            "state": "voting",
            "opened_on": today.isoformat(),
            "voting_from": today.isoformat(),
            "voting_to": None,
            "closed_on": None,
            "subjects": 2,
            "reported": 0,
            "reports_uploaded": 0,
            "participants": 6,
            "voted": 1,
            "paper_ballots": 0,
        }
    ]
    assert json.loads(run("status", "--year", str(today.year), "--org", "B", "--format", "json")) == []
    table = run("status", "--year", str(today.year))
    assert "述职书记" in table.splitlines()[0] and "测评" in table


def test_results_json_hides_the_figures_until_closed_and_enough(party, campaign):
    c = to_voting(campaign, party.admin)
    for m in party.people[:5]:
        services.cast_vote(actor=party.accounts[m.pk], campaign=c, ratings=ballot_of(c, m, "fairly_good"))
    data = json.loads(run("results", str(c.pk), "--format", "json"))
    assert data["campaign"]["tallies_shown"] is False and data["campaign"]["ballots"] == 5
    assert {s["tallies"] for s in data["subjects"]} == {None}
    services.advance(actor=party.admin, campaign=c, confirm_gaps=True)
    data = json.loads(run("results", str(c.pk), "--format", "json"))
    assert data["campaign"]["tallies_shown"] is True
    a1 = next(s for s in data["subjects"] if s["org"] == "A1")
    assert a1["secretary"] == "赵书记" and a1["score"] == "80.00"
    assert a1["tallies"] == {"综合评价": {"good": 0, "fairly_good": 4, "average": 0, "poor": 0}}


def test_results_xlsx_is_written_and_recorded(party, campaign, tmp_path):
    target = tmp_path / "r.xlsx"
    call_command(
        "appraisals",
        "results",
        str(campaign.pk),
        "--format",
        "xlsx",
        "--output",
        str(target),
        stderr=StringIO(),
    )
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][0] == campaign.title
    assert any(r[:2] == ("甲一支部", "赵书记") for r in rows)
    assert AuditEvent.objects.filter(action="export", object_type="appraisals.campaign").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("results", "999999", "--format", "json"),
        ("results", "x", "--format", "json"),
        ("results", "1", "--format", "xlsx"),
    ],
)
def test_bad_arguments_exit_2(party, args):
    with pytest.raises(CommandError) as exc:
        call_command("appraisals", *args, stdout=StringIO())
    assert exc.value.returncode == 2
