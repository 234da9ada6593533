"""The assessment as an xlsx workbook: what the organ's annual assessment takes （十五） — each unit's total, grade
and the 党建 weight the scheme sets — then every indicator's score with its explanation, and the tiers of the
branches (分类定级). In the indicators' sheet a penalty's 得分 is negative and a bonus or penalty has no 分值 (its cap
is in the 计分方法): each unit's 得分 cells add up to its 考核得分, the 分值 cells to the scheme's 满分."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.utils.translation import gettext_lazy as _l

from dangjian.assessment.scoring import cents
from dangjian.core import xlsx

METHOD_LABELS = {  # lazy: the scheme page shows them in the interface language, the workbook in Chinese
    "rules": _l("按检查结果自动计分"),
    "evaluation": _l("按评议记录自动计分"),
    "assessor": _l("考评人员评分"),
    "bonus": _l("加分项"),
    "penalty": _l("扣分项"),
}

# bonus and penalty: their points are a cap, not part of the 满分 — the 分值 column adds up to the scheme's total
CAPPED = frozenset({"bonus", "penalty"})


def method_label(method: str, points: str) -> str:
    """The 计分方法 cell: a bonus or penalty says its cap ("扣分项（最多扣 5 分）")."""
    if method == "penalty":
        return f"{METHOD_LABELS[method]}（最多扣 {points} 分）"
    if method == "bonus":
        return f"{METHOD_LABELS[method]}（最多加 {points} 分）"
    return str(METHOD_LABELS[method])


def signed_score(method: str, score: str | None) -> Decimal | None:
    """The 得分 cell: a penalty is what it deducts, negative, so that a unit's 得分 cells add up to its 考核得分
    (the total is never below zero: only a unit deducted below zero would not add up)."""
    if score is None:
        return None
    return -Decimal(score) if method == "penalty" else Decimal(score)


UNIT_HEADER = ("单位", "组织编码", "考核得分", "考核等次", "计分完成", "党建考核权重", "计入年度考核的分值")
INDICATOR_HEADER = ("单位", "类别", "指标编号", "指标", "计分方法", "分值", "得分", "计分说明")
BRANCH_HEADER = ("组织编码", "党支部", "单位", "得分（百分制）", "分类定级", "说明")


def tables(data: dict, names: Mapping[str, str] | None = None) -> list[xlsx.Table]:
    """The sheets of `Assessment.as_json()` (or of its part for one organisation); a branch's 单位 by its name in
    `names` (unit key → name, `selectors.unit_names`), else by the name of its unit in `data`."""
    names = names if names is not None else {u["unit"]: u["name"] for u in data["units"]}
    scheme = data["scheme"]
    weight = Decimal(scheme["organ_weight"])
    above = (
        f"{scheme['title']}（第 {scheme['version']} 版，满分 {scheme['total']}）",
        f"检查结果：规则库第 {data['rulebook_version']} 版，评估日期 {data['as_of'] or '—'}",
    )
    units = [
        (
            u["name"],
            "、".join(u["codes"]),
            Decimal(u["total"]),
            u["grade"] or "",
            "是" if u["complete"] else "否（尚有考评人员未评分的指标）",
            weight,
            # counted in the annual assessment only once every indicator is scored: left empty until then
            cents(Decimal(u["total"]) * weight) if u["complete"] else None,
        )
        for u in data["units"]
    ]
    indicators = [
        (
            u["name"],
            i["group"],
            i["id"],
            i["title"],
            method_label(i["method"], i["points"]),
            None if i["method"] in CAPPED else Decimal(i["points"]),
            signed_score(i["method"], i["score"]),
            i["explain"],
        )
        for u in data["units"]
        for i in u["indicators"]
    ]
    branches = [
        (
            b["org"],
            b["name"],
            names.get(b["unit"], b["unit"]),
            None if b["score"] is None else Decimal(b["score"]),
            b["tier"] or "",
            "；".join(b["reasons"]),
        )
        for b in data["branches"]
    ]
    return [
        xlsx.Table("单位考核结果", UNIT_HEADER, units, widths=(24, 16, 10, 10, 32, 12, 20), above=above),
        xlsx.Table("指标得分", INDICATOR_HEADER, indicators, widths=(24, 10, 10, 30, 18, 8, 8, 60)),
        xlsx.Table("党支部分类定级", BRANCH_HEADER, branches, widths=(14, 24, 20, 14, 10, 50)),
    ]
