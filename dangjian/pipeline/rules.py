"""发展党员 checks (PIPE-*): pure functions over the pipeline facts (dangjian.pipeline.facts), which hold each
党支部's development cases as of D with their steps dated by D. Step keys are parameters (the keys of
rules/workflow-development.yaml), so the rules, not this code, say which steps they watch.

- `pipeline_step_within`: step B within `months` of step A (PIPE-TALK-1M, PIPE-APPROVAL-3M). A case counts when
  its deadline falls on or after the window's start, or B is still missing on D, or was recorded in the window;
  it fails when B was recorded after the deadline, or is still missing on D after the deadline. A case closed (终止/取消) before its deadline without B is not counted.
- `pipeline_assessment_interval`: from `start_step` until `end_step` (or the case's closing, or D), no gap
  longer than `months` without `step` (PIPE-ASSESS-6M); a gap counts when its deadline falls in the window.
- `pipeline_probation_due`: a probation (as extended by D) that ended more than `grace_days` before D without
  `decision_step` and without the case being closed (取消预备党员资格) by D (PIPE-PROBATION-DUE).
- `pipeline_approver_authorised`: every `step` (the approval of a 预备党员) dated in the window names the
  organisation that approved, a 党委 above the branch or the 工委 (PIPE-APPROVER-AUTHORISED, DEV-16).

Parameters are scalars (the rulebook page renders each value as one label).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import gettext_noop
from pydantic import Field

from dangjian.compliance.facts import OrgFacts
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Link,
    Outcome,
    Params,
    choice_label,
    dissolved,
    iso,
    register,
    register_area,
    register_param_labels,
    register_short_titles,
    register_value_labels,
)
from dangjian.core.messages import Join, Message
from dangjian.orgs.choices import OrgType
from dangjian.pipeline.approvers import approver_problem
from dangjian.pipeline.facts import Approval, CaseFacts, PipelineFacts
from dangjian.pipeline.workflow import add_months

if TYPE_CHECKING:
    from dangjian.compliance.rulebook import Ruleset

NAMES_SHOWN = 10
CASE_SEPARATOR = gettext_noop("；")
# the `label` the rulebooks give pipeline_step_within (rule data, shown through gettext like a label)
RULEBOOK_LABELS = (gettext_noop("谈话"), gettext_noop("党委审批"))


def _known_steps(*keys: str) -> None:
    from dangjian.pipeline.workflow import load_workflow

    wf = load_workflow({name: True for name in load_workflow().options})  # every optional step exists
    unknown = [k for k in keys if not wf.has(k)]
    if unknown:
        raise ValueError(
            f"发展党员流程中没有步骤“{'、'.join(unknown)}”（见 rules/workflow-development.yaml）"
        )


def _facts(facts: OrgFacts) -> PipelineFacts | None:
    return facts.extra.get("pipeline")


def _result(
    failed: list[Message],
    checked: int,
    fail: Callable[[int, Join | Message], Message],
    ok: Callable[[int], Message],
) -> Outcome:
    """`fail(n, cases)` the message for n failed cases (the first NAMES_SHOWN shown), `ok(n)` for n checked."""
    if failed:
        shown = Join(failed[:NAMES_SHOWN], CASE_SEPARATOR)
        cases = Message("%(cases)s等", cases=shown) if len(failed) > NAMES_SHOWN else shown
        with translation.override(settings.LANGUAGE_CODE):  # the missing cases stay Chinese text
            missing = [str(case) for case in failed]
        return Outcome("fail", fail(len(failed), cases), missing=missing)
    if not checked:
        return Outcome("not_applicable", Message("不适用：评估期内没有需要检查的发展党员案例。"))
    return Outcome("pass", ok(checked))


NOT_A_BRANCH = Outcome("not_applicable", Message("不适用：不是党支部。"))


class StepWithinParams(Params):
    from_step: str = Field(min_length=1)
    step: str = Field(min_length=1)
    months: int = Field(ge=0)
    max_months: int | None = Field(default=None, ge=0)
    label: str = Field(min_length=1)  # what is due, e.g. "谈话"


def _closed_before(case: CaseFacts, day: dt.date) -> bool:
    return case.closed_on is not None and case.closed_on <= day


@register(
    "pipeline_step_within",
    StepWithinParams,
    facts=("pipeline",),
    label=_l("发展党员步骤时限"),
    validate_rule=lambda _types, p: _known_steps(p.from_step, p.step),
)
def step_within(facts: OrgFacts, window: Window, p: StepWithinParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    pf = _facts(facts)
    if pf is None:
        return NOT_A_BRANCH
    label = Message(p.label)
    failed: list[Message] = []
    checked = 0
    for case in pf.cases:
        start = case.first(p.from_step)
        if start is None:
            continue
        deadline = add_months(start, p.months)
        done = case.first(p.step)
        if deadline < window.start and done is not None and done < window.start:
            continue  # settled in an earlier year
        if done is None and (deadline >= window.as_of or _closed_before(case, deadline)):
            continue
        checked += 1
        if done is not None and done <= deadline:
            continue
        beyond: Message | str = ""
        if p.max_months is not None and (done or window.as_of) > add_months(start, p.max_months):
            beyond = Message.plural("，已超过最长%(n)s个月", n=p.max_months)
        when = Message("%(day)s才办理", day=iso(done)) if done else Message("尚未办理")
        failed.append(
            Message(
                "%(name)s（应于%(deadline)s前%(label)s，%(when)s%(beyond)s）",
                name=case.name,
                deadline=iso(deadline),
                label=label,
                when=when,
                beyond=beyond,
            )
        )
    return _result(
        failed,
        checked,
        lambda n, cases: Message.plural(
            "%(n)s 名未按期%(label)s：%(cases)s。", n=n, label=label, cases=cases
        ),
        lambda n: Message.plural("%(n)s 个案例均按期%(label)s。", n=n, label=label),
    )


class AssessmentParams(Params):
    start_step: str = Field(min_length=1)
    step: str = Field(min_length=1)
    end_step: str = Field(min_length=1)
    months: int = Field(ge=1)


@register(
    "pipeline_assessment_interval",
    AssessmentParams,
    facts=("pipeline",),
    label=_l("积极分子考察间隔"),
    validate_rule=lambda _types, p: _known_steps(p.start_step, p.step, p.end_step),
)
def assessment_interval(facts: OrgFacts, window: Window, p: AssessmentParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    pf = _facts(facts)
    if pf is None:
        return NOT_A_BRANCH
    failed: list[Message] = []
    checked = 0
    for case in pf.cases:
        start = case.first(p.start_step)
        if start is None:
            continue
        ends = case.dates(p.end_step)
        if case.closed_on is not None:
            ends.append(case.closed_on)
        end = min(ends) if ends else window.as_of
        points = [start, *sorted(d for d in case.dates(p.step) if start <= d <= end)]
        gaps = []
        for i, point in enumerate(points):
            deadline = add_months(point, p.months)
            following = points[i + 1] if i + 1 < len(points) else end
            if deadline < window.start or deadline >= window.as_of:
                continue
            if following > deadline:
                gaps.append(Message("应于%(day)s前考察", day=iso(deadline)))
        if start <= window.as_of and end >= window.start:
            checked += 1
        if gaps:
            failed.append(Message("%(name)s（%(detail)s）", name=case.name, detail=Join(gaps)))
    return _result(
        failed,
        checked,
        lambda n, cases: Message.plural(
            "%(n)s 名入党积极分子未按每%(months)s个月考察：%(cases)s。", n=n, months=p.months, cases=cases
        ),
        lambda n: Message.plural("%(n)s 名入党积极分子均按期考察。", n=n),
    )


class ProbationParams(Params):
    decision_step: str = Field(min_length=1)
    grace_days: int = Field(default=0, ge=0)


@register(
    "pipeline_probation_due",
    ProbationParams,
    facts=("pipeline",),
    label=_l("预备期满及时讨论转正"),
    validate_rule=lambda _types, p: _known_steps(p.decision_step),
)
def probation_due(facts: OrgFacts, window: Window, p: ProbationParams) -> Outcome:
    if window.closed:
        return dissolved(window)
    pf = _facts(facts)
    if pf is None:
        return NOT_A_BRANCH
    failed: list[Message] = []
    checked = 0
    for case in pf.cases:
        if case.probation_end is None or _closed_before(case, case.probation_end):
            continue
        if case.probation_end + dt.timedelta(days=p.grace_days) >= window.as_of:
            continue
        # decided: the 转正 vote, or the case closed (预备党员资格 cancelled) by D
        decisions = [*case.dates(p.decision_step), *([case.closed_on] if case.closed_on else [])]
        decided = bool(decisions)
        if decided and all(d < window.start for d in decisions):
            continue  # decided in an earlier year
        checked += 1
        if not decided:
            failed.append(
                Message(
                    "%(name)s（预备期%(day)s期满，尚未讨论转正）", name=case.name, day=iso(case.probation_end)
                )
            )
    return _result(
        failed,
        checked,
        lambda n, cases: Message.plural("%(n)s 名预备党员预备期满未讨论转正：%(cases)s。", n=n, cases=cases),
        lambda n: Message.plural("%(n)s 名预备党员期满后均已讨论。", n=n),
    )


class ApproverParams(Params):
    step: str = Field(min_length=1)  # the step whose approving organisation is checked


def _records_approver(p: ApproverParams) -> None:
    from dangjian.pipeline.workflow import load_workflow

    _known_steps(p.step)
    wf = load_workflow({name: True for name in load_workflow().options})
    if wf.step(p.step).approver is None:
        raise ValueError(
            f"发展党员流程中的步骤“{p.step}”不登记审批党组织（见 rules/workflow-development.yaml）"
        )


def _approver_detail(approval: Approval, problem: str) -> Message:
    day = iso(approval.date)
    if problem == "missing":
        return Message("%(day)s审批，未登记审批党组织", day=day)
    if problem == "type":
        return Message(
            "%(day)s由%(org)s审批，%(type)s无权审批",
            day=day,
            org=approval.org_name or "",
            type=choice_label(OrgType, approval.org_type or ""),
        )
    return Message("%(day)s由%(org)s审批，该组织不是本支部的上级党委", day=day, org=approval.org_name or "")


def cases_link(rule, org, status: str) -> Link | None:
    """The branch's 发展党员 cases, where an approval's organisation is recorded (for an open result)."""
    if status != "fail" or org.type != "zhibu":
        return None
    return Link(reverse("pipeline:index") + "?" + urlencode({"org": org.id}), str(_l("查看发展党员案例")))


@register(
    "pipeline_approver_authorised",
    ApproverParams,
    facts=("pipeline",),
    label=_l("预备党员审批权限"),
    validate_rule=lambda _types, p: _records_approver(p),
    link=cases_link,
)
def approver_authorised(facts: OrgFacts, window: Window, p: ApproverParams) -> Outcome:
    """Every `step` (the 党委's approval of a 预备党员) dated in the window names the organisation that approved,
    and that organisation is a 党委 above the branch or the 工委 (DEV-16); fail listing the others."""
    if window.closed:
        return dissolved(window)
    pf = _facts(facts)
    if pf is None:
        return NOT_A_BRANCH
    failed: list[Message] = []
    checked = 0
    for case in pf.cases:
        for approval in case.approvals:
            if approval.key != p.step or not window.contains(approval.date):
                continue
            checked += 1
            # judged against the branch that held the case on the day (it may have followed its member since)
            branch = approval.branch_path or facts.ref.path
            problem = approver_problem(branch, approval.org_type, approval.org_path)
            if problem is not None:
                failed.append(
                    Message(
                        "%(name)s（%(detail)s）", name=case.name, detail=_approver_detail(approval, problem)
                    )
                )
    if not failed and not checked:
        return Outcome(
            "not_applicable",
            Message(
                "不适用：%(year)s年截至%(day)s没有审批预备党员。", year=window.year, day=iso(window.as_of)
            ),
        )
    return _result(
        failed,
        checked,
        lambda n, cases: Message.plural(
            "%(n)s 名预备党员的审批党组织不符合规定：%(cases)s。", n=n, cases=cases
        ),
        lambda n: Message.plural("%(n)s 名预备党员均由上级党委（或工委）审批。", n=n),
    )


# The parameter naming the step whose lateness each check kind reports: a failed result of a rule of that kind is
# the work list's overdue item for that step (and for the steps carrying its deadline), so the workbench's provider
# (dangjian.pipeline.workbench) leaves that step out. `pipeline_approver_authorised` judges who approved, not when:
# it reports no lateness.
LATE_STEP_PARAM = {
    "pipeline_step_within": "step",
    "pipeline_assessment_interval": "step",
    "pipeline_probation_due": "decision_step",
}


def steps_reported_late(ruleset: Ruleset) -> frozenset[str]:
    """The workflow steps (keys) whose missed deadline a rule of `ruleset` reports: the steps its rules' parameters
    name (`LATE_STEP_PARAM`). A step not among them (党委批准转正 in rulebook v7) is reported by no kept result."""
    return frozenset(
        getattr(rule.typed_params, LATE_STEP_PARAM[rule.check])
        for rule in ruleset.rules
        if rule.check in LATE_STEP_PARAM
    )


def step_name(key: str) -> str:
    """The Chinese name of a 发展党员 workflow step (rules/workflow-development.yaml), or the key itself."""
    from dangjian.pipeline.workflow import load_workflow

    try:
        names = {s.key: s.name for s in load_workflow().steps}
    except Exception:  # the rulebook page must render even when the workflow file is broken
        return key
    return names.get(key, key)


register_param_labels(
    {
        "from_step": _l("起始步骤"),
        "step": _l("应完成的步骤"),
        "start_step": _l("起始步骤"),
        "end_step": _l("结束步骤"),
        "end_steps": _l("结束步骤"),
        "decision_steps": _l("作出决定的步骤"),
        "decision_step": _l("作出决定的步骤"),
        "months": _l("期限（月）"),
        "max_months": _l("最长期限（月）"),
        "label": _l("名称"),
    }
)
for _key in ("from_step", "step", "start_step", "end_step", "end_steps", "decision_steps", "decision_step"):
    register_value_labels(_key, step_name)


# the overview's column headings
register_short_titles(
    {
        "PIPE-TALK-1M": _l("申请谈话"),
        "PIPE-ASSESS-6M": _l("积极分子考察"),
        "PIPE-APPROVAL-3M": _l("党委审批"),
        "PIPE-PROBATION-DUE": _l("按期转正"),
        "PIPE-APPROVER-AUTHORISED": _l("审批权限"),
    }
)

register_area(
    "pipeline",
    _l("发展党员"),
    order=40,
    kinds=(
        "pipeline_step_within",
        "pipeline_assessment_interval",
        "pipeline_probation_due",
        "pipeline_approver_authorised",
    ),
)
