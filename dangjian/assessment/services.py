"""Writes of the assessment's cycle. Each validates, checks scope inside its transaction, writes and records an
audit event; a refused write raises ServiceError (OutOfScope) and changes nothing.

Who does what: the 工委's assessors — administrators of the 工委 itself (`require_org` on the root) — open the
year's round under its published scheme, score the items no record shows (with a reason), rule on the units'
contests and move the round on; a unit's administrators (of its 党组 or 机关党委, the organisations directly under
the 工委) write its 自评: an explanation or a contest of an automatic score, or its view of an assessor item.
At 审定 the assessment is frozen with everything behind every point (FrozenUnit, FrozenBranch)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.scope import fresh_scope, require_org
from dangjian.assessment.models import (
    STAGE_ORDER,
    FrozenBranch,
    FrozenUnit,
    ManualScore,
    Rectification,
    Round,
    Ruling,
    SelfReview,
    Stage,
)
from dangjian.assessment.scheme import SchemeError, list_years, load_scheme
from dangjian.core import audit
from dangjian.core.choices import choice_label
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Org

if TYPE_CHECKING:
    from dangjian.assessment.selectors import Assessment

TEXT_MAX = 2000
MANUAL_METHODS = frozenset({"assessor", "bonus", "penalty"})
AUTOMATIC_METHODS = frozenset({"rules", "evaluation"})


def root_org() -> Org:
    root = Org.objects.filter(type=OrgType.GONGWEI, parent__isnull=True).first()
    if root is None:
        raise ServiceError(_("组织树中没有工委，无法开展机关党建考核。"))
    return root


def require_assessor(actor) -> None:
    """Only the 工委's administrators (who administer the root itself) assess."""
    require_org(actor, root_org(), _("只有工委管理员可以进行此项操作。"))


def unit_orgs(unit_key: str) -> list[Org]:
    """The unit's organisations directly under the 工委 (its 党组 and 机关党委)."""
    from dangjian.compliance.kept import unit_filter

    return list(Org.objects.filter(unit_filter(unit_key), depth=2).order_by("path"))


def require_unit(actor, unit_key: str) -> list[Org]:
    """The unit's organisations under the 工委 when the actor sees the unit (`selectors.sees_unit`: administers its
    机关党委 with everything under it; an assessor sees every unit)."""
    tops = unit_orgs(unit_key)
    if not tops:
        raise ServiceError(_("没有这个参加考核的单位。"))
    from dangjian.assessment.selectors import sees_unit

    if not sees_unit(fresh_scope(actor), tops):
        raise OutOfScope()
    return tops


def _locked(found: Round) -> Round:
    return Round.objects.select_for_update().get(pk=found.pk)


def _stage_is(found: Round, *stages: str) -> None:
    if found.stage not in stages:
        raise ServiceError(
            _("本年度考核当前处于“%(stage)s”阶段，不能进行此项操作。")
            % {"stage": choice_label(Stage, found.stage)}
        )


def _indicator(found: Round, indicator_id: str):
    scheme = load_scheme(found.year).scheme
    for i in scheme.indicators:
        if i.id == indicator_id:
            return i
    raise ServiceError(_("考核方案中没有指标 %(id)s。") % {"id": indicator_id})


def _points(value: Any, top: Decimal, field: str) -> Decimal:
    try:
        points = Decimal(str(value))
        if not points.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ServiceError(_("分数应为数字。"), field=field) from None
    if not Decimal(0) <= points <= top:
        raise ServiceError(_("分数应在 0 到 %(top)s 之间。") % {"top": top}, field=field)
    if points != points.quantize(Decimal("0.01")):
        raise ServiceError(_("分数最多保留两位小数。"), field=field)
    return points.quantize(Decimal("0.01"))


def claimed_without_contest() -> str:
    """The refusal of a claimed score without a contest: the claim would otherwise be silently dropped."""
    return _("填写认为应得分须同时勾选“对本项得分提出异议”；不提出异议时请清空认为应得分。")


def _text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ServiceError(message, field=field)
    if len(text) > TEXT_MAX:
        raise ServiceError(_("不能超过 %(n)s 字。") % {"n": TEXT_MAX}, field=field)
    return text


