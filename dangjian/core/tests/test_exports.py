"""Spreadsheet exports: formula-like text stays text, personal data follows PII_FULL_ACCESS_ROLES, every export
is an audit event, and the pages that carry personal data are never stored by a cache."""

from __future__ import annotations

import ast
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

import dangjian
from dangjian.core import xlsx
from dangjian.core.models import AuditEvent
from dangjian.dues.services import declare_base
from dangjian.orgs.services import create_org, create_post

# Names a spreadsheet program would take for a formula (or a DDE call) if they were written as formulas.
EVIL_MEMBER = '=HYPERLINK("http://x","点我")'
EVIL_ORG = "=1+2"
EVIL_CODE = "=A9"
EVIL_POSITION = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def evil(tree, make_member, today):
    """A branch named like a formula under 甲委, with a member named like one; a post held by that member."""
    branch = create_org(
        actor=None,
        data={
            "code": EVIL_CODE,
            "name": EVIL_ORG,
            "type": "zhibu",
            "parent": tree.a,
            "founded_on": dt.date(2018, 3, 1),
            "unit": "甲委",
        },
    )
    member = make_member(branch, name=EVIL_MEMBER, position=EVIL_POSITION)
    create_post(
        actor=None,
        data={"member": member, "org": branch, "title": "shuji", "started_on": dt.date(2024, 3, 1)},
    )
    year = today.year - 1
    declare_base(
        actor=None,
        member=member,
        year=year,
        category="active",
        monthly_base=Decimal("8000"),
        effective_month=dt.date(year, 1, 1),
    )
    return {"branch": branch, "member": member}


def cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_no_formula(content: bytes, *texts: str) -> None:
    found = cells(content)
    assert [c.coordinate for c in found if c.data_type == "f"] == []
    for text in texts:
        matching = [c for c in found if c.value == text]
        assert matching, f"{text!r} is not in the workbook"
        assert all(c.data_type == "s" for c in matching)


# (url name, query, the texts the file must carry intact); in a query, "A9" stands for the evil branch's id and
# "{year}", "{month}" for the year and month of the day the test runs
WEB_EXPORTS = [
    ("members:export", {}, (EVIL_MEMBER, EVIL_POSITION)),
    ("orgs:export", {}, (EVIL_ORG, EVIL_CODE)),
    ("orgs:post_export", {}, (EVIL_CODE,)),
    ("compliance:export", {"year": "{year}"}, (EVIL_ORG,)),
    ("dues:export", {"month": "{month}", "org": "A9"}, (EVIL_MEMBER, EVIL_ORG)),
]


def _query(today, query: dict, evil) -> dict:
    return {
        k: (evil["branch"].pk if v == "A9" else v.format(year=today.year, month=f"{today:%Y-%m}"))
        for k, v in query.items()
    }


@pytest.mark.parametrize(("name", "query", "texts"), WEB_EXPORTS)
def test_web_exports_write_formula_like_text_as_text(client, users, evil, name, query, texts, today):
    client.force_login(users["gongwei"])
    response = client.get(reverse(name), _query(today, query, evil))
    assert response.status_code == 200
    assert_no_formula(response.content, *texts)


@pytest.mark.parametrize(
    "kind", ["orgs", "members", "posts", "meetings", "dues-bases", "dues-payments", "study-stats"]
)
def test_import_templates_have_no_formula(client, users, kind):
    client.force_login(users["gongwei"])
    response = client.get(reverse("portal:import_template", args=[kind]))
    assert response.status_code == 200
    assert_no_formula(response.content)


