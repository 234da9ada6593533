"""The assessment's pages: the scheme of a year as published; the rounds (the 工委 opens one); a round's units
with their totals and grades and the branches' tiers (each user sees the units whose 党组 or 机关党委 they
administer and the branches they administer; the 工委's administrators, the assessors, see everything); a unit's
page with every indicator's score and explanation, where the unit writes its 自评 and the assessors score and rule;
the workbook for the organs' annual assessment. Views parse input, call one service and render; a unit or round
outside the user's sight is a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.web import admin_required, apply_service_error
from dangjian.assessment import services
from dangjian.assessment.export import METHOD_LABELS, tables
from dangjian.assessment.forms import (
    OpenRoundForm,
    RectificationDoneForm,
    RectificationForm,
    RulingForm,
    ScoreForm,
    SelfReviewForm,
)
from dangjian.assessment.models import FrozenBranch, Rectification, Round, SelfReview, Stage
from dangjian.assessment.scheme import SchemeError, list_years, load_scheme
from dangjian.assessment.selectors import (
    frozen_branch,
    frozen_titles,
    pending_results,
    rule_titles,
    unit_names,
    visible_json,
)
from dangjian.compliance.kept import unit_key
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core import xlsx
from dangjian.core.downloads import export_response, personal_data
from dangjian.core.errors import OutOfScope, ServiceError
from dangjian.orgs.models import Org


@admin_required
@require_GET
def scheme(request):
    years = list_years()
    if not years:
        raise Http404(_("尚未发布机关党建考核方案。"))
    raw = request.GET.get("year", "")
    if raw:
        if not (raw.isascii() and raw.isdigit()) or int(raw) not in years:
            raise Http404(_("该年度没有机关党建考核方案。"))
        year = int(raw)
    else:
        today = dt.date.today().year
        year = today if today in years else years[-1]
    try:
        loaded = load_scheme(year)
    except SchemeError as exc:
        # a file that no longer loads (edited after publication, a rule the rulebook lacks): said, not hidden
        context = {"nav": "assessment", "error": exc.message, "years": years, "year": year}
        return render(request, "assessment/scheme.html", context)
    s = loaded.scheme
    # the rules an indicator scores by, named as the rulebook the scheme rests on names them (not by their codes)
    titles = rule_titles(s.rulebook_version)
    groups = [
        {
            "name": g.name,
            "points": sum(i.points for i in g.indicators if i.method not in ("bonus", "penalty")),
            "indicators": [
                {
                    "i": i,
                    "method": METHOD_LABELS[i.method],
                    "rules": [(r, titles.get(r, r)) for r in i.rules] if i.method == "rules" else [],
                }
                for i in g.indicators
            ],
        }
        for g in s.groups
    ]
    automatic = sum(i.points for i in s.indicators if i.method in ("rules", "evaluation"))
    return render(
        request,
        "assessment/scheme.html",
        {
            "nav": "assessment",
            "loaded": loaded,
            "scheme": s,
            "groups": groups,
            "years": years,
            "year": year,
            "automatic": automatic,
            "scored_by": load_ruleset().version,  # the kept results the rounds score are of the current rulebook
        },
    )


def _is_assessor(user) -> bool:
    try:
        services.require_assessor(user)
    except (OutOfScope, ServiceError):
        return False
    return True


@admin_required
@require_GET
def index(request):
    """The rounds, newest first; the assessors can open the year of a published scheme."""
    rounds = list(Round.objects.all())
    assessor = _is_assessor(request.user)
    opened = {r.year for r in rounds}
    this_year = dt.date.today().year
    openable = [y for y in list_years() if y not in opened and y <= this_year] if assessor else []
    context = {
        "nav": "assessment",
        "rounds": rounds,
        "assessor": assessor,
        "form": OpenRoundForm(initial={"year": openable[-1] if openable else dt.date.today().year}),
        "openable": openable,
    }
    return render(request, "assessment/index.html", context)


@admin_required
@require_POST
def open_round(request):
    form = OpenRoundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写考核年度。"))
        return redirect("assessment:index")
    try:
        found = services.open_round(actor=request.user, year=form.cleaned_data["year"])
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("assessment:index")
    messages.success(request, _("已开始%(year)s年度机关党建考核，进入单位自评。") % {"year": found.year})
    return redirect("assessment:round", found.year)


def _round(year: int) -> Round:
    return get_object_or_404(Round, year=year)


def _data(request, year: int):
    try:
        return visible_json(year, request.user)
    except SchemeError as exc:
        raise Http404(exc.message) from None


@admin_required
@require_GET
def round_page(request, year: int):
    found = _round(year)
    seen = _data(request, year)
    tops = {
        unit_key(o): o
        for o in Org.objects.filter(depth=2, type__in=("dangzu", "dangwei")).order_by("path")
        if unit_key(o) in seen.unit_keys
    }
    units = [dict(u, top=tops.get(u["unit"])) for u in seen.data["units"]]
    names = unit_names(seen.data)
    branches = [dict(b, unit_name=names[b["unit"]]) for b in seen.data["branches"]]
    tiers: dict[str, int] = {}
    for b in seen.data["branches"]:
        tiers[b["tier"] or _("未评估")] = tiers.get(b["tier"] or _("未评估"), 0) + 1
    context = {
        "nav": "assessment",
        "round": found,
        "data": seen.data,
        "units": units,
        "branches": branches,
        "tiers": sorted(tiers.items()),
        "assessor": seen.assessor,
        "next_stage": _next_stage(found),
        "stages": Stage.choices,
        "lagging": _lagging_rows(found, branches),
        "models": [b for b in branches if b.get("role") == "model"] if found.frozen else [],
    }
    if seen.assessor and found.stage == Stage.REVIEW and dt.date.today() < services.year_end(year):
        # 审定 before the year's end: the page says so and asks for the box (the service refuses without it)
        context["early"] = {"end": services.year_end(year), "pending": pending_results(year)}
    return render(request, "assessment/round.html", context)


def _lagging_rows(found: Round, branches: list[dict]) -> list[dict]:
    """The branches tiered 后进 at 审定 (among those shown) with their 整顿 plan, if any (one query)."""
    if not found.frozen:
        return []
    lagging = [b for b in branches if b.get("role") == "lagging"]
    plans = {
        p.org.code: p
        for p in Rectification.objects.filter(
            round=found, org__code__in=[b["org"] for b in lagging]
        ).select_related("org")
    }
    ids = dict(Org.objects.filter(code__in=[b["org"] for b in lagging]).values_list("code", "pk"))
    return [dict(b, plan=plans.get(b["org"]), pk=ids.get(b["org"])) for b in lagging]


def _next_stage(found: Round) -> str | None:
    order = [s.value for s in Stage]
    index = order.index(found.stage)
    return str(Stage(order[index + 1]).label) if index + 1 < len(order) else None


def _unit(request, year: int, org: int):
    """The round, the unit's top organisation (visible to the user as their unit, or to an assessor) and the
    unit's JSON entry."""
    found = _round(year)
    top = get_object_or_404(Org, pk=org, depth=2)
    seen = _data(request, year)
    key = unit_key(top)
    entry = next((u for u in seen.data["units"] if u["unit"] == key), None)
    if entry is None:
        raise Http404
    return found, top, key, entry, seen


