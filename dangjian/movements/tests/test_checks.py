"""MEM-TRANSFER-DUE and MEM-MOBILE-CONTACT: pure checks on hand-built facts (boundary days), and through the
evaluator on the database, with the "movements" fact provider's query count for 2 and many branches."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.compliance.evaluator import evaluate, extra_needs, run_check
from dangjian.compliance.facts import OrgFacts, OrgRef
from dangjian.compliance.periods import window_for
from dangjian.compliance.rulebook import Ruleset, load_ruleset
from dangjian.core.dates import add_months
from dangjian.movements import services
from dangjian.movements.facts import AwayMember, MovementFacts, load_movement_facts
from dangjian.movements.rules import contact_deadline, transfer_deadline
from dangjian.orgs.models import Org

D = dt.date


def rulebook():
    return load_ruleset(3)


def run(rule_id, away, as_of, dissolved_on=None):
    facts = OrgFacts(
        ref=OrgRef(1, "A1", "甲一支部", "zhibu", "00000001/", "甲委"),
        founded_on=D(2018, 3, 1),
        dissolved_on=dissolved_on,
        extra=MappingProxyType({"movements": MovementFacts(tuple(away))}),
    )
    window = window_for(as_of.year, as_of, facts.founded_on, dissolved_on)
    return run_check(rulebook().rule(rule_id), facts, window)


def away(name="张三", left_on=None, fixed=True, abroad=False, **kw):
    return AwayMember(1, name, "北京某单位", left_on or D(2026, 1, 31), fixed, abroad, **kw)


def test_a_members_deadline_is_the_last_day_the_check_passes():
    """`transfer_deadline`: the check fails exactly after it — when the day left is no later than D − 6 months, as
    the rule's note says (月末: left on 31 August, 满6个月 on 1 March, due by 28 February); `contact_deadline`: six
    months after the last contact, or after leaving."""
    transfer = rulebook().rule("MEM-TRANSFER-DUE").typed_params
    contact = rulebook().rule("MEM-MOBILE-CONTACT").typed_params
    for offset in range(0, 800, 3):
        left_on = D(2024, 1, 1) + dt.timedelta(days=offset)
        deadline = transfer_deadline(away(left_on=left_on), transfer)
        assert deadline is not None
        for on in (deadline, deadline + dt.timedelta(days=1)):
            assert (left_on <= add_months(on, -6)) == (on > deadline), (left_on, on)
    assert transfer_deadline(away(left_on=D(2025, 8, 31)), transfer) == D(2026, 2, 28)
    assert transfer_deadline(away(left_on=D(2026, 1, 31)), transfer) == D(2026, 7, 30)
    assert transfer_deadline(away(fixed=False), transfer) is None
    assert transfer_deadline(away(moved=True), transfer) is None
    member = away(fixed=False, abroad=True, left_on=D(2026, 1, 10))
    assert contact_deadline(member, contact) == D(2026, 7, 10)
    assert contact_deadline(member._replace(last_contact=D(2026, 3, 31)), contact) == D(2026, 9, 30)
    assert contact_deadline(away(), contact) is None  # not abroad


def test_rules_are_in_the_rulebook_with_their_provider():
    rules = rulebook()
    due = rules.rule("MEM-TRANSFER-DUE")
    assert (due.clause, due.severity, due.params) == ("（十二）", "required", {"away_months": 6})
    assert "EDU-05" in due.basis and "流动党员" in due.key_sentence
    assert rules.rule("MEM-MOBILE-CONTACT").severity == "advisory"
    assert "movements" in extra_needs(rules)


def test_transfer_due_at_its_boundary():
    # left 31 January: D − 6 months is 31 July (30 July: not yet)
    assert run("MEM-TRANSFER-DUE", [away()], D(2026, 7, 30)).status == "pass"
    outcome = run("MEM-TRANSFER-DUE", [away()], D(2026, 7, 31))
    assert outcome.status == "fail" and outcome.missing == ["张三"]
    assert "张三（2026-01-31起在北京某单位）" in outcome.message
    # month-end clamping: left 28 February, D 31 August → D − 6 months = 28 February
    assert run("MEM-TRANSFER-DUE", [away(left_on=D(2026, 2, 28))], D(2026, 8, 27)).status == "pass"
    assert run("MEM-TRANSFER-DUE", [away(left_on=D(2026, 2, 28))], D(2026, 8, 28)).status == "fail"


def test_transfer_due_ignores_moved_and_not_fixed_place_and_notes_pending():
    on = D(2026, 12, 31)
    assert run("MEM-TRANSFER-DUE", [away(fixed=False)], on).status == "pass"
    assert run("MEM-TRANSFER-DUE", [away(moved=True)], on).status == "pass"
    outcome = run("MEM-TRANSFER-DUE", [away(pending=True)], on)
    assert outcome.status == "fail" and "转接待接收" in outcome.message
    assert run("MEM-TRANSFER-DUE", [away()], on, dissolved_on=D(2026, 10, 1)).status == "not_applicable"


def test_mobile_contact_every_6_months():
    member = away(abroad=True, left_on=D(2026, 1, 31), last_contact=D(2026, 3, 15))
    assert run("MEM-MOBILE-CONTACT", [member], D(2026, 9, 15)).status == "pass"
    outcome = run("MEM-MOBILE-CONTACT", [member], D(2026, 9, 16))
    assert (
        outcome.status == "fail" and outcome.missing == ["张三"] and "上次联系2026-03-15" in outcome.message
    )
    assert run("MEM-MOBILE-CONTACT", [away(abroad=False)], D(2026, 12, 31)).status == "pass"


def _ruleset(*ids):
    rules = rulebook()
    return Ruleset(
        id=rules.id,
        version=3,
        title=rules.title,
        published=rules.published,
        rules=[rules.rule(i) for i in ids],
        checksum="x",
    )


def test_evaluated_on_the_database(users, tree, make_member):
    fixed = make_member(tree.a1g1, name="固定甲")  # a 党小组 member counts in 甲一
    moved = make_member(tree.a1, name="已转乙")
    pending = make_member(tree.a1, name="待接丙")
    services.start_stint(
        actor=None, member=fixed, destination="北京", fixed_place=True, left_on=D(2026, 1, 10)
    )
    for m in (moved, pending):
        services.start_stint(
            actor=None, member=m, destination="深圳", fixed_place=True, left_on=D(2026, 1, 10)
        )
    t = services.start_transfer(
        actor=None, member=moved, to_org=tree.a2, started_on=D(2026, 5, 1), reason="调动"
    )
    services.accept_transfer(actor=None, transfer=t, accepted_on=D(2026, 5, 10))
    services.start_transfer(
        actor=None, member=pending, to_org=tree.b1, started_on=D(2026, 6, 1), reason="调动"
    )
    ev = evaluate(Org.objects.all(), year=2026, as_of=D(2026, 7, 10), ruleset=_ruleset("MEM-TRANSFER-DUE"))
    by_org = {r.org.code: r for r in ev.for_rule("MEM-TRANSFER-DUE")}
    assert by_org["A1"].status == "fail" and sorted(by_org["A1"].missing) == sorted(["待接丙", "固定甲"])
    assert by_org["A2"].status == "pass"  # 已转乙 moved there: the relation has moved
    assert "A1G1" not in by_org and "A" not in by_org  # 党支部 only
    # as of 9 July, D − 6 months is 9 January: those who left on 10 January are not due yet
    ev = evaluate(Org.objects.all(), year=2026, as_of=D(2026, 7, 9), ruleset=_ruleset("MEM-TRANSFER-DUE"))
    assert {r.org.code: r.status for r in ev.for_rule("MEM-TRANSFER-DUE")}["A1"] == "pass"


def _add_branches(tree, make_member, first, last):
    from dangjian.orgs.services import create_org

    for i in range(first, last):
        branch = create_org(
            actor=None,
            data={
                "code": f"AX{i:02d}",
                "name": f"甲扩{i}支部",
                "type": "zhibu",
                "parent": tree.a,
                "unit": "甲委",
                "founded_on": D(2018, 3, 1),
            },
        )
        m = make_member(branch, name=f"扩员{i}")
        s = services.start_stint(
            actor=None,
            member=m,
            destination="西藏",
            fixed_place=True,
            abroad=True,
            abroad_purpose="work",
            left_on=D(2025, 1, 1),
        )
        services.record_contact(actor=None, stint=s, contacted_on=D(2025, 6, 1), way="phone")


def test_the_provider_is_one_query_for_2_and_many_branches(tree, make_member):
    on = D(2026, 6, 30)

    def load():
        orgs = Org.objects.all()
        org_list = list(orgs.order_by("path"))
        with CaptureQueriesContext(connection) as ctx:
            result = load_movement_facts(orgs.values("pk"), org_list, 2026, on)
        return len(ctx.captured_queries), result

    _add_branches(tree, make_member, 0, 2)
    n_small, facts = load()
    assert sum(len(f.away) for f in facts.values()) == 2
    _add_branches(tree, make_member, 2, 20)
    n_many, facts = load()
    assert n_small == n_many == 1
    assert sum(len(f.away) for f in facts.values()) == 20
    assert all(a.last_contact == D(2025, 6, 1) for f in facts.values() for a in f.away)
