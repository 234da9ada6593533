"""What a case may do next, and when: pure functions over the workflow definition and the case's recorded
steps (no database). The services use `order_refusal` to refuse a step out of order or too early; the due
list, the pages, the command and the compliance checks use `next_steps`.

A step may be recorded when the case is in one of its `stages`, every step it `requires` is taken (recorded on
or before its date), none of its `excludes` is, it is not taken yet (unless `repeatable`: then not on a day it is
recorded already), and its date is on or after the end of every `not_before` delay (the boundary day is allowed).

A step is taken when it is recorded, or when a recorded step requires it (directly or through other steps): a
case brought in by `dangjian import dev-cases` carries the dates of the main steps only (those with an import
column), and the steps between them were taken all the same, on a day the sheet does not say. Recorded step by
step, a case has every such step recorded, so both paths reach the same state and the same next steps.

A step's deadline is its own `due`, or that of a later step that cannot be recorded before it, whichever comes
first: the 党委's talk is due by the approval's deadline (3 months after the 支部大会), the 入党宣誓 and the
转正申请 by the end of the probation (the 支部大会 discusses the 转正 then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dangjian.core.choices import choice_label
from dangjian.core.dates import add_months
from dangjian.core.i18n import enumeration
from dangjian.pipeline.choices import CLOSED_STATUSES, Stage
from dangjian.pipeline.workflow import (
    PROBATION_END,
    StepDef,
    Workflow,
    delay_end,
    describe_delay,
    load_workflow,
)


@dataclass(frozen=True)
class StepRecord:
    key: str
    date: dt.date


@dataclass(frozen=True)
class CaseState:
    """What the rules need to know about a case."""

    stage: str
    status: str
    probation_end: dt.date | None
    records: tuple[StepRecord, ...]
    # steps not recorded that a recorded step requires: taken, on a day not recorded (an imported case)
    implied: frozenset[str] = frozenset()

    def done(self, key: str) -> bool:
        """Taken: recorded, or required by a recorded step."""
        return key in self.implied or any(r.key == key for r in self.records)

    def latest(self, key: str) -> dt.date | None:
        dates = [r.date for r in self.records if r.key == key]
        return max(dates) if dates else None

    def count(self, key: str) -> int:
        return sum(1 for r in self.records if r.key == key)

    def anchor(self, key: str) -> dt.date | None:
        return self.probation_end if key == PROBATION_END else self.latest(key)


@dataclass(frozen=True)
class NextStep:
    step: StepDef
    earliest: dt.date | None  # the first day it may be recorded (None: any day from now)
    due_by: dt.date | None  # the deadline (None: none)
    overdue: bool
    rule: str  # the regulation id of the deadline, else of the step
    deadline_of: StepDef | None = None  # the later step whose deadline this one carries (None: its own)
    latest_by: dt.date | None = None  # the deadline's maximum (`max_months`: special cases), when it has one

    @property
    def key(self) -> str:
        return self.step.key


def implied_steps(wf: Workflow, keys: Iterable[str]) -> frozenset[str]:
    """The steps not among `keys` (the recorded ones) that a recorded step requires, directly or in turn."""
    recorded = set(keys)
    implied: set[str] = set()
    pending = [k for k in recorded if wf.has(k)]
    while pending:
        for required in wf.step(pending.pop()).requires:
            if required not in recorded and required not in implied:
                implied.add(required)
                pending.append(required)
    return frozenset(implied)


def state_of(case, records: Iterable, wf: Workflow | None = None) -> CaseState:
    """From a DevelopmentCase (or anything with stage/status/probation_end) and its steps (key, date); the steps
    they imply are read from `wf` (default: the workflow in force)."""
    recs = tuple(sorted((StepRecord(r.key, r.date) for r in records), key=lambda r: r.date))
    implied = implied_steps(wf or load_workflow(), (r.key for r in recs))
    return CaseState(case.stage, case.status, case.probation_end, recs, implied)


def anchor_label(wf: Workflow, key: str, state: CaseState) -> str:
    if key == PROBATION_END:
        return pgettext("the anchor of a delay", "预备期满")
    return f"“{wf.step(key).name}”"


def stage_label(wf: Workflow, key: str) -> str:
    """A stage's name in the active language (the workflow file's name for a stage the code does not know)."""
    return choice_label(Stage, key) if key in Stage.values else wf.stage_name(key)


def last_recorded(state: CaseState) -> StepRecord | None:
    """The latest recorded step of the case (the later one recorded on the same day), or None."""
    return state.records[-1] if state.records else None


def step_label(wf: Workflow, key: str) -> str:
    return wf.step(key).name if wf.has(key) else key


def closing_floor(step: StepDef, state: CaseState) -> StepRecord | None:
    """For a step that closes the case: the latest recorded step, which it may not precede (None: no such bound)."""
    return last_recorded(state) if step.closes_case else None


def earliest(wf: Workflow, step: StepDef, state: CaseState) -> tuple[dt.date | None, str, str]:
    """The first day the step may be recorded, with the reason and the rule of the binding constraint. A step
    closing the case (终止发展, 取消预备党员资格, 转正) is also no earlier than the latest step recorded."""
    best: tuple[dt.date | None, str, str] = (None, "", step.rule)
    floor = closing_floor(step, state)
    if floor is not None:
        best = (
            floor.date,
            _("不能早于已登记的“%(step)s”（%(date)s）")
            % {"step": step_label(wf, floor.key), "date": f"{floor.date:%Y-%m-%d}"},
            step.rule,
        )
    for req in step.requires:
        day = state.latest(req)
        if day is not None and (best[0] is None or day > best[0]):
            best = (day, _("不能早于“%(step)s”的日期") % {"step": wf.step(req).name}, wf.step(req).rule)
    for delay in step.not_before:
        start = state.anchor(delay.after)
        if start is None:
            continue
        day = delay_end(start, delay)
        if best[0] is None or day > best[0]:
            span = describe_delay(delay)
            label = anchor_label(wf, delay.after, state)
            if span:
                reason = _("须在%(anchor)s满%(span)s后") % {"anchor": label, "span": span}
            else:
                reason = _("须在%(anchor)s（%(date)s）之后") % {"anchor": label, "date": f"{start:%Y-%m-%d}"}
            best = (day, reason, delay.rule)
    return best


def due_by(step: StepDef, state: CaseState) -> dt.date | None:
    """The step's own deadline (None: it has none, or none of its anchors is dated)."""
    start = _due_start(step, state)
    return add_months(start, step.due.months) if start is not None and step.due else None


