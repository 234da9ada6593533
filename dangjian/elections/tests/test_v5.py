"""Rulebook v5 in the elections app, v4 and v5 side by side where the behaviour changed:

- ORG-TERM-ON-TIME honours the approved postponements and advances (`term_on_time_adjusted`), as
  ORG-TERM-REMINDER and `dangjian elections terms` do;
- the expected voters of an election come from the roll less the EL-12 exclusions; a different number typed in
  needs a reason, which ELECT-QUORUM shows in v5 (and fails without);
- ELECT-CONGRESS-FORM: an election through a 党员代表大会 needs the higher organisation's approval (第四条)."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.compliance.evaluator import evaluate
from dangjian.compliance.facts import OrgFacts, OrgRef
from dangjian.compliance.periods import Window
from dangjian.compliance.rulebook import load_ruleset
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEvent
from dangjian.elections.facts import ElectionFacts, ElectionRow
from dangjian.elections.models import Election
from dangjian.elections.rules import election_congress_form
from dangjian.elections.services import record_election, record_term_adjustment
from dangjian.elections.tests.conftest import cands
from dangjian.orgs.models import Org
from dangjian.orgs.services import update_org

HELD = dt.date(2026, 9, 1)
RULES = ("ORG-TERM-ON-TIME", "ELECT-QUORUM", "ELECT-CONGRESS-FORM")


def ruleset(version):
    rs = load_ruleset(version)
    return rs.model_copy(update={"rules": [r for r in rs.rules if r.id in RULES]})


def result(version, rule_id, as_of, org="A1"):
    ev = evaluate(Org.objects.filter(code=org), year=as_of.year, as_of=as_of, ruleset=ruleset(version))
    found = list(ev.for_rule(rule_id))
    assert len(found) == 1
    return found[0]


def both(rule_id, as_of, org="A1"):
    """(v4 status, v5 status)"""
    return result(4, rule_id, as_of, org).status, result(5, rule_id, as_of, org).status


def record(org, members, *, present=9, held_on=HELD, **kw):
    return record_election(
        actor=kw.pop("actor", None),
        org=org,
        held_on=held_on,
        form=kw.pop("form", "assembly"),
        present=present,
        seats=3,
        ballots_issued=present,
        ballots_returned=present,
        candidates=cands(members, kw.pop("votes", (9, 8, 7, 2))),
        **kw,
    )


def adjust(org, kind, new_due_on, approved_on):
    return record_term_adjustment(
        actor=None,
        org=org,
        kind=kind,
        approved_on=approved_on,
        approving_body="甲委机关党委",
        new_due_on=new_due_on,
        reason="机构改革",
    )


# --- ORG-TERM-ON-TIME: v4 term_on_time, v5 term_on_time_adjusted -------------------------------------------


def test_the_correction_is_in_v5_only():
    assert load_ruleset(4).rule("ORG-TERM-ON-TIME").check == "term_on_time"
    assert load_ruleset(5).rule("ORG-TERM-ON-TIME").check == "term_on_time_adjusted"


def test_without_an_approval_v5_says_what_v4_says(tree, a1_voters):
    # A1's term: 2023-09-01 → 2026-09-01
    for day in (dt.date(2026, 9, 1), dt.date(2026, 9, 2)):
        v4, v5 = result(4, "ORG-TERM-ON-TIME", day), result(5, "ORG-TERM-ON-TIME", day)
        assert (v4.status, v4.message, v4.missing) == (v5.status, v5.message, v5.missing)
    assert both("ORG-TERM-ON-TIME", dt.date(2026, 9, 1)) == ("pass", "pass")
    assert both("ORG-TERM-ON-TIME", dt.date(2026, 9, 2)) == ("fail", "fail")


def test_an_approved_postponement_not_yet_expired_is_not_overdue(tree, a1_voters):
    adjust(tree.a1, "postpone", dt.date(2027, 8, 1), approved_on=dt.date(2026, 8, 1))
    assert both("ORG-TERM-ON-TIME", dt.date(2026, 9, 2)) == ("fail", "pass")
    r = result(5, "ORG-TERM-ON-TIME", dt.date(2026, 12, 31))
    assert r.message == (
        "已满足：本届开始于2023-09-01，任期3年，至2026-09-01届满，已于2026-08-01经批准延期至2027-08-01换届。"
    )
    assert both("ORG-TERM-ON-TIME", dt.date(2027, 8, 1)) == ("fail", "pass")  # the approved day itself
    r = result(5, "ORG-TERM-ON-TIME", dt.date(2027, 8, 2))
    assert (r.status, r.missing) == ("fail", ["2027-08-01"])
    assert r.message == (
        "本届开始于2023-09-01，任期3年，至2026-09-01届满，已于2026-08-01经批准延期至2027-08-01换届，"
        "至2027-08-02尚未换届。"
    )


def test_a_postponement_approved_after_d_does_not_count_yet(tree, a1_voters):
    adjust(tree.a1, "postpone", dt.date(2027, 6, 1), approved_on=dt.date(2026, 10, 1))
    assert both("ORG-TERM-ON-TIME", dt.date(2026, 9, 30)) == ("fail", "fail")
    assert both("ORG-TERM-ON-TIME", dt.date(2026, 10, 1)) == ("fail", "pass")


def test_an_approved_advance_brings_the_due_date_forward(tree, a1_voters):
    adjust(tree.a1, "advance", dt.date(2026, 6, 1), approved_on=dt.date(2026, 3, 1))
    assert both("ORG-TERM-ON-TIME", dt.date(2026, 6, 1)) == ("pass", "pass")
    assert both("ORG-TERM-ON-TIME", dt.date(2026, 6, 2)) == ("pass", "fail")
    assert (
        "已于2026-03-01经批准提前至2026-06-01换届"
        in result(5, "ORG-TERM-ON-TIME", dt.date(2026, 6, 2)).message
    )


def test_an_approval_for_the_previous_term_is_history(tree, a1_voters):
    adjust(tree.a1, "postpone", dt.date(2027, 8, 1), approved_on=dt.date(2026, 8, 1))
    update_org(actor=None, org=tree.a1, data={"term_started_on": dt.date(2023, 10, 1)})  # another term
    assert both("ORG-TERM-ON-TIME", dt.date(2026, 10, 2)) == ("fail", "fail")


# --- expected voters: derived from the roll, a typed difference needs its reason --------------------------


def test_expected_voters_derived_and_the_roll_kept(tree, a1_voters):
    e = record(tree.a1, a1_voters)
    assert (e.roll_members, e.roster_voters, e.derived_expected, e.expected, e.expected_reason) == (
        11,  # 10 正式党员 and the 预备党员
        10,
        10,
        10,
        "",
    )
    snapshot = AuditEvent.objects.get(object_type="elections.election").after
    assert (snapshot["derived_expected"], snapshot["roll_members"]) == (10, 11)


def test_a_typed_number_equal_to_the_roll_needs_no_reason(tree, a1_voters):
    e = record(tree.a1, a1_voters, expected=10, expected_reason="  多余的说明 ")
    assert (e.expected, e.expected_reason) == (10, "")


def test_a_different_number_without_a_reason_is_refused_and_nothing_written(tree, a1_voters):
    with pytest.raises(ServiceError) as exc:
        record(tree.a1, a1_voters, expected=9)
    assert exc.value.errors == {
        "expected_reason": [
            "应到会有选举权人数（9）与按名册计算的人数（10：选举日名册中有选举权的正式党员10人，经批准不计入0人）"
            "不同，请填写理由。"
        ]
    }
    assert not Election.objects.exists()


def test_a_different_number_with_its_reason_is_kept_and_shown_by_v5(tree, a1_voters):
    record(
        tree.a1,
        a1_voters,
        present=8,
        votes=(8, 7, 6, 1),
        expected=9,
        expected_reason="党员01被依法留置，中止选举权利",
    )
    e = Election.objects.get()
    assert (e.derived_expected, e.expected, e.expected_reason) == (10, 9, "党员01被依法留置，中止选举权利")
    on = dt.date(2026, 12, 31)
    v4, v5 = result(4, "ELECT-QUORUM", on), result(5, "ELECT-QUORUM", on)
    assert (v4.status, v5.status) == ("pass", "pass")  # 8 > 4/5 of 9
    assert v4.message == "已满足：1次选举到会人数均超过应到会人数的4/5。"
    assert v5.message == (
        "已满足：1次选举到会人数均超过应到会人数的4/5。"
        "应到会人数与名册计算不同：2026-09-01登记应到会9人，按名册计算为10人，理由：党员01被依法留置，中止选举权利。"
    )


def test_a_record_with_an_unexplained_difference_fails_in_v5_only(tree, a1_voters):
    e = record(tree.a1, a1_voters)
    Election.objects.filter(pk=e.pk).update(expected=9)  # a record made before the reason was asked for
    on = dt.date(2026, 12, 31)
    assert both("ELECT-QUORUM", on) == ("pass", "fail")
    v5 = result(5, "ELECT-QUORUM", on)
    assert v5.missing == ["2026-09-01"]
    assert v5.message.endswith("2026-09-01登记应到会9人，按名册计算为10人，未说明理由。")


def test_the_entry_form_asks_for_the_reason(client, users, tree, a1_voters):
    from dangjian.elections.tests.test_views import post_data

    client.force_login(users["dangwei_a"])  # roster: 10 + 李党员 = 11
    page = client.get(reverse("elections:create"), {"org": tree.a1.pk, "held_on": HELD.isoformat()})
    html = page.content.decode()
    for name in ("expected_reason", "form_approval_ref", "form_approved_on"):
        assert f'name="{name}"' in html
    data = post_data(tree.a1, a1_voters, 9, (9, 8, 7, 2), expected=10)
    r = client.post(reverse("elections:create"), data)
    assert r.status_code == 400 and "请填写理由" in r.content.decode()
    assert not Election.objects.exists()
    r = client.post(
        reverse("elections:create"), {**data, "expected_reason": "李党员长期病休，经支部大会同意"}
    )
    assert r.status_code == 302
    detail = client.get(r["Location"]).content.decode()
    assert 'data-testid="derived-expected">11<' in detail
    assert "理由：李党员长期病休，经支部大会同意" in detail


# --- ELECT-CONGRESS-FORM ---------------------------------------------------------------------------------


def test_congress_form_rule_in_v5_only():
    rule = load_ruleset(5).rule("ELECT-CONGRESS-FORM")
    assert (rule.check, rule.params, rule.severity) == (
        "election_congress_form",
        {"congress_from": 500},
        "required",
    )
    assert all(r.id != "ELECT-CONGRESS-FORM" for r in load_ruleset(4).rules)


def test_congress_approval_validated_and_stored(tree, a1_voters):
    with pytest.raises(ServiceError, match="党员大会无需登记"):
        record(tree.a1, a1_voters, form_approval_ref="甲委党发〔2026〕5号", form_approved_on=HELD)
    with pytest.raises(ServiceError, match="应同时填写"):
        record(tree.a1, a1_voters, form="congress", form_approval_ref="甲委党发〔2026〕5号")
    with pytest.raises(ServiceError, match="不能晚于选举日期"):
        record(
            tree.a1,
            a1_voters,
            form="congress",
            form_approval_ref="甲委党发〔2026〕5号",
            form_approved_on=HELD + dt.timedelta(days=1),
        )
    assert not Election.objects.exists()
    e = record(
        tree.a1, a1_voters, form="congress", form_approval_ref="甲委党发〔2026〕5号", form_approved_on=HELD
    )
    assert (e.form_approval_ref, e.form_approved_on) == ("甲委党发〔2026〕5号", HELD)


def test_congress_form_on_the_database(client, users, tree, a1_voters):
    """A1: the 10 正式党员 and the 预备党员 of a1_voters, and the users fixture's 李党员."""
    on = dt.date(2026, 12, 31)
    r = result(5, "ELECT-CONGRESS-FORM", on)
    assert (r.status, r.message) == ("pass", "已满足：2026年截至2026-12-31未进行选举，无需检查。")
    e = record(tree.a1, a1_voters, form="congress")
    r = result(5, "ELECT-CONGRESS-FORM", on)
    assert (r.status, r.missing) == ("fail", ["2026-09-01"])
    assert r.message.startswith(
        "1次选举召开党员代表大会，未登记上级党组织的批准：2026-09-01（党员12名，不足500名，须以所辖党组织驻地分散为由经批准）"
    )
    assert result(5, "ELECT-CONGRESS-FORM", dt.date(2026, 8, 31)).status == "pass"  # before the election
    client.force_login(users["dangwei_a"])
    detail = client.get(reverse("elections:detail", args=[e.pk])).content.decode()
    assert "未登记（须经上级党组织批准）" in detail


