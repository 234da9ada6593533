"""Excel import of existing 发展党员 cases (`dev-cases`): 身份证号, 姓名, 组织编码, 当前阶段, and one date column per main
step of the workflow (the steps with an `import_column` in rules/workflow-development.yaml).

A row matches an existing (not cancelled) case on 身份证号 through the keyed hash: the same steps and dates are
unchanged, later steps are added (an update); a different date for a recorded step is an error. The dates must
follow the workflow's order and minimum delays (the same checks as recording a step); data the sheet cannot
carry (培养联系人, 入党介绍人, votes) is not required for imported steps, which are flagged as imported. A case at
预备党员 is linked to the member with that 身份证号 (created with 入党日期 = 接收预备党员日期 when absent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from dangjian.core.dates import add_months
from dangjian.core.imports import ImportContext, Importer
from dangjian.core.pii import mask_id_number
from dangjian.core.xlsx import Choice, Column, Date, IdNumber, ParsedRow, Text
from dangjian.orgs.xlsx import EXAMPLE_ID_NUMBER, orgs_by_code
from dangjian.pipeline.choices import Stage
from dangjian.pipeline.workflow import load_workflow

ID, NAME, ORG, STAGE = "身份证号", "姓名", "组织编码", "当前阶段"


def _columns() -> tuple[Column, ...]:
    wf = load_workflow()
    steps = [s for s in wf.steps if s.import_column]
    return (
        Column(
            ID, "id_number", IdNumber(), required=True, help="再次导入时按身份证号匹配已有案例。", width=22
        ),
        Column(NAME, "name", Text(50), required=True),
        Column(ORG, "org", Text(50), required=True, help="所在党支部的组织编码。"),
        Column(STAGE, "stage", Choice(Stage), required=True, help="须与所填日期一致；已转正的不必导入。"),
        *(
            Column(
                s.import_column,
                s.key,
                Date(),
                required=(i == 0),
                help=f"“{s.name}”的日期（{'、'.join(s.rules)}）。",
            )
            for i, s in enumerate(steps)
        ),
    )


class DevCaseImporter(Importer):
    kind = "dev-cases"
    title = "发展党员"
    fallback_column = ID

    def __init__(self) -> None:
        self.columns = _columns()
        self.step_keys = [c.key for c in self.columns[4:]]

    def run(self, rows: list[ParsedRow], ctx: ImportContext) -> None:
        orgs = orgs_by_code(r.get("org") for r in rows)
        seen: dict[str, int] = {}
        for row in rows:
            number = row.get("id_number")
            if number:
                if number in seen:
                    ctx.error(row.row, ID, _("与第 %(row)s 行重复（同一身份证号）。") % {"row": seen[number]})
                seen.setdefault(number, row.row)
            org = orgs.get(row.get("org") or "")
            if row.get("org") and org is None:
                ctx.error(row.row, ORG, _("组织编码“%(code)s”不存在。") % {"code": row.get("org")})
            elif org is not None and not ctx.covers(org):
                ctx.error(row.row, ORG, _("“%(org)s”不在您的管理范围内。") % {"org": org.name})
            if not ctx.fails(row.row):
                ctx.attempt(row.row, self._write, row, org, ctx)

    def _write(self, row: ParsedRow, org, ctx: ImportContext):
        from dangjian.pipeline.services import import_case

        dates = {k: row.get(k) for k in self.step_keys if row.get(k)}
        action, case = import_case(
            actor=ctx.actor,
            org=org,
            name=row.get("name"),
            id_number=row.get("id_number"),
            stage=row.get("stage"),
            dates=dates,
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
        for case in (
            queryset.select_related("org").prefetch_related("steps").order_by("org__path", "applied_on")
        ):
            latest: dict[str, dt.date] = {}
            for step in case.steps.all():
                if step.key in self.step_keys and (step.key not in latest or step.date > latest[step.key]):
                    latest[step.key] = step.date
            yield {
                "id_number": case.id_number,
                "name": case.name,
                "org": case.org.code,
                "stage": case.stage,
                **{k: latest.get(k) for k in self.step_keys},
            }
