"""`dangjian pipeline due --as-of YYYY-MM-DD [--org CODE] [--format table|json]` and
`dangjian pipeline cases [--org CODE] [--stage S] [--format table|json]`.

due: every open case with its most pressing next step, the deadline and whether it is overdue on that day, and
the rule (JSON: a list of {case, name, org, stage, next_step, due_by, overdue, rule}).
cases: the open cases (JSON: a list of {case, name, org, stage, status, applied_on, probation_end}).
--org: that organisation and its subtree (default: every case). --stage: a stage key (applicant, activist,
candidate, probationary, formal) or its Chinese name. Exit 2 for bad arguments.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import tables
from dangjian.orgs.models import Org
from dangjian.pipeline import selectors
from dangjian.pipeline.choices import CaseStatus
from dangjian.pipeline.workflow import load_workflow

DUE_HEADERS = {
    "case": "编号",
    "name": "姓名",
    "org": "组织编码",
    "stage": "阶段",
    "next_step": "下一步",
    "due_by": "期限",
    "overdue": "逾期",
    "rule": "依据",
}
CASE_HEADERS = {
    "case": "编号",
    "name": "姓名",
    "org": "组织编码",
    "stage": "阶段",
    "status": "状态",
    "applied_on": "申请日期",
    "probation_end": "预备期满",
}


def _cell(value) -> str:
    """是 for True; nothing for False, None (or 0)."""
    return "是" if value is True else "" if value in (False, None) else str(value)


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "发展党员：到期事项清单（due）或案例清单（cases）。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{due,cases}")
        sub.required = True
        due = sub.add_parser("due", help="截至某日各案例的下一步及期限")
        due.add_argument("--as-of", required=True, metavar="YYYY-MM-DD", help="截至日期")
        cases = sub.add_parser("cases", help="正在进行的发展党员案例")
        cases.add_argument(
            "--stage", metavar="S", help="阶段：applicant、activist、candidate、probationary 或中文名称"
        )
        for p in (due, cases):
            p.add_argument("--org", metavar="CODE", help="组织编码：只含该组织及其下级组织")
            p.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        wf = load_workflow()
        org = self._org(options["org"])
        if options["action"] == "due":
            as_of = self._date(options["as_of"])
            rows = selectors.case_rows(selectors.all_cases(org), as_of, wf)
            headers, items = DUE_HEADERS, selectors.due_items(rows, wf)
        else:
            stage = self._stage(wf, options.get("stage"))
            headers = CASE_HEADERS
            items = [
                {
                    "case": c.pk,
                    "name": c.name,
                    "org": c.org.code,
                    "stage": wf.stage_name(c.stage),
                    "status": str(CaseStatus(c.status).label),
                    "applied_on": c.applied_on.isoformat(),
                    "probation_end": c.probation_end.isoformat() if c.probation_end else None,
                }
                for c in selectors.all_cases(org, stage).select_related("org")
            ]
        if options["format"] == "json":
            self.stdout.write(tables.to_json(items), ending="")
            return
        rows = [[_cell(v) for v in item.values()] for item in items]
        self.stdout.write(tables.format_table(list(headers.values()), rows), ending="")

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

    def _stage(self, wf, value: str | None) -> str | None:
        if not value:
            return None
        for stage in wf.stages:
            if value in (stage.key, stage.name):
                return stage.key
        names = "、".join(f"{s.key}（{s.name}）" for s in wf.stages)
        raise _fail(f"阶段“{value}”无效，应为：{names}。")
