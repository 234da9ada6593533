"""A check kind that only a test app declares is loaded, evaluated, labelled, linked and its evidence
resolved with no change to the engine: the plug-in registers everything from its AppConfig.ready()."""

import datetime as dt
import textwrap

import pytest
from django.urls import reverse

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.facts import EXTRA_FACTS
from dangjian.compliance.registry import EVIDENCE_RESOLVERS, REGISTRY
from dangjian.compliance.rulebook import load_ruleset_file
from dangjian.compliance.selectors import org_results, rule_views, short_title
from dangjian.orgs.models import Org

PLUGIN = "dangjian.compliance.tests.plugin_app"


@pytest.fixture
def plugin(settings):
    assert "code_prefix" not in REGISTRY
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, PLUGIN]  # the app registry runs its ready()
    yield REGISTRY["code_prefix"]
    REGISTRY.pop("code_prefix")
    EXTRA_FACTS.pop("test_codes")
    EVIDENCE_RESOLVERS.pop("test_org")


@pytest.fixture
def ruleset(tmp_path):
    path = tmp_path / "v1.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            id: test
            version: 1
            title: 测试规则库
            published: 2026-01-01
            rules:
              - id: TEST-CODE-PREFIX
                title: 组织编码以 A 开头
                clause: （一）
                basis: 测试
                key_sentence: 测试
                applies_to: [zhibu]
                weight: 1
                severity: advisory
                check: code_prefix
                params: {prefix: A}
            """
        ),
        encoding="utf-8",
    )
    return path


def test_a_plugged_in_check_kind_is_evaluated_by_the_engine(plugin, ruleset, tree, users):
    rules = load_ruleset_file(ruleset)
    evaluation = evaluate(Org.objects.all(), year=2026, as_of=dt.date(2026, 6, 30), ruleset=rules)
    by_org = {r.org.code: (r.status, r.missing, r.evidence) for r in evaluation.results}
    assert by_org == {
        "A1": ("pass", [], [("test_org", tree.a1.pk)]),
        "A2": ("pass", [], [("test_org", tree.a2.pk)]),
        "B1": ("fail", ["B1"], []),
    }
    rule = rules.rule("TEST-CODE-PREFIX")
    assert short_title(rule) == "编码"
    view = rule_views(rules, {})[0]
    assert (view.check_label, view.params) == ("编码前缀", [("编码前缀", "prefix", "A")])
    [b1] = org_results(users["gongwei"], tree.b1, evaluation, {})
    assert (b1.link.url, b1.link.label) == ("/fix/B1/", "去改编码")
    [a1] = org_results(users["gongwei"], tree.a1, evaluation, {})
    assert [e.text for e in a1.evidence] == [f"组织 {tree.a1.pk}"]


def test_an_unknown_check_kind_is_refused_without_the_plugin(ruleset):
    from dangjian.compliance.rulebook import RulebookError

    with pytest.raises(RulebookError, match="未知的检查类型“code_prefix”"):
        load_ruleset_file(ruleset)
    assert reverse("compliance:rules")  # the engine's pages are untouched by the test app


def test_every_rule_of_the_latest_rulebook_has_a_short_column_heading():
    """The overview's headings are vertical: a rule without a short title would stretch the header."""
    from dangjian.compliance.registry import SHORT_TITLES
    from dangjian.compliance.rulebook import load_ruleset

    long = {r.id: str(SHORT_TITLES.get(r.id, r.title)) for r in load_ruleset().rules}
    assert {rule_id: t for rule_id, t in long.items() if len(t) > 6} == {}
