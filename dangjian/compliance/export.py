"""An evaluation as a plain-text table (the command) or an Excel workbook (the command and the web export, made
by the task worker for a large scope: core.exports)."""

from __future__ import annotations

import io
from typing import IO

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.accounts.scope import scope_for
from dangjian.compliance import reading, selectors
from dangjian.compliance.evaluator import Evaluation
from dangjian.compliance.forms import EvaluationForm
from dangjian.compliance.plain import plain_basis
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core import xlsx
from dangjian.core.downloads import Counted
from dangjian.core.exports import Made, Progress, no_progress, register_export
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


def write_xlsx(
    evaluation: Evaluation, target: str | IO[bytes], progress: Progress = no_progress, *, plain: bool = False
) -> int:
    """One row per result on the first sheet; the ruleset, year and date on a second sheet. Returns the rows.
    With `plain` the 依据 column is the basis in plain words (compliance.plain), as the pages show it to everyone
    but the 工委管理员: without the reference codes and research remarks."""
    rs = evaluation.ruleset
    bases = {rule.id: plain_basis(rule.basis) if plain else rule.basis for rule in rs.rules}
    # kept results with the same message share its object: each is rendered once
    rendered: dict[int, str] = {}

    def text(message) -> str:
        found = rendered.get(id(message))
        if found is None:
            found = rendered[id(message)] = render(message)
        return found

    rows = Counted(
        (
            (
                r.rule.id,
                r.rule.title,
                r.rule.clause,
                bases.get(r.rule.id, r.rule.basis),
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
        progress,
    )
    results = xlsx.Table(
        "评估结果", header=XLSX_HEADERS, rows=rows, widths=(26, 28, 8, 40, 8, 14, 24, 16, 8, 30, 60)
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
    return rows.n


def _scope(user, query: QueryDict):
    form = EvaluationForm(query)
    orgs, root = selectors.scoped_orgs(user, org_pk=form.org_pk, unit=form.the_unit)
    return form, orgs, root


def _estimate(user, query: QueryDict) -> int:
    """At most one row per rule and organisation of the scope."""
    _form, orgs, _root = _scope(user, query)
    return orgs.count() * len(load_ruleset().rules)


@register_export("compliance", estimate=_estimate, label=gettext_lazy("合规检查结果"))
def build_export(user, query: QueryDict, progress: Progress) -> Made:
    """The results of the scope the compliance pages' parameters select, as the overview reads them."""
    form, orgs, root = _scope(user, query)
    evaluation, _meta = reading.results(form, orgs)
    buffer = io.BytesIO()
    rows = write_xlsx(evaluation, buffer, progress, plain=not selectors.shows_provenance(scope_for(user)))
    name = f"合规检查-{evaluation.year}"
    if root is not None:
        name += f"-{root.code}"
    where = root.name if root is not None else (selectors.unit_label(form.the_unit) if form.the_unit else "")
    return Made(
        buffer.getvalue(),
        f"{name}.xlsx",
        what=_("合规检查结果"),
        object_type="compliance.result",
        org_path=root.path if root is not None else scope_for(user).top_path,
        scope=_("%(year)s年度，%(where)s") % {"year": evaluation.year, "where": where or _("全部可见组织")},
        rows=rows,
    )
