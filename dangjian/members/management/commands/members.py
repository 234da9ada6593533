"""`dangjian members timeline 身份证号 [--as-of YYYY-MM-DD] [--format table|json]` and
`dangjian members birthdays --month YYYY-MM [--org CODE] [--format table|json]`.

The member is found by the keyed hash of the 身份证号; output never shows the number unmasked.
--org: that organisation and its subtree (default: every member). Exit 2 for bad arguments.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import idcard, tables
from dangjian.core.pii import mask_id_number
from dangjian.members.models import Member
from dangjian.members.selectors import birthdays
from dangjian.members.services import find_by_id_number
from dangjian.members.timeline import TIMELINE_GROUPS, timeline
from dangjian.orgs.models import Org


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def timeline_json(events) -> list[dict]:
    return [
        {
            "date": e.date.isoformat(),
            "kind": e.kind,
            "title": e.title,
            "detail": e.detail,
            "org": e.org_code,
        }
        for e in events
    ]


def birthdays_json(found) -> list[dict]:
    return [
        {
            "name": b.member.name,
            "org": b.member.org.code,
            "branch": b.branch.code,
            "joined_on": b.member.joined_on.isoformat(),
            "date": b.date.isoformat(),
            "anniversary": b.years,
            "years": b.party_age,  # 党龄, from 转正 (None for a 预备党员)
        }
        for b in found
    ]


class Command(BaseCommand):
    help = "党员：某党员的时间轴，或某月的政治生日名单。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{timeline,birthdays}")
        sub.required = True
        tl = sub.add_parser("timeline", help="某党员的全部经历（时间轴）")
        tl.add_argument("id_number", metavar="身份证号")
        tl.add_argument("--as-of", metavar="YYYY-MM-DD", help="截至日期（默认今天）")
        bd = sub.add_parser("birthdays", help="某月过政治生日的党员")
        bd.add_argument("--month", required=True, metavar="YYYY-MM", help="月份，如 2026-07")
        bd.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织")
        for p in (tl, bd):
            p.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        if options["action"] == "timeline":
            text = self._timeline(options)
        else:
            text = self._birthdays(options)
        self.stdout.write(text, ending="")

    def _timeline(self, options) -> str:
        number = idcard.normalize(options["id_number"])
        try:
            idcard.parse(number)
        except idcard.IdCardError as exc:
            raise _fail(f"身份证号{exc}。") from None
        found = find_by_id_number(number)
        if found is None:
            raise _fail(f"未找到身份证号为 {mask_id_number(number)} 的党员。")
        member = Member.objects.select_related("org").get(pk=found.pk)
        on = self._date(options["as_of"]) if options["as_of"] else None
        events = timeline(member, on=on)
        items = timeline_json(events)
        if options["format"] == "json":
            return tables.to_json(items)
        head = f"{member.name}（{member.id_number_masked}，{member.org.name}）\n"
        rows = [
            [i["date"], str(TIMELINE_GROUPS.get(e.group, "")), i["title"], i["detail"], i["org"]]
            for i, e in zip(items, events, strict=True)
        ]
        return head + tables.format_table(["日期", "类别", "事项", "说明", "组织编码"], rows)

    def _birthdays(self, options) -> str:
        month = self._month(options["month"])
        members = Member.objects.all()
        if options["org"]:
            org = Org.objects.filter(code=options["org"]).first()
            if org is None:
                raise _fail(f"组织编码“{options['org']}”不存在。")
            members = members.in_subtree(org)
        items = birthdays_json(birthdays(members, month))
        if options["format"] == "json":
            return tables.to_json(items)
        rows = [
            [
                i["name"],
                i["org"],
                i["joined_on"],
                i["date"][5:],
                f"{i['anniversary']} 周年",
                "预备党员" if i["years"] is None else f"{i['years']} 年",
            ]
            for i in items
        ]
        return tables.format_table(["姓名", "组织编码", "入党日期", "政治生日", "入党", "党龄"], rows)

    def _month(self, value: str) -> dt.date:
        try:
            return dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise _fail(f"月份“{value}”无效，应为 YYYY-MM。") from None

    def _date(self, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _fail(f"日期“{value}”无效，应为 YYYY-MM-DD。") from None
