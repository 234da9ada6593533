"""Rulebook v8 in the elections app: ORG-TERM-REMINDER gives a term ending within `months_ahead` months
`pending` (待定, a reminder with the same message), not `fail`; a term ended without a new term still fails.
v7 (and v4–v6: the parameter's default) keep their published results. The work list and the daily reminders
show the pending result as they showed the failure: a 待办 with the due date, told 6 months ahead."""

import datetime as dt

import pytest

from dangjian.compliance import kept, workbench
from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.rulebook import load_ruleset
from dangjian.elections.rules import TermReminderParams
from dangjian.orgs.models import Org
from dangjian.reminders.params import load_params as reminder_params
from dangjian.reminders.services import is_told

RULE = "ORG-TERM-REMINDER"
D = dt.date


def result(version, as_of):
    rs = load_ruleset(version)
    rs = rs.model_copy(update={"rules": [r for r in rs.rules if r.id == RULE]})
    ev = evaluate(Org.objects.filter(code="A1"), year=as_of.year, as_of=as_of, ruleset=rs)
    (found,) = ev.for_rule(RULE)
    return found


def test_v8_sets_the_parameter_and_the_default_keeps_earlier_versions():
    v8 = load_ruleset(8)
    assert v8.version == 8 and v8.published == D(2026, 12, 7)
    assert v8.rule(RULE).typed_params.due_status == "pending"
    assert "第8版更正" in v8.rule(RULE).note
    for version in (4, 5, 6, 7):
        assert "due_status" not in load_ruleset(version).rule(RULE).params
        assert load_ruleset(version).rule(RULE).typed_params.due_status == "fail"
    assert TermReminderParams(months_ahead=6, max_adjust_months=12).due_status == "fail"
    # v8 is v7 with the two corrections: the same rules, only these parameters differ
    v7 = load_ruleset(7)
    assert [r.id for r in v7.rules] == [r.id for r in v8.rules]
    changed = {r.id for r in v8.rules if r.params != v7.rule(r.id).params}
    assert changed == {RULE, "MEM-TRANSFER-DUE"}


@pytest.mark.django_db
def test_a_term_ending_soon_is_pending_in_v8_and_failed_in_v7(tree, a1_voters):
    # the term of 甲一支部: 2023-09-01 → 2026-09-01
    assert result(7, D(2026, 2, 28)).status == result(8, D(2026, 2, 28)).status == "pass"
    v7, v8 = result(7, D(2026, 3, 1)), result(8, D(2026, 3, 1))  # 6 months before the end
    assert v7.status == "fail" and v8.status == "pending"
    assert v7.missing == v8.missing == ["2026-09-01"]
    assert str(v7.message) == str(v8.message) and "请及时做好换届准备" in str(v8.message)
    # the day of the term end is still "due"; the day after, the term has ended without a new one: both fail
    assert result(8, D(2026, 9, 1)).status == "pending"
    for version in (7, 8):
        ended = result(version, D(2026, 9, 2))
        assert ended.status == "fail" and ended.missing == ["2026-09-01"] and "尚未换届" in str(ended.message)
        assert result(version, D(2027, 9, 2)).status == "fail"  # beyond 12 months: 违规
        assert "违规" in str(result(version, D(2027, 9, 2)).message)


@pytest.mark.django_db
def test_the_pending_reminder_is_on_the_work_list_and_told_as_the_failure_was(tree, a1_voters):
    on = D(2026, 3, 5)
    orgs = Org.objects.filter(code="A1")
    items = {}
    for version in (7, 8):
        ruleset = load_ruleset(version)
        kept.refresh(orgs, on=on, year=on.year, ruleset=ruleset)
        (items[version],) = [
            i for i in workbench.kept_items(orgs, on=on, ruleset=ruleset) if i.rule_id == RULE
        ]
    v7, v8 = items[7], items[8]
    assert v8.category == v7.category == "elections"
    assert v8.due == v7.due == D(2026, 9, 1) and not v8.overdue and not v7.overdue
    assert v8.detail == v7.detail and "请及时做好换届准备" in v8.detail
    assert v8.link == v7.link and v8.link is not None  # 登记选举
    assert is_told(v8, on, reminder_params()) and is_told(v7, on, reminder_params())
