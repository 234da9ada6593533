"""Excel import of existing 发展党员 cases (`dev-cases`): 身份证号, 姓名, 组织编码, 当前阶段, and one date column per main
step of the workflow (the steps with an `import_column` in rules/workflow-development.yaml).

A row matches an existing (not cancelled) case on 身份证号 through the keyed hash: the same steps and dates are
unchanged, later steps are added (an update); a different date for a recorded step is an error. The dates must
follow the workflow's order and minimum delays (the same checks as recording a step); data the sheet cannot
carry (培养联系人, 入党介绍人, votes) is not required for imported steps, which are flagged as imported. A case at
预备党员 is linked to the member with that 身份证号 (created with 入党日期 = 接收预备党员日期 when absent).

审批党组织 (after 党委审批日期; optional): the 组织编码 of the organisation that approved the 预备党员. Any existing
organisation is taken as recorded — whether it had the authority (a 党委 above the branch, or the 工委: DEV-16) is
the judgement of the rule PIPE-APPROVER-AUTHORISED, which lists an approval without it, or by a 党总支 or
党支部. A case imported without it gets it from a later import of the same row; a different code is an error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from dangjian.core.dates import add_months
from dangjian.core.imports import ImportContext, Importer
from dangjian.core.pii import mask_id_number
from dangjian.core.xlsx import Choice, Column, Date, IdNumber, ParsedRow, Text
from dangjian.orgs.xlsx import EXAMPLE_ID_NUMBER, orgs_by_code, unknown_org
from dangjian.pipeline.choices import Stage
from dangjian.pipeline.models import CaseStep
from dangjian.pipeline.workflow import load_workflow

ID, NAME, ORG, STAGE = "身份证号", "姓名", "组织编码", "当前阶段"


APPROVER_SUFFIX = "_approver"


def _columns() -> tuple[Column, ...]:
    wf = load_workflow()
    steps = [s for s in wf.steps if s.import_column]
    columns = [
        Column(
            ID, "id_number", IdNumber(), required=True, help="再次导入时按身份证号匹配已有案例。", width=22
        ),
        Column(NAME, "name", Text(50), required=True),
        Column(ORG, "org", Text(50), required=True, help="所在党支部的组织编码。"),
        Column(STAGE, "stage", Choice(Stage), required=True, help="须与所填日期一致；已转正的不必导入。"),
    ]
    for i, s in enumerate(steps):
        columns.append(
            Column(
                s.import_column,
                s.key,
                Date(),
                required=(i == 0),
                help=f"“{s.name}”的日期（{'、'.join(s.rules)}）。",
            )
        )
        if s.approver is not None and s.approver.import_column:
            columns.append(
                Column(
                    s.approver.import_column,
                    s.key + APPROVER_SUFFIX,
                    Text(50),
                    help=f"作出“{s.name}”的党组织的组织编码（{s.approver.rule}：应为具有审批权的上级党委或工委）。",
                )
            )
    return tuple(columns)


class DevCaseImporter(Importer):
    kind = "dev-cases"
    title = "发展党员"
    fallback_column = ID

    def __init__(self) -> None:
        self.columns = _columns()
        self.step_keys = [c.key for c in self.columns[4:] if not c.key.endswith(APPROVER_SUFFIX)]
        self.approver_keys = [c.key for c in self.columns[4:] if c.key.endswith(APPROVER_SUFFIX)]

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        orgs = orgs_by_code(
            [r.get("org") for r in rows] + [r.get(k) for r in rows for k in self.approver_keys]
        )
        seen: dict[str, int] = {}
        for row in rows:
            number = row.get("id_number")
            if number:
                if number in seen:
                    ctx.error(row.row, ID, _("与第 %(row)s 行重复（同一身份证号）。") % {"row": seen[number]})
                seen.setdefault(number, row.row)
            org = orgs.get(row.get("org") or "")
            if row.get("org") and org is None:
                ctx.error(row.row, ORG, unknown_org(row.get("org")))
            elif org is not None and not ctx.covers(org):
                ctx.error(row.row, ORG, unknown_org(org.code))
            approvers = {}
            for key in self.approver_keys:
                code = row.get(key)
                if not code:
                    continue
                if code not in orgs:
                    header = self.header_for(key)
                    ctx.error(row.row, header, _("组织编码“%(code)s”不存在。") % {"code": code})
                else:
                    approvers[key.removesuffix(APPROVER_SUFFIX)] = orgs[code]
            if not ctx.fails(row.row):
                ctx.attempt(row.row, self._write, row, org, approvers, ctx)

    def _write(self, row: ParsedRow, org, approvers, ctx: ImportContext):
        from dangjian.pipeline.services import import_case

        dates = {k: row.get(k) for k in self.step_keys if row.get(k)}
        action, case = import_case(
            actor=ctx.actor,
            org=org,
            name=row.get("name"),
            id_number=row.get("id_number"),
            stage=row.get("stage"),
            dates=dates,
            approvers=approvers,
        )
        wf = load_workflow()
        summary = f"{case.name}（{mask_id_number(case.id_number)}）{org.name} {wf.stage_name(case.stage)}"
        return action, summary, org.path

    def example(self) -> dict[str, Any]:
        applied = dt.date(2024, 3, 5)
        return {
            "id_number": EXAMPLE_ID_NUMBER,
            "name": "张三",
            "org": "A1",
            "stage": Stage.ACTIVIST,
            "application": applied,
            "talk": dt.date(2024, 3, 20),
            "activist": dt.date(2024, 6, 10),
            "assessment": add_months(dt.date(2024, 6, 10), 6),
        }

    def export_rows(self, queryset) -> Iterable[dict[str, Any]]:
        steps = CaseStep.objects.select_related("approver_org").order_by("date", "id")
        for case in (
            queryset.select_related("org")
            .prefetch_related(Prefetch("steps", queryset=steps))
            .order_by("org__path", "applied_on")
        ):
            latest: dict[str, dt.date] = {}
            approvers: dict[str, str] = {}
            for step in case.steps.all():
                if step.key in self.step_keys and (step.key not in latest or step.date >= latest[step.key]):
                    latest[step.key] = step.date
                    if step.approver_org_id is not None:
                        approvers[step.key + APPROVER_SUFFIX] = step.approver_org.code
            yield {
                "id_number": case.id_number,
                "name": case.name,
                "org": case.org.code,
                "stage": case.stage,
                **{k: latest.get(k) for k in self.step_keys},
                **{k: approvers.get(k) for k in self.approver_keys},
            }
