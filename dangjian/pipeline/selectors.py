"""Reads of the pipeline: the cases a user may see, each with its next step(s) and deadline (the due list), the
党委's roll-up, and the people a step may name. Every read starts from the user's scope and costs a fixed number
of queries whatever the number of cases: the cases (with their branch), then all their steps."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from dangjian.accounts.scope import scope_for
from dangjian.members.choices import Category
from dangjian.members.models import Member, on_roll_q
from dangjian.orgs.models import Org
from dangjian.orgs.selectors import nearest_above
from dangjian.orgs.widgets import of_kind
from dangjian.pipeline.approvers import AUTHORISED_TYPES
from dangjian.pipeline.choices import CLOSED_STATUSES, CaseStatus
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


def case_moves(case: DevelopmentCase) -> list[Any]:
    """The transfers inside the system (组织关系转接, accepted) of the case's member while the case was open, in
    order: the case follows its member (services.follow_member), so these are its moves between 党支部 (one query;
    none without a member)."""
    from dangjian.movements.choices import TransferKind, TransferState
    from dangjian.movements.models import Transfer

    if case.member_id is None:
        return []
    found = Transfer.objects.filter(
        member_id=case.member_id, kind=TransferKind.INTERNAL, state=TransferState.ACCEPTED
    )
    if case.closed_on is not None:
        found = found.filter(decided_on__lte=case.closed_on)
    return list(found.select_related("from_org", "to_org").order_by("decided_on", "id"))


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


def open_stages(wf: Workflow) -> list[Any]:
    """The stages a case in progress may be in: those where a step is recorded (not 正式党员, which a case
    reaches by its closing step)."""
    used = {key for step in wf.steps for key in step.stages}
    return [stage for stage in wf.stages if stage.key in used]


def by_stage(rows: list[CaseRow], wf: Workflow | None = None) -> list[tuple[Any, list[CaseRow]]]:
    """The rows grouped by the stages of cases in progress, in stage order (every such stage listed, empty ones
    too)."""
    wf = wf or load_workflow()
    stages = open_stages(wf)
    groups: dict[str, list[CaseRow]] = {s.key: [] for s in stages}
    for row in rows:
        groups.setdefault(row.case.stage, []).append(row)
    return [(stage, groups[stage.key]) for stage in stages]


def year_start(on: dt.date) -> dt.date:
    return on.replace(month=1, day=1)


def closed_cases(user, org: Org, on: dt.date, *, every_year: bool = False):
    """The closed cases (转正, 终止发展, 取消预备党员资格) of the branch `org` closed in `on`'s year up to `on` (every
    year with `every_year`), the latest first: a queryset (one query)."""
    qs = (
        DevelopmentCase.objects.visible_to(user)
        .in_subtree(org)
        .filter(status__in=CLOSED_STATUSES, closed_on__lte=on)
        .select_related("org")
        .order_by("-closed_on", "-id")
    )
    return qs if every_year else qs.filter(closed_on__gte=year_start(on))


def closed_count(user, org: Org, on: dt.date) -> int:
    """How many cases of `org` are closed, every year (one query)."""
    return (
        DevelopmentCase.objects.visible_to(user)
        .in_subtree(org)
        .filter(status__in=CLOSED_STATUSES, closed_on__lte=on)
        .count()
    )


def outcome(case: DevelopmentCase, wf: Workflow) -> str:
    """How a closed case ended, in the workflow's words: 已转正, or the closing step of its stage (终止发展 before the
    admission, 取消预备党员资格 after it)."""
    if case.status == CaseStatus.CONVERTED:
        return str(CaseStatus.CONVERTED.label)
    step = next((s for s in wf.steps if s.effect == "cancel" and case.stage in s.stages), None)
    return step.name if step is not None else str(CaseStatus.CANCELLED.label)


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
    counts: dict[str, int]  # open cases per stage of cases in progress
    total: int  # open cases
    overdue: int  # open cases with an overdue step
    converted: int = 0  # cases converted (正式党员) in the year, up to the day
    cancelled: int = 0  # cases ended in the year (终止发展, 取消预备党员资格), up to the day


def rollup(user, as_of: dt.date, org: Org | None = None) -> tuple[list[RollupLine], dict[str, int], int]:
    """The 党委's view: per visible 党支部, the open cases per stage and how many have an overdue step, and the
    cases converted and ended in `as_of`'s year; with the totals per stage and of overdue cases (four queries)."""
    wf = load_workflow()
    stages = open_stages(wf)
    branch_list = [b for b in branches(user) if org is None or b.path.startswith(org.path)]
    rows = case_rows(cases_for(user, org), as_of, wf)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {s.key: 0 for s in stages})
    overdue: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row.case.org_id][row.case.stage] = counts[row.case.org_id].get(row.case.stage, 0) + 1
        overdue[row.case.org_id] += int(row.overdue)
    closed = (
        cases_for(user, org, closed=True)
        .filter(status__in=CLOSED_STATUSES, closed_on__gte=year_start(as_of), closed_on__lte=as_of)
        .order_by()
        .values_list("org_id", "status")
        .annotate(n=Count("id"))
    )
    ended: dict[tuple[int, str], int] = {(org_id, status): n for org_id, status, n in closed}
    lines = [
        RollupLine(
            b,
            counts[b.pk],
            sum(counts[b.pk].values()),
            overdue[b.pk],
            ended.get((b.pk, CaseStatus.CONVERTED), 0),
            ended.get((b.pk, CaseStatus.CANCELLED), 0),
        )
        for b in branch_list
    ]
    totals = {s.key: sum(line.counts.get(s.key, 0) for line in lines) for s in stages}
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


def approving_orgs(orgs) -> dict[int, Org]:
    """Branch id → the nearest 党委 above it (else the 工委): the organisation that approves its cases' steps
    marked `by_higher` in the normal case, as `default_approver` chooses it (one query for all the branches)."""
    return nearest_above(orgs, AUTHORISED_TYPES)


def default_approver(options: list[Org]) -> Org | None:
    """The nearest 党委 above the branch (else the 工委): the organisation that approves in the normal case."""
    return next((o for o in options if o.type in AUTHORISED_TYPES), None)
