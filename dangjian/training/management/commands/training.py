"""`dangjian training gaps|hours --year Y [--as-of D] [--org CODE] [--format table|json]`

- gaps: what the TRAIN-* rules (latest rulebook) find missing, one line per member and rule whose result is
  未满足 (fail) or 待定 (pending, the year or the 6 months not yet over): JSON objects
  {member, org, rule, status, missing};
- hours: each member on the roll of the 党支部 (with its 党小组), alphabetical within the branch, never a
  ranking: JSON objects {member, org, training_hours, platform_hours, total, target, met}.

--org: that organisation and its subtree (default: everything). --as-of defaults to today (a day after the
year means 31 December). Exit 2 for bad arguments.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import tables
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org
from dangjian.training import selectors
from dangjian.training.params import StudyParamsError

HEADERS = {
    "gaps": {"member": "姓名", "org": "组织编码", "rule": "规则", "status": "状态", "missing": "缺少"},
    "hours": {
        "member": "姓名",
        "org": "组织编码",
        "training_hours": "培训学时",
        "platform_hours": "平台学时",
        "total": "合计",
        "target": "目标",
        "met": "达标",
    },
}


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def _num(value) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def gaps_json(items) -> list[dict]:
    out = []
    for item in items:
        for rule_id, result in item.results.items():
            if result.status not in ("fail", "pending"):
                continue
            for gap in result.gaps:
                out.append(
                    {
                        "member": gap.name,
                        "org": item.org.code,
                        "rule": rule_id,
                        "status": result.status,
                        "missing": str(gap.missing),
                    }
                )
    return out


def hours_json(lines) -> list[dict]:
    return [
        {
            "member": line.name,
            "org": line.org.code,
            "training_hours": _num(line.training),
            "platform_hours": _num(line.platform),
            "total": _num(line.total),
            "target": _num(line.target),
            "met": line.met,
        }
        for line in lines
    ]


class Command(BaseCommand):
    help = "培训与学习：按 TRAIN-* 规则列出书记培训和学时的缺口，或列出每名党员的学时（按姓名排列，不排名）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", metavar="{gaps,hours}")
        parser.add_argument("--year", type=int, required=True, help="年度")
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="截至日期（默认今天）")
        parser.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action not in HEADERS:
            raise _fail(f"未知的操作“{action}”，应为 gaps 或 hours。")
        year = options["year"]
        if not 1990 <= year <= 2999:
            raise _fail(f"年度“{year}”无效。")
        as_of = dt.date.today()
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError:
                raise _fail(f"日期“{options['as_of']}”无效，应为 YYYY-MM-DD。") from None
        if as_of < dt.date(year, 1, 1):
            raise _fail(f"截至日期 {as_of:%Y-%m-%d} 早于 {year} 年。")
        orgs = Org.objects.all()
        if options["org"]:
            org = Org.objects.filter(code=options["org"]).first()
            if org is None:
                raise _fail(f"组织编码“{options['org']}”不存在。")
            orgs = Org.objects.subtree(org)
        try:
            rules = selectors.train_rules()
            if action == "gaps":
                items = gaps_json(selectors.evaluate(orgs, year=year, as_of=as_of, rules=rules))
            else:
                rule = selectors.hours_rule(rules)
                if rule is None:
                    raise _fail("规则库中没有 TRAIN-MEMBER-HOURS 规则。")
                branches = selectors.evaluate(
                    orgs.filter(type=OrgType.ZHIBU), year=year, as_of=as_of, rules=[]
                )
                items = hours_json(selectors.hours_lines(branches, year, rule))
        except StudyParamsError as exc:
            raise _fail(exc.message) from exc
        if options["format"] == "json":
            self.stdout.write(tables.to_json(items), ending="")
        else:
            self.stdout.write(tables.format_records(HEADERS[action], items), ending="")
