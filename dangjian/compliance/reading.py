"""How the compliance pages and the export read results: the kept results of the latest rulebook when the scope's
are kept and no explicit "as of" date was asked, else a live evaluation."""

from __future__ import annotations

from dangjian.compliance import kept
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.forms import EvaluationForm
from dangjian.compliance.rulebook import load_ruleset


def kept_meta(form: EvaluationForm, orgs):
    """(ruleset, when the kept results were evaluated) when the page reads kept results: no explicit date
    was asked and the latest rulebook's results of the year are kept for the scope; else (None, None)."""
    if form.data.get("as_of") and "as_of" not in form.errors:
        return None, None
    ruleset = load_ruleset()
    meta = kept.kept_meta(orgs, year=form.the_year, ruleset=ruleset)
    return (ruleset, meta) if meta is not None else (None, None)


def results(form: EvaluationForm, orgs, *, with_messages: bool = True):
    """The evaluation of `orgs` (kept, or live) and when kept results were evaluated (or None); the messages
    of kept results are read only `with_messages`."""
    ruleset, meta = kept_meta(form, orgs)
    if meta is not None:
        evaluation = kept.kept_evaluation(
            orgs, year=form.the_year, ruleset=ruleset, meta=meta, with_messages=with_messages
        )
        return evaluation, meta
    return evaluate(orgs, year=form.the_year, as_of=form.the_as_of), None
