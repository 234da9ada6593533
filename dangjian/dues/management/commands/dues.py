"""`dangjian dues ledger --month YYYY-MM [--org CODE] [--format table|json|xlsx] [--output FILE]`,
`dangjian dues arrears --as-of YYYY-MM-DD [--org CODE] [--format table|json|xlsx] [--output FILE]` and
`dangjian dues base --pay AMOUNT [--pay AMOUNT …] [--tax T] [--social S] [--housing H] [--annuity A]
[--category active|retired] [--month YYYY-MM] [--format table|json]` (the 党费基数计算器: writes nothing).

--org: that organisation and its subtree (default: every member). Exit 2 for bad arguments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.core import tables, xlsx
from dangjian.core.downloads import record_export
from dangjian.dues.calculator import ZERO, base_from_pay, monthly_due
from dangjian.dues.choices import ArrearsLevel, DuesCategory, LedgerStatus
from dangjian.dues.forms import bracket_categories, explain_due, parse_amount
from dangjian.dues.ledger import arrears, ledger
from dangjian.dues.rates import RatesError, load_rates
from dangjian.dues.selectors import rate_label
from dangjian.members.models import Member
from dangjian.orgs.choices import chinese_label
from dangjian.orgs.models import Org


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def ledger_json(rows) -> list[dict]:
    return [
        {
            "member": r.member_name,
            "org": r.org_code,
            "category": chinese_label(DuesCategory, r.category),
            "base": _money(r.base),
            "rate": _rate(r.rate),
            "due": _money(r.due),
            "paid": _money(r.paid),
            "status": r.status,
        }
        for r in rows
    ]


def arrears_json(rows) -> list[dict]:
    return [
        {
            "member": r.member_name,
            "org": r.org_code,
            "unpaid_months": r.unpaid_months,
            "consecutive": r.consecutive,
            "level": r.level,
            "case_runs": r.case_runs,
            "unreviewed_runs": r.unreviewed_runs,
        }
        for r in rows
    ]


LEDGER_HEADERS = {
    "member": "姓名",
    "org": "组织编码",
    "category": "缴费类别",
    "base": "月缴费基数",
    "rate": "比例",
    "due": "应交",
    "paid": "已交",
    "status": "状态",
}
ARREARS_HEADERS = {
    "member": "姓名",
    "org": "组织编码",
    "unpaid_months": "欠缴月份",
    "consecutive": "最近连续欠缴月数",
    "level": "等级",
    "case_runs": "须审查的连续欠缴",
    "unreviewed_runs": "其中尚未审查",
}


def _cells(kind: str, item: dict) -> list[str]:
    out = []
    for key, value in item.items():
        if key == "status":
            value = chinese_label(LedgerStatus, value)
        elif key == "level":
            value = chinese_label(ArrearsLevel, value)
        elif key in ("unpaid_months", "case_runs", "unreviewed_runs"):
            value = "、".join(value)
        out.append("" if value is None else str(value))
    return out


def write_xlsx(headers: dict[str, str], items: list[dict], kind: str, target) -> None:
    rows = (
        [
            Decimal(c) if k in ("base", "due", "paid") and c else c
            for k, c in zip(headers, _cells(kind, item), strict=True)
        ]
        for item in items
    )
    title = "党费台账" if kind == "ledger" else "党费欠缴"
    xlsx.save_tables([xlsx.Table(title, header=tuple(headers.values()), rows=rows)], target)


DEDUCTION_OPTIONS = (
    ("tax", "income_tax", "个人所得税"),
    ("social", "social_insurance", "社保（个人缴纳部分）"),
    ("housing", "housing_fund", "公积金（个人缴纳部分）"),
    ("annuity", "occupational_annuity", "职业年金（个人缴纳部分）"),
)


class Command(BaseCommand):
    help = "党费：某月台账（应交、已交、状态）、截至某日的欠缴情况，或按工资项目计算月缴费基数和应交党费。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{ledger,arrears,base,snapshots}")
        sub.required = True
        sub.add_parser(
            "snapshots",
            help="重新计算全部党员的党费台账快照（修改党费标准文件或舍入设置后运行；合规检查据此读取）",
        )
        led = sub.add_parser("ledger", help="某月党费台账")
        led.add_argument("--month", required=True, metavar="YYYY-MM", help="所属月份，如 2026-03")
        arr = sub.add_parser("arrears", help="截至某日的欠缴情况")
        arr.add_argument("--as-of", required=True, metavar="YYYY-MM-DD", help="截至日期")
        for p in (led, arr):
            p.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织")
            p.add_argument("--format", choices=["table", "json", "xlsx"], default="table")
            p.add_argument("--output", metavar="FILE", help="输出文件（xlsx 格式必填）")
        base = sub.add_parser("base", help="按工资项目计算月缴费基数和每月应交党费（不保存）")
        base.add_argument(
            "--pay", action="append", metavar="AMOUNT", help="一项工资项目的金额（元），可重复，如 --pay 8000"
        )
        for option, _key, label in DEDUCTION_OPTIONS:
            base.add_argument(f"--{option}", metavar="AMOUNT", help=f"{label}（元），默认 0")
        base.add_argument(
            "--category",
            default=DuesCategory.ACTIVE.value,
            metavar="active|retired",
            help="缴费类别，默认 active（在职）",
        )
        base.add_argument("--month", metavar="YYYY-MM", help="所属月份（决定适用的党费标准），默认本月")
        base.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        if options["action"] == "base":
            self._base(options)
            return
        if options["action"] == "snapshots":
            from dangjian.dues import snapshots
            from dangjian.members.models import Member

            try:
                with transaction.atomic():
                    count = snapshots.refresh(Member.objects.all())
            except RatesError as exc:
                raise _fail(exc.message) from exc
            self.stdout.write(f"已重新计算 {count} 名党员的党费台账快照。")
            return
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise _fail("xlsx 格式须用 --output 指定输出文件。")
        members = self._members(options["org"])
        try:
            if options["action"] == "ledger":
                month = self._month(options["month"])
                kind, headers, items = "ledger", LEDGER_HEADERS, ledger_json(ledger(members, month))
            else:
                as_of = self._date(options["as_of"])
                kind, headers, items = "arrears", ARREARS_HEADERS, arrears_json(arrears(members, as_of))
        except RatesError as exc:
            raise _fail(exc.message) from exc
        if fmt == "xlsx":
            write_xlsx(headers, items, kind, output)
            period = options["month"] if kind == "ledger" else options["as_of"]
            record_export(
                actor=None,
                what="党费台账" if kind == "ledger" else "党费欠缴情况",
                object_type="dues.ledger",
                org_path=Org.objects.filter(code=options["org"] or "").values_list("path", flat=True).first()
                or "",
                scope=f"{period}，{options['org'] or '全部组织'}（命令行，{output}）",
                rows=len(items),
            )
            self.stderr.write(f"已写入 {output}（{len(items)} 行）。")
            return
        if fmt == "json":
            text = tables.to_json(items)
        else:
            text = tables.format_table(list(headers.values()), [_cells(kind, i) for i in items])
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")

    def _base(self, options) -> None:
        pays = options["pay"] or []
        if not pays:
            raise _fail("请用 --pay 至少填写一项工资项目的金额，如 --pay 8000。")
        items = [self._amount(value, "工资项目 --pay") for value in pays]
        deductions = {
            key: self._amount(options[option], f"{label} --{option}") if options[option] else ZERO
            for option, key, label in DEDUCTION_OPTIONS
        }
        categories = dict(bracket_categories())
        category = options["category"].strip()
        by_label = {str(label): value for value, label in categories.items()}
        category = by_label.get(category, category)
        if category not in categories:
            allowed = "、".join(f"{value}（{label}）" for value, label in categories.items())
            raise _fail(f"缴费类别“{options['category']}”无效，应为 {allowed}。")
        month = self._month(options["month"]) if options["month"] else dt.date.today().replace(day=1)
        try:
            schedule = load_rates().schedule_for(month)
        except RatesError as exc:
            raise _fail(exc.message) from exc
        if category not in schedule.brackets:
            raise _fail(f"{month:%Y-%m} 适用的党费标准没有“{categories[category]}”的比例档次。")
        try:
            base = base_from_pay(items, **deductions)
        except ValueError:
            raise _fail(
                f"扣除项合计 {sum(deductions.values(), ZERO):.2f} 元超过工资项目合计 "
                f"{sum(items, ZERO):.2f} 元，月缴费基数不能为负数，请核对各项金额。"
            ) from None
        due, rate = monthly_due(category, base, month)
        if options["format"] == "json":
            data = {"base": _money(base), "category": category, "rate": _rate(rate), "due": _money(due)}
            self.stdout.write(tables.to_json(data, one_line=True), ending="")
            return
        rows = [
            ("工资项目合计", f"{sum(items, ZERO):.2f} 元（{len(items)} 项）"),
            *((label, f"{deductions[key]:.2f} 元") for _option, key, label in DEDUCTION_OPTIONS),
            ("月缴费基数", f"{base:.2f} 元"),
            ("缴费类别", str(categories[category])),
            ("所属月份", f"{month:%Y-%m}"),
            ("比例", rate_label(rate)),
            ("每月应交", f"{due:.2f} 元"),
        ]
        text = "\n".join(tables.align(rows))
        sentence = explain_due(schedule, category, base, rate, due)
        self.stdout.write(
            f"{text}\n{sentence}\n（仅为计算结果，未保存；月缴费基数以党支部核定申报的为准。）\n", ending=""
        )

    def _amount(self, value: str, label: str) -> Decimal:
        try:
            return parse_amount(value)
        except ValueError as exc:
            raise _fail(f"{label}：{exc}") from None

    def _month(self, value: str) -> dt.date:
        try:
            year, month = value.split("-")
            return dt.date(int(year), int(month), 1)
        except ValueError:
            raise _fail(f"月份“{value}”无效，应为 YYYY-MM。") from None

    def _date(self, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _fail(f"日期“{value}”无效，应为 YYYY-MM-DD。") from None

    def _members(self, code: str | None):
        members = Member.objects.all()
        if not code:
            return members
        org = Org.objects.filter(code=code).first()
        if org is None:
            raise _fail(f"组织编码“{code}”不存在。")
        return members.in_subtree(org)
