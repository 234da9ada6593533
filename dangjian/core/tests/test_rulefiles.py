"""The one loader of the files under rules/ (no database)."""

from __future__ import annotations

import ast
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from pydantic import BaseModel, ConfigDict

from dangjian.appraisals.params import AppraisalParams
from dangjian.assessment.scheme import Scheme
from dangjian.compliance.carryover import WorkbenchParams
from dangjian.compliance.rulebook import RulebookError, RulesetFile, load_ruleset
from dangjian.core import rulefiles
from dangjian.core.rulefiles import RuleFileError
from dangjian.dues.rates import RatesError, RateTable, load_rates
from dangjian.evaluations.params import (
    EvaluationParams,
    EvaluationParamsError,
)
from dangjian.evaluations.params import (
    load_params as load_evaluation_params,
)
from dangjian.movements.params import MovementsParams, MovementsParamsError
from dangjian.movements.params import load_params as load_movements_params
from dangjian.pipeline.workflow import Workflow, WorkflowError, load_workflow
from dangjian.reminders.params import RemindersParams
from dangjian.training.params import StudyParams, StudyParamsError
from dangjian.training.params import load_params as load_study_params

PACKAGE = Path(__file__).resolve().parents[2]  # dangjian/
REPO_RULES = Path(django_settings.BASE_DIR) / "rules"


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str
    rate: int


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    title: str
    count: int = 0
    items: list[Item] = []


SAMPLE = """\
title: 样例
count: 2
items:
  - {name: a, rate: 1}
  - {name: b, rate: 2}
"""


@pytest.fixture
def rules(tmp_path, settings):
    settings.RULES_DIR = tmp_path
    return tmp_path


@pytest.fixture
def parses(monkeypatch):
    """The number of YAML parses since the fixture was set up."""
    calls = []
    real = rulefiles.parse_yaml

    def counting(text, name):
        calls.append(name)
        return real(text, name)

    monkeypatch.setattr(rulefiles, "parse_yaml", counting)
    return calls


def refused(directory: Path, text: str | bytes, name: str = "sample.yaml", model=Sample) -> str:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as excinfo:
        rulefiles.load(name, model)
    return excinfo.value.message


def bump_mtime(path: Path, seconds: int = 10) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))


# --- where the files are ----------------------------------------------------------------------------


def test_rules_dir_is_the_setting_or_base_dir_rules(settings, tmp_path):
    settings.RULES_DIR = tmp_path
    assert rulefiles.rules_dir() == tmp_path
    assert rulefiles.rule_path("dues-rates.yaml") == tmp_path / "dues-rates.yaml"
    assert rulefiles.rule_path(Path("/elsewhere/x.yaml")) == Path("/elsewhere/x.yaml")
    del settings.RULES_DIR
    assert rulefiles.rules_dir() == Path(django_settings.BASE_DIR) / "rules"


def test_a_name_is_read_from_the_rules_directory_and_an_absolute_path_as_given(rules, tmp_path_factory):
    (rules / "sample.yaml").write_text(SAMPLE, encoding="utf-8")
    assert rulefiles.load("sample.yaml", Sample).count == 2
    other = tmp_path_factory.mktemp("other") / "sample.yaml"
    other.write_text(SAMPLE.replace("count: 2", "count: 5"), encoding="utf-8")
    assert rulefiles.load(other, Sample).count == 5


# --- errors: one type, in Chinese, naming the file and the key ----------------------------------------


def test_unknown_key_is_refused_naming_the_file_and_the_key_path(rules):
    text = SAMPLE.replace("{name: b, rate: 2}", "{name: b, rate: 2, colour: red}")
    assert refused(rules, text) == "规则文件 sample.yaml：items.1.colour：不允许的字段。"
    assert refused(rules, SAMPLE + "author: x\n") == "规则文件 sample.yaml：author：不允许的字段。"


def test_unknown_key_in_a_real_file_is_refused(rules):
    text = (REPO_RULES / "dues-rates.yaml").read_text(encoding="utf-8")
    text = text.replace('{upto: "10000", rate: "0.015"}', '{upto: "10000", rate: "0.015", cap: "1"}')
    message = refused(rules, text, "dues-rates.yaml", RateTable)
    assert message == "规则文件 dues-rates.yaml：schedules.0.brackets.active.2.cap：不允许的字段。"


def test_wrong_type_is_refused(rules):
    assert (
        refused(rules, SAMPLE.replace("count: 2", "count: two")) == "规则文件 sample.yaml：count：应为整数。"
    )
    text = (REPO_RULES / "dues-rates.yaml").read_text(encoding="utf-8")
    text = text.replace('{upto: "10000", rate: "0.015"}', '{upto: "10000", rate: "abc"}')
    message = refused(rules, text, "dues-rates.yaml", RateTable)
    assert message == "规则文件 dues-rates.yaml：schedules.0.brackets.active.2.rate：应为数字。"


