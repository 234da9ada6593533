"""The annual assessment scheme of organ party building (机关党建考核方案, 实施意见（十五）（十六）) as data:
`rules/assessment-YYYY.yaml`, one file per year, published like a rulebook (its sha256 in `rules/checksums.txt`;
a published file is never edited: a change is a new version of the scheme, in the file of that year with its
own checksum line, the old line removed only while the year's assessment has not been frozen).

A scheme groups its indicators (政治建设, 组织建设 …); each has its points and one scoring method:
- `rules`: bound to rule ids of the rulebook version the scheme names, with a deduction per missing period or
  per failing organisation of the unit, the indicator never below zero (the kept results say what is missing:
  nobody reports it);
- `evaluation`: a result of the platform's evaluations (`review_completed`: the share of the unit's branches
  whose 民主评议党员 is completed), mapped to points;
- `assessor`: scored by the 工委's assessors with a reason — the only kind that asks anyone for anything;
- `bonus` / `penalty`: items added or deducted up to a cap.
It also says how grades are given (score bands, or shares of the ranked units), how branches are tiered for
分类定级 (score bands plus hard conditions), and the weight the 党建 result carries in the organ's annual
assessment. The loader refuses unknown keys, a rule id the rulebook lacks, points that do not add up, a changed
published file — in Chinese, naming the file and the key."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dangjian.compliance.rulebook import RulebookError, load_ruleset, published_checksums
from dangjian.core import rulefiles

FILE_PATTERN = re.compile(r"^assessment-(\d{4})\.yaml$")

Grade = Literal["好", "较好", "一般", "差"]
GRADES: tuple[str, ...] = ("好", "较好", "一般", "差")


class SchemeError(rulefiles.RuleFileError):
    """An assessment scheme that cannot be read or is invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Points = Annotated[Decimal, Field(ge=0, max_digits=6, decimal_places=2)]


class _Indicator(_Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]{1,31}$")
    title: str = Field(min_length=1)
    points: Points
    clause: str = ""  # the 实施意见's clause, e.g. "（十）"
    note: str = ""


class RulesIndicator(_Indicator):
    """Deducted from the kept rule results of the unit's organisations (or of one branch, for its tier)."""

    method: Literal["rules"]
    rules: tuple[str, ...] = Field(min_length=1)
    per: Literal["missing_period", "failing_org"]
    deduction: Annotated[Decimal, Field(gt=0, max_digits=6, decimal_places=2)]


class MapBand(_Strict):
    min: Annotated[Decimal, Field(ge=0, le=100)]  # the lowest 综合 score of the band
    points: Points


class EvaluationIndicator(_Indicator):
    """From the platform's evaluations: `review_completed` gives the points times the share of the unit's
    党支部 that completed 民主评议党员 in the year (rounded to 0.01); `appraisal_composite` maps the 综合 score of
    the 述职评议 of the unit's 机关党委 secretary on the year's work (a closed campaign with enough ballots for its
    results to be shown) to points by `mapping`, highest band first."""

    method: Literal["evaluation"]
    source: Literal["review_completed", "appraisal_composite"]
    mapping: tuple[MapBand, ...] = ()

    @model_validator(mode="after")
    def _mapping(self) -> EvaluationIndicator:
        if self.source == "appraisal_composite":
            mins = [b.min for b in self.mapping]
            if not mins:
                raise ValueError("appraisal_composite 须列出 mapping（综合得分段对应的分值）")
            if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] != 0:
                raise ValueError("mapping 须按最低分从高到低排列、不重复，最后一档从 0 起")
            if any(b.points > self.points for b in self.mapping):
                raise ValueError("mapping 的分值不能超过本项分值")
        elif self.mapping:
            raise ValueError("只有 appraisal_composite 使用 mapping")
        return self


class AssessorIndicator(_Indicator):
    """Scored by the assessors, with a required reason: what no record shows."""

    method: Literal["assessor"]
    guidance: str = Field(min_length=1)  # what the assessors look at


class BonusIndicator(_Indicator):
    """Added (bonus) or deducted (penalty) by the assessors item by item, at most `points` in all."""

    method: Literal["bonus", "penalty"]
    guidance: str = Field(min_length=1)


Indicator = Annotated[
    RulesIndicator | EvaluationIndicator | AssessorIndicator | BonusIndicator, Field(discriminator="method")
]


class Group(_Strict):
    name: str = Field(min_length=1)
    indicators: tuple[Indicator, ...] = Field(min_length=1)


class Band(_Strict):
    grade: Grade
    min: Points  # the lowest total of the band


class ShareBand(_Strict):
    grade: Grade
    share: Annotated[Decimal, Field(gt=0, le=1)]  # at most this share of the ranked units (rounded down)


class Grading(_Strict):
    """Grades by score bands (highest band first, the last from 0) or by shares of the units ranked by total
    (the last grade takes the rest), both as data."""

    method: Literal["bands", "shares"]
    bands: tuple[Band, ...] = ()
    shares: tuple[ShareBand, ...] = ()
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Grading:
        if self.method == "bands":
            if not self.bands:
                raise ValueError("按分数段评定时须列出 bands")
            mins = [b.min for b in self.bands]
            if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
                raise ValueError("bands 须按最低分从高到低排列，且不重复")
            if mins[-1] != 0:
                raise ValueError("最后一档的最低分须为 0")
        else:
            if not self.shares:
                raise ValueError("按比例评定时须列出 shares")
            if sum(s.share for s in self.shares) > 1:
                raise ValueError("shares 的比例之和不能超过 1")
        return self