def test_an_assembly_passes_whatever_the_size(tree, a1_voters):
    record(tree.a1, a1_voters)
    r = result(5, "ELECT-CONGRESS-FORM", dt.date(2026, 12, 31))
    assert (r.status, r.message) == ("pass", "已满足：1次选举均召开党员大会。")


def congress(roll, approved_on=None, form="congress"):
    row = ElectionRow(
        1,
        HELD,
        10,
        9,
        3,
        False,
        9,
        9,
        (),
        10,
        "",
        form,
        roll,
        "甲委党发〔2026〕5号" if approved_on else "",
        approved_on,
    )
    return OrgFacts(
        ref=OrgRef(1, "A", "甲委机关党委", "dangwei", "1/", ""),
        extra={"elections": ElectionFacts((), (row,))},
    )


WINDOW = Window(2026, dt.date(2026, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.mark.parametrize(
    ("facts", "status"),
    [
        (congress(600), "fail"),
        (congress(600, approved_on=HELD), "pass"),  # approved on the election date
        (congress(600, approved_on=HELD + dt.timedelta(days=1)), "fail"),  # approved afterwards
        (congress(499, approved_on=HELD), "pass"),  # below 500: the approval rests on dispersion
        (congress(800, form="assembly"), "pass"),  # 一般由党员大会选举产生, whatever the size
        (congress(None), "fail"),  # a record made before the number was kept
    ],
)
def test_congress_form_edges(facts, status):
    p = load_ruleset(5).rule("ELECT-CONGRESS-FORM").typed_params
    assert election_congress_form(facts, WINDOW, p).status == status


def test_congress_form_messages_with_the_count():
    p = load_ruleset(5).rule("ELECT-CONGRESS-FORM").typed_params
    assert election_congress_form(congress(600), WINDOW, p).message.startswith(
        "1次选举召开党员代表大会，未登记上级党组织的批准：2026-09-01（党员600名）；"
    )
    assert election_congress_form(congress(600, approved_on=HELD), WINDOW, p).message == (
        "已满足：1次选举中召开党员代表大会的均经上级党组织批准：2026-09-01（党员600名），甲委党发〔2026〕5号（2026-09-01批准）。"
    )
