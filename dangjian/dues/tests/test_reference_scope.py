"""References a 党费 file makes (党员, 代缴人) are resolved within the importer's scope: a 身份证号 registered in
another 党委 reads exactly as one never registered, in the preview and in the commit, and nothing is written."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from dangjian.conftest import unique_id_number
from dangjian.core.imports import run_import
from dangjian.core.pii import mask_id_number
from dangjian.core.tests.xlsx_files import write_xlsx
from dangjian.dues.models import DuesBase, DuesPayment

HEADER = ["身份证号", "所属月份", "金额", "缴纳日期", "缴纳方式", "代缴人身份证号"]


def unknown(number: str) -> str:
    return f"本组织范围内没有身份证号为 {mask_id_number(number)} 的党员。"


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def probe(tree, users, make_member):
    own_number, foreign_number = unique_id_number(), unique_id_number()
    make_member(tree.a1, name="本支部党员", id_number=own_number)
    make_member(tree.b1, name="乙委的党员", id_number=foreign_number)
    return {"user": users["branch_a1"], "own": own_number, "foreign": foreign_number}


def page(html: str, number: str) -> str:
    """The page without its CSRF tokens and with the masked number replaced: what tells one case from another."""
    lines = [line for line in html.splitlines() if "csrf" not in line.lower() and "once_token" not in line]
    return "\n".join(lines).replace(mask_id_number(number), "#")


def payment_row(member: str, payer: str) -> list:
    return [member, "2026-01", 30, dt.date(2026, 1, 20).isoformat(), "现金", payer]


def upload(client, rows: list[list]):
    workbook = Workbook()
    sheet = workbook.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "党费.xlsx"
    return client.post(reverse("portal:import_upload", args=["dues-payments"]), {"file": buffer})


def test_a_payer_in_another_dangwei_reads_as_an_unknown_number_in_the_preview(client, probe):
    never = unique_id_number()
    client.force_login(probe["user"])
    foreign = upload(client, [payment_row(probe["own"], probe["foreign"])]).content.decode()
    absent = upload(client, [payment_row(probe["own"], never)]).content.decode()
    assert unknown(probe["foreign"]) in foreign
    assert unknown(never) in absent
    assert "乙委的党员" not in foreign
    assert page(foreign, probe["foreign"]) == page(absent, never)
    assert not DuesPayment.objects.exists()


def test_a_payer_in_another_dangwei_is_refused_on_commit_with_the_unknown_message(tmp_path, probe):
    never = unique_id_number()
    rows = [
        dict(zip(HEADER, payment_row(probe["own"], probe["foreign"]), strict=True)),
        dict(zip(HEADER, payment_row(probe["own"], never), strict=True)),
    ]
    result = run_import(
        "dues-payments", write_xlsx(tmp_path / "p.xlsx", rows), actor=probe["user"], dry_run=False
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "代缴人身份证号", unknown(probe["foreign"])),
        (3, "代缴人身份证号", unknown(never)),
    ]
    assert not DuesPayment.objects.exists()


def test_a_member_in_another_dangwei_reads_as_an_unknown_number_in_both_dues_files(tmp_path, probe):
    row = dict(zip(HEADER, payment_row(probe["foreign"], ""), strict=True))
    result = run_import(
        "dues-payments", write_xlsx(tmp_path / "p.xlsx", [row]), actor=probe["user"], dry_run=False
    )
    assert [(e.column, e.message) for e in result.errors] == [("身份证号", unknown(probe["foreign"]))]
    base = {
        "身份证号": probe["foreign"],
        "年度": 2026,
        "缴费类别": "在职",
        "月缴费基数": "6500",
        "生效月份": "2026-01",
    }
    result = run_import(
        "dues-bases", write_xlsx(tmp_path / "b.xlsx", [base]), actor=probe["user"], dry_run=False
    )
    assert [(e.column, e.message) for e in result.errors] == [("身份证号", unknown(probe["foreign"]))]
    assert not DuesPayment.objects.exists() and not DuesBase.objects.exists()


def test_a_dangwei_admin_resolves_a_payer_in_its_subtree(tmp_path, tree, users, make_member):
    own, payer = unique_id_number(), unique_id_number()
    from decimal import Decimal

    from dangjian.dues.services import declare_base

    member = make_member(tree.a1, name="甲一党员", id_number=own)
    make_member(tree.a2, name="甲二党员", id_number=payer)
    declare_base(
        actor=None,
        member=member,
        year=2026,
        category="active",
        monthly_base=Decimal("6000"),
        effective_month=dt.date(2026, 1, 1),
    )
    row = dict(zip(HEADER, payment_row(own, payer), strict=True))
    result = run_import(
        "dues-payments", write_xlsx(tmp_path / "p.xlsx", [row]), actor=users["dangwei_a"], dry_run=False
    )
    assert result.errors == []
    assert DuesPayment.objects.get().payer.name == "甲二党员"


def test_the_payment_service_refuses_a_payer_outside_the_actors_scope(tree, users, make_member):
    from dangjian.core.errors import ServiceError
    from dangjian.dues.services import record_payment

    own, foreign = make_member(tree.a1, name="本支部"), make_member(tree.b1, name="乙委某人")
    with pytest.raises(ServiceError) as refused:
        record_payment(
            actor=users["branch_a1"],
            member=own,
            months="2026-01",
            amount=30,
            paid_on=dt.date(2026, 1, 20),
            method="cash",
            payer=foreign,
        )
    assert (refused.value.message, refused.value.field) == ("所选党员不存在或不在您的管理范围内。", "payer")
    assert not DuesPayment.objects.exists()
