"""党费基数计算器: the page (/dues/calculator/, every signed-in user, writes nothing), its amount parsing,
the bracket sentence built from the rate table, and `dangjian dues base`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.dues.forms import bracket_label, explain_due, parse_amount
from dangjian.dues.models import DuesBase, DuesPayment
from dangjian.dues.rates import load_rates

pytestmark = pytest.mark.django_db

URL = "/dues/calculator/"


def form_data(pays, *, tax="", social="", housing="", annuity="", category="active", month="2026-03"):
    data = {
        "income_tax": tax,
        "social_insurance": social,
        "housing_fund": housing,
        "occupational_annuity": annuity,
        "category": category,
        "month": month,
    }
    for i in range(8):
        name, amount = pays[i] if i < len(pays) else ("", "")
        data[f"pay_name_{i}"] = name
        data[f"pay_amount_{i}"] = amount
    return data


# --- amounts and sentences ----------------------------------------------------------------------------------


def test_parse_amount_is_decimal_and_accepts_thousands_separators():
    assert parse_amount("8,000.50") == D("8000.50")
    assert parse_amount(" 8000.5 ") == D("8000.5")
    assert parse_amount("12,345,678") == D("12345678")
    assert parse_amount("８０００") == D("8000")
    assert parse_amount("300元") == D("300")
    for bad, message in (
        ("-5", "金额不能为负数。"),
        ("abc", "“abc”不是有效金额，请填写如 8000、8000.50 或 8,000.50。"),
        ("8,00", "“8,00”不是有效金额，请填写如 8000、8000.50 或 8,000.50。"),
        ("1.234", "金额最多两位小数。"),
        ("NaN", "“NaN”不是有效金额，请填写如 8000、8000.50 或 8,000.50。"),
        ("1e3", "“1e3”不是有效金额，请填写如 8000、8000.50 或 8,000.50。"),
    ):
        with pytest.raises(ValueError) as caught:
            parse_amount(bad)
        assert str(caught.value) == message


def test_the_sentence_comes_from_the_rate_table():
    schedule = load_rates().schedule_for(dt.date(2026, 3, 1))
    assert bracket_label(schedule, "active", D("3000.00")) == "3000 元（含）以下档"
    assert bracket_label(schedule, "active", D("3000.01")) == "3000 元以上至 5000 元（含）档"
    assert bracket_label(schedule, "active", D("10000.01")) == "10000 元以上档"
    assert bracket_label(schedule, "retired", D("5000.00")) == "5000 元（含）以下档"
    assert bracket_label(schedule, "retired", D("5000.01")) == "5000 元以上档"
    assert (
        explain_due(schedule, "active", D("7300.50"), D("0.015"), D("109.51"))
        == "月缴费基数 7300.50 元，在 5000 元以上至 10000 元（含）档，按 1.5% 计，每月应交 109.51 元。"
    )


# --- the page ----------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
    assert reverse("dues:calculator") == URL


def test_admin_gets_the_form_with_a_tab(client, users):
    client.force_login(users["branch_a1"])
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-current="page">基数计算</a>' in body
    assert body.count('name="pay_amount_') >= 6
    for label in ("个人所得税", "社保（个人缴纳部分）", "公积金（个人缴纳部分）", "职业年金（个人缴纳部分）"):
        assert label in body
    assert '<label class="visually-hidden" for="id_pay_amount_0">工资项目 1 金额（元）</label>' in body
    assert '<option value="active" selected>在职</option>' in body
    assert '<option value="retired">离退休</option>' in body
    assert "学生" not in body.split('name="category"')[1].split("</select>")[0]
    assert f'value="{dt.date.today():%Y-%m}"' in body  # the month defaults to this month
    assert "党支部核定申报" in body
    assert response.context["result"] is None


def test_post_computes_base_rate_and_due_and_writes_nothing(client, users):
    client.force_login(users["branch_a1"])
    before = (AuditEvent.objects.count(), DuesBase.objects.count(), DuesPayment.objects.count())
    data = form_data(
        [("岗位工资", "8,000"), ("", ""), ("薪级工资", "1200.50")],
        tax="300",
        social="800",
        housing="600",
        annuity="200",
    )
    response = client.post(URL, data)
    assert response.status_code == 200
    result = response.context["result"]
    assert (result["base"], result["rate"], result["due"]) == (D("7300.50"), D("0.015"), D("109.51"))
    assert [name for name, _amount in result["items"]] == ["岗位工资", "薪级工资"]
    body = response.content.decode()
    assert (
        "月缴费基数 7300.50 元，在 5000 元以上至 10000 元（含）档，按 1.5% 计，每月应交 109.51 元。" in body
    )
    assert 'data-testid="calc-due">109.51<' in body
    assert (AuditEvent.objects.count(), DuesBase.objects.count(), DuesPayment.objects.count()) == before


@pytest.mark.parametrize(
    ("pay", "category", "base", "rate", "due", "bracket"),
    [
        ("5000", "active", "5000.00", "1%", "50.00", "在 3000 元以上至 5000 元（含）档"),
        ("5000.01", "active", "5000.01", "1.5%", "75.00", "在 5000 元以上至 10000 元（含）档"),
        ("10000", "active", "10000.00", "1.5%", "150.00", "在 5000 元以上至 10000 元（含）档"),
        ("10000.01", "active", "10000.01", "2%", "200.00", "在 10000 元以上档"),
        ("3000", "active", "3000.00", "0.5%", "15.00", "在 3000 元（含）以下档"),
        ("5000", "retired", "5000.00", "0.5%", "25.00", "在 5000 元（含）以下档"),
        ("5001", "retired", "5001.00", "1%", "50.01", "在 5000 元以上档"),
    ],
)
def test_bracket_edges_through_the_page(client, users, pay, category, base, rate, due, bracket):
    """The upper bounds are inclusive and the rate applies to the whole base (FEE-02, FEE-05)."""
    client.force_login(users["member_a1"])
    # the pay is split in two items and a deduction so the edge is reached by the subtraction
    response = client.post(
        URL, form_data([("工资", str(D(pay) + 100)), ("津贴", "50")], social="150", category=category)
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert f"{result['base']}" == base and result["rate_label"] == rate and f"{result['due']}" == due
    assert f"月缴费基数 {base} 元，{bracket}，按 {rate} 计，每月应交 {due} 元。" in response.content.decode()


def test_invalid_amounts_get_chinese_field_errors(client, users):
    client.force_login(users["branch_a1"])
    data = form_data([("岗位工资", "-100"), ("绩效", "八千"), ("津贴", "")], tax="1.234")
    response = client.post(URL, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["pay_amount_0"] == ["金额不能为负数。"]
    assert form.errors["pay_amount_1"] == ["“八千”不是有效金额，请填写如 8000、8000.50 或 8,000.50。"]
    assert form.errors["pay_amount_2"] == ["请填写“津贴”的金额。"]
    assert form.errors["income_tax"] == ["金额最多两位小数。"]
    assert response.context["result"] is None
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and 'aria-describedby="id_pay_amount_0_error"' in body
    assert 'id="id_pay_amount_0_error">金额不能为负数。' in body


def test_empty_form_and_bad_month_are_refused(client, users):
    client.force_login(users["branch_a1"])
    response = client.post(URL, form_data([], month="2026-13"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["pay_amount_0"] == ["请至少填写一项工资项目的金额。"]
    assert errors["month"] == ["月份格式应为 YYYY-MM。"]
    response = client.post(URL, form_data([("工资", "5000")], month="2007-12"))
    assert response.context["form"].errors["month"] == ["2007-12 早于党费标准的生效日期（2008-04-01）。"]
    response = client.post(URL, form_data([("工资", "5000")], category="student"))
    assert "category" in response.context["form"].errors


def test_deductions_exceeding_the_pay_are_explained(client, users):
    client.force_login(users["member_a1"])
    response = client.post(URL, form_data([("工资", "3000")], tax="100", social="2000", housing="1000.50"))
    assert response.status_code == 400
    assert response.context["result"] is None
    assert "扣除项合计 3100.50 元超过工资项目合计 3000.00 元，月缴费基数不能为负数，请核对各项金额。" in (
        response.content.decode()
    )


def test_member_reaches_it_from_my_dues_without_the_admin_tabs(client, users):
    client.force_login(users["member_a1"])
    mine = client.get(reverse("dues:mine")).content.decode()
    assert f'href="{URL}" data-testid="calculator-link"' in mine
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "收缴表" not in body and "基数计算</a>" not in body
    assert response.context["nav"] == "dues_mine"
    response = client.post(URL, form_data([("工资", "6000")]))
    assert response.context["result"]["due"] == D("90.00")


def test_a_user_without_roles_or_member_can_use_it(client, users):
    client.force_login(users["norole"])
    assert client.get(URL).status_code == 200


# --- the command -------------------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("dues", "base", *args, stdout=out)
    return out.getvalue()


def test_command_json():
    args = ["--pay", "8000", "--pay", "1200.50", "--tax", "300", "--social", "800", "--housing", "600"]
    data = json.loads(run(*args, "--annuity", "200", "--format", "json"))
    assert data == {"base": "7300.50", "category": "active", "rate": "0.015", "due": "109.51"}
    data = json.loads(
        run("--pay", "5,000", "--category", "retired", "--month", "2026-03", "--format", "json")
    )
    assert data == {"base": "5000.00", "category": "retired", "rate": "0.005", "due": "25.00"}
    data = json.loads(run("--pay", "10000.01", "--format", "json"))
    assert (data["rate"], data["due"]) == ("0.02", "200.00")


def test_command_rate_matches_the_ledger_json(tree, make_member):
    from dangjian.dues.services import declare_base

    member = make_member(tree.a1, name="王一")
    declare_base(
        actor=None,
        member=member,
        year=2026,
        category="active",
        monthly_base=D("7300.50"),
        effective_month=dt.date(2026, 1, 1),
    )
    out = StringIO()
    call_command("dues", "ledger", "--month", "2026-03", "--format", "json", stdout=out)
    (row,) = json.loads(out.getvalue())
    data = json.loads(run("--pay", "7300.50", "--month", "2026-03", "--format", "json"))
    assert (data["base"], data["rate"], data["due"]) == (row["base"], row["rate"], row["due"])


def test_command_table_is_chinese():
    text = run("--pay", "8000", "--pay", "1200.50", "--tax", "300", "--month", "2026-03")
    assert "月缴费基数" in text and "8900.50 元" in text and "在职" in text and "2026-03" in text
    assert (
        "月缴费基数 8900.50 元，在 5000 元以上至 10000 元（含）档，按 1.5% 计，每月应交 133.51 元。" in text
    )


def test_command_table_lines():
    text = run("--pay", "8000", "--pay", "1200.50", "--tax", "300", "--month", "2026-03")
    assert text.splitlines() == [
        "工资项目合计              9200.50 元（2 项）",
        "个人所得税                300.00 元",
        "社保（个人缴纳部分）      0.00 元",
        "公积金（个人缴纳部分）    0.00 元",
        "职业年金（个人缴纳部分）  0.00 元",
        "月缴费基数                8900.50 元",
        "缴费类别                  在职",
        "所属月份                  2026-03",
        "比例                      1.5%",
        "每月应交                  133.51 元",
        "月缴费基数 8900.50 元，在 5000 元以上至 10000 元（含）档，按 1.5% 计，每月应交 133.51 元。",
        "（仅为计算结果，未保存；月缴费基数以党支部核定申报的为准。）",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "请用 --pay 至少填写一项工资项目的金额"),
        (["--pay", "abc"], "工资项目 --pay：“abc”不是有效金额"),
        (["--pay", "-5"], "工资项目 --pay：金额不能为负数。"),
        (["--pay", "100", "--tax", "x"], "个人所得税 --tax：“x”不是有效金额"),
        (["--pay", "100", "--social", "300"], "扣除项合计 300.00 元超过工资项目合计 100.00 元"),
        (["--pay", "100", "--category", "student"], "缴费类别“student”无效"),
        (["--pay", "100", "--month", "2026-13"], "月份“2026-13”无效"),
        (["--pay", "100", "--month", "2007-01"], "早于党费标准的生效日期"),
    ],
)
def test_command_bad_input_exits_2(args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    assert message in str(caught.value)