@dataclass
class Failed:
    """A form of the unit's page that was not saved: the indicator, which form ("self", "score" or "rule"), what
    was typed (shown again in the form) and why, by field ("form": not tied to one field)."""

    indicator: str
    kind: str
    values: dict
    errors: dict[str, str]

    @classmethod
    def of(cls, indicator: str, kind: str, form) -> Failed:
        errors = {
            ("form" if name == NON_FIELD_ERRORS else name): " ".join(dict.fromkeys(texts))
            for name, texts in form.errors.items()
        }
        return cls(indicator, kind, {name: form[name].value() for name in form.fields}, errors)


def _forms(i: dict, review: SelfReview | None, failed: Failed | None) -> dict:
    """What the indicator's three forms show: the saved values, or what was typed when one was not saved."""
    forms: dict[str, dict[str, Any]] = {
        "self": {
            "text": review.text if review else "",
            "contest": bool(review and review.contest),
            "claimed": "" if review is None or review.claimed is None else review.claimed,
            "errors": {},
        },
        "score": {"points": "" if i["score"] is None else i["score"], "reason": "", "errors": {}},
        "rule": {
            "accept": "1",
            "adjusted": "" if review is None or review.claimed is None else review.claimed,
            "text": "",
            "errors": {},
        },
    }
    if failed is not None and failed.indicator == i["id"] and failed.kind in forms:
        typed = {k: ("" if v is None else v) for k, v in failed.values.items() if k in forms[failed.kind]}
        forms[failed.kind].update(typed, errors=failed.errors, open=True)
    return forms


