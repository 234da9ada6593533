"""The assessment of a year, read set-based: the scheme, the organisations, the kept rule results that fail,
when they were evaluated and the completed 民主评议 — five queries whatever the number of organisations — then the
pure arithmetic of `scoring`.

Who is assessed: each organ's party organisation as one unit (its 党组 and 机关党委 and everything under them:
the organisations sharing a 所在单位, the roll-up unit of the kept results), and every 党支部 separately for
分类定级. The rules are read from the kept results of the current rulebook, which must hold every rule the scheme
binds; an organisation whose results were never evaluated leaves its unit's rule indicators unscored rather than
scored as if nothing were missing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dangjian.assessment import scoring
from dangjian.assessment.models import (
    FROZEN_STAGES,
    FrozenBranch,
    FrozenUnit,
    ManualScore,
    Round,
    Ruling,
    SelfReview,
)
from dangjian.assessment.scheme import LoadedScheme, SchemeError, load_scheme, require_rules
from dangjian.assessment.scoring import BranchTier, Failing, IndicatorScore, Total
from dangjian.compliance.kept import unit_key
from dangjian.compliance.models import KeptResult, KeptStamp
from dangjian.compliance.rulebook import RulebookError, Ruleset, load_ruleset
from dangjian.evaluations.models import Evaluation
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

NO_APPRAISAL = "本单位机关党委书记本年度工作的述职评议尚未完成"
# a moment's state: a write queues its organisations' refresh (compliance.kept), and the nightly refresh takes all
NOT_EVALUATED = (
    "本单位有组织尚未生成检查结果（系统在记录保存后和每晚自动检查，检查完成后即计分），本项暂不计分。"
)
ASSESSOR_PENDING = "由考评人员评分（须写明理由），尚未评分。"
# how an assessor's figure reads in the explanation: a penalty's figure is what is deducted, a bonus's what is added
MANUAL_VERBS = {"penalty": "扣分", "bonus": "加分"}


@dataclass(frozen=True)
class OrgRow:
    id: int
    code: str
    name: str
    type: str
    path: str
    unit: str

    @property
    def unit_key(self) -> str:
        return unit_key(self)


@dataclass
class UnitResult:
    key: str
    name: str
    codes: list[str]  # the organ's party organisations directly under the 工委 (党组, 机关党委)
    orgs: int
    branches: int
    evaluated: bool
    scores: list[IndicatorScore]
    total: Total
    grade: str | None = None  # given once every unit is completely scored

    def as_json(self) -> dict:
        return {
            "unit": self.key,
            "name": self.name,
            "codes": self.codes,
            "orgs": self.orgs,
            "branches": self.branches,
            "evaluated": self.evaluated,
            "total": str(self.total.total),
            "complete": self.total.complete,
            "grade": self.grade,
            "indicators": [s.as_json() for s in self.scores],
        }


@dataclass
class BranchResult:
    org: OrgRow
    evaluated: bool
    tier: BranchTier
    scores: list[IndicatorScore] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "org": self.org.code,
            "name": self.org.name,
            "unit": self.org.unit_key,
            "evaluated": self.evaluated,
            "score": None if self.tier.score is None else str(self.tier.score),
            "tier": self.tier.tier,
            "role": self.tier.role,
            "reasons": self.tier.reasons,
        }


@dataclass
class Assessment:
    loaded: LoadedScheme
    year: int
    rulebook_version: int
    as_of: dt.date | None  # the latest evaluation date of the kept results read
    units: list[UnitResult]
    branches: list[BranchResult]

    def as_json(self) -> dict:
        s = self.loaded.scheme
        return {
            "year": self.year,
            "scheme": {
                "file": self.loaded.file,
                "version": s.version,
                "title": s.title,
                "published": s.published,
                "checksum": self.loaded.checksum,
                "total": str(s.total),
                "organ_weight": str(s.organ_weight),
            },
            "rulebook_version": self.rulebook_version,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "units": [u.as_json() for u in self.units],
            "branches": [b.as_json() for b in self.branches],
            "frozen": False,
        }


def _orgs(year: int, orgs: QuerySet[Org] | None) -> list[OrgRow]:
    qs = (Org.objects.all() if orgs is None else orgs).exclude(type=OrgType.GONGWEI)
    qs = qs.exclude(dissolved_on__lt=dt.date(year, 1, 1)).exclude(founded_on__gt=dt.date(year, 12, 31))
    return [
        OrgRow(*row) for row in qs.order_by("path").values_list("id", "code", "name", "type", "path", "unit")
    ]


def titles_of(ruleset: Ruleset) -> dict[str, str]:
    """The rules' titles by id: how the assessment names a rule to its readers — in the deductions (扣分依据), the
    reasons of a tier and the command's explanation — rather than by its id."""
    return {rule.id: rule.title for rule in ruleset.rules}


