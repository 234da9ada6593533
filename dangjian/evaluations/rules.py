"""民主评议党员 checks (EVAL-*, rulebook v6): pure functions over the "evaluations" facts.

EVAL-REVIEW-ANNUAL (BR-16, EVAL-01): the branch completed its 民主评议党员 of year Y by D, with grades — the steps
themselves, not only a meeting of that type (MTG-MEMBER-REVIEW-ANNUAL). Pending until 31 December.
EVAL-EXCELLENT-CAP (EVAL-02): of the members graded by D, at most numerator/denominator 优秀 (exactly the share
is allowed: at most floor(graded × numerator / denominator)). The grading page refuses more with the
parameters of rules/evaluations.yaml; the rule checks the grades kept, whatever the parameters were when they
were given.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _l
from pydantic import Field

from dangjian.compliance.facts import OrgFacts, register_facts
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    Due,
    EvidenceItem,
    EvidenceRef,
    Link,
    Outcome,
    Params,
    choice_label,
    iso,
    register,
    register_area,
    register_evidence,
    register_short_titles,
    unmet_this_year,
)
from dangjian.core.messages import Message
from dangjian.evaluations.choices import Rating, Step
from dangjian.evaluations.models import Evaluation
from dangjian.meetings.rules import AnnualParams as MeetingAnnualParams
from dangjian.meetings.rules import annual_meeting, annual_todo


class EvaluationFact(NamedTuple):
    evaluation_id: int
    step: str
    completed_on: dt.date | None
    graded_on: dt.date | None
    graded: int  # participants with a grade
    excellent: int


@register_facts("evaluations")
def load_evaluation_facts(ids_sq, orgs, year: int, as_of: dt.date) -> dict[int, EvaluationFact]:
    """Per branch of the scope its evaluation of `year` opened by D, with the number graded and graded 优秀
    (one query, whatever the number of organisations)."""
    rows = (
        Evaluation.objects.filter(org_id__in=ids_sq, year=year, opened_on__lte=as_of)
        .annotate(
            n_graded=Count("participants", filter=~Q(participants__grade="")),
            n_excellent=Count("participants", filter=Q(participants__grade=Rating.EXCELLENT)),
        )
        .order_by()
        .values_list("org_id", "pk", "step", "completed_on", "graded_on", "n_graded", "n_excellent")
    )
    return {org_id: EvaluationFact(*values) for org_id, *values in rows}


def _fact(facts: OrgFacts) -> EvaluationFact | None:
    return facts.extra.get("evaluations")


def _done(found: EvaluationFact | None, day: dt.date) -> bool:
    return (
        found is not None
        and found.completed_on is not None
        and found.completed_on <= day
        and found.graded > 0
    )


def _step(found: EvaluationFact) -> Message:
    return choice_label(Step, found.step)


class AnnualParams(Params):
    pass


@register_evidence("evaluation")
def resolve_evaluations(user, ids: list[int]) -> dict[int, EvidenceItem]:
    """The evaluations a result rests on, read through the user's scope (two queries): one outside it shows its
    date only. Never a ballot or a tally: an evaluation's page shows what its viewer may see."""
    from dangjian.orgs.models import Org

    visible = Evaluation.objects.filter(org__in=Org.objects.visible_to(user).values("pk"))
    inside = {
        pk: (year, org_name)
        for pk, year, org_name in visible.filter(pk__in=ids).values_list("id", "year", "org__name")
    }
    found = {}
    for pk, opened_on, completed_on in Evaluation.objects.filter(pk__in=ids).values_list(
        "id", "opened_on", "completed_on"
    ):
        ref = EvidenceRef("evaluation", pk)
        day = completed_on or opened_on
        if pk in inside:
            year, org_name = inside[pk]
            text = str(_l("%(year)s年度民主评议党员") % {"year": year})
            found[pk] = EvidenceItem(ref, day, text, org_name, reverse("evaluations:detail", args=[pk]))
        else:
            found[pk] = EvidenceItem(ref, day, visible=False)
    return found


def review_todo(facts: OrgFacts, window: Window, p: AnnualParams, on: dt.date) -> list[Due]:
    """Not yet opened this year: due by 31 December. An open evaluation is on the work list with its step
    (evaluations.workbench), so it is not repeated here."""
    if _fact(facts) is not None:
        return []
    year_end = dt.date(on.year, 12, 31)
    due = min(year_end, facts.dissolved_on) if facts.dissolved_on else year_end
    return [Due(str(on.year), due, Message("本年度尚未开展民主评议党员。"))]


def _open_link(rule, org, status: str) -> Link | None:
    if status not in ("fail", "pending"):
        return None
    url = f"{reverse('evaluations:index')}?{urlencode({'org': org.id})}"
    return Link(url, str(_l("去开展民主评议")), primary=True)