def test_missing_key_and_model_checks_are_described(rules):
    assert refused(rules, "count: 1\n") == "规则文件 sample.yaml：title：缺少必填字段。"
    text = (REPO_RULES / "dues-rates.yaml").read_text(encoding="utf-8").replace("[other]", "[other, student]")
    message = refused(rules, text, "dues-rates.yaml", RateTable)
    assert message == "规则文件 dues-rates.yaml：schedules.0：同一缴费类别出现在多处。"


def test_duplicate_key_is_refused(rules):
    message = refused(rules, SAMPLE + "count: 3\n")
    assert message == "规则文件 sample.yaml 不是有效的 YAML：第 6 行第 1 列：字段“count”重复"
    nested = SAMPLE.replace("{name: a, rate: 1}", "{name: a, rate: 1, rate: 3}")
    message = refused(rules, nested)
    assert message == "规则文件 sample.yaml 不是有效的 YAML：第 4 行第 24 列：items.0：字段“rate”重复"


def test_merge_keys_may_override(rules):
    text = "base: &base {name: a, rate: 1}\n"
    assert rulefiles.parse_yaml(text + "item: {<<: *base, rate: 2}\n", "x.yaml")["item"] == {
        "name": "a",
        "rate": 2,
    }


def test_invalid_yaml_is_refused(rules):
    message = refused(rules, "title: [\n")
    assert message.startswith("规则文件 sample.yaml 不是有效的 YAML：第 2 行第 1 列：")
    assert refused(rules, "- 1\n- 2\n") == "规则文件 sample.yaml：顶层应为映射（键: 值）。"
    assert refused(rules, "") == "规则文件 sample.yaml：顶层应为映射（键: 值）。"
    message = refused(rules, "title: \xff\n".encode("latin-1"))
    assert message == "规则文件 sample.yaml 不是有效的 YAML：第 8 字节起不是 UTF-8 编码的文本。"


def test_python_tags_are_not_constructed(rules):
    message = refused(rules, "title: !!python/object/apply:os.system ['true']\n")
    assert message.startswith("规则文件 sample.yaml 不是有效的 YAML：")


def test_missing_file_is_refused(rules):
    with pytest.raises(RuleFileError) as excinfo:
        rulefiles.load("nothere.yaml", Sample)
    assert excinfo.value.message == f"规则文件 nothere.yaml 不存在（{rules}）。"


def test_a_loader_may_raise_its_own_subclass(rules):
    class SampleError(RuleFileError):
        pass

    (rules / "sample.yaml").write_text("title: [", encoding="utf-8")
    with pytest.raises(SampleError, match=r"^规则文件 sample\.yaml 不是有效的 YAML"):
        rulefiles.load("sample.yaml", Sample, error=SampleError)
    with pytest.raises(SampleError, match="不存在"):
        rulefiles.load("nothere.yaml", Sample, error=SampleError)


@pytest.mark.parametrize(
    "error",
    [RulebookError, RatesError, WorkflowError, MovementsParamsError, StudyParamsError, EvaluationParamsError],
)
def test_every_loader_error_is_a_rule_file_error(error):
    assert issubclass(error, RuleFileError)


def test_the_domain_loaders_report_in_the_one_format(rules):
    (rules / "movements.yaml").write_text("lost_suspend_months: {value: '6'}\n", encoding="utf-8")
    with pytest.raises(MovementsParamsError) as excinfo:
        load_movements_params()
    assert excinfo.value.message.startswith(
        "规则文件 movements.yaml：lost_suspend_months.value：应为整数；lost_suspend_months.basis：缺少必填字段"
    )
    with pytest.raises(RatesError, match=r"^规则文件 dues-rates\.yaml 不存在"):
        load_rates()
    with pytest.raises(WorkflowError, match=r"^规则文件 workflow-development\.yaml 不存在"):
        load_workflow()


def test_a_model_that_allows_unknown_keys_is_a_programming_error(rules):
    class Loose(BaseModel):
        name: str

    class Outer(BaseModel):
        model_config = ConfigDict(extra="forbid")

        inner: dict[str, list[Loose]]

    (rules / "sample.yaml").write_text("inner: {}\n", encoding="utf-8")
    with pytest.raises(TypeError, match="Loose"):
        rulefiles.load("sample.yaml", Outer)


# --- the cache --------------------------------------------------------------------------------------


