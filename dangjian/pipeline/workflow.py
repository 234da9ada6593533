"""The 发展党员 workflow definition: `rules/workflow-development.yaml`, validated with pydantic (no unknown
keys) and cached. The services, the due list, the facts and the import all read the steps from here: order
(`requires`, `excludes`, `stages`), minimum delays (`not_before`), deadlines (`due`) and required data are
data, checked generically.

The three possible 2026 changes (DEV-23…25) are `options`, off by default in the file; a deployment may
override them with `settings.PIPELINE_WORKFLOW_OPTIONS = {"publicity_before_candidate": True, …}`. A step or a
delay/deadline that names a disabled option does not exist, and references to a missing step are dropped.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.utils.translation import ngettext, pgettext
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dangjian.core import rulefiles
from dangjian.core.dates import add_months

FILE_NAME = "workflow-development.yaml"
PROBATION_END = "probation_end"
RULE_ID = r"^DEV-[0-9]{2}$"


class WorkflowError(rulefiles.RuleFileError):
    """The workflow file cannot be read or is invalid, or an option override names no option."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Model):
    key: str = Field(pattern=r"^[a-z_]+$")
    name: str = Field(min_length=1)


class Option(_Model):
    enabled: bool = False
    rule: str = Field(pattern=RULE_ID)
    title: str
    note: str = ""


class Delay(_Model):
    """At least `months`/`days`/`working_days` after the anchor (a step key or probation_end)."""

    after: str
    months: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)
    working_days: int = Field(default=0, ge=0)
    rule: str = Field(pattern=RULE_ID)
    option: str | None = None


class Deadline(_Model):
    """Within `months` of the latest of the anchors (step keys or probation_end)."""

    after: list[str] = Field(min_length=1)
    months: int = Field(ge=0)
    max_months: int | None = Field(default=None, ge=0)
    rule: str = Field(pattern=RULE_ID)
    option: str | None = None


class AgeNeed(_Model):
    min_age: int = Field(ge=1)
    rule: str = Field(pattern=RULE_ID)


class ContactsNeed(_Model):
    min: int = Field(ge=0)
    max: int = Field(ge=1)
    rule: str = Field(pattern=RULE_ID)


class SponsorsNeed(_Model):
    count: int = Field(ge=1)
    rule: str = Field(pattern=RULE_ID)


class TrainingNeed(_Model):
    """At least `min_days` days or at least `min_hours` 学时."""

    min_days: int = Field(ge=0)
    min_hours: int = Field(ge=0)
    rule: str = Field(pattern=RULE_ID)


class VoteNeed(_Model):
    """Quorum: present voting members > numerator/denominator of the expected; pass: yes votes (written
    votes of absentees included) > numerator/denominator of the expected."""

    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)
    quorum_rule: str = Field(pattern=RULE_ID)
    pass_rule: str = Field(pattern=RULE_ID)


class ExtensionNeed(_Model):
    min_months: int = Field(ge=1)
    max_months: int = Field(ge=1)
    max_times: int = Field(ge=1)
    rule: str = Field(pattern=RULE_ID)


class ApproverNeed(_Model):
    """The step records the organisation that approved (审批党组织); `import_column`: its column in the Excel
    import (the organisation's 组织编码). Who may approve is checked by the rules (PIPE-APPROVER-AUTHORISED),
    not refused when recording: a record says who did approve."""

    rule: str = Field(pattern=RULE_ID)
    import_column: str | None = None


class StepDef(_Model):
    key: str = Field(pattern=r"^[a-z_]+$")
    name: str = Field(min_length=1)
    stages: list[str] = Field(min_length=1)
    moves_to: str | None = None
    requires: list[str] = []
    excludes: list[str] = []
    repeatable: bool = False
    optional: bool = False
    option: str | None = None
    not_before: list[Delay] = []
    due: Deadline | None = None
    age: AgeNeed | None = None
    contacts: ContactsNeed | None = None
    sponsors: SponsorsNeed | None = None
    training: TrainingNeed | None = None
    vote: VoteNeed | None = None
    extension: ExtensionNeed | None = None
    approver: ApproverNeed | None = None
    # a higher organisation's decision (上级批准): recorded only by an admin of an organisation above the case's
    by_higher: bool = False
    note_required: bool = False
    effect: Literal["create_member", "confirm_member", "extend", "cancel"] | None = None
    import_column: str | None = None
    rules: list[str] = Field(min_length=1)
    note: str = ""

    @property
    def rule(self) -> str:
        return self.rules[0]

    @property
    def closes_case(self) -> bool:
        """The step ends the case (终止发展, 取消预备党员资格, 党委批准转正): it is dated no earlier than any step
        recorded before it, so the case's record reads in order."""
        return self.effect in ("cancel", "confirm_member")


