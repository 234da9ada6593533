"""The workflow definition is data: validated on load (unknown keys and bad references refused), options off
by default and switchable, and the due list follows from it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from dangjian.pipeline.progress import CaseState, StepRecord, next_steps, primary
from dangjian.pipeline.workflow import WorkflowError, add_working_days, load_workflow

D = dt.date


def test_five_stages_and_rule_ids():
    wf = load_workflow()
    assert [s.name for s in wf.stages] == ["入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员"]
    assert wf.step("talk").due.months == 1 and wf.step("talk").due.rule == "DEV-03"
    assert wf.step("candidate").not_before[0].months == 12
    assert wf.step("approval").due.max_months == 6
    assert wf.step("training").training.min_hours == 24


@pytest.fixture
def rules_copy(tmp_path, settings):
    source = Path(django_settings.BASE_DIR) / "rules" / "workflow-development.yaml"
    target = tmp_path / "workflow-development.yaml"
    shutil.copy(source, target)
    settings.RULES_DIR = tmp_path
    return target


def test_unknown_key_is_refused(rules_copy):
    rules_copy.write_text(
        rules_copy.read_text(encoding="utf-8").replace(
            "probation_months: 12", "probation_months: 12\nextra_key: 1"
        ),
        encoding="utf-8",
    )
    with pytest.raises(WorkflowError, match="extra_key"):
        load_workflow()


def test_a_step_requiring_a_later_step_is_refused(rules_copy):
    text = rules_copy.read_text(encoding="utf-8").replace(
        "requires: [application]\n    due:", "requires: [activist]\n    due:", 1
    )
    rules_copy.write_text(text, encoding="utf-8")
    with pytest.raises(WorkflowError, match="activist"):
        load_workflow()


def test_option_switched_on_in_the_file(rules_copy):
    text = rules_copy.read_text(encoding="utf-8")
    text = text.replace("  oath_within_month:\n    enabled: false", "  oath_within_month:\n    enabled: true")
    rules_copy.write_text(text, encoding="utf-8")
    wf = load_workflow()
    assert wf.step("oath").due is not None and wf.step("oath").due.rule == "DEV-25"
    assert not wf.has("publicity")


def test_unknown_option_override_is_refused(settings):
    settings.PIPELINE_WORKFLOW_OPTIONS = {"no_such_option": True}
    with pytest.raises(WorkflowError):
        load_workflow()


def test_dates():
    assert add_working_days(D(2026, 3, 6), 5) == D(2026, 3, 13)  # Friday → next Friday


def test_next_steps_and_deadlines():
    wf = load_workflow()
    applied = D(2026, 1, 10)
    state = CaseState("applicant", "open", None, (StepRecord("application", applied),))
    nxt = next_steps(wf, state, D(2026, 2, 10))
    assert [n.key for n in nxt] == ["talk"]
    assert nxt[0].due_by == D(2026, 2, 10) and not nxt[0].overdue and nxt[0].rule == "DEV-03"
    assert next_steps(wf, state, D(2026, 2, 11))[0].overdue
    activist = D(2025, 1, 15)
    state = CaseState(
        "activist",
        "open",
        None,
        (
            StepRecord("application", D(2024, 11, 1)),
            StepRecord("talk", D(2024, 11, 20)),
            StepRecord("activist", activist),
        ),
    )
    nxt = next_steps(wf, state, D(2025, 8, 1))
    assert primary(nxt).key == "assessment" and primary(nxt).due_by == D(2025, 7, 15) and primary(nxt).overdue
    optional = {n.key for n in next_steps(wf, state, D(2025, 8, 1), optional=True)}
    assert "withdrawal" in optional
