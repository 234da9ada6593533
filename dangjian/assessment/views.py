"""The assessment's pages: the scheme of a year, as published (every indicator with its points, method and basis,
the grades and the tiers) — what a unit is assessed on, readable before the year's work is done."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dangjian.accounts.web import admin_required
from dangjian.assessment.export import METHOD_LABELS
from dangjian.assessment.scheme import SchemeError, list_years, load_scheme


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
        context = {"nav": "compliance", "error": exc.message, "years": years, "year": year}
        return render(request, "assessment/scheme.html", context)
    s = loaded.scheme
    groups = [
        {
            "name": g.name,
            "points": sum(i.points for i in g.indicators if i.method not in ("bonus", "penalty")),
            "indicators": [{"i": i, "method": METHOD_LABELS[i.method]} for i in g.indicators],
        }
        for g in s.groups
    ]
    automatic = sum(i.points for i in s.indicators if i.method in ("rules", "evaluation"))
    return render(
        request,
        "assessment/scheme.html",
        {
            "nav": "compliance",
            "loaded": loaded,
            "scheme": s,
            "groups": groups,
            "years": years,
            "year": year,
            "automatic": automatic,
        },
    )
