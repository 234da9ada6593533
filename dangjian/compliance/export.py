"""An evaluation as a plain-text table (the command) or an Excel workbook (the command and the web export)."""

from __future__ import annotations

from typing import IO

from dangjian.compliance.evaluator import Evaluation
from dangjian.core import xlsx
from dangjian.core.messages import render

STATUS_LABELS = {"pass": "符合", "fail": "不符合", "pending": "待定", "not_applicable": "不适用"}
SEVERITY_LABELS = {"required": "必须", "advisory": "建议"}
XLSX_HEADERS = (
    "规则编号",
    "规则",
    "条款",
    "依据",
    "严重程度",
    "组织编码",
    "组织名称",
    "所在单位",
    "结果",
    "缺少的期间或会议日期",
    "说明",
)


def write_xlsx(evaluation: Evaluation, target: str | IO[bytes]) -> None:
    """One row per result on the first sheet; the ruleset, year and date on a second sheet."""
    rs = evaluation.ruleset
    # kept results with the same message share its object: each is rendered once
    rendered: dict[int, str] = {}

    def text(message) -> str:
        found = rendered.get(id(message))
        if found is None:
            found = rendered[id(message)] = render(message)
        return found

    results = xlsx.Table(
        "评估结果",
        header=XLSX_HEADERS,
        rows=(
            (
                r.rule.id,
                r.rule.title,
                r.rule.clause,
                r.rule.basis,
                SEVERITY_LABELS[r.rule.severity],
                r.org.code,
                r.org.name,
                r.org.unit,
                STATUS_LABELS[r.status],
                "、".join(r.missing),
                text(r.message),
            )
            for r in evaluation.results
        ),
        widths=(26, 28, 8, 40, 8, 14, 24, 16, 8, 30, 60),
    )
    meta = xlsx.Table(
        "说明",
        rows=(
            ("规则库", rs.title),
            ("规则库编号", rs.id),
            ("版本", rs.version),
            ("校验和", rs.checksum),
            ("评估年度", evaluation.year),
            ("评估日期", evaluation.as_of.strftime("%Y-%m-%d")),
        ),
    )
    xlsx.save_tables((results, meta), target)
