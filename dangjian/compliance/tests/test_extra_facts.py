"""The extra fact providers: a later domain registers a loader and check kinds that name it; the evaluator
loads exactly the providers its ruleset's checks need, once for the whole scope."""

import datetime as dt

import pytest

from dangjian.compliance.checks import REGISTRY, Outcome, Params, register
from dangjian.compliance.evaluator import evaluate, extra_needs, todo
from dangjian.compliance.facts import EXTRA_FACTS, register_facts
from dangjian.compliance.tests.builders import make_ruleset as ruleset
from dangjian.orgs.models import Org

D = dt.date


class NoParams(Params):
    pass


@pytest.fixture
def provider():
    calls = []

    @register_facts("test_counter")
    def load(ids_sq, orgs, year, as_of):
        calls.append((len(orgs), year, as_of))
        return {o.pk: len(o.code) for o in orgs}

    @register("test_counter_check", NoParams, facts=("test_counter",))
    def check(facts, window, p):
        value = facts.extra["test_counter"]
        return Outcome("pass" if value and value <= 2 else "fail", f"value {value}")

    @register("test_plain_check", NoParams)
    def plain(facts, window, p):
        return Outcome("pass", "plain")

    yield calls
    EXTRA_FACTS.pop("test_counter")
    REGISTRY.pop("test_counter_check")
    REGISTRY.pop("test_plain_check")


def test_loaded_once_only_when_a_check_needs_it(tree, provider):
    needing = ruleset("test_counter_check", "test_counter_check")
    assert extra_needs(needing) == {"test_counter"}
    ev = evaluate(Org.objects.all(), year=2026, as_of=D(2026, 6, 30), ruleset=needing)
    assert len(provider) == 1  # once for the whole scope, not per rule or organisation
    by_org = {r.org.code: r.status for r in ev.for_rule("TEST-R1")}
    assert by_org["A1"] == "pass"  # code "A1" has length 2
    assert by_org["B1"] == "pass"

    provider.clear()
    evaluate(Org.objects.all(), year=2026, as_of=D(2026, 6, 30), ruleset=ruleset("test_plain_check"))
    assert provider == []


def test_todo_loads_only_providers_of_checks_with_a_todo(tree, provider):
    rs = ruleset("test_counter_check")
    assert extra_needs(rs, for_todo=True) == frozenset()
    todo(Org.objects.all(), on=D(2026, 6, 30), ruleset=rs)
    assert provider == []


def test_a_name_cannot_be_registered_twice(provider):
    with pytest.raises(RuntimeError):
        register_facts("test_counter")(lambda *a: {})
