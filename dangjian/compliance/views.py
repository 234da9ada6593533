"""Compliance pages: the overview rolled up per 单位, the rows of one 单位 (htmx), one organisation's
results with their clauses and evidence, the Excel export and the rulebook.

The pages read the kept results (compliance.kept) of the latest rulebook and say when they were evaluated;
a large scope is rolled up in SQL. An explicit "as of" date, or a year whose results are not kept, is
evaluated live (the facts for the whole scope are built with a fixed number of queries). Reads start from
the user's scope; an organisation outside it is a 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dangjian.accounts.scope import scope_for
from dangjian.accounts.web import admin_required
from dangjian.compliance import kept, reading, selectors
from dangjian.compliance.clauses import all_clauses
from dangjian.compliance.evaluator import Evaluation, evaluate
from dangjian.compliance.forms import EvaluationForm
from dangjian.compliance.rulebook import list_versions, load_ruleset
from dangjian.core import exports
from dangjian.core.downloads import personal_data
from dangjian.orgs.models import Org

SHOW_ALL = "all"  # ?show=all on an organisation's page: every rule, not only those that fail or are pending


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _overview(form: EvaluationForm, orgs):
    """The roll-up: from kept results counted in SQL for a large scope, else from the results."""
    types = selectors.org_types(orgs)
    ruleset, meta = reading.kept_meta(form, orgs)
    if meta is None:
        evaluation = evaluate(orgs, year=form.the_year, as_of=form.the_as_of)
        return selectors.build_overview(evaluation, types=types), evaluation, None
    units = kept.kept_units(orgs, year=form.the_year, ruleset=ruleset)
    if len(units) <= 1 or sum(n for n, _first in units.values()) <= selectors.INLINE_ORGS:
        evaluation = kept.kept_evaluation(
            orgs, year=form.the_year, ruleset=ruleset, meta=meta, with_messages=False
        )
        return selectors.build_overview(evaluation, types=types), evaluation, meta
    evaluation = Evaluation(ruleset=ruleset, year=form.the_year, as_of=meta.as_of, results=[])
    counts = kept.kept_counts(orgs, units, year=form.the_year, ruleset=ruleset)
    unit_orgs = {key: n for key, (n, _first) in units.items()}
    first_paths = {key: first for key, (_n, first) in units.items()}
    board = selectors.build_overview_from_counts(evaluation, counts, unit_orgs, first_paths, types=types)
    return board, evaluation, meta


def _query(form: EvaluationForm, **overrides) -> str:
    params = form.query(**overrides)
    return f"?{urlencode(params)}" if params else ""


@admin_required
@require_GET
def overview(request):
    form = EvaluationForm(request.GET)
    orgs, root = selectors.scoped_orgs(request.user, org_pk=form.org_pk, unit=form.the_unit)
    board, evaluation, meta = _overview(form, orgs)
    unit_label = selectors.unit_label(form.the_unit) if form.the_unit else ""
    return render(
        request,
        "compliance/overview.html",
        {
            "nav": "compliance",
            "form": form,
            "board": board,
            "evaluation": evaluation,
            "kept": meta,
            "root": root,
            "unit_label": unit_label,
            "query": _query(form),
            "org_query": _query(form, org=None, unit=None),  # year and D only, for the drill-down
            "clear_root": _query(form, org=None),
            "clear_unit": _query(form, unit=None),
            "unit_base": urlencode(form.query(unit=None)),
        },
    )


@admin_required
@require_GET
def unit_rows(request):
    """htmx: the organisation rows of one 单位 of the overview (`?unit=` is required)."""
    form = EvaluationForm(request.GET)
    if not form.the_unit:
        raise Http404(_("请指定单位。"))
    if not _is_htmx(request):
        return redirect(reverse("compliance:overview") + _query(form))
    scope, _root = selectors.scoped_orgs(request.user, org_pk=form.org_pk)
    orgs = scope.filter(selectors.unit_filter(form.the_unit))
    evaluation, _meta = reading.results(form, orgs, with_messages=False)
    # The columns are those of the overview the rows go into: the rules of the whole scope's types.
    board = selectors.build_overview(evaluation, types=selectors.org_types(scope), org_rows=True)
    return render(
        request,
        "compliance/_org_rows.html",
        {"rows": board.org_rows, "org_query": _query(form, org=None, unit=None)},
    )


@admin_required
@require_GET
def org_detail(request, pk: int):
    org = get_object_or_404(Org.objects.visible_to(request.user), pk=pk)
    form = EvaluationForm(request.GET)
    evaluation, meta = reading.results(form, Org.objects.filter(pk=org.pk))
    history = kept.result_history(org.pk, year=evaluation.year, ruleset=evaluation.ruleset) if meta else None
    items = selectors.org_results(request.user, org, evaluation, all_clauses(), history)
    # 只看不符合 (the default): the failing and pending rules only; ?show=all lists every rule, the open ones
    # still first. Links, so that the choice works without script and keeps the year and date asked for.
    show_all = request.GET.get("show") == SHOW_ALL
    shown = items if show_all else [i for i in items if i.status in selectors.OPEN_STATUSES]
    return render(
        request,
        "compliance/org.html",
        {
            "nav": "compliance",
            "org": org,
            "form": form,
            "evaluation": evaluation,
            "kept": meta,
            "items": items,
            "shown": shown,
            "n_hidden": len(items) - len(shown),
            "show_all": show_all,
            "opened": request.GET.get("open", ""),
            "only_failing_url": _query(form, org=None, unit=None) or "?",
            "show_all_url": _query(form, org=None, unit=None, show=SHOW_ALL),
            "counts": selectors.status_counts(i.result for i in items),
            "unit_key": selectors.unit_key(org),
            "query": _query(form, org=None, unit=None),
        },
    )


@personal_data
@admin_required
@require_GET
def export(request):
    """The evaluation's results as a workbook (messages name members: no-store, and an audit event); a large
    scope's is made by the task worker (compliance.export, core.exports)."""
    return exports.respond(request, "compliance")


@admin_required
@require_GET
def rules(request):
    versions = list_versions()
    try:
        version = int(request.GET.get("version", ""))
    except ValueError:
        version = None
    if version is not None and version not in versions:
        raise Http404(_("规则库版本不存在。"))
    ruleset = load_ruleset(version)
    scope = scope_for(request.user)
    return render(
        request,
        "compliance/rules.html",
        {
            "nav": "compliance",
            "ruleset": ruleset,
            "versions": versions,
            "rules": selectors.rule_views(ruleset, all_clauses()),
            # the research behind the rules (reference codes, confidence, parameter keys, checksums) is for
            # the 工委管理员, who maintains the rulebook; everyone else reads the rules in plain words
            "provenance": selectors.shows_provenance(scope),
        },
    )