@pytest.mark.parametrize(
    ("args", "texts"),
    [  # "{year}", "{last_year}", "{today}": of the day the test runs
        (["dues", "ledger", "--month", "{last_year}-01"], (EVIL_MEMBER,)),
        (["dues", "arrears", "--as-of", "{today}"], (EVIL_MEMBER,)),
        (["compliance", "--year", "{year}"], (EVIL_ORG,)),
    ],
)
def test_command_exports_write_formula_like_text_as_text(evil, tmp_path, args, texts, today):
    args = [a.format(year=today.year, last_year=today.year - 1, today=today.isoformat()) for a in args]
    target = tmp_path / "out.xlsx"
    call_command(
        *args, "--format", "xlsx", "--output", str(target), stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert_no_formula(target.read_bytes(), *texts)
    event = AuditEvent.objects.get(action="export")
    assert event.actor is None and "行" in event.note


def test_the_writer_keeps_numbers_and_dates():
    table = xlsx.Table(
        "表",
        header=("文字", "整数", "金额", "日期", "负数文字"),
        rows=[("+86 138", 3, Decimal("12.50"), dt.date(2021, 7, 1), "-5")],
        formats={2: "0.00"},
    )
    row = openpyxl.load_workbook(io.BytesIO(xlsx.tables_bytes([table]))).active[2]
    assert [(c.value, c.data_type) for c in row] == [
        ("+86 138", "s"),
        (3, "n"),
        (12.5, "n"),
        (dt.datetime(2021, 7, 1), "d"),
        ("-5", "s"),
    ]
    assert row[2].number_format == "0.00"
    assert [c.quotePrefix for c in row] == [True, False, False, False, True]


def test_no_module_but_the_writer_builds_workbooks():
    """One export path: outside `core/xlsx.py` (and the tests) nothing imports openpyxl."""
    root = Path(dangjian.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if "tests" in relative.parts or relative == Path("core/xlsx.py") or relative.name == "conftest.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "openpyxl" or n.startswith("openpyxl.") for n in names):
                offenders.append(str(relative))
    assert offenders == []


# --- personal data follows PII_FULL_ACCESS_ROLES --------------------------------------------------------


def _column(content: bytes, header: str) -> list:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    return [row[headers.index(header)] for row in sheet.iter_rows(min_row=2, values_only=True)]


def _masked(number: str) -> str:
    return f"{number[:6]}********{number[-4:]}"


@pytest.mark.parametrize(("user", "full"), [("gongwei", True), ("dangwei_a", False)])
def test_member_export_shows_personal_data_only_to_full_access_roles(
    client, settings, users, evil, user, full
):
    settings.PII_FULL_ACCESS_ROLES = ["gongwei_admin"]
    member = evil["member"]
    client.force_login(users[user])
    content = client.get(reverse("members:export"), {"org": evil["branch"].pk}).content
    if full:
        assert _column(content, "身份证号") == [member.id_number]
        assert _column(content, "手机号码") == [member.phone]
    else:
        assert _column(content, "身份证号") == [_masked(member.id_number)]
        assert _column(content, "手机号码") == [member.phone_masked]
        assert member.id_number not in str(cells(content))


@pytest.mark.parametrize(("user", "full"), [("gongwei", True), ("dangwei_a", False)])
def test_post_export_shows_personal_data_only_to_full_access_roles(client, settings, users, evil, user, full):
    settings.PII_FULL_ACCESS_ROLES = ["gongwei_admin"]
    member = evil["member"]
    client.force_login(users[user])
    content = client.get(reverse("orgs:post_export"), {"org": evil["branch"].pk}).content
    assert _column(content, "身份证号") == [member.id_number if full else _masked(member.id_number)]


def test_exports_decide_member_by_member(client, settings, tree, make_user, make_member):
    """A 党委管理员 of 甲委 who is also 支部管理员 of 甲一, where only 支部管理员 is a full-access role: 甲一's
    members in full, 甲二's masked — as on each member's detail page."""
    from dangjian.accounts.models import RoleAssignment

    settings.PII_FULL_ACCESS_ROLES = ["branch_admin"]
    a1, a2 = make_member(tree.a1, name="甲一党员"), make_member(tree.a2, name="甲二党员")
    for member in (a1, a2):
        create_post(
            actor=None,
            data={
                "member": member,
                "org": member.org,
                "title": "shuji",
                "started_on": dt.date(2024, 3, 1),
            },
        )
    user = make_user("both", "dangwei_admin", tree.a)
    RoleAssignment.objects.create(user=user, role="branch_admin", org=tree.a1, include_descendants=True)
    client.force_login(user)
    content = client.get(reverse("members:export")).content
    assert dict(zip(_column(content, "姓名"), _column(content, "身份证号"), strict=True)) == {
        "甲一党员": a1.id_number,
        "甲二党员": _masked(a2.id_number),
    }
    content = client.get(reverse("orgs:post_export")).content
    assert sorted(_column(content, "身份证号")) == sorted([a1.id_number, _masked(a2.id_number)])


# --- every export is an audit event ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "query", "texts"), WEB_EXPORTS)
def test_every_web_export_is_audited_without_personal_data(client, users, evil, name, query, texts, today):
    client.force_login(users["gongwei"])
    response = client.get(reverse(name), _query(today, query, evil))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="export")
    assert event.actor == users["gongwei"]
    rows = _data_rows(name, response.content)
    assert rows >= 1
    assert f"，{rows} 行；" in event.note, event.note
    member = evil["member"]
    recorded = " ".join(str(v) for v in (event.note, event.object_repr, event.before, event.after))
    for secret in (member.id_number, member.phone, member.name):
        assert secret not in recorded


def _data_rows(name: str, content: bytes) -> int:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    if name == "dues:export":  # a title line, the header, the members, a blank line and the totals
        return sheet.max_row - 4
    return sheet.max_row - 1


def test_member_export_audit_names_the_filter(client, users, evil):
    client.force_login(users["gongwei"])
    client.get(reverse("members:export"), {"org": evil["branch"].pk, "category": "formal"})
    event = AuditEvent.objects.get(action="export")
    assert event.org_path == evil["branch"].path
    assert event.note == "导出党员名册，1 行；范围：组织==A9; category=formal; status=normal"


# --- no-store on every page that carries personal data -------------------------------------------------


def _import_file(rows: list[list]) -> io.BytesIO:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "党员.xlsx"
    return buffer


MEMBER_IMPORT_HEADER = ["姓名", "身份证号", "人员类别", "入党日期", "转正日期", "所在组织编码"]


def _request(today, client, users, evil, case: str, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    member = evil["member"]
    gongwei, own = users["gongwei"], users["member_a1"]
    if case == "dashboard (own record)":
        client.force_login(own)
        return client.get(reverse("dashboard"))
    if case == "dues:mine":
        client.force_login(own)
        return client.get(reverse("dues:mine"))
    client.force_login(gongwei)
    if case == "import preview":
        rows = [
            MEMBER_IMPORT_HEADER,
            ["新人", member.id_number, "正式党员", "2010-07-01", "2011-07-01", "A1"],
        ]
        return client.post(reverse("portal:import_upload", args=["members"]), {"file": _import_file(rows)})
    if case == "import error report":
        rows = [MEMBER_IMPORT_HEADER, ["新人", "110101", "正式党员", "2010-07-01", "2011-07-01", "A1"]]
        return client.post(reverse("portal:import_upload", args=["members"]), {"file": _import_file(rows)})
    if case == "import commit":
        rows = [
            MEMBER_IMPORT_HEADER,
            ["新人", "11010519491231002X", "正式党员", "2010-07-01", "2011-07-01", "A1"],
        ]
        client.post(reverse("portal:import_upload", args=["members"]), {"file": _import_file(rows)})
        token = client.session["pending_imports"]["members"]["token"]
        return client.post(reverse("portal:import_commit", args=["members"]), {"token": token})
    if case == "members:reveal":
        return client.post(reverse("members:reveal", args=[member.pk]))
    if case in ("members:detail", "members:edit", "members:timeline", "dues:member", "movements:member"):
        return client.get(reverse(case, args=[member.pk]))
    name, query, _texts = (
        next(e for e in WEB_EXPORTS if e[0] == case) if case.endswith("export") else (case, {}, ())
    )
    return client.get(reverse(name), _query(today, query, evil))


NO_STORE_CASES = [
    "members:list",
    "members:detail",
    "members:reveal",
    "members:edit",
    "members:timeline",
    "members:export",
    "orgs:export",
    "orgs:post_export",
    "compliance:export",
    "dues:export",
    "dues:sheet",
    "dues:arrears",
    "dues:member",
    "dues:mine",
    "movements:member",
    "dashboard (own record)",
    "import preview",
    "import error report",
    "import commit",
]


@pytest.mark.parametrize("case", NO_STORE_CASES)
def test_pages_with_personal_data_are_never_stored(client, users, evil, settings, tmp_path, case, today):
    response = _request(today, client, users, evil, case, settings, tmp_path)
    assert response.status_code in (200, 400), response.status_code
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives


@pytest.mark.parametrize("name", ["members:export", "orgs:post_export"])
def test_export_queries_do_not_grow_with_the_members(client, users, tree, make_member, name):
    """The per-member decision on personal data reads nothing more: the same queries for 1 or 6 members."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name), {"org": tree.a2.pk}).status_code == 200
        return len(queries)

    def add_member(n: int) -> None:
        member = make_member(tree.a2, name=f"甲二党员{n}")
        create_post(
            actor=None,
            data={"member": member, "org": tree.a2, "title": "weiyuan", "started_on": dt.date(2024, 3, 1)},
        )

    client.force_login(users["dangwei_a"])
    add_member(0)
    few = export_queries()
    for n in range(1, 6):
        add_member(n)
    assert export_queries() == few