class Condition(_Strict):
    """A hard condition of a tier: no failing result of `rules` with a missing period in the last `months`
    months of the year (as of the assessment's date)."""

    no_missing_in_last_months: int = Field(ge=1, le=12)
    rules: tuple[str, ...] = Field(min_length=1)
    label: str = Field(min_length=1)  # e.g. "最近一个季度三会一课无缺项"


class Tier(_Strict):
    name: str = Field(min_length=1)  # 先进 / 达标 / 后进
    min: Points  # the lowest branch score (out of 100)
    conditions: tuple[Condition, ...] = ()
    role: Literal["model", "standard", "lagging"]  # 示范 list / nothing / 整顿 plan


class Tiering(_Strict):
    """分类定级 of every 党支部 (抓两头带中间, 实施意见（十）): its score is the `rules` indicators computed on the
    branch alone, as a share of their points (out of 100); the first tier whose band and conditions it meets is
    its tier, the last tier (from 0, without conditions) the fallback."""

    tiers: tuple[Tier, ...] = Field(min_length=2)
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Tiering:
        mins = [t.min for t in self.tiers]
        if mins != sorted(mins, reverse=True):
            raise ValueError("tiers 须按最低分从高到低排列")
        last = self.tiers[-1]
        if last.min != 0 or last.conditions:
            raise ValueError("最后一级须从 0 分起且不设条件（兜底）")
        if len({t.name for t in self.tiers}) != len(self.tiers):
            raise ValueError("tiers 的名称不能重复")
        return self


class Scheme(_Strict):
    year: int = Field(ge=2000, le=2100)
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    published: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    rulebook_version: int = Field(ge=1)  # the rules the `rules` indicators are bound to
    total: Points  # the points of all the indicators that are not bonus or penalty
    organ_weight: Annotated[Decimal, Field(gt=0, le=1)]  # the 党建 weight in the organ's annual assessment
    organ_weight_basis: str = Field(min_length=1)
    groups: tuple[Group, ...] = Field(min_length=1)
    grading: Grading
    tiering: Tiering
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("指标编号不能重复：" + "、".join(sorted({i for i in ids if ids.count(i) > 1})))
        scored = sum((i.points for i in self.indicators if i.method not in ("bonus", "penalty")), Decimal(0))
        if scored != self.total:
            raise ValueError(f"指标分值之和为 {scored}，与 total {self.total} 不一致")
        return self

    @property
    def indicators(self) -> list:
        return [i for g in self.groups for i in g.indicators]

    @cached_property
    def group_of(self) -> dict[str, str]:
        return {i.id: g.name for g in self.groups for i in g.indicators}

    @property
    def rule_ids(self) -> set[str]:
        found = {r for i in self.indicators if i.method == "rules" for r in i.rules}
        return found | {r for t in self.tiering.tiers for c in t.conditions for r in c.rules}


class LoadedScheme(BaseModel):
    """A scheme with the file it came from and that file's sha256."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    scheme: Scheme
    file: str
    checksum: str
    published: bool  # listed in checksums.txt


def file_name(year: int) -> str:
    return f"assessment-{year}.yaml"


def list_years(directory: Path | None = None) -> list[int]:
    directory = directory or rulefiles.rules_dir()
    found = (FILE_PATTERN.match(p.name) for p in directory.glob("assessment-*.yaml"))
    return sorted(int(m.group(1)) for m in found if m)


def _read(path: Path, data: bytes) -> LoadedScheme:
    name = path.name
    checksum = hashlib.sha256(data).hexdigest()
    listed = published_checksums(path.parent).get(name)
    if listed is not None and listed != checksum:
        raise SchemeError(
            f"{rulefiles.PREFIX} {name}：已发布的考核方案被修改（校验和不符）。已发布的方案不能修改，"
            "请发布新版本并更新 checksums.txt。"
        )
    raw = rulefiles.parse_yaml(data, name)
    if not isinstance(raw, dict):
        raise SchemeError(f"{rulefiles.PREFIX} {name}：顶层应为映射（键: 值）。")
    scheme = rulefiles.validate(raw, Scheme, name)
    match = FILE_PATTERN.match(name)
    if match and int(match.group(1)) != scheme.year:
        raise SchemeError(f"{rulefiles.PREFIX} {name}：year 为 {scheme.year}，与文件名中的年度不一致。")
    try:
        ruleset = load_ruleset(scheme.rulebook_version)
    except RulebookError as exc:
        raise SchemeError(f"{rulefiles.PREFIX} {name}：rulebook_version：{exc}") from exc
    require_rules(scheme, ruleset, f"{rulefiles.PREFIX} {name}：规则库第 {ruleset.version} 版中没有规则 ")
    return LoadedScheme(scheme=scheme, file=name, checksum=checksum, published=listed is not None)


def require_rules(scheme: Scheme, ruleset, lead: str) -> None:
    """SchemeError (`lead` followed by the rule ids) when the ruleset lacks a rule the scheme binds."""
    lacking = sorted(scheme.rule_ids - {r.id for r in ruleset.rules})
    if lacking:
        raise SchemeError(lead + "、".join(lacking) + "。")


def load_scheme(year: int) -> LoadedScheme:
    """The scheme of `year`, validated and cached until the file changes; SchemeError when there is none or it is
    invalid."""
    return rulefiles.load_with(file_name(year), _read, error=SchemeError)
