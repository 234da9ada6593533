"""Reads of the pipeline: the cases a user may see, each with its next step(s) and deadline (the due list), the
党委's roll-up, and the people a step may name. Every read starts from the user's scope and costs a fixed number
of queries whatever the number of cases: the cases (with their branch), then all their steps."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from dangjian.accounts.scope import scope_for
from dangjian.members.choices import Category
from dangjian.members.models import Member, on_roll_q
from dangjian.orgs.models import Org
from dangjian.orgs.widgets import of_kind
from dangjian.pipeline.approvers import AUTHORISED_TYPES
from dangjian.pipeline.models import CaseStep, DevelopmentCase
from dangjian.pipeline.progress import CaseState, NextStep, next_steps, primary, state_of
from dangjian.pipeline.workflow import Workflow, load_workflow


def _pk(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def branch_queryset(user):
    """The 党支部 the user administers (visible, not dissolved)."""
    return of_kind(Org.objects.visible_to(user), "branch")


def branches(user) -> list[Org]:
    """The 党支部 the user administers (visible, not dissolved), in tree order (one query)."""
    return list(branch_queryset(user).order_by("path"))


def visible_case(user, pk: Any) -> DevelopmentCase | None:
    pk = _pk(pk)
    if pk is None:
        return None
    return DevelopmentCase.objects.visible_to(user).select_related("org", "member").filter(pk=pk).first()


@dataclass
class CaseRow:
    case: DevelopmentCase
    state: CaseState
    steps: list[CaseStep] = field(default_factory=list)
    next: list[NextStep] = field(default_factory=list)

    @property
    def primary(self) -> NextStep | None:
        return primary(self.next)

    @property
    def overdue(self) -> bool:
        return any(n.overdue for n in self.next)


def case_rows(cases, as_of: dt.date, wf: Workflow | None = None) -> list[CaseRow]:
    """Each case with its steps and its next steps as of `as_of` (two queries)."""
    wf = wf or load_workflow()
    cases = list(cases.select_related("org"))
    by_case: dict[int, list[CaseStep]] = defaultdict(list)
    for step in CaseStep.objects.filter(case__in=[c.pk for c in cases]).order_by("date", "id"):
        by_case[step.case_id].append(step)
    rows = []
    for case in cases:
        steps = by_case.get(case.pk, [])
        state = state_of(case, steps, wf)
        rows.append(CaseRow(case, state, steps, next_steps(wf, state, as_of)))
    return rows


def cases_for(user, org: Org | None = None, stage: str | None = None, *, closed: bool = False):
    qs = DevelopmentCase.objects.visible_to(user)
    if org is not None:
        qs = qs.in_subtree(org)
    if stage:
        qs = qs.filter(stage=stage)
    if not closed:
        qs = qs.active()
    return qs


def all_cases(org: Org | None = None, stage: str | None = None, *, closed: bool = False):
    """The system's view (commands): every case, or those of an organisation's subtree."""
    qs = DevelopmentCase.objects.all()
    if org is not None:
        qs = qs.in_subtree(org)
    if stage:
        qs = qs.filter(stage=stage)
    if not closed:
        qs = qs.active()
    return qs


def by_stage(rows: list[CaseRow], wf: Workflow | None = None) -> list[tuple[Any, list[CaseRow]]]:
    """The rows grouped by the workflow's stages, in stage order (every stage listed, empty ones too)."""
    wf = wf or load_workflow()
    groups: dict[str, list[CaseRow]] = {s.key: [] for s in wf.stages}
    for row in rows:
        groups.setdefault(row.case.stage, []).append(row)
    return [(stage, groups[stage.key]) for stage in wf.stages]


def due_items(rows: list[CaseRow], wf: Workflow | None = None) -> list[dict[str, Any]]:
    """The due list: one item per open case with its most pressing next step, nearest deadline first."""
    wf = wf or load_workflow()
    items = []
    for row in rows:
        nxt = row.primary
        if nxt is None:
            continue
        items.append(
            {
                "case": row.case.pk,
                "name": row.case.name,
                "org": row.case.org.code,
                "stage": wf.stage_name(row.case.stage),
                "next_step": nxt.step.name,
                "due_by": nxt.due_by.isoformat() if nxt.due_by else None,
                "overdue": nxt.overdue,
                "rule": nxt.rule,
            }
        )
    items.sort(key=lambda i: (i["due_by"] is None, i["due_by"] or "", i["org"], i["name"]))
    return items


@dataclass
class RollupLine:
    org: Org
    counts: dict[str, int]
    total: int
    overdue: int


def rollup(user, as_of: dt.date, org: Org | None = None) -> tuple[list[RollupLine], dict[str, int], int]:
    """The 党委's view: per visible 党支部, the open cases per stage and how many have an overdue step; with
    the totals per stage and of overdue cases (three queries)."""
    wf = load_workflow()
    branch_list = [b for b in branches(user) if org is None or b.path.startswith(org.path)]
    rows = case_rows(cases_for(user, org), as_of, wf)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {s.key: 0 for s in wf.stages})
    overdue: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row.case.org_id][row.case.stage] += 1
        overdue[row.case.org_id] += int(row.overdue)
    lines = [RollupLine(b, counts[b.pk], sum(counts[b.pk].values()), overdue[b.pk]) for b in branch_list]
    totals = {s.key: sum(line.counts[s.key] for line in lines) for s in wf.stages}
    return lines, totals, sum(line.overdue for line in lines)


def formal_members(org: Org, on: dt.date) -> list[Member]:
    """正式党员 of the branch (with its 党小组) on the roll on `on`: the people a step may name as 培养联系人 or
    入党介绍人 (one query)."""
    return list(
        Member.objects.filter(on_roll_q(on), org__path__startswith=org.path, category=Category.FORMAL)
        .filter(confirmed_on__lte=on)
        .order_by("name_pinyin", "name", "id")
        .only("id", "name", "category", "confirmed_on", "joined_on", "inactive_from", "org_id")
    )


def people_of(user, pks) -> list[Member]:
    """Members the user may name (visible to them), by primary key."""
    ids = [p for p in (_pk(v) for v in pks) if p is not None]
    if not ids:
        return []
    return list(Member.objects.filter(scope_for(user).org_q("org__"), pk__in=ids))


def approver_options(org: Org) -> list[Org]:
    """The organisations above a branch, nearest first (one query): who may be named as having approved a step of
    its cases (审批党组织). Whether one had the authority is the rules' judgement (a 党总支 did not)."""
    ids = [int(part) for part in org.path.split("/") if part][:-1]
    return sorted(Org.objects.filter(pk__in=ids), key=lambda o: -o.depth)


def default_approver(options: list[Org]) -> Org | None:
    """The nearest 党委 above the branch (else the 工委): the organisation that approves in the normal case."""
    return next((o for o in options if o.type in AUTHORISED_TYPES), None)
