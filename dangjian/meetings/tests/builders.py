"""Hand-built meeting facts for the pure tests of the meetings checks (no database)."""

from __future__ import annotations

import datetime as dt
import itertools

from dangjian.compliance.evaluator import run_check
from dangjian.compliance.facts import OrgFacts
from dangjian.compliance.periods import clamp_as_of, window_for
from dangjian.compliance.rulebook import load_ruleset
from dangjian.compliance.tests import builders
from dangjian.compliance.tests.builders import D, check, committee, post, rule  # noqa: F401  (re-exported)
from dangjian.meetings.rules import MeetingFacts, Record

_ids = itertools.count(1000)


def rec(
    meeting_type: str,
    day: dt.date,
    *,
    org_id: int = 1,
    meeting_id: int | None = None,
    expected: int = 10,
    present: int = 10,
    expected_formal: int | None = None,
    present_formal: int | None = None,
    lecturer_id: int | None = None,
) -> Record:
    return Record(
        meeting_id=meeting_id if meeting_id is not None else next(_ids),
        org_id=org_id,
        type=meeting_type,
        date=day,
        expected=expected,
        present=present,
        expected_formal=expected if expected_formal is None else expected_formal,
        present_formal=present if present_formal is None else present_formal,
        lecturer_id=lecturer_id,
    )


def facts(
    org_type: str = "zhibu",
    *,
    records=(),
    child_records=(),
    anywhere_records=(),
    heads_unit: bool | None = None,
    extra: dict | None = None,
    **fields,
) -> OrgFacts:
    """An organisation's facts with its meeting records (the "meetings" provider's value) and the other
    providers' values in `extra`."""
    meetings = MeetingFacts(tuple(records), tuple(child_records), tuple(anywhere_records), heads_unit)
    return builders.facts(org_type, extra={"meetings": meetings, **(extra or {})}, **fields)


def meeting_ids_of(evidence) -> list[int]:
    """The ids of typed evidence, all of which must name meetings."""
    assert all(ref.kind == "meeting" for ref in evidence), evidence
    return [ref.id for ref in evidence]


def check_in(
    version: int, rule_id: str, org_facts: OrgFacts, *, year: int = 2026, as_of: dt.date | None = None
):
    """Runs the rule of rulebook `version` on hand-built facts, as the evaluator does (D: 31 December)."""
    as_of = clamp_as_of(year, as_of or D(year, 12, 31))
    window = window_for(year, as_of, org_facts.founded_on, org_facts.dissolved_on)
    assert window is not None, "the organisation has no window"
    return run_check(load_ruleset(version).rule(rule_id), org_facts, window)
