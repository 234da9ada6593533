"""`dangjian import dues-bases|dues-payments`: Excel import and export of 党费 bases and payments."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.conftest import unique_id_number
from dangjian.core.imports import IMPORT_KINDS, export_workbook, run_import, template_workbook
from dangjian.core.models import AuditEvent
from dangjian.core.pii import mask_id_number
from dangjian.core.tests.xlsx_files import save_bytes, write_xlsx
from dangjian.core.xlsx import CellError
from dangjian.dues.models import DuesBase, DuesPayment
from dangjian.dues.xlsx import Money, Month, MonthRange, PayDate
from dangjian.orgs.services import create_org

# --- fixtures and helpers -----------------------------------------------------------------------------------


@pytest.fixture
def people(tree, make_member):
    """Three members of 甲一, one of 甲二."""
    found = {}
    for key, org in (("甲", tree.a1), ("乙", tree.a1), ("丙", tree.a1), ("外", tree.a2)):
        number = unique_id_number()
        found[key] = (make_member(org, name=f"{key}党员", id_number=number), number)
    return found


def member(people, key):
    return people[key][0]


def number(people, key) -> str:
    return people[key][1]


def base_row(people, key="甲", **values) -> dict:
    row = {
        "身份证号": number(people, key),
        "年度": 2026,
        "缴费类别": "在职",
        "月缴费基数": "6500",
        "生效月份": "2026-01",
    }
    row.update(values)
    return row


def payment_row(people, key="甲", **values) -> dict:
    row = {
        "身份证号": number(people, key),
        "所属月份": "2026-01~2026-03",
        "金额": 292.5,  # a number cell, as bank exports have them
        "缴纳日期": dt.datetime(2026, 3, 20),  # an Excel date
        "缴纳方式": "银行转账",
    }
    row.update(values)
    return row


def declare(people, *keys):
    """2026 bases of 6500 元 (97.50 a month) for the members named: a payment needs a declared base."""
    from dangjian.dues.services import declare_base

    for key in keys:
        declare_base(
            actor=None,
            member=member(people, key),
            year=2026,
            category="active",
            monthly_base=Decimal("6500"),
            effective_month=dt.date(2026, 1, 1),
        )


def import_rows(tmp_path, kind, rows, *, actor=None, dry_run=False, name="dues.xlsx"):
    return run_import(kind, write_xlsx(tmp_path / name, rows), actor=actor, dry_run=dry_run)


def errors(result) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


def counts(result) -> tuple[int, int, int]:
    return result.created, result.updated, result.unchanged


# --- cell types ---------------------------------------------------------------------------------------------


def test_money_is_decimal_from_number_cells_and_text():
    money = Money()
    assert money.parse(292.5) == Decimal("292.50")
    assert money.parse(1200) == Decimal("1200.00")
    assert money.parse(0.1 + 0.2) == Decimal("0.30")  # a computed cell, not 0.30000000000000004
    assert money.parse("1,234.5") == Decimal("1234.50")
    assert money.parse("¥ 88.00") == Decimal("88.00")
    assert str(money.parse(32.5)) == "32.50"
    for bad, message in (
        ("abc", "“abc”不是有效金额，应为数字（单位：元）。"),
        ("-1", "金额不能为负数。"),
        (-0.5, "金额不能为负数。"),
        ("1.234", "金额最多保留两位小数。"),
        ("NaN", "“NaN”不是有效金额，应为数字（单位：元）。"),
    ):
        with pytest.raises(CellError) as caught:
            money.parse(bad)
        assert caught.value.message == message
    with pytest.raises(CellError, match="金额必须大于 0"):
        Money(positive=True).parse(0)


def test_months_and_dates_take_the_forms_of_bank_exports(db):
    assert Month().parse("2026-03") == dt.date(2026, 3, 1)
    assert Month().parse("2026年3月") == dt.date(2026, 3, 1)
    assert Month().parse(dt.datetime(2026, 3, 15)) == dt.date(2026, 3, 1)
    with pytest.raises(CellError, match="不是有效月份"):
        Month().parse("2026-13")
    assert PayDate().parse("20260315") == dt.date(2026, 3, 15)
    assert PayDate().parse("2026-03-15 10:23:45") == dt.date(2026, 3, 15)
    assert PayDate().parse(dt.datetime(2026, 3, 15, 10, 23)) == dt.date(2026, 3, 15)
    assert MonthRange().parse("2026-01 ～ 2026-03") == (dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    assert MonthRange().parse("2026-03") == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert MonthRange().parse(dt.datetime(2026, 3, 1)) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert MonthRange().render((dt.date(2026, 1, 1), dt.date(2026, 3, 1))) == "2026-01~2026-03"


# --- bases --------------------------------------------------------------------------------------------------


def test_bases_are_created_then_unchanged_then_updated(people, tmp_path):
    rows = [
        base_row(people, "甲", 月缴费基数=6500),
        base_row(people, "甲", 月缴费基数="7200.50", 生效月份="2026-07", 备注="调资"),
        base_row(people, "乙", 缴费类别="学生", 月缴费基数=None),
        base_row(people, "丙", 缴费类别="其他", 月缴费基数=None, 月缴纳额="50"),
    ]
    result = import_rows(tmp_path, "dues-bases", rows)
    assert result.to_json() == {"created": 4, "updated": 0, "unchanged": 0, "errors": []}
    got = {
        (b.member.name, b.effective_month): (b.year, b.category, b.monthly_base, b.fixed_amount, b.note)
        for b in DuesBase.objects.select_related("member")
    }
    assert got == {
        ("甲党员", dt.date(2026, 1, 1)): (2026, "active", Decimal("6500.00"), None, ""),
        ("甲党员", dt.date(2026, 7, 1)): (2026, "active", Decimal("7200.50"), None, "调资"),
        ("乙党员", dt.date(2026, 1, 1)): (2026, "student", None, None, ""),
        ("丙党员", dt.date(2026, 1, 1)): (2026, "other", None, Decimal("50.00"), ""),
    }
    masked = mask_id_number(number(people, "甲"))
    assert (result.planned[0].row, result.planned[0].action) == (2, "create")
    assert result.planned[0].summary == f"甲党员（{masked}） 2026 年度 在职 6500.00 元，自 2026-01 起"

    assert counts(import_rows(tmp_path, "dues-bases", rows)) == (0, 0, 4)
    rows[0]["月缴费基数"] = 6800
    rows[2]["缴费类别"] = "下岗失业"
    result = import_rows(tmp_path, "dues-bases", rows)
    assert counts(result) == (0, 2, 2)
    assert [p.action for p in result.planned] == ["update", "unchanged", "update", "unchanged"]
    assert DuesBase.objects.count() == 4
    assert DuesBase.objects.get(
        member=member(people, "甲"), effective_month=dt.date(2026, 1, 1)
    ).monthly_base == (Decimal("6800.00"))
    assert DuesBase.objects.get(member=member(people, "乙")).category == "unemployed"


def test_every_bad_base_row_is_reported_with_its_row_and_column(people, tmp_path):
    unknown = unique_id_number()
    rows = [
        base_row(people, "甲"),  # row 2 is fine
        base_row(people, "甲", 身份证号=unknown),
        base_row(people, "甲", 身份证号="110101199001011230"),  # wrong check digit
        base_row(people, "乙", 缴费类别="临时工", 生效月份="2026-02"),
        base_row(people, "乙", 月缴费基数="-100", 生效月份="2026-03"),
        base_row(people, "乙", 月缴费基数="六千", 生效月份="2026-04"),
        base_row(people, "乙", 生效月份="2025-12"),
        base_row(people, "乙", 生效月份="2026-7-1", 月缴纳额=30),
        base_row(people, "丙", 缴费类别="其他", 月缴费基数=None, 生效月份="2026-03"),
        base_row(people, "丙", 月缴费基数=None),
        base_row(people, "甲"),  # same member and month as row 2
        base_row(people, "丙", 年度=26, 生效月份="2026-02"),
    ]
    result = import_rows(tmp_path, "dues-bases", rows)
    assert errors(result) == [
        (3, "身份证号", f"本组织范围内没有身份证号为 {mask_id_number(unknown)} 的党员。"),
        (4, "身份证号", "身份证号校验码错误。"),
        (5, "缴费类别", "“临时工”无效，应为：在职、离退休、学生、下岗失业、依靠抚恤或救济生活、其他。"),
        (6, "月缴费基数", "金额不能为负数。"),
        (7, "月缴费基数", "“六千”不是有效金额，应为数字（单位：元）。"),
        (8, "生效月份", "生效月份 2025-12 不在 2026 年度内。"),
        (9, "月缴纳额", "只有缴费类别为“其他”时才填写月缴纳额。"),
        (10, "月缴纳额", "缴费类别为“其他”时，必须填写支部确定的月缴纳额。"),
        (11, "月缴费基数", "在职、离退休党员必须填写月缴费基数（税后月收入）。"),
        (12, "生效月份", "与第 2 行重复（同一党员、同一生效月份）。"),
        (13, "年度", "“26”不是有效年度，应为四位年份（如 2026）。"),
    ]
    assert unknown not in json.dumps(result.to_json(), ensure_ascii=False)
    assert not DuesBase.objects.exists()  # all or nothing: row 2 was not written either
    assert counts(result) == (0, 0, 0)


def test_a_member_outside_the_actors_scope_is_a_row_error(people, users, tmp_path):
    result = import_rows(tmp_path, "dues-bases", [base_row(people, "外")], actor=users["branch_a1"])
    masked = mask_id_number(number(people, "外"))
    assert errors(result) == [(2, "身份证号", f"本组织范围内没有身份证号为 {masked} 的党员。")]
    result = import_rows(tmp_path, "dues-bases", [base_row(people, "甲")], actor=users["branch_a1"])
    assert counts(result) == (1, 0, 0)


def test_missing_required_column_is_an_error_on_the_header(people, tmp_path):
    row = base_row(people)
    del row["生效月份"]
    assert errors(import_rows(tmp_path, "dues-bases", [row])) == [(1, "生效月份", "缺少必填列。")]


# --- payments -----------------------------------------------------------------------------------------------


def test_payments_from_a_bank_export_are_recorded_once(people, tmp_path):
    declare(people, "甲", "乙", "丙")
    rows = [
        payment_row(people, "甲"),
        payment_row(people, "乙", 所属月份="2026-03", 金额="32.50", 缴纳日期="2026-03-21", 缴纳方式="现金"),
        payment_row(
            people, "丙", 所属月份="2026-03", 金额=20, 缴纳方式="线上", 代缴人身份证号=number(people, "甲")
        ),
    ]
    result = import_rows(tmp_path, "dues-payments", rows)
    assert result.to_json() == {"created": 3, "updated": 0, "unchanged": 0, "errors": []}
    got = {
        p.member.name: (p.first_month, p.last_month, p.amount, p.paid_on, p.method, p.payer_id)
        for p in DuesPayment.objects.select_related("member")
    }
    assert got == {
        "甲党员": (
            dt.date(2026, 1, 1),
            dt.date(2026, 3, 1),
            Decimal("292.50"),
            dt.date(2026, 3, 20),
            "transfer",
            None,
        ),
        "乙党员": (
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 1),
            Decimal("32.50"),
            dt.date(2026, 3, 21),
            "cash",
            None,
        ),
        "丙党员": (
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 1),
            Decimal("20.00"),
            dt.date(2026, 3, 20),
            "online",
            member(people, "甲").pk,
        ),
    }
    masked = mask_id_number(number(people, "丙"))
    assert result.planned[2].summary == f"丙党员（{masked}） 2026-03 20.00 元，2026-03-20 线上，甲党员代缴"

    again = import_rows(tmp_path, "dues-payments", rows)
    assert again.to_json() == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    # A differing row is a new payment, never an update of the old one.
    rows.append(payment_row(people, "乙", 所属月份="2026-04", 金额="32.50", 缴纳日期="2026-04-21"))
    assert counts(import_rows(tmp_path, "dues-payments", rows)) == (1, 0, 3)
    assert DuesPayment.objects.count() == 4


def test_two_equal_payments_in_one_file_stay_two(people, tmp_path):
    declare(people, "甲")
    rows = [payment_row(people, "甲", 所属月份="2026-01", 金额=30) for _ in range(2)]
    refused = import_rows(tmp_path, "dues-payments", rows)  # the same member-month twice: a duplicate
    assert [(e.row, e.column) for e in refused.errors] == [(3, "所属月份")]
    assert "未重复登记" in refused.errors[0].message
    rows[1]["同月再次缴纳"] = "是"
    assert counts(import_rows(tmp_path, "dues-payments", rows)) == (2, 0, 0)
    assert counts(import_rows(tmp_path, "dues-payments", rows)) == (0, 0, 2)
    rows.append(payment_row(people, "甲", 所属月份="2026-01", 金额=30, 同月再次缴纳="是"))
    assert counts(import_rows(tmp_path, "dues-payments", rows)) == (1, 0, 2)
    assert DuesPayment.objects.count() == 3


def test_every_bad_payment_row_is_reported_with_its_row_and_column(people, tmp_path):
    declare(people, "甲", "乙", "丙")
    unknown, stranger = unique_id_number(), unique_id_number()
    rows = [
        payment_row(people, "甲"),  # row 2 is fine
        payment_row(people, "甲", 身份证号=unknown),
        payment_row(people, "甲", 身份证号=310101198506151234.0),  # a number cell: digits lost
        payment_row(people, "乙", 金额=-32.5),
        payment_row(people, "乙", 金额="三十"),
        payment_row(people, "乙", 金额=0),
        payment_row(people, "乙", 所属月份="2026-13"),
        payment_row(people, "乙", 所属月份="2026-03~2026-01"),
        payment_row(people, "乙", 缴纳方式="支票"),
        payment_row(people, "丙", 代缴人身份证号=stranger),
        payment_row(people, "丙", 缴纳日期=(dt.date.today() + dt.timedelta(days=1)).isoformat()),
        payment_row(people, "丙", 缴纳日期="2026-02-30"),
    ]
    result = import_rows(tmp_path, "dues-payments", rows)
    got = errors(result)
    by_row = {row: (column, message) for row, column, message in got}
    assert [(row, column) for row, column, _ in got] == [
        (3, "身份证号"),
        (4, "身份证号"),
        (5, "金额"),
        (6, "金额"),
        (7, "金额"),
        (8, "所属月份"),
        (9, "所属月份"),
        (10, "缴纳方式"),
        (11, "代缴人身份证号"),
        (12, "缴纳日期"),
        (13, "缴纳日期"),
    ]
    assert by_row[3][1] == f"本组织范围内没有身份证号为 {mask_id_number(unknown)} 的党员。"
    assert "文本格式" in by_row[4][1]
    assert by_row[5][1] == "金额不能为负数。"
    assert by_row[6][1] == "“三十”不是有效金额，应为数字（单位：元）。"
    assert by_row[7][1] == "金额必须大于 0。"
    assert by_row[10][1] == "“支票”无效，应为：现金、银行转账、线上。"
    assert by_row[11][1] == f"本组织范围内没有身份证号为 {mask_id_number(stranger)} 的党员。"
    assert by_row[12][1] == "缴纳日期不能晚于今天。"
    assert by_row[13][1] == "“2026-02-30”不是有效日期。"
    text = json.dumps(result.to_json(), ensure_ascii=False)
    assert unknown not in text and stranger not in text
    assert not DuesPayment.objects.exists()
    assert counts(result) == (0, 0, 0)


def test_dry_run_reports_what_would_happen_and_writes_nothing(people, tmp_path):
    declare(people, "甲", "乙")
    events = AuditEvent.objects.count()
    result = import_rows(
        tmp_path, "dues-payments", [payment_row(people, "甲"), payment_row(people, "乙")], dry_run=True
    )
    assert result.to_json() == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    assert [p.action for p in result.planned] == ["create", "create"]
    result = import_rows(tmp_path, "dues-bases", [base_row(people, "丙")], dry_run=True)
    assert counts(result) == (1, 0, 0)
    assert not DuesPayment.objects.exists()
    assert not DuesBase.objects.filter(member=member(people, "丙")).exists()
    assert AuditEvent.objects.count() == events + 2  # the previews' own records, nothing written
    assert set(AuditEvent.objects.order_by("-id")[:2].values_list("action", flat=True)) == {"import_preview"}


def test_a_real_import_is_audited(people, tmp_path):
    declare(people, "甲")
    events = AuditEvent.objects.count()
    import_rows(tmp_path, "dues-payments", [payment_row(people, "甲")], name="银行流水.xlsx")
    summary = AuditEvent.objects.filter(action="import").latest("pk")
    assert summary.object_repr == "导入党费缴纳：银行流水.xlsx"
    assert summary.note == "党费缴纳导入：新增 1，更新 0，未变 0"
    assert AuditEvent.objects.count() > events + 1  # the payment itself and the summary


# --- command ------------------------------------------------------------------------------------------------


def run_command(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("import", *map(str, args), stdout=out, stderr=io.StringIO())
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_command_prints_json_and_exits_1_on_errors(people, tmp_path):
    bases = write_xlsx(tmp_path / "bases.xlsx", [base_row(people, "甲"), base_row(people, "乙")])
    assert run_command("dues-bases", bases, "--format", "json", "--dry-run") == (
        0,
        '{"created": 2, "updated": 0, "unchanged": 0, "errors": []}\n',
    )
    assert not DuesBase.objects.exists()
    assert run_command("dues-bases", bases, "--format", "json")[0] == 0
    assert run_command("dues-bases", bases, "--format", "json")[1] == (
        '{"created": 0, "updated": 0, "unchanged": 2, "errors": []}\n'
    )
    payments = write_xlsx(tmp_path / "pay.xlsx", [payment_row(people, "甲")])
    assert run_command("dues-payments", payments, "--format", "json") == (
        0,
        '{"created": 1, "updated": 0, "unchanged": 0, "errors": []}\n',
    )
    bad = write_xlsx(
        tmp_path / "bad.xlsx", [payment_row(people, "甲"), payment_row(people, "乙", 缴纳方式="支票")]
    )
    code, out = run_command("dues-payments", bad, "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "errors": [{"row": 3, "column": "缴纳方式", "message": "“支票”无效，应为：现金、银行转账、线上。"}],
    }
    code, out = run_command("dues-payments", bad)
    assert code == 1
    assert out.splitlines() == [
        "第 3 行 缴纳方式：“支票”无效，应为：现金、银行转账、线上。",
        "共 1 处错误，未导入任何党费缴纳数据。",
        "党费缴纳：新增 0，更新 0，未变 0",
    ]
    assert DuesPayment.objects.count() == 1


# --- template, export and the web page ----------------------------------------------------------------------


def test_template_example_rows_import_after_the_other_templates(db, tmp_path):
    gw = create_org(actor=None, data={"code": "GW", "name": "市级机关工委", "type": "gongwei"})
    create_org(actor=None, data={"code": "JG01", "name": "示例局机关党委", "type": "dangwei", "parent": gw})
    assert (IMPORT_KINDS["dues-bases"], IMPORT_KINDS["dues-payments"]) == ("党费基数", "党费缴纳")
    for kind in ("orgs", "members", "dues-bases", "dues-payments"):
        path = save_bytes(tmp_path / f"{kind}.xlsx", template_workbook(kind))
        result = run_import(kind, path, actor=None, dry_run=False)
        assert result.ok(), (kind, result.errors)
        assert result.created == 1
    workbook = load_workbook(tmp_path / "dues-payments.xlsx")
    assert workbook.sheetnames == ["党费缴纳", "填写说明"]
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]][:6] == [
        "身份证号",
        "所属月份",
        "金额",
        "缴纳日期",
        "缴纳方式",
        "代缴人身份证号",
    ]
    assert sheet["B2"].value == "2026-01~2026-03"


def test_export_reimports_unchanged(people, tmp_path):
    import_rows(
        tmp_path,
        "dues-bases",
        [base_row(people, "甲"), base_row(people, "丙", 缴费类别="其他", 月缴费基数=None, 月缴纳额=50)],
    )
    import_rows(
        tmp_path,
        "dues-payments",
        [payment_row(people, "甲"), payment_row(people, "丙", 金额=150, 代缴人身份证号=number(people, "甲"))],
    )
    for kind, model in (("dues-bases", DuesBase), ("dues-payments", DuesPayment)):
        path = save_bytes(tmp_path / f"{kind}-export.xlsx", export_workbook(kind, model.objects.all()))
        result = run_import(kind, path, actor=None, dry_run=False)
        assert result.to_json() == {"created": 0, "updated": 0, "unchanged": 2, "errors": []}, kind
    sheet = load_workbook(tmp_path / "dues-payments-export.xlsx").worksheets[0]
    assert {sheet["C2"].value, sheet["C3"].value} == {292.5, 150}  # number cells, as written


def test_import_page_has_a_card_for_each_dues_kind(client, users):
    client.force_login(users["branch_a1"])
    html = client.get(reverse("portal:import_index")).content.decode()
    for kind, label in (("dues-bases", "党费基数"), ("dues-payments", "党费缴纳")):
        assert f'data-testid="import-{kind}"' in html
        assert f'<h2 class="dj-section-title">{label}</h2>' in html
        assert reverse("portal:import_template", args=[kind]) in html
    assert "党费缴纳：逐笔登记缴纳记录" in html
    assert "代缴人身份证号" in html