def rule_titles(version: int | str | None = None) -> dict[str, str]:
    """`titles_of` the rulebook whose kept results the assessment read (`version`; None: the current one); {} for a
    version no longer there, whose rules then go by their ids."""
    try:
        ruleset = load_ruleset(int(version)) if version is not None else load_ruleset()
    except (RulebookError, TypeError, ValueError):
        return {}
    return titles_of(ruleset)


def pending_results(year: int) -> int:
    """How many kept results of the current rulebook for `year`, of the rules the year's scheme binds, are still
    待定 (pending: the year not over) — what a 审定 before the year's end would freeze unsettled (one query)."""
    scheme = load_scheme(year).scheme
    return KeptResult.objects.filter(
        version=load_ruleset().version, year=year, status="pending", rule_id__in=sorted(scheme.rule_ids)
    ).count()


def assess(year: int, orgs: QuerySet[Org] | None = None, *, round: Round | None = None) -> Assessment:
    """The assessment of `year` over `orgs` (default every organisation; a subtree gives its units' and
    branches' part — a unit is only whole when all of it is inside), live: with the round's assessor scores and
    accepted contests when a round is given. Raises SchemeError when the year has no valid scheme, the current
    rulebook lacks one of its rules, or the scheme is not the one the round was opened with."""
    loaded = load_scheme(year)
    scheme = loaded.scheme
    manual: dict[tuple[str, str], ManualScore] = {}
    accepted: dict[tuple[str, str], SelfReview] = {}
    if round is not None:
        if round.scheme_checksum != loaded.checksum:
            raise SchemeError(
                f"考核方案 {loaded.file} 与{round.year}年度考核开始时的版本（第 {round.scheme_version} 版）不同。"
            )
        manual = {
            (m.unit_key, m.indicator_id): m
            for m in ManualScore.objects.filter(round=round).select_related("scored_by__member")
        }
        accepted = {
            (r.unit_key, r.indicator_id): r
            for r in SelfReview.objects.filter(round=round, ruling=Ruling.ACCEPTED)
        }
    ruleset = load_ruleset()
    require_rules(
        scheme, ruleset, f"当前规则库第 {ruleset.version} 版中没有考核方案 {loaded.file} 所依据的规则 "
    )
    rows = _orgs(year, orgs)
    by_id = {o.id: o for o in rows}
    # a part names its organisations; the whole city reads every kept row of the year and keeps those of `rows`
    # (a list of 5,000 ids costs more to send and match than the few rows of excluded organisations)
    of_rows: dict[str, Any] = {} if orgs is None else {"org_id__in": list(by_id)}
    stamps = {
        org_id: as_of
        for org_id, as_of in KeptStamp.objects.filter(
            version=ruleset.version, year=year, **of_rows
        ).values_list("org_id", "as_of")
        if org_id in by_id
    }
    failing: dict[int, list[Failing]] = defaultdict(list)
    results = KeptResult.objects.filter(
        version=ruleset.version, year=year, status="fail", rule_id__in=sorted(scheme.rule_ids), **of_rows
    ).values_list("org_id", "rule_id", "missing")
    for org_id, rule_id, missing in results:
        o = by_id.get(org_id)
        if o is not None:
            failing[org_id].append(
                Failing(org_id, o.code, o.name, rule_id, tuple(str(m) for m in missing or ()))
            )
    composites: dict[int, tuple[Decimal | None, str]] = {}
    if any(i.method == "evaluation" and i.source == "appraisal_composite" for i in scheme.indicators):
        composites = appraisal_composites(year, [o for o in rows if o.path.count("/") == 2])
    completed: set[int] = set()
    if any(i.method == "evaluation" and i.source == "review_completed" for i in scheme.indicators):
        completed = {
            org_id
            for org_id in Evaluation.objects.filter(
                year=year, completed_on__isnull=False, **of_rows
            ).values_list("org_id", flat=True)
            if org_id in by_id
        }
    evaluable = {o.id for o in rule_org_rows(rows, ruleset)}
    as_of = max(stamps.values(), default=None)
    titles = titles_of(ruleset)

    units: dict[str, list[OrgRow]] = defaultdict(list)
    for o in rows:
        if o.type != OrgType.XIAOZU:
            units[o.unit_key].append(o)
    inputs = Inputs(failing, stamps, evaluable, completed, manual, accepted, composites)
    unit_results = [_unit(loaded, key, members, inputs) for key, members in units.items()]
    complete = [u for u in unit_results if u.total.complete]
    if complete and len(complete) == len(unit_results):
        grades = scoring.grades_of({u.key: u.total.total for u in unit_results}, scheme.grading)
        for u in unit_results:
            u.grade = grades[u.key]
    unit_results.sort(key=lambda u: (-u.total.total, u.key))

    day = as_of or min(dt.date.today(), dt.date(year, 12, 31))
    branch_results = []
    for o in rows:
        if o.type != OrgType.ZHIBU:
            continue
        if o.id not in stamps:
            branch_results.append(BranchResult(o, False, BranchTier(None, None, None, [NOT_EVALUATED])))
            continue
        score, scores = scoring.branch_score(scheme, failing.get(o.id, []))
        tier = scoring.tier_of(scheme.tiering, score, failing.get(o.id, []), day, titles)
        branch_results.append(BranchResult(o, True, tier, scores))
    return Assessment(loaded, year, ruleset.version, as_of, unit_results, branch_results)