def _unit_context(request, found, top, key, entry, seen, failed: Failed | None = None) -> dict:
    reviews = {r.indicator_id: r for r in SelfReview.objects.filter(round=found, unit_key=key)}
    deductions = [d for i in entry["indicators"] for d in i["deductions"]]
    titles = rule_titles(seen.data.get("rulebook_version")) if deductions else {}
    # each organisation a deduction names links to its compliance page, when the user may open it (one query)
    links = (
        dict(
            Org.objects.visible_to(request.user)
            .filter(code__in={d["org"] for d in deductions})
            .values_list("code", "pk")
        )
        if deductions
        else {}
    )
    rows = []
    for i in entry["indicators"]:
        review = reviews.get(i["id"])
        rows.append(
            {
                "i": i,
                "method": METHOD_LABELS[i["method"]],
                "review": review,
                "manual": i["method"] in services.MANUAL_METHODS,
                "points": Decimal(i["points"]),
                "deductions": [
                    dict(d, title=titles.get(d["rule"], d["rule"]), pk=links.get(d["org"]))
                    for d in i["deductions"]
                ],
                "forms": _forms(i, review, failed),
            }
        )
    titled = {i["id"]: i["title"] for i in entry["indicators"]}
    return {
        "nav": "assessment",
        "round": found,
        "top": top,
        "unit": entry,
        "rows": rows,
        "assessor": seen.assessor,
        "may_review": found.stage == Stage.SELF,
        "may_score": seen.assessor and found.stage == Stage.REVIEW,
        "failed": failed,
        "failed_title": titled.get(failed.indicator, failed.indicator) if failed else "",
    }


@admin_required
@require_GET
def unit_page(request, year: int, org: int):
    found, top, key, entry, seen = _unit(request, year, org)
    return render(request, "assessment/unit.html", _unit_context(request, found, top, key, entry, seen))


def _target(year: int, org: int) -> tuple[Round, str]:
    """The round and the unit of a POST about one indicator; the services check who may write (out of scope:
    404)."""
    return _round(year), unit_key(get_object_or_404(Org, pk=org, depth=2))


def _back(year: int, org: int, indicator: str = ""):
    response = redirect("assessment:unit", year, org)
    if indicator:
        response["Location"] += f"#ind-{indicator}"
    return response


def _write(request, write, success: str, back):
    try:
        write()
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return back


def _scheme_indicator(year: int, indicator_id: str):
    """The indicator of the year's scheme (its points bound the scores typed), or None (the service refuses)."""
    try:
        scheme = load_scheme(year).scheme
    except SchemeError:
        return None
    return next((i for i in scheme.indicators if i.id == indicator_id), None)


def _indicator_post(request, year: int, org: int, indicator: str, kind: str, form, write, success: str):
    """A POST of one of an indicator's forms on the unit's page: a valid form goes to `write` (one service); the
    saved indicator is shown again. An invalid form or a refusal shows the unit's page again (status 400) with
    what was typed and why it was not saved; out of scope: 404."""
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, success)
            return _back(year, org, indicator)
    found, top, key, entry, seen = _unit(request, year, org)
    context = _unit_context(request, found, top, key, entry, seen, Failed.of(indicator, kind, form))
    return render(request, "assessment/unit.html", context, status=400)


@admin_required
@require_POST
def self_review(request, year: int, org: int, indicator: str):
    found, key = _target(year, org)
    found_indicator = _scheme_indicator(year, indicator)
    form = SelfReviewForm(request.POST, top=found_indicator.points if found_indicator else None)

    def write(data):
        services.write_self_review(
            actor=request.user, round=found, unit_key=key, indicator_id=indicator, **data
        )

    return _indicator_post(request, year, org, indicator, "self", form, write, _("已保存本项的自评说明。"))