def test_an_unchanged_file_is_parsed_once_and_a_changed_file_again(rules, parses):
    path = rules / "sample.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    first = rulefiles.load("sample.yaml", Sample)
    assert first.count == 2
    assert rulefiles.load("sample.yaml", Sample) is first
    assert rulefiles.load(path, Sample) is first  # another spelling of the same file
    assert parses == ["sample.yaml"]

    stat = path.stat()
    path.write_text(SAMPLE.replace("count: 2", "count: 7"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    second = rulefiles.load("sample.yaml", Sample)
    assert second.count == 7
    assert rulefiles.load("sample.yaml", Sample) is second
    assert len(parses) == 2


def test_the_same_size_with_another_time_is_read_again(rules, parses):
    path = rules / "sample.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    rulefiles.load("sample.yaml", Sample)
    path.write_text(SAMPLE.replace("count: 2", "count: 3"), encoding="utf-8")  # same size
    bump_mtime(path)
    assert rulefiles.load("sample.yaml", Sample).count == 3
    assert len(parses) == 2


def test_a_refused_file_is_read_again_once_corrected(rules, parses):
    path = rules / "sample.yaml"
    path.write_text("title: [", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RuleFileError):
            rulefiles.load("sample.yaml", Sample)
    path.write_text(SAMPLE, encoding="utf-8")
    bump_mtime(path)
    assert rulefiles.load("sample.yaml", Sample).title == "样例"


def test_the_rate_table_follows_its_file(rules):
    shutil.copy(REPO_RULES / "dues-rates.yaml", rules / "dues-rates.yaml")
    table = load_rates()
    assert table.extra_remit_threshold == Decimal("1000")
    assert load_rates() is table
    path = rules / "dues-rates.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'extra_remit_threshold: "1000"', 'extra_remit_threshold: "1500"'
        ),
        encoding="utf-8",
    )
    bump_mtime(path)
    assert load_rates().extra_remit_threshold == Decimal("1500")


def test_the_domain_loaders_share_the_cache():
    assert load_rates() is rulefiles.load("dues-rates.yaml", RateTable)
    assert load_movements_params() is rulefiles.load("movements.yaml", MovementsParams)
    assert load_study_params() is rulefiles.load("study-platforms.yaml", StudyParams)


# --- the real files ---------------------------------------------------------------------------------

REAL_FILES = {
    "assessment-2026.yaml": Scheme,
    "assessment-2027.yaml": Scheme,
    "appraisals.yaml": AppraisalParams,
    "dues-rates.yaml": RateTable,
    "evaluations.yaml": EvaluationParams,
    "movements.yaml": MovementsParams,
    "reminders.yaml": RemindersParams,
    "study-platforms.yaml": StudyParams,
    "workbench.yaml": WorkbenchParams,
    "workflow-development.yaml": Workflow,
    "v1.yaml": RulesetFile,
    "v2.yaml": RulesetFile,
    "v3.yaml": RulesetFile,
    "v4.yaml": RulesetFile,
    "v5.yaml": RulesetFile,
    "v6.yaml": RulesetFile,
    "v7.yaml": RulesetFile,
    "v8.yaml": RulesetFile,
    "v9.yaml": RulesetFile,
    "v10.yaml": RulesetFile,
}


def test_every_yaml_file_under_rules_has_its_model_here():
    assert sorted(p.name for p in REPO_RULES.rglob("*.yaml")) == sorted(REAL_FILES)


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_file_loads_with_its_model(name):
    assert isinstance(rulefiles.load(name, REAL_FILES[name]), REAL_FILES[name])


def test_dues_rates_file():
    table = load_rates()
    assert table.schedules[0].effective_from.isoformat() == "2008-04-01"
    assert table.schedules[0].rate_for("active", Decimal("3000")) == Decimal("0.005")


def test_movements_file():
    assert load_movements_params().lost_suspend_months.value == 6


def test_evaluations_file():
    params = load_evaluation_params()
    assert (params.excellent_share.numerator, params.excellent_share.denominator) == (1, 3)
    assert (params.probationary_graded.value, params.min_ballots_for_tallies.value) == (False, 5)
    assert (params.rectify_months.value, params.rectify_months_max.value) == (6, 12)
    assert (params.excellent_share.confidence, params.probationary_graded.confidence) == ("MEDIUM", "LOW")


def test_evaluations_file_refuses_a_default_period_beyond_the_longest(rules):
    text = (REPO_RULES / "evaluations.yaml").read_text(encoding="utf-8").replace("value: 6\n", "value: 13\n")
    (rules / "evaluations.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(EvaluationParamsError, match="rectify_months 不能大于 rectify_months_max"):
        load_evaluation_params()


def test_study_platforms_file():
    assert set(load_study_params().platforms) == {"xuexi", "sh_cadre"}


def test_workflow_file():
    assert len(load_workflow().stages) == 5


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_rulebook_file(version):
    ruleset = load_ruleset(version)
    assert ruleset.version == version and ruleset.rules


# --- layering ---------------------------------------------------------------------------------------


def test_core_rulefiles_imports_no_other_app():
    tree = ast.parse((PACKAGE / "core" / "rulefiles.py").read_text(encoding="utf-8"))
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert [m for m in modules if m.startswith("dangjian") and not m.startswith("dangjian.core")] == []


def test_no_app_reads_rule_files_through_the_rulebook():
    """Domain apps load their files with core.rulefiles, not with the compliance engine's helpers."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "compliance"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "dangjian.compliance.rulebook":
                names = {a.name for a in node.names} & {"rules_dir", "describe_errors", "_UniqueKeyLoader"}
                if names:
                    offenders.append(f"{path.relative_to(PACKAGE)}: {', '.join(sorted(names))}")
    assert offenders == []
