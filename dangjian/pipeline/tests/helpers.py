"""Shared test helpers: a valid path through the workflow with the data each step needs."""

from __future__ import annotations

import datetime as dt

from dangjian.core.dates import add_months
from dangjian.pipeline.selectors import approver_options, default_approver
from dangjian.pipeline.services import StepData, record_step

D = dt.date


def plan(applied: dt.date) -> dict[str, dt.date]:
    """Dates of a case that takes every step as early as the rules allow (plus a little)."""
    activist = applied + dt.timedelta(days=40)
    vote = add_months(activist, 12) + dt.timedelta(days=40)
    return {
        "talk": applied + dt.timedelta(days=20),
        "activist": activist,
        "assessment": add_months(activist, 6),
        "opinions": add_months(activist, 11),
        "candidate": add_months(activist, 12),
        "sponsors": add_months(activist, 12) + dt.timedelta(days=5),
        "political_review": add_months(activist, 12) + dt.timedelta(days=10),
        "training": add_months(activist, 12) + dt.timedelta(days=15),
        "committee_review": add_months(activist, 12) + dt.timedelta(days=20),
        "pre_review": add_months(activist, 12) + dt.timedelta(days=25),
        "application_form": add_months(activist, 12) + dt.timedelta(days=30),
        "admission_vote": vote,
        "party_talk": vote + dt.timedelta(days=20),
        "approval": vote + dt.timedelta(days=40),
        "oath": vote + dt.timedelta(days=50),
        "conversion_application": add_months(vote, 12) - dt.timedelta(days=10),
        "conversion_vote": add_months(vote, 12),
        "conversion_approval": add_months(vote, 12) + dt.timedelta(days=30),
    }


def data_for(key: str, contacts=(), sponsors=(), approver=None) -> StepData:
    if key == "approval":
        return StepData(approver_org=approver)
    if key == "activist":
        return StepData(contacts=list(contacts))
    if key == "sponsors":
        return StepData(sponsors=list(sponsors))
    if key == "training":
        return StepData(training_days=3)
    if key in ("admission_vote", "conversion_vote"):
        return StepData(expected_voters=10, present_voters=8, yes_votes=8)
    return StepData()


def advance(
    case,
    until: str,
    dates: dict[str, dt.date],
    *,
    contacts=(),
    sponsors=(),
    actor=None,
    today=None,
    approver=None,
):
    """Records every step of `dates` in order up to and including `until`; the approval by `approver` (default:
    the 党委 above the branch)."""
    approver = approver or default_approver(approver_options(case.org))
    for key, day in dates.items():
        record_step(
            actor=actor,
            case=case,
            key=key,
            on=day,
            data=data_for(key, contacts, sponsors, approver),
            today=today,
        )
        if key == until:
            return case
    return case