def appraisal_composites(year: int, tops: list[OrgRow]) -> dict[int, tuple[Decimal | None, str]]:
    """Per organisation directly under the 工委: the 综合 score of its secretary's 述职评议 on the work of `year`
    (the latest closed campaign whose results may be shown: enough ballots) with the words saying where it is from,
    or None with why not. Four queries whatever the number of organisations."""
    from dangjian.appraisals.choices import RATING_ORDER
    from dangjian.appraisals.choices import State as CampaignState
    from dangjian.appraisals.models import CampaignItem, Participation, Subject, Tally
    from dangjian.appraisals.params import load_params as appraisal_params
    from dangjian.appraisals.selectors import ItemFigures
    from dangjian.appraisals.selectors import score as composite_score

    params = appraisal_params()
    subjects = list(
        Subject.objects.filter(
            org_id__in=[o.id for o in tops], campaign__state=CampaignState.CLOSED, campaign__report_year=year
        )
        .order_by("org_id", "-campaign__closed_on", "-campaign_id")
        .values_list(
            "pk", "org_id", "campaign_id", "campaign__title", "campaign__paper_ballots", "secretary__name"
        )
    )
    if not subjects:
        return {}
    campaigns = {c for _s, _o, c, *_rest in subjects}
    online = dict(
        Participation.objects.filter(campaign_id__in=campaigns)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("campaign_id", "n")
    )
    items: dict[int, list[CampaignItem]] = defaultdict(list)
    for item in CampaignItem.objects.filter(campaign_id__in=campaigns).order_by("campaign_id", "order", "id"):
        items[item.campaign_id].append(item)
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(RATING_ORDER, 0))
    for subject_id, item_id, rating, n_online, n_paper in Tally.objects.filter(
        subject_id__in=[s for s, *_rest in subjects]
    ).values_list("subject_id", "item_id", "rating", "online", "paper"):
        counts[(subject_id, item_id)][rating] = n_online + n_paper
    found: dict[int, tuple[Decimal | None, str]] = {}
    for subject_id, org_id, campaign_id, title, paper, secretary in subjects:
        if org_id in found:
            continue  # the latest closed campaign of the organisation counts
        ballots = online.get(campaign_id, 0) + paper
        if ballots < params.min_ballots_for_tallies.value:
            found[org_id] = (
                None,
                f"“{title}”测评票 {ballots} 张，少于 {params.min_ballots_for_tallies.value} 张，不公布综合得分",
            )
            continue
        figures = [ItemFigures(i, dict(counts[(subject_id, i.pk)])) for i in items[campaign_id]]
        result = composite_score(figures, params)
        where = f"“{title}”中{secretary}"
        found[org_id] = (result.value, where if result.value is not None else f"{where}未获测评")
    return found


