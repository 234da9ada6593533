"""`dangjian movements transfers|mobile|lost|summary [--org CODE] [--as-of YYYY-MM-DD] [--format table|json]`

- transfers: transfers inside the system pending on D (sent from or received by the organisation's subtree);
- mobile: members away on D, with the next contact due for those abroad and, for those abroad to study (or
  with no purpose recorded), the day they pass `abroad_study_years` and whether the branch should consider
  停止党籍 (past it without a decision recorded) (rules/movements.yaml);
- lost: members out of contact on D with the suggestion (never acted on: a branch decides);
- summary: per 党支部 counts of 在职/离退休 on the roll, 流动, 失联 and 停止党籍.

--org: that organisation and its subtree (default: everything). JSON: a list of objects with stable English
keys. Exit 2 for bad arguments.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from dangjian.core import tables
from dangjian.members.models import Member
from dangjian.movements import selectors
from dangjian.movements.params import MovementsParamsError
from dangjian.orgs.models import Org


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def _d(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def transfers_json(items) -> list[dict]:
    return [
        {
            "id": t.pk,
            "member": t.member.name,
            "from_org": t.from_org.code,
            "to_org": t.to_org.code,
            "started_on": _d(t.started_on),
            "reason": t.reason,
            "dues_paid_through": f"{t.dues_paid_through:%Y-%m}" if t.dues_paid_through else None,
            "state": t.state,
        }
        for t in items
    ]


def mobile_json(items) -> list[dict]:
    return [
        {
            "member": i.member.name,
            "org": i.member.org.code,
            "work_status": i.member.work_status,
            "destination": i.stint.destination,
            "abroad": i.stint.abroad,
            "fixed_place": i.stint.fixed_place,
            "left_on": _d(i.stint.left_on),
            "last_contact": _d(i.last_contact),
            "next_contact": _d(i.next_contact),
            "contact_due": i.contact_due,
            "contact_overdue": i.contact_overdue,
            "abroad_purpose": i.stint.abroad_purpose or None,
            "study_from": _d(i.study_from),
            "study_suggestion": i.study_suggestion,
        }
        for i in items
    ]


def lost_json(items) -> list[dict]:
    return [
        {
            "member": i.member.name,
            "org": i.member.org.code,
            "status": i.member.status,
            "lost_on": _d(i.lost.lost_on),
            "suggestion": i.suggestion,
            "suggestion_text": i.suggestion_label or None,
            "since": _d(i.since),
        }
        for i in items
    ]


def summary_json(lines) -> list[dict]:
    return [
        {
            "org": line.org.code if line.org else None,
            "label": line.label,
            "is_subtotal": line.is_unit,
            **line.counts,
        }
        for line in lines
    ]


HEADERS = {
    "transfers": {
        "id": "编号",
        "member": "姓名",
        "from_org": "转出组织",
        "to_org": "接收组织",
        "started_on": "转接日期",
        "reason": "原因",
        "dues_paid_through": "党费交至",
        "state": "状态",
    },
    "mobile": {
        "member": "姓名",
        "org": "组织编码",
        "work_status": "工作状态",
        "destination": "流向",
        "abroad": "出国（境）",
        "fixed_place": "固定地点",
        "left_on": "外出日期",
        "last_contact": "上次联系",
        "next_contact": "应联系日期",
        "contact_due": "待联系",
        "contact_overdue": "已逾期",
        "abroad_purpose": "出国事由",
        "study_from": "学习超期自",
        "study_suggestion": "建议研究党籍",
    },
    "lost": {
        "member": "姓名",
        "org": "组织编码",
        "status": "党籍状态",
        "lost_on": "失联日期",
        "suggestion": "建议代码",
        "suggestion_text": "建议",
        "since": "建议起始日",
    },
    "summary": {
        "org": "组织编码",
        "label": "党支部",
        "is_subtotal": "小计",
        "active": "在职",
        "retired": "离退休",
        "mobile": "流动",
        "lost": "失联",
        "suspended": "停止党籍",
    },
}


class Command(BaseCommand):
    help = "党员流动与组织关系转接：待接收的转接、流动党员、失联党员及处理建议、按党支部分类统计。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", metavar="{transfers,mobile,lost,summary}")
        parser.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织")
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="截至日期（默认今天）")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action not in HEADERS:
            raise _fail(f"未知的操作“{action}”，应为 transfers、mobile、lost 或 summary。")
        as_of = self._date(options["as_of"]) if options["as_of"] else dt.date.today()
        org = self._org(options["org"])
        members = Member.objects.all()
        if org is not None:
            members = members.in_subtree(org)
        try:
            if action == "transfers":
                q = Q()
                if org is not None:
                    q = Q(from_org__path__startswith=org.path) | Q(to_org__path__startswith=org.path)
                items = transfers_json(selectors.pending_transfers(q, as_of))
            elif action == "mobile":
                items = mobile_json(selectors.mobile_items(members, as_of))
            elif action == "lost":
                items = lost_json(selectors.lost_items(members, as_of))
            else:
                items = summary_json(selectors.summary(members, as_of))
        except MovementsParamsError as exc:
            raise _fail(exc.message) from exc
        if options["format"] == "json":
            self.stdout.write(tables.to_json(items), ending="")
        else:
            self.stdout.write(tables.format_records(HEADERS[action], items), ending="")

    def _date(self, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _fail(f"日期“{value}”无效，应为 YYYY-MM-DD。") from None

    def _org(self, code: str | None) -> Org | None:
        if not code:
            return None
        org = Org.objects.filter(code=code).first()
        if org is None:
            raise _fail(f"组织编码“{code}”不存在。")
        return org