def _due_start(step: StepDef, state: CaseState) -> dt.date | None:
    if step.due is None:
        return None
    starts = [d for d in (state.anchor(a) for a in step.due.after) if d is not None]
    return max(starts) if starts else None


def dependants(wf: Workflow, key: str) -> list[StepDef]:
    """The steps that require `key`, directly or in turn (in workflow order)."""
    found: set[str] = {key}
    out = []
    for step in wf.steps:  # `requires` names earlier steps only, so one pass in order finds them all
        if any(r in found for r in step.requires):
            found.add(step.key)
            out.append(step)
    return out


def deadline(wf: Workflow, step: StepDef, state: CaseState) -> tuple[dt.date | None, StepDef | None]:
    """The step's deadline: its own, or the earliest of the later steps on its way (not optional, not taken,
    not excluded by a step taken) that cannot be recorded before it; with the step whose deadline it is."""
    best: tuple[dt.date | None, StepDef | None] = (due_by(step, state), step)
    for later in dependants(wf, step.key):
        if later.optional or state.done(later.key) or any(state.done(k) for k in later.excludes):
            continue
        day = due_by(later, state)
        if day is not None and (best[0] is None or day < best[0]):
            best = (day, later)
    return best if best[0] is not None else (None, None)


def order_refusal(wf: Workflow, step: StepDef, state: CaseState, on: dt.date) -> str | None:
    """Why `step` cannot be recorded on `on` (a sentence citing the rule, in the active language), or None."""
    if state.status in CLOSED_STATUSES:
        return _("该案例已结束，不能再登记步骤。")
    if state.stage not in step.stages:
        return _("“%(step)s”须在%(stages)s阶段登记，该案例当前为%(stage)s（%(rule)s）。") % {
            "step": step.name,
            "stages": enumeration(stage_label(wf, s) for s in step.stages),
            "stage": stage_label(wf, state.stage),
            "rule": step.rule,
        }
    if step.extension is not None and state.count(step.key) >= step.extension.max_times:
        return _("预备期只能延长%(n)s次（%(rule)s）。") % {
            "n": step.extension.max_times,
            "rule": step.extension.rule,
        }
    if not step.repeatable and state.count(step.key):
        return _("“%(step)s”已于%(date)s登记。") % {
            "step": step.name,
            "date": f"{state.latest(step.key):%Y-%m-%d}",
        }
    if not step.repeatable and state.done(step.key):
        later = next(s for s in dependants(wf, step.key) if state.count(s.key))
        return _("已登记“%(later)s”，“%(step)s”已办理，不能再登记。") % {
            "later": later.name,
            "step": step.name,
        }
    if step.repeatable and any(r.key == step.key and r.date == on for r in state.records):
        # a second record of the same day is the same one entered again (a half-yearly 培养考察 twice on one day)
        return _("“%(step)s”已有%(date)s的记录，不能重复登记；如是另一次，请填写其实际日期。") % {
            "step": step.name,
            "date": f"{on:%Y-%m-%d}",
        }
    for key in step.excludes:
        if state.done(key):
            return _("已登记“%(done)s”，不能再登记“%(step)s”。") % {
                "done": wf.step(key).name,
                "step": step.name,
            }
    for key in step.requires:
        if not state.done(key):
            req = wf.step(key)
            return _("须先登记“%(required)s”（%(rule)s），才能登记“%(step)s”。") % {
                "required": req.name,
                "rule": req.rule,
                "step": step.name,
            }
    floor = closing_floor(step, state)
    if floor is not None and on < floor.date:
        return _(
            "“%(step)s”结束本案例，日期不能早于已登记的“%(last)s”（%(date)s）；请核对日期，最早可于%(date)s登记。"
        ) % {"step": step.name, "last": step_label(wf, floor.key), "date": f"{floor.date:%Y-%m-%d}"}
    first, reason, rule = earliest(wf, step, state)
    if first is not None and on < first:
        return _("“%(step)s”%(reason)s（%(rule)s），最早可于%(date)s登记。") % {
            "step": step.name,
            "reason": reason,
            "rule": rule,
            "date": f"{first:%Y-%m-%d}",
        }
    return None