def rule_org_rows(rows: list[OrgRow], ruleset) -> list[OrgRow]:
    types = {t for rule in ruleset.rules for t in rule.applies_to}
    return [o for o in rows if o.type in types]


def _scorer(m: ManualScore) -> str:
    who = m.scored_by.display_name() if m.scored_by is not None else "系统"
    return f"{who}，{timezone.localdate(m.scored_at):%Y-%m-%d}"


@dataclass
class Inputs:
    failing: dict[int, list[Failing]]
    stamps: dict[int, dt.date]
    evaluable: set[int]
    completed: set[int]
    manual: dict[tuple[str, str], ManualScore]
    accepted: dict[tuple[str, str], SelfReview]
    composites: dict[int, tuple[Decimal | None, str]]


def _unit(loaded, key, members, inputs: Inputs) -> UnitResult:
    scheme = loaded.scheme
    evaluated = all(o.id in inputs.stamps for o in members if o.id in inputs.evaluable)
    unit_failing = [f for o in members for f in inputs.failing.get(o.id, [])]
    branches = [o for o in members if o.type == OrgType.ZHIBU]
    scores: list[IndicatorScore] = []
    for indicator in scheme.indicators:
        group = scheme.group_of[indicator.id]
        if indicator.method == "rules":
            if evaluated:
                score = scoring.score_rules(indicator, unit_failing, group=group)
            else:
                score = scoring.unscored(indicator, group=group, why=NOT_EVALUATED)
        elif indicator.method == "evaluation" and indicator.source == "appraisal_composite":
            tops = [o for o in members if o.path.count("/") == 2]
            leading = [o for o in tops if o.type == OrgType.DANGWEI] or tops
            composite, source = (
                inputs.composites.get(leading[0].id, (None, NO_APPRAISAL))
                if leading
                else (None, NO_APPRAISAL)
            )
            score = scoring.score_appraisal(indicator, composite, source=source, group=group)
        elif indicator.method == "evaluation":
            done = sum(1 for b in branches if b.id in inputs.completed)
            score = scoring.score_review_completed(
                indicator, branches=len(branches), completed=done, group=group
            )
        elif (key, indicator.id) in inputs.manual:
            m = inputs.manual[(key, indicator.id)]
            score = IndicatorScore(
                indicator.id,
                group,
                indicator.title,
                indicator.method,
                indicator.points,
                m.points,
                [],
                f"考评人员{MANUAL_VERBS.get(indicator.method, '评分')} {m.points}（{_scorer(m)}）：{m.reason}",
            )
        else:
            score = scoring.unscored(indicator, group=group, why=ASSESSOR_PENDING)
        review = inputs.accepted.get((key, indicator.id))
        if review is not None and review.adjusted is not None and score.score is not None:
            score.explain += f" 单位提出异议，考评采纳（{review.ruling_text}），由 {score.score} 调整为 {review.adjusted}。"
            score.score = review.adjusted
        scores.append(score)
    top = [o for o in members if o.path.count("/") == 2]  # directly under the 工委: "GW/A/"
    name = key if not key.startswith("@") else (top[0].name if top else key[1:])
    return UnitResult(
        key=key,
        name=name,
        codes=[o.code for o in top],
        orgs=len(members),
        branches=len(branches),
        evaluated=evaluated,
        scores=scores,
        total=scoring.total_of(scores),
    )


