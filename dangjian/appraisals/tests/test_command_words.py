"""`dangjian appraisals status`'s table names the organisation holding each 述职评议 by its name with its 组织编码
(the JSON keeps its keys), and says the state in words."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("appraisals", *args, stdout=out)
    return out.getvalue()


def test_the_status_table_names_the_organisation_and_the_state(campaign, today):
    lines = run("status", "--year", str(today.year)).splitlines()
    assert lines[0].split()[:3] == ["组织", "述职评议", "状态"]
    row = next(line for line in lines if campaign.title in line)
    assert row.split()[:3] == ["甲委机关党委（A）", campaign.title, "准备"]
    assert "draft" not in row
    (item,) = json.loads(run("status", "--year", str(today.year), "--format", "json"))
    assert (item["org"], item["name"], item["state"]) == ("A", "甲委机关党委", "draft")