@register(
    "evaluation_annual",
    AnnualParams,
    todo=review_todo,
    facts=("evaluations",),
    evidence="evaluation",
    label=_l("民主评议党员（每年完成并评定等次）"),
    link=_open_link,
)
def evaluation_annual(facts: OrgFacts, window: Window, p: AnnualParams) -> Outcome:
    found = _fact(facts)
    evidence = [found.evaluation_id] if found is not None else []
    if found is not None and _done(found, window.as_of):
        assert found.completed_on is not None
        return Outcome(
            "pass",
            Message.plural(
                "已满足：%(day)s完成民主评议党员，评定%(n)s名党员。",
                day=iso(found.completed_on),
                n=found.graded,
            ),
            [],
            evidence,
        )
    if found is None:
        state = Message("尚未在平台上开展民主评议党员（测评、评定等次、公示）")
    elif found.completed_on is not None and found.completed_on <= window.as_of:
        state = Message("民主评议党员已完成但没有评定等次")
    else:
        state = Message("民主评议党员进行到“%(step)s”，尚未完成", step=_step(found))
    fail = Message("%(year)s年%(state)s。", year=window.year, state=state)
    return unmet_this_year(window, state, fail, evidence)


# --- v9: MTG-MEMBER-REVIEW-ANNUAL credits the 民主评议 completed on the platform ------------------------------
#
# v1–v8 read only meetings of type 民主评议党员: a branch that carried out its 民主评议 step by step here (the
# 民主测评 at its meeting, the grades, the 公示) but did not also record a meeting of that type failed it —
# the same work reported twice. The kind keeps the meeting rule's parameters and verdicts and adds one way
# to pass: an evaluation of year Y completed by D with grades (as EVAL-REVIEW-ANNUAL reads it).


def member_review_todo(facts: OrgFacts, window: Window, p: MeetingAnnualParams, on: dt.date) -> list[Due]:
    """As the meeting rule's 待办, unless an evaluation of the year is opened: an open one is on the work list
    at its step (evaluations.workbench), a completed one satisfies the rule."""
    if _fact(facts) is not None:
        return []
    return annual_todo(facts, window, p, on)


@register(
    "member_review_annual",
    MeetingAnnualParams,
    todo=member_review_todo,
    facts=("meetings", "evaluations"),
    evidence="meeting",
    label=_l("民主评议党员（会议记录或平台评议）"),
    link=_open_link,
)
def member_review_annual(facts: OrgFacts, window: Window, p: MeetingAnnualParams) -> Outcome:
    """As `annual_meeting`, and met by the evaluation of year Y completed by D with grades. While one is under way
    the result says so (its step), pending until 31 December, failing after as the meeting rule would."""
    outcome = annual_meeting(facts, window, p)
    found = _fact(facts)
    if outcome.status == "pass" or found is None:
        return outcome
    if not _done(found, window.as_of):
        if outcome.status not in ("pending", "fail"):
            return outcome
        evidence = [*outcome.evidence, EvidenceRef("evaluation", found.evaluation_id)]
        if outcome.status == "pending":
            text = Message(
                "待完成：%(year)s年民主评议党员正在平台上进行（%(step)s），走完各步骤并评定等次后即为符合。",
                year=window.year,
                step=_step(found),
            )
            return Outcome("pending", text, [], evidence)
        text = Message(
            "%(year)s年民主评议党员未完成：平台上的评议停在“%(step)s”，也没有民主评议党员会议记录。",
            year=window.year,
            step=_step(found),
        )
        return Outcome("fail", text, outcome.missing, evidence)
    assert found.completed_on is not None
    return Outcome(
        "pass",
        Message.plural(
            "已满足：%(day)s在平台完成民主评议党员，评定%(n)s名党员。",
            day=iso(found.completed_on),
            n=found.graded,
        ),
        [],
        [*outcome.evidence, EvidenceRef("evaluation", found.evaluation_id)],
    )


# the meeting rule it replaces stays in 三会一课 on the pages
register_area("meetings", _l("三会一课"), order=20, kinds=("member_review_annual",))


class CapParams(Params):
    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)


@register(
    "evaluation_excellent_cap",
    CapParams,
    facts=("evaluations",),
    evidence="evaluation",
    label=_l("民主评议优秀比例"),
    link=_open_link,
)
def evaluation_excellent_cap(facts: OrgFacts, window: Window, p: CapParams) -> Outcome:
    found = _fact(facts)
    if found is None or found.graded == 0 or found.graded_on is None or found.graded_on > window.as_of:
        return Outcome("not_applicable", Message("不适用：本年度尚未评定等次。"))
    cap = found.graded * p.numerator // p.denominator
    figures = {
        "graded": found.graded,
        "n": found.excellent,
        "share": f"{p.numerator}/{p.denominator}",
        "cap": cap,
    }
    if found.excellent <= cap:
        text = Message(
            "已满足：评定%(graded)s名，其中优秀%(n)s名，未超过%(share)s（至多%(cap)s名）。", **figures
        )
        return Outcome("pass", text, [], [found.evaluation_id])
    text = Message("评定%(graded)s名，其中优秀%(n)s名，超过%(share)s（至多%(cap)s名）。", **figures)
    return Outcome("fail", text, [str(window.year)], [found.evaluation_id])


register_short_titles({"EVAL-REVIEW-ANNUAL": _l("评议完成"), "EVAL-EXCELLENT-CAP": _l("优秀比例")})
register_area(
    "evaluations", _l("民主评议"), order=75, kinds=("evaluation_annual", "evaluation_excellent_cap")
)