def _about(unit_key: str, tops: list[Org], indicator) -> str:
    """A unit's indicator as an audit note names it: the unit by its name (its 所在单位, or for a unit without one
    its first organisation under the 工委, never its key) and the indicator by its title with its number:
    "甲委 落实“第一议题”制度…（POL-02）"."""
    unit = unit_key if not unit_key.startswith("@") else (tops[0].name if tops else unit_key)
    return f"{unit} {indicator.title}（{indicator.id}）"


def _event(actor, action: str, found: Round, note: str, before=None, after=None) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=found,
        org_path=root_org().path,
        before=before,
        after=after,
        note=note[:255],
    )


# --- the round ---------------------------------------------------------------------------------------------


def open_round(*, actor, year: int, on: dt.date | None = None) -> Round:
    """Opens the year's assessment under its published scheme, in 单位自评. Refused: not an assessor, a year not yet
    begun, no scheme or one not published (a draft can change), already opened."""
    on = on or dt.date.today()
    with transaction.atomic():
        require_assessor(actor)
        if year not in list_years():  # said plainly: the loader's message names a file and a server directory
            raise ServiceError(
                _("%(year)s年度尚未制定考核方案，不能开始考核。") % {"year": year}, field="year"
            )
        try:
            loaded = load_scheme(year)
        except SchemeError as exc:
            raise ServiceError(exc.message) from exc
        if not loaded.published:
            raise ServiceError(
                _("%(year)s年度考核方案尚未发布（未列入校验和清单），不能开始考核。") % {"year": year}
            )
        if year > on.year:
            raise ServiceError(_("%(year)s年度尚未开始，不能开展该年度的考核。") % {"year": year})
        if Round.objects.filter(year=year).exists():
            raise ServiceError(_("%(year)s年度考核已经开始。") % {"year": year})
        found = Round.objects.create(
            year=year,
            scheme_version=loaded.scheme.version,
            scheme_checksum=loaded.checksum,
            opened_on=on,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        _event(
            actor,
            "create",
            found,
            f"{found}：方案第 {loaded.scheme.version} 版",
            after={"stage": found.stage},
        )
    return found


def year_end(year: int) -> dt.date:
    """The day from which 审定 needs no confirmation: 31 December of the round's year."""
    return dt.date(year, 12, 31)


def advance(
    *, actor, round: Round, expected: str, on: dt.date | None = None, confirm_early: bool = False
) -> Round:
    """Moves the round on from `expected` (the stage the page showed: a repeat is refused). Into 审定 only when
    every unit is completely scored and every contest ruled; 审定 freezes the assessment. Before 31 December of
    the round's year, 审定 (which freezes results still 待定) only with `confirm_early` (the page's box), else
    refused saying how many results are still 待定."""
    on = on or dt.date.today()
    with transaction.atomic():
        require_assessor(actor)
        found = _locked(round)
        _stage_is(found, expected)
        index = STAGE_ORDER.index(found.stage)
        if index + 1 >= len(STAGE_ORDER):
            raise ServiceError(_("本年度考核已经结束。"))
        target = STAGE_ORDER[index + 1]
        if target == Stage.APPROVED:
            assessment = _ready(found)
            if on < year_end(found.year) and not confirm_early:
                from dangjian.assessment.selectors import pending_results

                raise ServiceError(
                    _(
                        "%(year)s年度尚未结束（到%(end)s），还有 %(n)s 项检查结果待定：审定后得分冻结，不再随记录变化。"
                        "请在年度结束后审定；确需现在审定，请勾选“年度未结束，仍然审定”后再提交。"
                    )
                    % {
                        "year": found.year,
                        "end": year_end(found.year).isoformat(),
                        "n": pending_results(found.year),
                    }
                )
            _freeze(found, assessment)
            found.approved_on = on
        elif target == Stage.PUBLICITY:
            found.published_on = on
        elif target == Stage.DONE:
            found.done_on = on
        before = {"stage": choice_label(Stage, found.stage)}
        found.stage = target
        found.save()
        _event(
            actor,
            "update",
            found,
            f"{found}：进入{choice_label(Stage, target)}",
            before,
            {"stage": choice_label(Stage, target)}
            | (
                {"confirmed_before_year_end": True}
                if target == Stage.APPROVED and on < year_end(found.year)
                else {}
            ),
        )
    return found


def _ready(found: Round) -> Assessment:
    """The round's assessment when it may be approved: every contest ruled, every unit completely scored."""
    from dangjian.assessment.selectors import assess

    assessment = assess(found.year, round=found)
    open_contests = SelfReview.objects.filter(round=found, contest=True, ruling="").count()
    if open_contests:
        raise ServiceError(_("还有 %(n)s 项单位异议未作考评意见，不能审定。") % {"n": open_contests})
    unscored = [u.name for u in assessment.units if not u.total.complete]
    if unscored:
        raise ServiceError(
            _("以下单位还有指标未评分，不能审定：%(units)s。") % {"units": "、".join(unscored[:10])}
            + ("……" if len(unscored) > 10 else "")
        )
    return assessment


def _freeze(found: Round, assessment: Assessment) -> None:
    data = assessment.as_json()
    found.frozen_meta = {k: data[k] for k in ("scheme", "rulebook_version", "as_of")}
    FrozenUnit.objects.bulk_create(
        FrozenUnit(round=found, unit_key=u.key, total=u.total.total, grade=u.grade or "", data=u.as_json())
        for u in assessment.units
    )
    FrozenBranch.objects.bulk_create(
        FrozenBranch(
            round=found, org_id=b.org.id, score=b.tier.score, tier=b.tier.tier or "", data=b.as_json()
        )
        for b in assessment.branches
    )


# --- scores, 自评 and rulings ------------------------------------------------------------------------------


def score_item(
    *, actor, round: Round, unit_key: str, indicator_id: str, points: Any, reason: str
) -> ManualScore:
    """An assessor's score of an item no record shows, with its reason (in 考评)."""
    with transaction.atomic():
        require_assessor(actor)
        found = _locked(round)
        _stage_is(found, Stage.REVIEW)
        indicator = _indicator(found, indicator_id)
        if indicator.method not in MANUAL_METHODS:
            raise ServiceError(_("该指标按记录自动计分，不由考评人员评分。"))
        tops = require_unit(actor, unit_key)
        value = _points(points, indicator.points, "points")
        text = _text(reason, "reason", _("请写明评分理由。"))
        existing = ManualScore.objects.filter(
            round=found, unit_key=unit_key, indicator_id=indicator_id
        ).first()
        before = {"points": str(existing.points), "reason": existing.reason} if existing else None
        score, _created = ManualScore.objects.update_or_create(
            round=found,
            unit_key=unit_key,
            indicator_id=indicator_id,
            defaults={
                "points": value,
                "reason": text,
                "scored_by": _user(actor),
                "scored_at": timezone.now(),
            },
        )
        _event(
            actor,
            "update",
            found,
            f"{_about(unit_key, tops, indicator)} 评分 {value}",
            before,
            {"points": str(value), "reason": text},
        )
    return score


def write_self_review(
    *,
    actor,
    round: Round,
    unit_key: str,
    indicator_id: str,
    text: str,
    contest: bool = False,
    claimed: Any = None,
) -> SelfReview:
    """A unit's explanation or contest of an automatic score, or its view of an assessor item (in 单位自评). A
    contest names the points the unit claims; writing again replaces the earlier text."""
    with transaction.atomic():
        found = _locked(round)
        tops = require_unit(actor, unit_key)
        _stage_is(found, Stage.SELF)
        indicator = _indicator(found, indicator_id)
        body = _text(text, "text", _("请填写说明。"))
        value = None
        if not contest and claimed not in (None, ""):
            raise ServiceError(claimed_without_contest(), field="claimed")
        if contest:
            if indicator.method not in AUTOMATIC_METHODS:
                raise ServiceError(_("只能对自动计分的指标提出异议。"))
            if claimed in (None, ""):
                raise ServiceError(_("提出异议时请填写认为应得的分数。"), field="claimed")
            value = _points(claimed, indicator.points, "claimed")
        review, _created = SelfReview.objects.update_or_create(
            round=found,
            unit_key=unit_key,
            indicator_id=indicator_id,
            defaults={
                "text": body,
                "contest": contest,
                "claimed": value,
                "written_by": _user(actor),
                "written_at": timezone.now(),
                "ruling": "",
                "ruling_text": "",
                "adjusted": None,
                "ruled_by": None,
                "ruled_at": None,
            },
        )
        kind = "异议" if contest else "说明"
        _event(
            actor,
            "update",
            found,
            f"{_about(unit_key, tops, indicator)} 自评{kind}",
            after={"contest": contest, "claimed": None if value is None else str(value)},
        )
    return review


def rule_contest(*, actor, review: SelfReview, accept: bool, text: str, adjusted: Any = None) -> SelfReview:
    """The assessors' ruling on a unit's contest (in 考评): accepted with the adjusted score, or not, with the
    reason either way."""
    with transaction.atomic():
        require_assessor(actor)
        found = _locked(review.round)
        _stage_is(found, Stage.REVIEW)
        review = SelfReview.objects.select_for_update().get(pk=review.pk)
        if not review.contest:
            raise ServiceError(_("这是单位的说明，不是异议，无需考评意见。"))
        indicator = _indicator(found, review.indicator_id)
        reason = _text(text, "text", _("请写明考评意见的理由。"))
        review.adjusted = _points(adjusted, indicator.points, "adjusted") if accept else None
        review.ruling = Ruling.ACCEPTED if accept else Ruling.REJECTED
        review.ruling_text = reason
        review.ruled_by = _user(actor)
        review.ruled_at = timezone.now()
        review.save()
        action = "approve" if accept else "reject"
        _event(
            actor,
            action,
            found,
            f"{_about(review.unit_key, unit_orgs(review.unit_key), indicator)} 异议{review.get_ruling_display()}",
            after={"adjusted": None if review.adjusted is None else str(review.adjusted)},
        )
    return review


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


# --- 整顿 plans of the branches tiered 后进 ------------------------------------------------------------------

RECTIFY_DAYS_MAX = 366  # a plan runs for at most a year


def _lagging(found: Round, org: Org) -> None:
    if not found.frozen:
        raise ServiceError(_("审定后才有分类定级结果，才能制定整顿计划。"))
    tier = FrozenBranch.objects.filter(round=found, org=org).first()
    if tier is None or tier.data.get("role") != "lagging":
        raise ServiceError(
            _("该党支部在%(year)s年度考核中未被定为后进，无需制定整顿计划。") % {"year": found.year}
        )


def save_rectification(
    *, actor, round: Round, org: Org, measures: str, responsible: str, due: dt.date, on: dt.date | None = None
) -> Rectification:
    """Writes (or revises, while not done) the 整顿 plan of a branch tiered 后进 at the round's 审定."""
    on = on or dt.date.today()
    with transaction.atomic():
        require_org(actor, org)
        found = _locked(round)
        _lagging(found, org)
        text = _text(measures, "measures", _("请填写整顿措施。"))
        who = (responsible or "").strip()
        if not who:
            raise ServiceError(_("请填写责任人。"), field="responsible")
        if len(who) > 100:
            raise ServiceError(_("不能超过 %(n)s 字。") % {"n": 100}, field="responsible")
        if not isinstance(due, dt.date) or due < on:
            raise ServiceError(_("完成期限不能早于今天。"), field="due")
        if due > on + dt.timedelta(days=RECTIFY_DAYS_MAX):
            raise ServiceError(_("完成期限不能超过一年。"), field="due")
        existing = Rectification.objects.select_for_update().filter(round=found, org=org).first()
        if existing is not None and existing.done_on is not None:
            raise ServiceError(_("整顿已完成，不能再修改计划。"))
        before = (
            {"measures": existing.measures, "responsible": existing.responsible, "due": existing.due}
            if existing
            else None
        )
        plan, _created = Rectification.objects.update_or_create(
            round=found,
            org=org,
            defaults={"measures": text, "responsible": who, "due": due, "created_by": _user(actor)},
        )
        audit.record(
            actor=actor,
            action="update" if existing else "create",
            obj=plan,
            org_path=org.path,
            before=before,
            after={"measures": text, "responsible": who, "due": due},
        )
    return plan


def complete_rectification(
    *, actor, plan: Rectification, outcome: str, on: dt.date | None = None
) -> Rectification:
    """Marks a 整顿 plan done, with what was achieved."""
    on = on or dt.date.today()
    with transaction.atomic():
        plan = Rectification.objects.select_for_update().select_related("org").get(pk=plan.pk)
        require_org(actor, plan.org)
        if plan.done_on is not None:
            raise ServiceError(_("整顿已于 %(day)s 完成。") % {"day": f"{plan.done_on:%Y-%m-%d}"})
        plan.outcome = _text(outcome, "outcome", _("请填写整顿成效。"))
        plan.done_on = on
        plan.save()
        audit.record(
            actor=actor,
            action="update",
            obj=plan,
            org_path=plan.org.path,
            after={"done_on": on, "outcome": plan.outcome},
        )
    return plan