def part_of(data: dict, org: Org) -> dict:
    """The part of an assessment's JSON for one organisation: its unit when it is a unit's 党组 or 机关党委, else
    the branches of its subtree and the units they belong to; the 工委: everything."""
    if org.type == OrgType.GONGWEI:
        return data
    codes = set(Org.objects.filter(path__startswith=org.path).values_list("code", flat=True))
    branches = [b for b in data["branches"] if b["org"] in codes]
    keys = {b["unit"] for b in branches} | {u["unit"] for u in data["units"] if org.code in u["codes"]}
    return dict(data, units=[u for u in data["units"] if u["unit"] in keys], branches=branches)


def unit_of(assessment: Assessment, code: str) -> UnitResult | None:
    for u in assessment.units:
        if code in u.codes:
            return u
    return None


def total_points(scores: list[IndicatorScore]) -> Decimal:
    return sum((s.points for s in scores if s.method not in ("bonus", "penalty")), Decimal(0))


def current_json(year: int) -> dict:
    """The year's assessment as JSON (`Assessment.as_json()`): as frozen at 审定 once the round is there, else
    live with the round's scores (or without a round: the automatic part alone)."""
    found = Round.objects.filter(year=year).first()
    if found is None or not found.frozen:
        return assess(year, round=found).as_json()
    meta = found.frozen_meta or {}
    titles = rule_titles(meta.get("rulebook_version"))
    units = sorted(
        (u.data for u in FrozenUnit.objects.filter(round=found)),
        key=lambda d: (-Decimal(d["total"]), d["unit"]),
    )
    branches = sorted(
        (
            frozen_branch(b.data, titles)
            for b in FrozenBranch.objects.filter(round=found).select_related(None)
        ),
        key=lambda d: d["org"],
    )
    return {"year": year, **meta, "units": units, "branches": branches, "frozen": True}


def frozen_branch(data: dict, titles: Mapping[str, str]) -> dict:
    """A branch's entry as frozen at 审定, its reasons worded as the pages word them now (`scoring.reworded`: a rule
    named by its title in `titles`, those of the rulebook the round was frozen on — `frozen_titles`)."""
    return dict(data, reasons=[scoring.reworded(r, titles) for r in data.get("reasons") or []])


def frozen_titles(found: Round) -> dict[str, str]:
    """The rules' titles in the rulebook whose results a frozen round read."""
    return rule_titles((found.frozen_meta or {}).get("rulebook_version"))


def unit_names(data: dict) -> dict[str, str]:
    """The name of each unit an assessment's JSON names by its key (`unit_key`): the units' own names, and for a
    branch whose unit is not in `data` (a 支部管理员 sees the branch, not its unit) its 所在单位 — the key — or, for
    organisations without one ("@" and the path of the one directly under the 工委), that organisation's name (one
    query, only then). A key is never shown as it is."""
    names = {u["unit"]: u["name"] for u in data["units"]}
    keys = {b["unit"] for b in data["branches"]} - set(names)
    paths = {key[1:] for key in keys if key.startswith("@")}
    found = dict(Org.objects.filter(path__in=paths).values_list("path", "name")) if paths else {}
    for key in keys:
        names[key] = found.get(key[1:], "—") if key.startswith("@") else key
    return names


def sees_unit(scope, tops: list[Org]) -> bool:
    """Whether a scope sees a unit: it administers, with everything under it, the unit's 机关党委 (the organ's
    专责机构 of party building, 实施意见（十八）) — or, for a unit without one, one of its organisations directly
    under the 工委. A 党委 administrator without its branches does not: the unit's scores name them."""
    if scope.is_superuser or scope.everything:
        return True
    leading = [o for o in tops if o.type == OrgType.DANGWEI] or tops
    return any(
        g.include_descendants and o.path.startswith(g.path) for o in leading for g in scope.admin_grants
    )


