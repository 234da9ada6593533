"""`dangjian evaluations status --year Y [--org CODE] [--format table|json]`: every active 党支部 (of --org's
subtree; default all) with its 民主评议党员 of the year — the step, participants, ballots cast online against
those who receive one, paper ballots, grades and 优秀. Never a tally or a rating. Four queries whatever the
number of branches. Exit 2 for bad arguments."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dangjian.core import tables
from dangjian.core.choices import chinese_label
from dangjian.evaluations.choices import Step
from dangjian.evaluations.selectors import status
from dangjian.orgs.commands import org_subtree, year_argument

HEADERS = (
    "组织编码",
    "组织名称",
    "当前步骤",
    "开始日期",
    "参评党员",
    "已投票",
    "应投票",
    "纸质票",
    "已评定",
    "优秀",
)


def table_rows(items: list[dict]) -> list[list[str]]:
    return [
        [
            i["org"],
            i["name"],
            chinese_label(Step, i["step"]) if i["step"] else "未开展",
            i["opened_on"] or "",
            str(i["participants"]),
            str(i["voted"]),
            str(i["voters"]),
            str(i["paper_ballots"]),
            str(i["graded"]),
            str(i["excellent"]),
        ]
        for i in items
    ]


class Command(BaseCommand):
    help = "民主评议党员：按党支部列出某年度的进展。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{status}")
        sub.required = True
        s = sub.add_parser("status", help="按党支部列出某年度民主评议党员的步骤、投票和评定人数")
        s.add_argument("--year", required=True, metavar="YYYY", help="年度，如 2026")
        s.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织")
        s.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        year = year_argument(options["year"])
        orgs = org_subtree(options["org"])
        items = [row.as_json() for row in status(orgs, year)]
        if options["format"] == "json":
            self.stdout.write(tables.to_json(items), ending="")
        else:
            self.stdout.write(tables.format_table(HEADERS, table_rows(items)), ending="")
