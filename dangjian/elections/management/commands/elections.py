"""`dangjian elections terms --as-of YYYY-MM-DD [--org CODE] [--format table|json]`: the terms of the
organisations holding elections (党委, 党总支, 党支部) with their status on D: due (ending within the rulebook's
`months_ahead` months, EL-02), overdue, violation (more than a year overdue without an approved postponement,
EL-03) or ok. JSON objects: org, name, term_end, months_left, status, postponed_to.

--org: that organisation and its subtree (default: every organisation). Exit 2 for bad arguments."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import tables
from dangjian.elections.params import election_params
from dangjian.elections.selectors import term_rows
from dangjian.orgs.models import Org

HEADERS = {
    "org": "组织编码",
    "name": "组织名称",
    "term_end": "届满日期",
    "months_left": "剩余月数",
    "status": "状态",
    "postponed_to": "批准换届日期",
}
STATUS_LABELS = {"ok": "正常", "due": "即将届满", "overdue": "已届满", "violation": "超期一年以上"}


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def terms_json(rows) -> list[dict]:
    return [
        {
            "org": r.org.code,
            "name": r.org.name,
            "term_end": r.term_end.isoformat(),
            "months_left": r.months_left,
            "status": r.status,
            "postponed_to": r.postponed_to.isoformat() if r.postponed_to else None,
        }
        for r in rows
    ]


def table_rows(items: list[dict]) -> list[list[str]]:
    return [
        [
            i["org"],
            i["name"],
            i["term_end"],
            str(i["months_left"]),
            STATUS_LABELS[i["status"]],
            i["postponed_to"] or "",
        ]
        for i in items
    ]


class Command(BaseCommand):
    help = "换届选举：各组织本届任期及届满提醒"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{terms}")
        sub.required = True
        terms = sub.add_parser("terms", help="截至某日各组织的任期届满情况（即将届满、已届满、超期一年以上）")
        terms.add_argument("--as-of", required=True, metavar="YYYY-MM-DD", help="截至日期")
        terms.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织")
        terms.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        try:
            as_of = dt.date.fromisoformat(options["as_of"])
        except ValueError:
            raise _fail(f"日期“{options['as_of']}”无效，应为 YYYY-MM-DD。") from None
        orgs = Org.objects.all()
        if options["org"]:
            org = Org.objects.filter(code=options["org"]).first()
            if org is None:
                raise _fail(f"组织编码“{options['org']}”不存在。")
            orgs = orgs.filter(path__startswith=org.path)
        items = terms_json(term_rows(orgs, as_of, election_params()))
        if options["format"] == "json":
            self.stdout.write(tables.to_json(items), ending="")
        else:
            self.stdout.write(tables.format_table(list(HEADERS.values()), table_rows(items)), ending="")