@dataclass
class Visible:
    """What of a year's assessment a user may see: the units they see (`sees_unit`; an assessor: every unit) and
    the branches they administer."""

    data: dict
    assessor: bool
    unit_keys: set[str]


def visible_json(year: int, user) -> Visible:
    """The year's assessment (frozen or live) restricted to the user's units and branches: an assessor reads the
    whole; for anyone else only the units of the organisations they administer are computed."""
    from dangjian.accounts.scope import scope_for
    from dangjian.compliance.kept import unit_filter

    scope = scope_for(user)
    root = Org.objects.filter(type=OrgType.GONGWEI, parent__isnull=True).first()
    if root is not None and scope.covers(root):
        data = current_json(year)
        return Visible(data, True, {u["unit"] for u in data["units"]})
    mine = list(
        Org.objects.visible_to(user).exclude(type=OrgType.GONGWEI).only("id", "code", "type", "path", "unit")
    )
    keys = {unit_key(o) for o in mine}
    where = Q(pk__in=[])
    for key in keys:
        where |= unit_filter(key)
    tops: dict[str, list[Org]] = defaultdict(list)
    for o in Org.objects.filter(where, depth=2).only("id", "type", "path", "unit"):
        tops[unit_key(o)].append(o)
    seen = {key for key, found in tops.items() if sees_unit(scope, found)}
    current = Round.objects.filter(year=year).first()
    if current is not None and current.frozen:
        data = current_json(year)
    else:
        data = assess(year, Org.objects.filter(where), round=current).as_json()
    branch_codes = {o.code for o in mine if o.type == OrgType.ZHIBU}
    data = dict(
        data,
        units=[u for u in data["units"] if u["unit"] in seen],
        branches=[b for b in data["branches"] if b["org"] in branch_codes],
    )
    return Visible(data, False, seen)


# --- 分类定级 over the years ----------------------------------------------------------------------------------


@dataclass
class TierMovement:
    """The tiers of the branches in a scope at the latest 审定, and how they moved since the one before."""

    year: int
    previous: int | None
    counts: list[tuple[str, int]]  # tier → branches, in the scheme's order of the latest year
    moves: list[tuple[str, str, int]]  # (tier before, tier now, branches) where they differ, most first


def tier_movement(user) -> TierMovement | None:
    """For a 党委/工委 home: the latest frozen round's tiers in the user's scope and the moves since the previous
    frozen round (three queries)."""
    from dangjian.accounts.scope import scope_for

    rounds = list(
        Round.objects.filter(stage__in=FROZEN_STAGES).order_by("-year").values_list("pk", "year")[:2]
    )
    if not rounds:
        return None
    where = scope_for(user).org_q("org__")
    rows = FrozenBranch.objects.filter(where, round_id__in=[pk for pk, _y in rounds]).values_list(
        "round_id", "org_id", "tier"
    )
    now: dict[int, str] = {}
    before: dict[int, str] = {}
    for round_id, org_id, tier in rows:
        (now if round_id == rounds[0][0] else before)[org_id] = tier or "未评估"
    if not now:
        return None
    order = {t.name: i for i, t in enumerate(load_scheme(rounds[0][1]).scheme.tiering.tiers)}
    counts: dict[str, int] = defaultdict(int)
    moves: dict[tuple[str, str], int] = defaultdict(int)
    for org_id, tier in now.items():
        counts[tier] += 1
        if org_id in before and before[org_id] != tier:
            moves[(before[org_id], tier)] += 1
    return TierMovement(
        year=rounds[0][1],
        previous=rounds[1][1] if len(rounds) > 1 else None,
        counts=sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])),
        moves=sorted(((a, b, n) for (a, b), n in moves.items()), key=lambda m: (-m[2], m[0], m[1])),
    )


def tier_history(org: Org) -> list[tuple[int, str, Decimal | None]]:
    """A branch's tier at each 审定, oldest first (one query)."""
    return [
        (year, tier, score)
        for year, tier, score in FrozenBranch.objects.filter(org=org)
        .order_by("round__year")
        .values_list("round__year", "tier", "score")
    ]
