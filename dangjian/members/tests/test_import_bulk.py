"""The members file writes its new members in chunks (`members.xlsx.BULK_ROWS` at a time, through
`services.create_members`): the same rows, errors, refusals and audit events as one `create_member` per row,
with a number of queries that grows with the chunks, not the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from dangjian.conftest import unique_id_number
from dangjian.core import auditchain
from dangjian.core.errors import ServiceError
from dangjian.core.imports import RowError, run_import
from dangjian.core.models import AuditEvent
from dangjian.core.pii import mask_id_number
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.members import xlsx as member_xlsx
from dangjian.members.models import Member
from dangjian.members.services import MembersRefused, create_members, id_number_taken
from dangjian.members.tests.test_xlsx import row

EVENT_FIELDS = ("actor_label", "action", "object_type", "object_repr", "org_path", "before", "after", "note")


@pytest.fixture
def chunk(monkeypatch):
    def _set(size: int) -> None:
        monkeypatch.setattr(member_xlsx, "BULK_ROWS", size)

    return _set


class _Undo(Exception):
    pass


def _one_by_one(*args, **kwargs):
    """Stands in for `create_members` so that every new member goes through `create_member`, row by row (the
    importer's fallback when a bulk write fails): the behaviour before the chunks."""
    raise DatabaseError("forced")


def _run_and_undo(path, **kwargs):
    """Imports for real, keeps what the import did (its result, its audit events), then undoes it."""
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    kept = {}
    try:
        with transaction.atomic():
            result = run_import("members", path, **kwargs)
            events = AuditEvent.objects.filter(id__gt=since).order_by("id")
            kept["events"] = [tuple(getattr(e, f) for f in EVENT_FIELDS) for e in events]
            kept["chain_ok"] = auditchain.verify().ok
            kept["members"] = sorted(
                Member.objects.values_list("name", "id_number_hash", "org__code", "category", "phone")
            )
            raise _Undo
    except _Undo:
        pass
    return result, kept


def test_chunks_write_what_one_member_at_a_time_writes(tree, tmp_path, make_member, chunk, monkeypatch):
    existing = make_member(tree.a1, name="老党员")
    rows = [row(f"党员{i}", unique_id_number(), org="A1" if i % 3 else "A1G1") for i in range(8)]
    rows.insert(3, row("老党员", existing.id_number, org="A2"))  # a move: written on its own, in file order
    rows.insert(6, row("书记", unique_id_number(), 党内职务="书记", 任职日期="2024-03-01"))  # a new post
    rows.append(
        row("预备", unique_id_number(), category="预备党员", confirmed=None, 手机号码="139 0000 1111")
    )
    path = write_xlsx(tmp_path / "mixed.xlsx", rows)
    chunk(3)

    bulk, bulk_kept = _run_and_undo(path, actor=None, dry_run=False)
    monkeypatch.setattr(member_xlsx, "create_members", _one_by_one)
    single, single_kept = _run_and_undo(path, actor=None, dry_run=False)

    assert bulk.to_json() == single.to_json() == {"created": 10, "updated": 1, "unchanged": 0, "errors": []}
    assert bulk.planned == single.planned
    assert bulk_kept == single_kept
    assert bulk_kept["chain_ok"]
    creates = [e for e in bulk_kept["events"] if e[1] == "create" and e[2] == "members.member"]
    assert [e[3] for e in creates] == [r["姓名"] for r in rows if r["姓名"] != "老党员"]  # in file order


def test_refused_rows_get_the_same_errors_in_and_out_of_chunks(tree, tmp_path, chunk, monkeypatch):
    rows = [row(f"党员{i}", unique_id_number()) for i in range(7)]
    rows[1] = row("党委里", unique_id_number(), org="A")  # refused by the service: not a branch
    rows[4] = row("早入党", unique_id_number(), joined="2011-07-01", confirmed="2011-07-01")
    rows[5] = row("预备", unique_id_number(), category="预备党员")  # with a 转正日期
    path = write_xlsx(tmp_path / "refused.xlsx", rows)
    chunk(3)

    bulk, _ = _run_and_undo(path, actor=None, dry_run=False)
    monkeypatch.setattr(member_xlsx, "create_members", _one_by_one)
    single, _ = _run_and_undo(path, actor=None, dry_run=False)

    assert bulk.errors == single.errors
    assert [e.row for e in bulk.errors] == [3, 6, 7]
    assert bulk.errors[0] == RowError(3, "所在组织编码", "党员只能编入党支部或党小组，“甲委机关党委”是党委。")
    assert bulk.created == 0 and not Member.objects.exists()


def test_duplicates_across_chunks_are_refused(tree, tmp_path, make_member, chunk):
    on_roll = make_member(tree.a2, name="已登记")
    numbers = [unique_id_number() for _ in range(7)]
    rows = [row(f"党员{i}", n) for i, n in enumerate(numbers)]
    rows.append(row("重复", numbers[1]))  # row 9 repeats row 3, two chunks later
    rows.append(row("已在册", on_roll.id_number))  # row 10: registered elsewhere in the system
    chunk(3)
    result = run_import("members", write_xlsx(tmp_path / "dup.xlsx", rows), actor=None, dry_run=False)
    masked = mask_id_number(numbers[1])
    assert result.errors == [RowError(9, "身份证号", f"身份证号 {masked} 与第 3 行重复。")]
    assert Member.objects.count() == 1

    # a branch admin of 甲一 meets the number registered in 甲二 in a later chunk: the system-wide message
    rows.pop(-2)
    path = write_xlsx(tmp_path / "taken.xlsx", rows)
    admin = _branch_admin(tree)
    result = run_import("members", path, actor=admin, dry_run=False)
    assert result.errors == [RowError(9, "身份证号", id_number_taken())]
    assert Member.objects.count() == 1


def _branch_admin(tree):
    from dangjian.accounts.models import RoleAssignment, User

    user = User.objects.create_user(username="branch_a1_bulk", password="x-Very-Long-Password-1")
    RoleAssignment.objects.create(user=user, role="branch_admin", org=tree.a1, include_descendants=True)
    return user


def test_an_error_on_excel_row_50000_refuses_the_whole_file(tree, tmp_path, chunk):
    workbook = Workbook()
    sheet = workbook.active
    header = list(row("x", "y"))
    sheet.append(header)
    for i in range(10):
        sheet.append(list(row(f"党员{i}", unique_id_number()).values()))
    bad = row("最后一行", unique_id_number(), org="A")
    for col, value in enumerate(bad.values(), start=1):
        sheet.cell(row=50_000, column=col, value=value)
    path = tmp_path / "last.xlsx"
    workbook.save(path)
    chunk(4)
    preview = run_import("members", path, actor=None, dry_run=True)
    assert [e.row for e in preview.errors] == [50_000]
    assert preview.rows == 11 and preview.created == 0
    result = run_import("members", path, actor=None, dry_run=False)
    assert result.errors == preview.errors
    assert not Member.objects.exists()
    assert not AuditEvent.objects.filter(object_type="members.member").exists()


def test_a_chunk_the_database_refuses_is_written_row_by_row(tree, tmp_path, chunk, monkeypatch):
    """A refusal the checks do not foresee (here: the bulk insert fails) still names its row."""
    rows = [row(f"党员{i}", unique_id_number()) for i in range(5)]
    path = write_xlsx(tmp_path / "db.xlsx", rows)
    chunk(2)
    calls = []

    def failing(**kwargs):
        calls.append(len(kwargs["data"]))
        raise DatabaseError("forced")

    monkeypatch.setattr(member_xlsx, "create_members", failing)
    result = run_import("members", path, actor=None, dry_run=False)
    assert calls == [2, 2, 1]
    assert (result.created, result.errors) == (5, [])
    assert Member.objects.count() == 5


def _queries(tmp_path, name, count, chunk_rows, chunk):
    chunk(chunk_rows)
    path = write_xlsx(tmp_path / name, [row(f"党员{i}", unique_id_number()) for i in range(count)])
    with CaptureQueriesContext(connection) as ctx:
        result = run_import("members", path, actor=None, dry_run=True)
    assert (result.created, result.errors) == (count, [])
    return len(ctx.captured_queries)


def test_queries_grow_with_the_chunks_not_the_rows(tree, tmp_path, chunk):
    one_small = _queries(tmp_path, "a.xlsx", 10, 10, chunk)
    one_large = _queries(tmp_path, "b.xlsx", 40, 40, chunk)
    assert one_large == one_small  # one chunk: the same queries whatever its size
    two = _queries(tmp_path, "c.xlsx", 20, 10, chunk)
    four = _queries(tmp_path, "d.xlsx", 40, 10, chunk)
    per_chunk = two - one_small
    assert four - two == 2 * per_chunk
    assert per_chunk <= 8 < 10  # fewer queries per chunk than rows in it (one member at a time: ~8 per row)


def test_create_members_refuses_as_create_member_does_and_writes_nothing(tree, make_member, users):
    on_roll = make_member(tree.a2, name="已登记")
    twice = unique_id_number()

    def data(name, number, org):
        return {
            "name": name,
            "id_number": number,
            "category": "formal",
            "joined_on": dt.date(2010, 7, 1),
            "confirmed_on": dt.date(2011, 7, 1),
            "org": org,
            "work_status": "active",
        }

    items = [
        data("甲", twice, tree.a1),
        data("乙", twice, tree.a1),  # the same number again: on the roll by then
        data("丙", on_roll.id_number, tree.a1),
        data("丁", unique_id_number(), tree.a2),  # outside a branch admin of 甲一's scope
        data("", "123", tree.a1),
    ]
    before = (Member.objects.count(), AuditEvent.objects.count())
    with pytest.raises(MembersRefused) as refused:
        create_members(actor=users["branch_a1"], data=items)
    errors = {i: e.errors or {e.field: [e.message]} for i, e in refused.value.refusals.items()}
    assert errors == {
        1: {"id_number": [id_number_taken()]},
        2: {"id_number": [id_number_taken()]},
        3: {None: ["所选组织不在您的管理范围内，未新增党员。"]},
        4: {"name": ["姓名不能为空。"], "id_number": ["身份证号应为18位，实际3位。"]},
    }
    assert isinstance(refused.value, ServiceError)
    assert (Member.objects.count(), AuditEvent.objects.count()) == before

    created = create_members(actor=users["branch_a1"], data=[items[0]])
    assert [m.name for m in created] == ["甲"]
    event = AuditEvent.objects.filter(action="create", object_type="members.member").latest("id")
    assert (event.object_id, event.actor, event.after["id_number"]) == (
        str(created[0].pk),
        users["branch_a1"],
        mask_id_number(twice),
    )
    assert auditchain.verify().ok
