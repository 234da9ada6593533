"""述职评议 check (EVAL-SHUZHI-ANNUAL, rulebook v7): a pure function over the "appraisals" facts.

EVAL-SHUZHI-ANNUAL (实施意见（十八）): for year Y the organisation's secretary reported in a 述职评议 held in Y —
the organisation is a subject of a campaign of year Y closed by D, and its final 述职报告 was uploaded by D.
Pending until 31 December, or until the campaign closes if earlier (a campaign closed without the report fails
until the missing report is uploaded, which the closed campaign still accepts); failing after 31 December with the part missing: 未列入述职评议 / 未上传述职报告 /
测评未结束.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l

from dangjian.appraisals.models import Subject
from dangjian.compliance.facts import OrgFacts, register_facts
from dangjian.compliance.periods import Window
from dangjian.compliance.registry import (
    EvidenceItem,
    EvidenceRef,
    Link,
    Outcome,
    Params,
    iso,
    register,
    register_area,
    register_evidence,
    register_short_titles,
    unmet_this_year,
)
from dangjian.core.messages import Message


class AppraisalFact(NamedTuple):
    subject_id: int
    closed_on: dt.date | None
    uploaded_on: dt.date | None


def _rank(f: AppraisalFact, as_of: dt.date) -> tuple[bool, bool]:
    return (
        f.closed_on is not None and f.closed_on <= as_of,
        f.uploaded_on is not None and f.uploaded_on <= as_of,
    )


@register_facts("appraisals")
def load_appraisal_facts(ids_sq, orgs, year: int, as_of: dt.date) -> dict[int, AppraisalFact]:
    """Per organisation of the scope its place in a 述职评议 of `year` opened by D (one query, whatever the number
    of organisations): the campaign's closing day and the report's upload day. In two campaigns of the year (two
    owners), the one furthest on counts."""
    found: dict[int, AppraisalFact] = {}
    rows = (
        Subject.objects.filter(org_id__in=ids_sq, campaign__year=year, campaign__opened_on__lte=as_of)
        .order_by("pk")
        .values_list("org_id", "pk", "campaign__closed_on", "report_uploaded_on")
    )
    for org_id, pk, closed_on, uploaded_on in rows:
        fact = AppraisalFact(pk, closed_on, uploaded_on)
        if org_id not in found or _rank(fact, as_of) > _rank(found[org_id], as_of):
            found[org_id] = fact
    return found


class AnnualParams(Params):
    pass


@register_evidence("appraisal")
def resolve_appraisals(user, ids: list[int]) -> dict[int, EvidenceItem]:
    """The subjects a result rests on, read through the user's scope (two queries): one outside it shows its
    date only. Never a tally: the campaign's page shows what its viewer may see."""
    from dangjian.appraisals.selectors import subjects_visible_to

    inside = {
        pk: (title, org_name)
        for pk, title, org_name in subjects_visible_to(user)
        .filter(pk__in=ids)
        .values_list("id", "campaign__title", "org__name")
    }
    found = {}
    for pk, opened_on, closed_on in Subject.objects.filter(pk__in=ids).values_list(
        "id", "campaign__opened_on", "campaign__closed_on"
    ):
        ref = EvidenceRef("appraisal", pk)
        day = closed_on or opened_on
        if pk in inside:
            title, org_name = inside[pk]
            found[pk] = EvidenceItem(ref, day, title, org_name, reverse("appraisals:subject", args=[pk]))
        else:
            found[pk] = EvidenceItem(ref, day, visible=False)
    return found


def _open_link(rule, org, status: str) -> Link | None:
    if status not in ("fail", "pending"):
        return None
    return Link(
        f"{reverse('appraisals:index')}?{urlencode({'org': org.id})}", str(_l("去办理述职评议")), primary=True
    )


@register(
    "appraisal_annual",
    AnnualParams,
    facts=("appraisals",),
    evidence="appraisal",
    label=_l("书记述职评议（每年述职并上传述职报告）"),
    link=_open_link,
)
def appraisal_annual(facts: OrgFacts, window: Window, p: AnnualParams) -> Outcome:
    found: AppraisalFact | None = facts.extra.get("appraisals")
    day = window.as_of
    evidence = [found.subject_id] if found is not None else []
    closed = found is not None and found.closed_on is not None and found.closed_on <= day
    uploaded = found is not None and found.uploaded_on is not None and found.uploaded_on <= day
    if found is not None and closed and uploaded:
        assert found.closed_on is not None and found.uploaded_on is not None
        return Outcome(
            "pass",
            Message(
                "已满足：%(uploaded)s上传述职报告，述职评议于%(closed)s结束。",
                uploaded=iso(found.uploaded_on),
                closed=iso(found.closed_on),
            ),
            [],
            evidence,
        )
    if found is None:
        state = Message("未列入述职评议")
    elif not uploaded:
        state = Message("未上传述职报告")
    else:
        state = Message("测评未结束")
    fail = Message("%(year)s年书记述职评议：%(state)s。", year=window.year, state=state)
    return unmet_this_year(window, state, fail, evidence, may_wait=not closed)


register_short_titles({"EVAL-SHUZHI-ANNUAL": _l("书记述职")})
register_area("appraisals", _l("述职评议"), order=76, kinds=("appraisal_annual",))
