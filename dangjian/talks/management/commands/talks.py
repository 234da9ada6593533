"""`dangjian talks summary --year Y [--org CODE] [--format table|json]`: per 党支部 (and any other organisation
with a 青年理论学习小组) the year's 谈心谈话 by pair category, the 新老结对 in effect during the year, the
groups founded by the year's end and their activities in the year. --org: that organisation and its subtree
(default: all). A fixed number of queries whatever the number of organisations. Exit 2 for bad arguments."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dangjian.core import tables
from dangjian.orgs.commands import org_subtree, year_argument
from dangjian.talks.selectors import summary

HEADERS = (
    "组织编码",
    "组织名称",
    "谈心谈话",
    "支委之间",
    "支委与党员",
    "党员之间",
    "结对",
    "学习小组",
    "小组活动",
)


def table_rows(items: list[dict]) -> list[list[str]]:
    rows = []
    for i in items:
        c = i["by_category"]
        rows.append(
            [
                i["org"],
                i["name"],
                str(i["talks"]),
                str(c["committee_committee"]),
                str(c["committee_member"]),
                str(c["member_member"]),
                str(i["pairs_active"]),
                str(i["youth_groups"]),
                str(i["youth_activities"]),
            ]
        )
    return rows


class Command(BaseCommand):
    help = "谈心谈话、新老结对和青年理论学习小组：按组织统计某年度的情况。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{summary}")
        sub.required = True
        s = sub.add_parser("summary", help="按组织统计某年度的谈心谈话、新老结对和青年理论学习小组")
        s.add_argument("--year", required=True, metavar="YYYY", help="年度，如 2026")
        s.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织")
        s.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        year = year_argument(options["year"])
        orgs = org_subtree(options["org"])
        items = [row.as_json() for row in summary(orgs, year)]
        if options["format"] == "json":
            self.stdout.write(tables.to_json(items), ending="")
        else:
            self.stdout.write(tables.format_table(HEADERS, table_rows(items)), ending="")