@admin_required
@require_POST
def score(request, year: int, org: int, indicator: str):
    found, key = _target(year, org)
    if not _is_assessor(request.user):
        raise Http404  # only the assessors score: the form is not theirs to be told about
    found_indicator = _scheme_indicator(year, indicator)
    form = ScoreForm(
        request.POST,
        top=found_indicator.points if found_indicator else None,
        method=found_indicator.method if found_indicator else "assessor",
    )

    def write(data):
        services.score_item(actor=request.user, round=found, unit_key=key, indicator_id=indicator, **data)

    return _indicator_post(request, year, org, indicator, "score", form, write, _("已评分。"))


@admin_required
@require_POST
def rule(request, pk: int):
    """The assessors' ruling on a contest, made on a unit's page: back to that page (the unit's organisation it
    was opened by), or to the one the round's page links."""
    review = get_object_or_404(SelfReview.objects.select_related("round"), pk=pk)
    tops = services.unit_orgs(review.unit_key)
    if not tops or not _is_assessor(request.user):
        raise Http404
    found_indicator = _scheme_indicator(review.round.year, review.indicator_id)
    form = RulingForm(request.POST, top=found_indicator.points if found_indicator else None)
    # the round's page links a unit by the last of its organisations under the 工委 (its 机关党委 after the 党组)
    on = next((o.pk for o in tops if str(o.pk) == request.POST.get("org", "")), tops[-1].pk)

    def write(data):
        services.rule_contest(
            actor=request.user,
            review=review,
            accept=data["accept"],
            text=data["text"],
            adjusted=data["adjusted"],
        )

    return _indicator_post(
        request, review.round.year, on, review.indicator_id, "rule", form, write, _("已作出考评意见。")
    )


@admin_required
@require_POST
def advance(request, year: int):
    found = _round(year)

    def write():
        services.advance(
            actor=request.user,
            round=found,
            expected=request.POST.get("stage", ""),
            confirm_early=request.POST.get("confirm_early") == "1",
        )

    return _write(request, write, _("已进入下一阶段。"), redirect("assessment:round", year))


@personal_data
@admin_required
@require_GET
def export(request, year: int):
    found = _round(year)
    seen = _data(request, year)
    content = xlsx.tables_bytes(tables(seen.data, unit_names(seen.data)))
    return export_response(
        content,
        f"{year}年度机关党建考核.xlsx",
        actor=request.user,
        what="机关党建考核结果",
        object_type="assessment.round",
        org_path="",
        scope=f"{found}（{len(seen.data['units'])} 个单位）",
        rows=len(seen.data["units"]) + len(seen.data["branches"]),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def rectification(request, year: int, org: int):
    """A 后进 branch's 整顿 plan: written and revised by whoever administers the branch, then marked done."""
    found = _round(year)
    branch = get_object_or_404(Org.objects.visible_to(request.user), pk=org, type="zhibu")
    tier = FrozenBranch.objects.filter(round=found, org=branch).first() if found.frozen else None
    if tier is None or tier.data.get("role") != "lagging":
        raise Http404
    plan = Rectification.objects.filter(round=found, org=branch).first()
    form = RectificationForm(
        request.POST if request.POST.get("action") == "save" else None,
        initial={"measures": plan.measures, "responsible": plan.responsible, "due": plan.due}
        if plan
        else None,
    )
    done_form = RectificationDoneForm(request.POST if request.POST.get("action") == "done" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "done" and plan is not None and done_form.is_valid():
                services.complete_rectification(
                    actor=request.user, plan=plan, outcome=done_form.cleaned_data["outcome"]
                )
                messages.success(request, _("已登记整顿完成。"))
                return redirect("assessment:rectification", year, org)
            if request.POST.get("action") == "save" and form.is_valid():
                services.save_rectification(actor=request.user, round=found, org=branch, **form.cleaned_data)
                messages.success(request, _("已保存整顿计划。"))
                return redirect("assessment:rectification", year, org)
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            (done_form if request.POST.get("action") == "done" else form).add_error(exc.field, exc.message)
    context = {
        "nav": "assessment",
        "round": found,
        "branch": branch,
        "tier": frozen_branch(tier.data, frozen_titles(found)),
        "plan": plan,
        "form": form,
        "done_form": done_form,
    }
    return render(
        request,
        "assessment/rectification.html",
        context,
        status=400 if form.errors or done_form.errors else 200,
    )
