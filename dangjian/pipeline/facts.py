"""The compliance facts of the pipeline ("pipeline" provider, dangjian.compliance.facts.register_facts): for every
党支部 in scope, its development cases as of D with their steps dated by D (and, for the steps that record one,
the approving organisation, and where the case was on that day when it has followed its member to another
branch since). One query whatever the number of organisations and cases; the PIPE-* checks
(dangjian.pipeline.rules) read them without the database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Case, CharField, OuterRef, Subquery, Value, When

from dangjian.compliance.facts import register_facts
from dangjian.core.dates import add_months
from dangjian.movements.choices import TransferKind, TransferState
from dangjian.movements.models import Transfer
from dangjian.pipeline.models import CaseStep
from dangjian.pipeline.workflow import load_workflow


class Approval(NamedTuple):
    """A step that records the approving organisation (审批党组织), as recorded: its name, type and path, or
    None each when none was recorded."""

    key: str
    date: dt.date
    org_name: str | None = None
    org_type: str | None = None
    org_path: str | None = None
    # where the case was on the approval's day, when it has followed its member elsewhere since (the sending
    # organisation of the first transfer accepted on or after that day); None: where it is now
    branch_path: str | None = None


@dataclass(frozen=True)
class CaseFacts:
    id: int
    name: str
    steps: tuple[tuple[str, dt.date], ...]  # (step key, date), dated by D, in date order
    closed_on: dt.date | None  # the day it was cancelled or converted, when by D
    probation_end: dt.date | None  # as of D: admission + probation, plus extensions recorded by D
    approvals: tuple[Approval, ...] = ()  # the steps dated by D whose definition records an approver

    def first(self, key: str) -> dt.date | None:
        return next((d for k, d in self.steps if k == key), None)

    def dates(self, key: str) -> list[dt.date]:
        return [d for k, d in self.steps if k == key]


@dataclass(frozen=True)
class PipelineFacts:
    cases: tuple[CaseFacts, ...] = ()


@register_facts("pipeline")
def load_pipeline_facts(ids_sq, orgs, year: int, as_of: dt.date) -> dict[int, PipelineFacts]:
    wf = load_workflow()
    admit = wf.effect_step("create_member")
    extend = wf.effect_step("extend")
    approved = {s.key for s in wf.steps if s.approver is not None}
    # One query: every case has its application step (dated applied_on), so the steps dated by D carry the
    # cases applied by D.
    # the organisation that held the case on an approval's day, when the case has moved since with its member
    # (组织关系转接 inside the system, services.follow_member): the approval is judged against that branch
    moved_from = Subquery(
        Transfer.objects.filter(
            member_id=OuterRef("case__member_id"),
            kind=TransferKind.INTERNAL,
            state=TransferState.ACCEPTED,
            decided_on__gte=OuterRef("date"),
            decided_on__lte=as_of,
        )
        .order_by("decided_on", "id")
        .values("from_org__path")[:1]
    )
    rows = (
        CaseStep.objects.filter(case__org_id__in=ids_sq, case__applied_on__lte=as_of, date__lte=as_of)
        .annotate(
            branch_then=Case(
                When(key__in=approved, then=moved_from), default=Value(None), output_field=CharField()
            )
        )
        .order_by("case__applied_on", "case_id", "date", "id")
        .values_list(
            "case_id",
            "case__org_id",
            "case__name",
            "case__closed_on",
            "key",
            "date",
            "extension_months",
            "approver_org__name",
            "approver_org__type",
            "approver_org__path",
            "branch_then",
        )
    )
    cases: dict[int, tuple[int, str, dt.date | None]] = {}
    steps: dict[int, list[tuple[str, dt.date, int | None]]] = defaultdict(list)
    approvals: dict[int, list[Approval]] = defaultdict(list)
    for case_id, org_id, name, closed_on, key, day, months, *approver in rows:
        cases.setdefault(case_id, (org_id, name, closed_on))
        steps[case_id].append((key, day, months))
        if key in approved:
            approvals[case_id].append(Approval(key, day, *approver))
    by_org: dict[int, list[CaseFacts]] = defaultdict(list)
    for case_id, (org_id, name, closed_on) in cases.items():
        mine = sorted(steps[case_id], key=lambda s: s[1])
        end = None
        admitted = next((d for k, d, _m in mine if admit and k == admit.key), None)
        if admitted is not None:
            end = add_months(admitted, wf.probation_months)
            for key, _day, months in mine:
                if extend and key == extend.key and months:
                    end = add_months(end, months)
        by_org[org_id].append(
            CaseFacts(
                id=case_id,
                name=name,
                steps=tuple((k, d) for k, d, _m in mine),
                closed_on=closed_on if closed_on and closed_on <= as_of else None,
                probation_end=end,
                approvals=tuple(sorted(approvals[case_id], key=lambda a: a.date)),
            )
        )
    return {o.pk: PipelineFacts(tuple(by_org.get(o.pk, ()))) for o in orgs if o.type == "zhibu"}