class Workflow(_Model):
    id: str
    version: int = Field(ge=1)
    title: str
    basis: str
    probation_months: int = Field(ge=1)
    stages: list[Stage] = Field(min_length=1)
    options: dict[str, Option] = {}
    steps: list[StepDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Workflow:
        stage_keys = [s.key for s in self.stages]
        if len(set(stage_keys)) != len(stage_keys):
            raise ValueError("阶段编号重复")
        seen: set[str] = set()
        all_keys = {s.key for s in self.steps}
        for step in self.steps:
            if step.key in seen:
                raise ValueError(f"步骤“{step.key}”重复")
            for stage in [*step.stages, *([step.moves_to] if step.moves_to else [])]:
                if stage not in stage_keys:
                    raise ValueError(f"步骤“{step.key}”：未知的阶段“{stage}”")
            for ref in step.requires:
                if ref not in seen:
                    raise ValueError(f"步骤“{step.key}”：须先登记的步骤“{ref}”不存在或排在其后")
            for ref in step.excludes:
                if ref not in all_keys:
                    raise ValueError(f"步骤“{step.key}”：excludes 中的步骤“{ref}”不存在")
            anchors = [d.after for d in step.not_before] + (step.due.after if step.due else [])
            for ref in anchors:
                if ref != PROBATION_END and ref not in all_keys:
                    raise ValueError(f"步骤“{step.key}”：未知的起算步骤“{ref}”")
            options = [
                step.option,
                *(d.option for d in step.not_before),
                step.due.option if step.due else None,
            ]
            for name in options:
                if name is not None and name not in self.options:
                    raise ValueError(f"步骤“{step.key}”：未知的开关“{name}”")
            seen.add(step.key)
        return self

    # --- reading ---------------------------------------------------------------------------------------

    def step(self, key: str) -> StepDef:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def has(self, key: str) -> bool:
        return any(s.key == key for s in self.steps)

    def stage_name(self, key: str) -> str:
        return next((s.name for s in self.stages if s.key == key), key)

    def stage_index(self, key: str) -> int:
        return next(i for i, s in enumerate(self.stages) if s.key == key)

    def enabled(self, option: str) -> bool:
        return self.options[option].enabled

    def effect_step(self, effect: str) -> StepDef | None:
        return next((s for s in self.steps if s.effect == effect), None)


def _apply_options(raw: Workflow, overrides: tuple[tuple[str, bool], ...]) -> Workflow:
    """The workflow with the options' enabled flags overridden, and everything a disabled option governs
    removed (steps, delays, deadlines, and references to the removed steps)."""
    unknown = [name for name, _on in overrides if name not in raw.options]
    if unknown:
        raise WorkflowError(f"未知的发展党员流程开关：{'、'.join(unknown)}")
    options = {
        name: opt.model_copy(update={"enabled": dict(overrides).get(name, opt.enabled)})
        for name, opt in raw.options.items()
    }

    def on(name: str | None) -> bool:
        return name is None or options[name].enabled

    kept = [s for s in raw.steps if on(s.option)]
    keys = {s.key for s in kept}

    def live(ref: str) -> bool:
        return ref == PROBATION_END or ref in keys

    steps = []
    for s in kept:
        due = s.due if s.due is not None and on(s.due.option) else None
        if due is not None:
            due = due.model_copy(update={"after": [a for a in due.after if live(a)]})
            if not due.after:
                due = None
        steps.append(
            s.model_copy(
                update={
                    "requires": [r for r in s.requires if r in keys],
                    "excludes": [r for r in s.excludes if r in keys],
                    "not_before": [d for d in s.not_before if on(d.option) and live(d.after)],
                    "due": due,
                }
            )
        )
    return raw.model_copy(update={"options": options, "steps": steps})


# (id of the file's workflow, overrides) → (that workflow, with the overrides applied); the file's workflow is
# core.rulefiles' (a new object when the file changes), so an entry is used only while it is the same object.
_with_options: dict[tuple[int, tuple[tuple[str, bool], ...]], tuple[Workflow, Workflow]] = {}


def workflow_path() -> Path:
    return rulefiles.rule_path(FILE_NAME)


def load_workflow(options: dict[str, bool] | None = None) -> Workflow:
    """The workflow in force: the file's options, overridden by settings.PIPELINE_WORKFLOW_OPTIONS and then
    by `options`. Cached per file version and option set."""
    merged = {**getattr(settings, "PIPELINE_WORKFLOW_OPTIONS", {}), **(options or {})}
    overrides = tuple(sorted((k, bool(v)) for k, v in merged.items()))
    raw = rulefiles.load(FILE_NAME, Workflow, error=WorkflowError)
    key = (id(raw), overrides)
    hit = _with_options.get(key)
    if hit is not None and hit[0] is raw:
        return hit[1]
    workflow = _apply_options(raw, overrides)
    if len(_with_options) >= 16:
        _with_options.clear()
    _with_options[key] = (raw, workflow)
    return workflow


# --- dates ------------------------------------------------------------------------------------------


def add_working_days(day: dt.date, count: int) -> dt.date:
    """`count` working days (Monday to Friday; public holidays are not known) after `day`."""
    current = day
    while count > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            count -= 1
    return current


def delay_end(start: dt.date, delay: Delay) -> dt.date:
    day = add_months(start, delay.months) + dt.timedelta(days=delay.days)
    return add_working_days(day, delay.working_days) if delay.working_days else day


def describe_delay(delay: Delay) -> str:
    """The delay in words, in the active language: 1年, 6个月, 5个工作日 (1 year, 6 months, 5 working days)."""
    parts = []
    if delay.months:
        if delay.months % 12 == 0:
            years = delay.months // 12
            parts.append(ngettext("%(n)s年", "%(n)s年", years) % {"n": years})
        else:
            parts.append(ngettext("%(n)s个月", "%(n)s个月", delay.months) % {"n": delay.months})
    if delay.days:
        parts.append(ngettext("%(n)s天", "%(n)s天", delay.days) % {"n": delay.days})
    if delay.working_days:
        parts.append(
            ngettext("%(n)s个工作日", "%(n)s个工作日", delay.working_days) % {"n": delay.working_days}
        )
    text = parts[0] if parts else ""
    for part in parts[1:]:
        text = pgettext("the parts of a delay", "%(first)s%(second)s") % {"first": text, "second": part}
    return text