def available(wf: Workflow, state: CaseState) -> list[StepDef]:
    """The steps that may be recorded now or later without another step first (in workflow order)."""
    if state.status in CLOSED_STATUSES:
        return []
    out = []
    for step in wf.steps:
        if state.stage not in step.stages:
            continue
        if not step.repeatable and state.done(step.key):
            continue
        if step.extension is not None and state.count(step.key) >= step.extension.max_times:
            continue
        if any(state.done(k) for k in step.excludes):
            continue
        if any(not state.done(k) for k in step.requires):
            continue
        out.append(step)
    return out


def next_steps(wf: Workflow, state: CaseState, as_of: dt.date, *, optional: bool = False) -> list[NextStep]:
    """The steps due next, with the first day they may be recorded and their deadline, their own or that of a
    later step they lead to (optional steps — extension, cancellation, withdrawal — only when asked)."""
    out = []
    for step in available(wf, state):
        if step.optional and not optional:
            continue
        first, _reason, _rule = earliest(wf, step, state)
        day, of = deadline(wf, step, state)
        if day is None or of is None or of.due is None:
            out.append(NextStep(step, first, None, False, step.rule))
            continue
        start = _due_start(of, state)
        latest = add_months(start, of.due.max_months) if of.due.max_months and start else None
        out.append(NextStep(step, first, day, as_of > day, of.due.rule, None if of is step else of, latest))
    return out


def primary(steps: Sequence[NextStep]) -> NextStep | None:
    """The most pressing of the next steps: the one with the nearest deadline, else the first in order."""
    with_deadline = [s for s in steps if s.due_by is not None]
    if with_deadline:
        return min(with_deadline, key=lambda s: s.due_by)
    return steps[0] if steps else None
