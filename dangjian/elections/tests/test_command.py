import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.elections.services import record_term_adjustment
from dangjian.orgs.services import create_org, update_org


def run(*args):
    out = io.StringIO()
    call_command("elections", "terms", *args, stdout=out)
    return out.getvalue()


def test_terms_json_statuses(tree):
    # founded 2018-03-01: A (党委, 5 years) ends 2023-03-01; branches (3 years) 2021-03-01
    update_org(actor=None, org=tree.a1, data={"term_started_on": dt.date(2023, 9, 1)})  # ends 2026-09-01
    a2 = update_org(actor=None, org=tree.a2, data={"term_started_on": dt.date(2022, 9, 1)})  # ends 2025-09-01
    update_org(actor=None, org=tree.b1, data={"term_started_on": dt.date(2024, 1, 1)})  # ends 2027-01-01
    update_org(actor=None, org=tree.b_zz, data={"term_started_on": dt.date(2021, 12, 1)})  # ends 2024-12-01
    record_term_adjustment(
        actor=None,
        org=a2,
        kind="postpone",
        approved_on=dt.date(2025, 8, 1),
        approving_body="甲委机关党委",
        new_due_on=dt.date(2026, 8, 1),
        reason="机构改革",
    )
    items = {i["org"]: i for i in json.loads(run("--as-of", "2026-04-01", "--format", "json"))}
    assert set(items) == {"A", "A1", "A2", "B", "B-ZZ", "B1"}  # no 工委, 党组 or 党小组
    assert items["A1"] == {
        "org": "A1",
        "name": "甲一支部",
        "term_end": "2026-09-01",
        "months_left": 5,
        "status": "due",
        "postponed_to": None,
    }
    assert items["A2"]["status"] == "due" and items["A2"]["postponed_to"] == "2026-08-01"
    assert items["B1"]["status"] == "ok" and items["B1"]["months_left"] == 9
    assert items["B-ZZ"]["status"] == "violation"  # overdue since 2024-12-01, no postponement
    assert items["A"]["status"] == "violation"
    update_org(actor=None, org=tree.a, data={"term_started_on": dt.date(2020, 10, 1)})  # ends 2025-10-01
    items = {i["org"]: i for i in json.loads(run("--as-of", "2026-04-01", "--format", "json"))}
    assert items["A"]["status"] == "overdue" and items["A"]["months_left"] == -6


def test_org_filter_table_and_bad_arguments(tree):
    text = run("--as-of", "2026-04-01", "--org", "B")
    assert "乙一支部" in text and "甲一支部" not in text and "共 3 行" in text
    with pytest.raises(CommandError, match="不存在"):
        run("--as-of", "2026-04-01", "--org", "NOPE")
    with pytest.raises(CommandError, match="无效"):
        run("--as-of", "2026-13-01")


def test_fixed_number_of_queries(tree):
    with CaptureQueriesContext(connection) as ctx:
        run("--as-of", "2026-04-01", "--format", "json")
    few = len(ctx.captured_queries)
    update_org(actor=None, org=tree.a1, data={"term_started_on": dt.date(2023, 9, 1)})
    for code in ("A3", "A4", "A5"):
        data = {
            "code": code,
            "name": code,
            "type": "zhibu",
            "parent": tree.a,
            "founded_on": dt.date(2024, 1, 1),
        }
        create_org(actor=None, data=data)
    with CaptureQueriesContext(connection) as ctx:
        run("--as-of", "2026-04-01", "--format", "json")
    assert len(ctx.captured_queries) == few <= 2


def test_terms_table_lines(tree):
    update_org(actor=None, org=tree.b1, data={"term_started_on": dt.date(2024, 1, 1)})  # ends 2027-01-01
    assert run("--as-of", "2026-04-01", "--org", "B").splitlines() == [
        "组织编码  组织名称      届满日期    剩余月数  状态          批准换届日期",
        "B-ZZ      乙总支        2021-03-01  -61       超期一年以上",
        "B         乙委机关党委  2023-03-01  -37       超期一年以上",
        "B1        乙一支部      2027-01-01  9         正常",
        "共 3 行",
    ]
